"""A caller wants the carry trigger of N = 6 hours to hold with a spike of borrowing shorter than 6 hours: it
borrows all the idle liquidity (borrow APR 40% against the LST's 7.2%) and picks when checkpoints are
recorded, so that a long interval whose end the spike dominates, or a long interval between two short spikes,
looks like hours of negative carry.

The defences: a carry run counts from the END of its first interval to the START of its latest one, so a
period of high borrow APR must have lasted at least as long as the run (every interval of a run overlaps it);
and an interval longer than 6 hours ends a run (it can only start a new one), so spikes far apart do not join.
"""

from __future__ import annotations

import pytest
from boa_leverage import carry_attack_world
from boa_system import WAD, RevmChain, deploy_system, lend, reverts

FLOOR = 1_001 * WAD // 1_000
TARGET = 20 * WAD
HOURS = 6
HOUR = 3_600
QUARTER = 900


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    lend(system, 1_000_000)
    return carry_attack_world(system, FLOOR, TARGET, HOURS)


def spike(system, attacker, on: bool) -> None:
    """Borrow all the idle liquidity (on) or repay it all (off)."""
    market = system.market
    market.accrue_interest()
    if on:
        idle = market.total_supply_assets() - market.total_borrow_assets()
        market.borrow(idle, 0, attacker, attacker, sender=attacker)
    else:
        market.repay(0, market.positions(attacker)[1], attacker, sender=attacker)


def probe(leverage, victim, attacker) -> int:
    """Checkpoint, then try to protect; returns the carry run."""
    guard, market = leverage.guard, leverage.system.market
    guard.checkpoint(market, sender=attacker)
    assert not guard.status(market, victim).carry_trigger, f"run {guard.carry_run(market)} s"
    with reverts("guard: no trigger holds"):
        guard.protect(market, victim, 100, sender=attacker)
    return guard.carry_run(market)


def test_a_spike_at_the_end_of_a_long_first_interval_is_not_hours_of_run(world) -> None:
    """Last checkpoint at T; nobody records one for 4 hours; the spike starts then and lasts 5 h 45 min with a
    checkpoint every 15 minutes from its first hour on (the interval from T is negative: its last hour
    outweighs the 4 quiet ones). The run never reaches 6 hours: it counts from the end of that interval."""
    leverage, victim, attacker = world
    system = leverage.system
    with system.chain.anchor():
        system.chain.time_travel(4 * HOUR)
        spike(system, attacker, True)
        system.chain.time_travel(HOUR)
        runs = [probe(leverage, victim, attacker)]
        for _ in range(19):
            system.chain.time_travel(QUARTER)
            runs.append(probe(leverage, victim, attacker))
        spike(system, attacker, False)
        for _ in range(8):
            system.chain.time_travel(QUARTER)
            runs.append(probe(leverage, victim, attacker))
        assert max(runs) >= 4 * HOUR, "the spike did make a run, just shorter than itself"
        assert max(runs) < HOURS * HOUR


def test_two_short_spikes_joined_by_a_long_interval_are_not_hours_of_run(world) -> None:
    """Spike A (1 hour) with a checkpoint inside it; no checkpoint for 10.5 hours, spike B (4 hours) starting
    7.5 hours later; checkpoints every 15 minutes inside B. The 10.5-hour interval is negative (B's first 3
    hours outweigh the quiet ones), but too long to join A's run to B's."""
    leverage, victim, attacker = world
    system = leverage.system
    with system.chain.anchor():
        spike(system, attacker, True)
        system.chain.time_travel(30 * 60)
        runs = [probe(leverage, victim, attacker)]
        system.chain.time_travel(30 * 60)
        spike(system, attacker, False)
        system.chain.time_travel(7 * HOUR)
        spike(system, attacker, True)
        system.chain.time_travel(3 * HOUR)
        runs.append(probe(leverage, victim, attacker))
        for _ in range(4):
            system.chain.time_travel(QUARTER)
            runs.append(probe(leverage, victim, attacker))
        spike(system, attacker, False)
        assert max(runs) < HOUR
