"""A caller wants the carry trigger ("the borrow APR has stayed above the staking APR for N hours") to hold
for a position that is not losing carry, to step it down and take the tip. In one block it borrows all the
idle liquidity (utilization 100%: the borrow APR jumps from 0.5% to 40%, far above the LST's 7.2%), records
checkpoints and calls `protect`.

The defence: the carry trigger is measured, not read. It compares how much the market's debt per borrow share
and the LST's exchange rate grew between checkpoints (both only grow with time, from interest and from
streamed rewards), needs a run of such intervals of N hours, and a checkpoint closes an interval only 15
minutes after the last. Within one block neither figure moves: a rate that looks high now counts only for the
time it lasts. (A design reading the borrow APR of the moment against the staking APR triggers at once.)
"""

from __future__ import annotations

import pytest
from boa_leverage import carry_attack_world
from boa_system import WAD, RevmChain, deploy_system, lend, reverts

FLOOR = 1_001 * WAD // 1_000
TARGET = 20 * WAD
HOURS = 6
HOUR = 3_600


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    lend(system, 1_000_000)
    return carry_attack_world(system, FLOOR, TARGET, HOURS)


def borrow_everything(system, attacker) -> None:
    system.market.accrue_interest()
    idle = system.market.total_supply_assets() - system.market.total_borrow_assets()
    system.market.borrow(idle, 0, attacker, attacker, sender=attacker)
    assert system.market.market_state()[3] == 40 * WAD // 100


@pytest.mark.parametrize("minutes", [10, 60], ids=["10-min-after-a-checkpoint", "an-hour-after"])
def test_one_block_of_full_utilization_does_not_trigger_the_carry_guard(world, minutes: int) -> None:
    leverage, victim, attacker = world
    system, guard, market = leverage.system, leverage.guard, leverage.system.market
    with system.chain.anchor():
        system.chain.time_travel(minutes * 60)
        borrow_everything(system, attacker)
        for _ in range(5):
            guard.checkpoint(market, sender=attacker)
        assert guard.carry_run(market) == 0
        status = guard.status(market, victim)
        assert not status.carry_trigger and not status.health_trigger
        position = market.positions(victim)
        with reverts("guard: no trigger holds"):
            guard.protect(market, victim, 100, sender=attacker)
        assert market.positions(victim) == position


def test_the_same_utilization_held_for_the_hours_set_does_trigger_it(world) -> None:
    """The control: kept up with checkpoints every 15 minutes, the carry run reaches 6 hours and protect acts
    (the edges of the run do not count: two more intervals)."""
    leverage, victim, attacker = world
    system, guard, market = leverage.system, leverage.guard, leverage.system.market
    with system.chain.anchor():
        borrow_everything(system, attacker)
        for _ in range(4 * HOURS + 1):
            system.chain.time_travel(15 * 60)
            guard.checkpoint(market, sender=attacker)
            assert not guard.status(market, victim).carry_trigger
        system.chain.time_travel(15 * 60)
        assert guard.status(market, victim).carry_trigger
        guard.protect(market, victim, 100, sender=attacker)
