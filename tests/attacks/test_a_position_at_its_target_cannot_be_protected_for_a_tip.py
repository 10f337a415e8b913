"""A caller is paid a tip for each `protect`, and `protect` acted on any leverage above the target, however
little. A landing is allowed within a tolerance of the target (a ten-thousandth, widened by what a few wei of
debt move a small position's leverage), so one landed just above it stayed protectable: with the floor at the
edge of the target's health (which `set_guard` allows) its health trigger still held, and the same caller
stepped a dust position five times in one block for 4.8% of its equity (the seventeenth session's review);
a carry run holds its trigger whatever the leverage, so any landing above the target could be stepped again.

The defence: `protect` refuses a leverage within the landing tolerance of the target ("guard: already at
target"), and `status` reports no trigger there.
"""

from __future__ import annotations

import pytest
from boa_leverage import guard_world, guarded_user
from boa_system import ORACLE_SCALE, WAD, reverts

TARGET = 30 * WAD
MAX_TIP_BPS = 100
TOLERANCE = TARGET // 10_000


@pytest.fixture(scope="module")
def world(decimals):
    leverage = guard_world(decimals)
    system = leverage.system
    caller = system.chain.generate_address("caller")
    return leverage, caller


def edge_floor(market) -> int:
    """The highest floor `set_guard` accepts with TARGET: one unit below the target's health."""
    return (market.lltv() * TARGET - 1) // (TARGET - WAD)


def leverage_of(system, user) -> int:
    collateral, debt, _, _ = system.market.position(user)
    value = collateral * system.oracle.price() // ORACLE_SCALE
    return value * WAD // (value - debt)


@pytest.mark.parametrize("above", [1, 3, 6, 9], ids=lambda k: f"{k}e-5")
def test_a_position_within_the_landing_tolerance_cannot_be_protected(world, above: int) -> None:
    leverage, caller = world
    system, guard, market = leverage.system, leverage.guard, leverage.system.market
    with system.chain.anchor():
        opened_at = TARGET + TARGET * above // 100_000
        user = guarded_user(leverage, "owner", 1_000, 1, edge_floor(market), TARGET, MAX_TIP_BPS)
        system.router.adjust(market, opened_at, 0, 2**63, sender=user)
        landed = leverage_of(system, user)
        assert TARGET < landed <= TARGET + TOLERANCE
        assert market.position(user)[3] < edge_floor(market)  # the health floor is crossed
        status = guard.status(market, user)
        assert not status.health_trigger and not status.carry_trigger
        position = market.positions(user)
        with reverts("guard: already at target"):
            guard.protect(market, user, MAX_TIP_BPS, sender=caller)
        assert market.positions(user) == position


def test_a_position_past_the_tolerance_is_still_protected(world) -> None:
    leverage, caller = world
    system, guard, market = leverage.system, leverage.guard, leverage.system.market
    with system.chain.anchor():
        user = guarded_user(leverage, "owner", 1_000, 1, edge_floor(market), TARGET, MAX_TIP_BPS)
        system.router.adjust(market, TARGET + 3 * TOLERANCE, 0, 2**63, sender=user)
        assert guard.status(market, user).health_trigger
        assert guard.protect(market, user, MAX_TIP_BPS, sender=caller) > 0
        landed = leverage_of(system, user)
        assert abs(landed - TARGET) <= TOLERANCE
        # Landed within the tolerance: no second tip, in this block or any other while nothing moves (at or
        # below the target its health is above the floor; above it, within the tolerance, it is at target).
        reason = "guard: already at target" if landed > TARGET else "guard: no trigger holds"
        with reverts(reason):
            guard.protect(market, user, MAX_TIP_BPS, sender=caller)
