"""The protocol deployed on titanoboa or on revm, for property and stateful tests (titanoboa makes about 100x
more calls/s than Ape's chain, revm about 40x more than titanoboa).

The same `.vy` files and the same parameters as `levstake.deploy`; compiled once per process. Each hypothesis
example runs inside `system.chain.anchor()`, so a deployment is reused and every example starts from it.

`deploy_system(decimals, chain=RevmChain())` deploys the same contracts on revm (`revm_chain.py`), which runs
the bytecode natively: tests that make thousands of calls (round trips, per-block accruals, the stateful
machines) use it through `system.chain` (`generate_address`, `time_travel`, `anchor`, `deploy`) and
`attempt` / `reverts`, which read a revert reason from either chain.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import boa
from boa.contracts.base_evm_contract import BoaError
from revm_chain import Reverted, RevmChain

from levstake import lst_lens
from levstake.deploy import (
    DEFAULT_LLTV,
    DEFAULT_MAX_LTV,
    DEFAULT_RESERVE_FACTOR,
    DEFAULT_VALIDATOR_APR_BPS,
    IRM_DEFAULTS,
    LST_NAME,
    LST_SYMBOL,
    ORACLE_MAX_YEARLY_GROWTH,
)
from levstake.model import LST_PARAMETER_DELAY, LST_PARAMETERS, ORACLE_SCALE, WAD, mul_div_up, to_units
from levstake.model import MARKET_VIRTUAL_SHARES as VIRTUAL_SHARES

__all__ = [
    "REVERTED",
    "MAX_UINT",
    "ORACLE_SCALE",
    "VIRTUAL_SHARES",
    "WAD",
    "BoaSystem",
    "assert_unbonding_within_need",
    "RevmChain",
    "attempt",
    "deploy_system",
    "deployer",
    "mul_div_up",
    "rebalance_checked",
    "revert_reason",
    "reverts",
    "set_lst_parameter",
]

ROOT = Path(__file__).resolve().parents[2]
REWARD_RESERVE = 10_000_000
MAX_UINT = 2**256 - 1


@cache
def deployer(name: str) -> Any:
    # `interfaces` resolves from the project root, `snekmate` from site-packages.
    boa.interpret.set_search_paths([str(ROOT)])
    return boa.load_partial(str(ROOT / "contracts" / name))


REVERTED = (BoaError, Reverted)


def revert_reason(error: BoaError | Reverted) -> str:
    if isinstance(error, Reverted):
        return error.reason
    frame = error.stack_trace.last_frame
    return frame if isinstance(frame, str) else str(frame.pretty_vm_reason)


def largest_where(holds: Callable[[int], bool], low: int, high: int) -> int:
    """The largest x in [low, high] where `holds`, true up to some point and false after it (binary search;
    `low` is taken to hold without asking)."""
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if holds(middle) else (low, middle - 1)
    return low


def largest_paid_withdraw(lst: Any, balance: int, high: int, low: int = 0) -> int:
    """The largest X at most `high` whose `previewWithdraw` fits `balance` shares of the LST (0 if none): what
    its `withdraw` takes, where `maxWithdraw` is only a lower bound. `low`: an amount known to fit."""
    return largest_where(lambda assets: lst.previewWithdraw(assets) <= balance, min(low, high), high)


def attempt(function: Any, *args: Any, **kwargs: Any) -> tuple[object, str | None]:
    """Call a contract function; returns (result, None) or (None, revert reason)."""
    try:
        return function(*args, **kwargs), None
    except REVERTED as error:
        return None, revert_reason(error)


@contextmanager
def reverts(reason: str) -> Iterator[None]:
    """The block must revert with exactly `reason` (on titanoboa or revm)."""
    try:
        yield
    except REVERTED as error:
        assert revert_reason(error) == reason, f"reverted with {revert_reason(error)!r}, not {reason!r}"
        return
    raise AssertionError(f"did not revert (expected {reason!r})")


@dataclass
class BoaSystem:
    """Every deployed contract plus the roles that own them."""

    decimals: int
    chain: Any
    owner: str
    treasury: str
    guardian: str
    x: Any
    validator: Any
    lst: Any
    irm: Any
    oracle: Any
    factory: Any
    market: Any
    router: Any
    # The LST's StakingGovernor (owned by `owner`): parameter changes and the treasury go through it.
    governor: Any

    def units(self, amount: float | int) -> int:
        return to_units(amount, self.decimals)

    def mint_x(self, to: str, amount: int) -> None:
        self.x.mint(to, amount, sender=self.owner)


def set_lst_parameter(system: BoaSystem | LstAlone, name: str, value: int, **more: int) -> None:
    """Announce LST parameter changes through its governor as the governor's owner (`name=value` and any
    `more`), wait out the delay once and apply them in that order."""
    changes = {name: value, **more}
    for key, new in changes.items():
        system.governor.announce_parameter(LST_PARAMETERS[key], new, sender=system.owner)
    system.chain.time_travel(LST_PARAMETER_DELAY)
    for key in changes:
        system.governor.apply_parameter(LST_PARAMETERS[key])


class BoaChain:
    """titanoboa's environment behind the few calls `deploy_system` makes (`revm_chain.RevmChain` is the
    other chain it deploys on)."""

    def generate_address(self, alias: str) -> str:
        return boa.env.generate_address(alias)

    def deploy(self, name: str, *args: Any, sender: str) -> Any:
        with boa.env.prank(sender):
            return deployer(name).deploy(*args)

    def blueprint(self, name: str, sender: str) -> Any:
        with boa.env.prank(sender):
            return deployer(name).deploy_as_blueprint()

    def at(self, name: str, address: str) -> Any:
        return deployer(name).at(address)

    def time_travel(self, seconds: int) -> None:
        boa.env.time_travel(seconds=seconds)

    def anchor(self) -> Any:
        return boa.env.anchor()

    @property
    def timestamp(self) -> int:
        return boa.env.evm.patch.timestamp


@dataclass(frozen=True)
class LstAlone:
    """An LST with no market around it (`deploy_lst`)."""

    chain: Any
    owner: str
    treasury: str
    x: Any
    backend: Any
    lst: Any
    governor: Any


def deploy_lst_naming(
    chain: Any, x: Any, backend: Any, treasury: str, decimals: int, governor: Any, sender: str
) -> Any:
    """An LST over `x` and `backend` whose parameters and treasury only `governor` writes (any address:
    anybody can deploy an LST naming any governor)."""
    return chain.deploy(
        "staking/LiquidStaking.vy",
        x,
        backend,
        treasury,
        LST_NAME,
        LST_SYMBOL,
        decimals,
        governor,
        sender=sender,
    )


def deploy_governed_lst(
    chain: Any, x: Any, backend: Any, treasury: str, decimals: int, owner: str
) -> tuple[Any, Any]:
    """A StakingGovernor owned by `owner`, the LST over `x` and `backend` naming it, and the governor bound
    to the LST (as `levstake.deploy.deploy_staking` deploys them): (lst, governor)."""
    governor = chain.deploy("staking/StakingGovernor.vy", sender=owner)
    lst = deploy_lst_naming(chain, x, backend, treasury, decimals, governor, owner)
    governor.bind(lst, sender=owner)
    return lst, governor


def deploy_lst(chain: Any, decimals: int, backend: str, *backend_args: Any) -> LstAlone:
    """X (a mock token), a backend (`backend`, a contract path, deployed with X and `backend_args`) and the
    LST with its governor alone on `chain`: the attack files that drive the LST's books to their bound need
    no market."""
    owner, treasury = chain.generate_address("owner"), chain.generate_address("treasury")
    x = chain.deploy("mocks/MockToken.vy", "Test X", "X", decimals, sender=owner)
    staking = chain.deploy(backend, x, *backend_args, sender=owner)
    lst, governor = deploy_governed_lst(chain, x, staking, treasury, decimals, owner)
    return LstAlone(chain, owner, treasury, x, staking, lst, governor)


def deploy_system(decimals: int, chain: Any = None, native: bool = False) -> BoaSystem:
    """Deploy X (a mock token), the validator, the LST and its governor, the rate model, oracle, factory and
    default market, on titanoboa unless another `chain` is given. `native`: X is WrappedNative (18 decimals)
    and the router knows it, as the devnet deploys it; its backend's reward reserve is left unfunded (nobody
    can mint X)."""
    if chain is None:
        boa.env.enable_fast_mode()
        chain = BoaChain()
    owner = chain.generate_address("owner")
    treasury = chain.generate_address("treasury")
    guardian = chain.generate_address("guardian")
    if native:
        x = chain.deploy("devnet/WrappedNative.vy", "Wrapped Native", "WNAT", sender=owner)
    else:
        x = chain.deploy("mocks/MockToken.vy", "Test X", "X", decimals, sender=owner)
    validator = chain.deploy("staking/SimulatedValidator.vy", x, DEFAULT_VALIDATOR_APR_BPS, sender=owner)
    lst, governor = deploy_governed_lst(chain, x, validator, treasury, decimals, owner)
    if not native:
        reserve = REWARD_RESERVE * 10**decimals
        x.mint(owner, reserve, sender=owner)
        x.approve(validator, reserve, sender=owner)
        validator.fund_rewards(reserve, sender=owner)
    irm = chain.deploy("lending/InterestRateModel.vy", *IRM_DEFAULTS, sender=owner)
    oracle = chain.deploy("lending/ExchangeRateOracle.vy", lst, ORACLE_MAX_YEARLY_GROWTH, sender=owner)
    blueprint = chain.blueprint("lending/LendingMarket.vy", sender=owner)
    factory = chain.deploy("lending/MarketFactory.vy", blueprint, treasury, guardian, sender=owner)
    factory.set_pair_allowed(DEFAULT_MAX_LTV, DEFAULT_LLTV, True, sender=owner)
    factory.enable_irm(irm, sender=owner)
    factory.enable_oracle(oracle, lst, sender=owner)
    address = factory.create_market(
        x,
        lst,
        oracle,
        irm,
        DEFAULT_MAX_LTV,
        DEFAULT_LLTV,
        DEFAULT_RESERVE_FACTOR,
        "LevStake X lending",
        "lsX",
        sender=owner,
    )
    wrapped_native = x if native else "0x" + "00" * 20
    router = chain.deploy("leverage/LeverageRouter.vy", factory, wrapped_native, sender=owner)
    market = chain.at("lending/LendingMarket.vy", address)
    return BoaSystem(
        decimals,
        chain,
        owner,
        treasury,
        guardian,
        x,
        validator,
        lst,
        irm,
        oracle,
        factory,
        market,
        router,
        governor,
    )


def assert_unbonding_within_need(system: BoaSystem, carried: int) -> None:
    """After a call that opened unbonding: the LST's unbonding at the backend is at most the queue's liability
    plus the buffer's target shortfall `max(0, target - buffer)`, or plus the buffer's unbonding `carried`
    from before the call if that is more: a filing is covered by new unbonding of the stake (so its X carries
    the slash like any), and the smaller target after it can leave the buffer's unbonding already on its way
    above the new shortfall (unbonding cannot be called back; it lands in the buffer and is delegated again);
    but no call asks for more. The backend removes stake units rounded up, so its stake may drop a wei or two
    more than what went into unbonding: the LST's views count that as a loss, which moves the liability and
    the target by at most that loss plus a unit of rounding each. And the expected unbonding is within the
    accounted balance (`_request_unbonding` asks at most the stake the LST counts)."""
    lst, validator = system.lst, system.validator
    shortfall = max(lst_lens.target_buffer(lst) - lst.buffer(), 0, carried)
    unbonding, liability = validator.unbonding_balance(lst), lst_lens.queue_liability(lst)
    # Plus a filing's set-aside part, whose shares round up (the liability may fall a unit or two more than
    # the X set aside while the stake's unbonding for it was asked whole), and the queue's per-entry margin:
    # a slash charges the queue up to a unit per backend entry more than its entries lost, which stays in
    # unbonding beyond the liability (dust that lands in the buffer).
    loss = max(lst.backend_accounted() - validator.total_balance(lst), 0)
    rounding = loss + 2 * lst.unbonding_requests() + 6
    assert unbonding <= liability + shortfall + rounding, (
        f"the LST has {unbonding} unbonding, beyond the queue's {liability} and the buffer's shortfall "
        f"{shortfall}"
    )
    # Nor does it unbond rewards it has not counted: their payback would land past the accounted balance at
    # once.
    expected, accounted = lst.unbonding_expected(), lst.backend_accounted()
    assert expected <= accounted, f"the LST expects {expected} unbonding, beyond its accounted {accounted}"


def rebalance_checked(system: BoaSystem) -> tuple[bool, int]:
    """`rebalance`, then what the README promises of it: the call did not both unbond and delegate, and
    whatever it unbonded is within the need (`assert_unbonding_within_need`). Returns (whether it unbonded,
    X it delegated)."""
    lst, validator = system.lst, system.validator
    entries, cash, landing, carried = (
        validator.unbonding_tail(lst),
        system.x.balanceOf(lst),
        validator.withdrawable(lst),
        lst.free_unbonding(),
    )
    lst.rebalance()
    unbonded = validator.unbonding_tail(lst) > entries
    # X only enters the LST by the paybacks that have matured and only leaves it by delegation.
    delegated = cash + landing - system.x.balanceOf(lst)
    assert not (unbonded and delegated > 0), "one rebalance both unbonded and delegated"
    if unbonded:
        assert_unbonding_within_need(system, carried)
    return unbonded, delegated


def lend(system: BoaSystem, amount: float) -> None:
    """A lender supplies `amount` of X to the market."""
    lender = system.chain.generate_address("lender")
    system.mint_x(lender, system.units(amount))
    system.x.approve(system.market, MAX_UINT, sender=lender)
    system.market.deposit(system.units(amount), sender=lender)


def stake(system: BoaSystem, alias: str, amount: float) -> str:
    """A staker (`alias`) stakes `amount` of X into the LST and keeps the shares; returns its address."""
    staker = system.chain.generate_address(alias)
    system.mint_x(staker, system.units(amount))
    system.x.approve(system.lst, MAX_UINT, sender=staker)
    system.lst.deposit(system.units(amount), sender=staker)
    return staker


def fifty_x_world(decimals: int) -> tuple[BoaSystem, str]:
    """On revm: 200,000 X lent, 1,000,000 X staked, a user at 50x on 1,000 X, the buffer's excess delegated
    (what a parameter change could trap); returns the system and the user."""
    system = deploy_system(decimals, RevmChain())
    lend(system, 200_000)
    stake(system, "staker", 1_000_000)
    user = router_user(system, "user", 1_000)
    system.router.open(system.market, system.units(1_000), 50 * WAD, 0, 2**64, sender=user)
    system.lst.rebalance()
    return system, user


def router_user(system: BoaSystem, alias: str, amount: float) -> str:
    """A user holding `amount` of X approved to the router, who has authorized the router on the market."""
    user = system.chain.generate_address(alias)
    system.mint_x(user, system.units(amount))
    system.x.approve(system.router, MAX_UINT, sender=user)
    system.market.set_authorization(system.router, True, sender=user)
    return user
