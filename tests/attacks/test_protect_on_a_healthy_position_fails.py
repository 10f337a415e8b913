"""Anyone may call `protect`, and is paid for it: a caller would like to step down (and tip itself from) a
position whose health is above its owner's floor. Nothing a caller can do in a block lowers a position's
health (the collateral at the LST's book value, which deposits, donations and exits cannot push down, over a
debt that only interest grows), so the guard's trigger check is what stands between the caller and the tip.

The defence: `protect` reverts "guard: no trigger holds" unless the health is below the floor (or the carry
run is long enough, off here), and then moves the position only to the owner's target.
"""

from __future__ import annotations

import pytest
from boa_leverage import guard_world, guarded_user
from boa_system import MAX_UINT, WAD, reverts

FLOOR = 1_005 * WAD // 1_000
TARGET = 20 * WAD
MAX_TIP_BPS = 50
DAY = 86_400


@pytest.fixture(scope="module")
def world(decimals):
    leverage = guard_world(decimals)
    system = leverage.system
    victim = guarded_user(leverage, "victim", 100, 50, FLOOR, TARGET, MAX_TIP_BPS)
    attacker = system.chain.generate_address("attacker")
    system.mint_x(attacker, system.units(3_000_000))
    system.x.approve(system.lst, MAX_UINT, sender=attacker)
    system.x.approve(system.market, MAX_UINT, sender=attacker)
    system.lst.approve(system.market, MAX_UINT, sender=attacker)
    return leverage, victim, attacker


def test_a_healthy_position_cannot_be_protected(world) -> None:
    leverage, victim, attacker = world
    system, guard = leverage.system, leverage.guard
    with system.chain.anchor():
        position = system.market.positions(victim)
        assert system.market.position(victim)[3] > FLOOR
        with reverts("guard: no trigger holds"):
            guard.protect(system.market, victim, MAX_TIP_BPS, sender=attacker)
        assert system.market.positions(victim) == position


def test_a_position_just_above_its_floor_cannot_be_protected(world) -> None:
    """Interest takes the health down day by day; the day before it crosses the floor, it is still refused."""
    leverage, victim, attacker = world
    system, guard, market = leverage.system, leverage.guard, leverage.system.market
    with system.chain.anchor():
        system.validator.set_apr(0, sender=system.owner)
        system.lst.sync_rewards()
        days = 0
        while True:
            with system.chain.anchor():
                system.chain.time_travel(DAY)
                if market.position(victim)[3] < FLOOR:
                    break
            system.chain.time_travel(DAY)
            days += 1
        assert days > 0
        health = market.position(victim)[3]
        assert FLOOR <= health < FLOOR + WAD // 1_000
        with reverts("guard: no trigger holds"):
            guard.protect(market, victim, MAX_TIP_BPS, sender=attacker)
        system.chain.time_travel(DAY)
        guard.protect(market, victim, MAX_TIP_BPS, sender=attacker)  # once below, the caller is welcome


def test_nothing_done_in_the_block_lowers_the_health_enough(world) -> None:
    """In one block: stake a fortune into the LST, give X and LST to the LST and to the market, borrow all
    the idle liquidity, redeem from the buffer: the health does not fall and protect is refused."""
    leverage, victim, attacker = world
    system, guard = leverage.system, leverage.guard
    market, lst, x = system.market, system.lst, system.x
    with system.chain.anchor():
        health = market.position(victim)[3]
        shares = lst.deposit(system.units(2_500_000), sender=attacker)
        x.transfer(lst, system.units(10_000), sender=attacker)
        lst.transfer(lst, shares // 100, sender=attacker)
        x.transfer(market, system.units(10_000), sender=attacker)
        market.supply_collateral(shares * 9 // 10, attacker, sender=attacker)
        market.accrue_interest()
        idle = market.total_supply_assets() - market.total_borrow_assets()
        market.borrow(idle, 0, attacker, attacker, sender=attacker)
        lst.redeem(lst.maxRedeem(attacker), attacker, attacker, sender=attacker)
        assert market.position(victim)[3] >= health
        with reverts("guard: no trigger holds"):
            guard.protect(market, victim, MAX_TIP_BPS, sender=attacker)
