"""A caller protects (and tips itself from) a position whose owner never set a guard: one who authorized the
guard on the market but set nothing, one who set a guard on another market only, one who set a guard but never
authorized it. All three are below any floor a guard could have.

The defences: `protect` refuses a user without settings on that market ("guard: not guarded") and a user who
has not authorized the guard there ("guard: not authorized"); the market refuses an unauthorized withdrawal.
"""

from __future__ import annotations

import pytest
from boa_leverage import guard_world, guarded_user, open_position, second_market
from boa_system import WAD, reverts

FLOOR = 1_005 * WAD // 1_000
TARGET = 20 * WAD


@pytest.fixture(scope="module")
def world(decimals):
    leverage = guard_world(decimals)
    system = leverage.system
    other_market = second_market(system)
    authorized_only = open_position(system, "authorized only", 100, 50)
    system.market.set_authorization(leverage.guard, True, sender=authorized_only)
    elsewhere = open_position(system, "guarded elsewhere", 100, 50)
    system.market.set_authorization(leverage.guard, True, sender=elsewhere)
    leverage.guard.set_guard(other_market, FLOOR, TARGET, 100, 0, sender=elsewhere)
    settings_only = open_position(system, "settings only", 100, 50)
    leverage.guard.set_guard(system.market, FLOOR, TARGET, 100, 0, sender=settings_only)
    control = guarded_user(leverage, "control", 100, 50, FLOOR, TARGET, 100)
    # A slash takes every position below the floor (and below a health of 1).
    system.validator.slash(system.lst, 200, sender=system.owner)
    for user in (authorized_only, elsewhere, settings_only, control):
        assert system.market.position(user)[3] < WAD
    return leverage, (authorized_only, elsewhere, settings_only), control


@pytest.mark.parametrize(
    "index, reason",
    [(0, "guard: not guarded"), (1, "guard: not guarded"), (2, "guard: not authorized")],
    ids=["authorized-only", "guarded-on-another-market", "settings-only"],
)
def test_a_user_who_never_opted_in_cannot_be_protected(world, index: int, reason: str) -> None:
    leverage, users, _ = world
    system, market = leverage.system, leverage.system.market
    user, caller = users[index], system.chain.generate_address("caller")
    with system.chain.anchor():
        position = market.positions(user)
        for tip_bps in (0, 100):
            with reverts(reason):
                leverage.guard.protect(market, user, tip_bps, sender=caller)
        assert market.positions(user) == position
        assert not leverage.guard.status(market, user).health_trigger


def test_the_opted_in_control_is_protected(world) -> None:
    leverage, _, control = world
    system = leverage.system
    with system.chain.anchor():
        leverage.guard.protect(system.market, control, 100, sender=system.chain.generate_address("caller"))
