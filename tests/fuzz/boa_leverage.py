"""The liquidator and the guard deployed on top of `boa_system.deploy_system(...)`'s protocol (revm or
titanoboa), and the set-ups their tests share: a guarded router position, a borrower pushing utilization.

`deploy_leverage(system)` deploys `Liquidator` and `LeverageGuard`, both given the factory as registry (their
only constructor argument). Gas is measured in the Ape unit tests: revm here keeps storage warm from one
call to the next, so its figures run low.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import eth_abi
from boa_system import MAX_UINT, ORACLE_SCALE, WAD, BoaSystem, RevmChain, deploy_system, lend, router_user
from eth_utils import keccak

from levstake.deploy import DEFAULT_LLTV, DEFAULT_MAX_LTV, DEFAULT_RESERVE_FACTOR

__all__ = [
    "Leverage",
    "borrow_to_utilization",
    "deploy_leverage",
    "encode_call",
    "maxed_borrower",
    "second_market",
    "stake_and_delegate",
    "guarded_user",
    "open_position",
    "utilizer",
]

DEADLINE = 2**64


@dataclass
class Leverage:
    """The protocol plus the liquidator and the guard."""

    system: BoaSystem
    liquidator: Any
    guard: Any


def deploy_leverage(system: BoaSystem) -> Leverage:
    chain = system.chain
    liquidator = chain.deploy("leverage/Liquidator.vy", system.factory, sender=system.owner)
    guard = chain.deploy("leverage/LeverageGuard.vy", system.factory, sender=system.owner)
    return Leverage(system, liquidator, guard)


def open_position(system: BoaSystem, alias: str, equity: float, leverage: int) -> str:
    """A router user who opened `leverage`x on `equity` X (it keeps X left over approved to the router)."""
    user = router_user(system, alias, equity)
    system.router.open(system.market, system.units(equity), leverage * WAD, 0, DEADLINE, sender=user)
    return user


def guarded_user(
    leverage: Leverage,
    alias: str,
    equity: float,
    opened_at: int,
    floor: int,
    target: int,
    max_tip_bps: int,
    carry_hours: int = 0,
) -> str:
    """A position opened at `opened_at`x through the router, guarded with (floor, target, max tip, carry
    hours) (WADs for floor and target) and the guard authorized on the market."""
    system = leverage.system
    user = open_position(system, alias, equity, opened_at)
    system.market.set_authorization(leverage.guard, True, sender=user)
    leverage.guard.set_guard(system.market, floor, target, max_tip_bps, carry_hours, sender=user)
    return user


def utilizer(system: BoaSystem, alias: str = "utilizer") -> str:
    """A borrower with approvals in place for `borrow_to_utilization`."""
    borrower = system.chain.generate_address(alias)
    system.x.approve(system.lst, MAX_UINT, sender=borrower)
    system.x.approve(system.market, MAX_UINT, sender=borrower)
    system.lst.approve(system.market, MAX_UINT, sender=borrower)
    return borrower


def borrow_to_utilization(system: BoaSystem, borrower: str, utilization: int) -> None:
    """`borrower` (from `utilizer`) posts LST collateral and borrows until the market's utilization is
    `utilization` (WAD), or repays down to it. Its collateral is twice what max LTV needs."""
    market, lst = system.market, system.lst
    market.accrue_interest()
    supply, borrows = market.total_supply_assets(), market.total_borrow_assets()
    wanted = supply * utilization // WAD
    if wanted > borrows:
        amount = wanted - borrows
        collateral_x = amount * 2 * WAD // market.max_ltv() + system.units(1)
        system.mint_x(borrower, collateral_x)
        shares = lst.deposit(collateral_x, sender=borrower)
        market.supply_collateral(shares, borrower, sender=borrower)
        assert shares * system.oracle.price() // ORACLE_SCALE * market.max_ltv() // WAD >= amount
        market.borrow(amount, 0, borrower, borrower, sender=borrower)
    elif wanted < borrows:
        system.mint_x(borrower, borrows - wanted)
        market.repay(borrows - wanted, 0, borrower, sender=borrower)


def maxed_borrower(system: BoaSystem, alias: str, amount: float, market: Any = None) -> str:
    """A borrower who staked `amount` of X, posted all the LST on `market` (the default one unless given) and
    borrowed up to max LTV at the oracle's price."""
    market = market or system.market
    borrower = system.chain.generate_address(alias)
    system.mint_x(borrower, system.units(amount))
    system.x.approve(system.lst, MAX_UINT, sender=borrower)
    system.lst.approve(market, MAX_UINT, sender=borrower)
    shares = system.lst.deposit(system.units(amount), sender=borrower)
    market.supply_collateral(shares, borrower, sender=borrower)
    limit = shares * system.oracle.price() // ORACLE_SCALE * market.max_ltv() // WAD
    market.borrow(limit, 0, borrower, borrower, sender=borrower)
    return borrower


def second_market(system: BoaSystem) -> Any:
    """Another factory market of the same X and LST (same oracle, rate model and parameters)."""
    system.factory.create_market(
        system.x,
        system.lst,
        system.oracle,
        system.irm,
        DEFAULT_MAX_LTV,
        DEFAULT_LLTV,
        DEFAULT_RESERVE_FACTOR,
        "LevStake X lending 2",
        "lsX2",
        sender=system.owner,
    )
    address = system.factory.markets(system.factory.market_count() - 1)
    return system.chain.at("lending/LendingMarket.vy", address)


def encode_call(signature: str, *args: Any) -> bytes:
    """Calldata of `signature` ("name(type,...)") with `args`, for a batching contract's raw calls."""
    types = signature[signature.index("(") + 1 : -1].split(",") if not signature.endswith("()") else []
    values = [getattr(arg, "address", arg) for arg in args]
    return keccak(text=signature)[:4] + eth_abi.encode(types, values)


def stake_and_delegate(system: BoaSystem, amount: float) -> str:
    """A staker adds `amount` of X to the LST, which then delegates all but its 10% buffer target (so that a
    slash of the backend reaches the LST's positions); returns the staker."""
    staker = system.chain.generate_address("staker")
    system.mint_x(staker, system.units(amount))
    system.x.approve(system.lst, MAX_UINT, sender=staker)
    system.lst.deposit(system.units(amount), sender=staker)
    system.lst.rebalance()
    return staker


def guard_world(decimals: int) -> Leverage:
    """The guard's attack files' start: a system on revm with 1,000,000 X lent, the guard and the liquidator,
    and 100,000 X staked and delegated (so that a slash reaches the positions)."""
    system = deploy_system(decimals, RevmChain())
    lend(system, 1_000_000)
    leverage = deploy_leverage(system)
    stake_and_delegate(system, 100_000)
    return leverage


def carry_attack_world(
    system: BoaSystem, floor: int, target: int, carry_hours: int
) -> tuple[Leverage, str, str]:
    """A carry-guarded 50x victim on a market with 1M X lent, and an attacker holding 2.5M X of LST as
    collateral (in place from the start: a deposit into the LST while a reward stream is locked raises its
    rate, which would only make the attacker's own first interval look better), after a day of synced
    rewards and twelve hourly checkpoints with no carry run: the set-up of the carry-trigger attack files."""
    hour = 3_600
    leverage = deploy_leverage(system)
    victim = guarded_user(leverage, "victim", 100, 50, floor, target, 100, carry_hours=carry_hours)
    keeper = system.chain.generate_address("keeper")
    attacker = system.chain.generate_address("attacker")
    system.mint_x(attacker, system.units(3_000_000))
    system.x.approve(system.lst, MAX_UINT, sender=attacker)
    system.x.approve(system.market, MAX_UINT, sender=attacker)
    system.lst.approve(system.market, MAX_UINT, sender=attacker)
    shares = system.lst.deposit(system.units(2_500_000), sender=attacker)
    system.market.supply_collateral(shares, attacker, sender=attacker)
    # The LST delegates all but its buffer and a day of rewards is synced: from here its rate grows along its
    # reward stream (6.5% a year after the fee), and a keeper records a checkpoint every hour.
    system.lst.rebalance()
    system.chain.time_travel(24 * hour)
    system.lst.sync_rewards()
    for _ in range(12):
        system.chain.time_travel(hour)
        leverage.guard.checkpoint(system.market, sender=keeper)
    assert leverage.guard.carry_run(system.market) == 0
    return leverage, victim, attacker
