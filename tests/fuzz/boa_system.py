"""The protocol deployed on titanoboa, for stateful fuzzing (about 100x more calls/s than Ape's chain).

The same `.vy` files and the same parameters as `levstake.deploy`; compiled once per process. Each hypothesis
example runs inside `boa.env.anchor()`, so a deployment is reused and every example starts from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import boa
from boa.contracts.base_evm_contract import BoaError

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
from levstake.model import MARKET_VIRTUAL_SHARES as VIRTUAL_SHARES
from levstake.model import ORACLE_SCALE, WAD, mul_div_up, to_units

__all__ = [
    "MAX_UINT",
    "ORACLE_SCALE",
    "VIRTUAL_SHARES",
    "WAD",
    "BoaSystem",
    "attempt",
    "deploy_system",
    "deployer",
    "mul_div_up",
    "revert_reason",
]

ROOT = Path(__file__).resolve().parents[2]
REWARD_RESERVE = 10_000_000
MAX_UINT = 2**256 - 1


@cache
def deployer(name: str) -> Any:
    # `interfaces` resolves from the project root, `snekmate` from site-packages.
    boa.interpret.set_search_paths([str(ROOT)])
    return boa.load_partial(str(ROOT / "contracts" / name))


def revert_reason(error: BoaError) -> str:
    frame = error.stack_trace.last_frame
    return frame if isinstance(frame, str) else str(frame.pretty_vm_reason)


def attempt(function: Any, *args: Any, **kwargs: Any) -> tuple[object, str | None]:
    """Call a contract function; returns (result, None) or (None, revert reason)."""
    try:
        return function(*args, **kwargs), None
    except BoaError as error:
        return None, revert_reason(error)


@dataclass
class BoaSystem:
    """Every deployed contract plus the roles that own them."""

    decimals: int
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

    def units(self, amount: float | int) -> int:
        return to_units(amount, self.decimals)

    def mint_x(self, to: str, amount: int) -> None:
        self.x.mint(to, amount, sender=self.owner)


def deploy_system(decimals: int) -> BoaSystem:
    """Deploy X (a mock token), the validator, the LST, the rate model, oracle, factory and default market."""
    boa.env.enable_fast_mode()
    owner = boa.env.generate_address("owner")
    treasury = boa.env.generate_address("treasury")
    guardian = boa.env.generate_address("guardian")
    with boa.env.prank(owner):
        x = deployer("mocks/MockToken.vy").deploy("Test X", "X", decimals)
        validator = deployer("staking/SimulatedValidator.vy").deploy(x, DEFAULT_VALIDATOR_APR_BPS)
        lst = deployer("staking/LiquidStaking.vy").deploy(
            x, validator, treasury, LST_NAME, LST_SYMBOL, decimals
        )
        reserve = REWARD_RESERVE * 10**decimals
        x.mint(owner, reserve)
        x.approve(validator, reserve)
        validator.fund_rewards(reserve)
        irm = deployer("lending/InterestRateModel.vy").deploy(*IRM_DEFAULTS)
        oracle = deployer("lending/ExchangeRateOracle.vy").deploy(lst, ORACLE_MAX_YEARLY_GROWTH)
        blueprint = deployer("lending/LendingMarket.vy").deploy_as_blueprint()
        factory = deployer("lending/MarketFactory.vy").deploy(blueprint, treasury, guardian)
        factory.set_pair_allowed(DEFAULT_MAX_LTV, DEFAULT_LLTV, True)
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
        )
        router = deployer("leverage/LeverageRouter.vy").deploy(factory, "0x" + "00" * 20)
    market = deployer("lending/LendingMarket.vy").at(address)
    return BoaSystem(
        decimals, owner, treasury, guardian, x, validator, lst, irm, oracle, factory, market, router
    )


def lend(system: BoaSystem, amount: float) -> None:
    """A lender supplies `amount` of X to the market."""
    lender = boa.env.generate_address("lender")
    system.mint_x(lender, system.units(amount))
    system.x.approve(system.market, MAX_UINT, sender=lender)
    system.market.deposit(system.units(amount), sender=lender)


def router_user(system: BoaSystem, alias: str, amount: float) -> str:
    """A user holding `amount` of X approved to the router, who has authorized the router on the market."""
    user = boa.env.generate_address(alias)
    system.mint_x(user, system.units(amount))
    system.x.approve(system.router, MAX_UINT, sender=user)
    system.market.set_authorization(system.router, True, sender=user)
    return user
