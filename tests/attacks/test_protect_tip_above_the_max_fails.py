"""A caller protecting a position asks for more than the tip its owner allowed.

The defence: `protect` reverts "guard: tip above max" when `tip_bps` exceeds the owner's `max_tip_bps`; the
tip is that share of the equity at the oracle's price, and after the step the guard checks that the equity
fell by at most the tip, the LST's instant-unstake fee and what it sent back to the owner.
"""

from __future__ import annotations

import pytest
from boa_leverage import guard_world, guarded_user
from boa_system import ORACLE_SCALE, WAD, reverts

FLOOR = 1_005 * WAD // 1_000
TARGET = 20 * WAD
MAX_TIP_BPS = 30
BPS = 10_000


@pytest.fixture(scope="module")
def world(decimals):
    leverage = guard_world(decimals)
    system = leverage.system
    victim = guarded_user(leverage, "victim", 100, 50, FLOOR, TARGET, MAX_TIP_BPS)
    system.validator.slash(system.lst, 80, sender=system.owner)
    assert system.market.position(victim)[3] < FLOOR
    return leverage, victim, system.chain.generate_address("caller")


def equity(system, user, price: int) -> int:
    collateral, debt, _, _ = system.market.position(user)
    return collateral * price // ORACLE_SCALE - debt


@pytest.mark.parametrize("tip_bps", [MAX_TIP_BPS + 1, 100, BPS])
def test_a_tip_above_the_max_is_refused(world, tip_bps: int) -> None:
    leverage, victim, caller = world
    system, market = leverage.system, leverage.system.market
    with system.chain.anchor():
        position = market.positions(victim)
        with reverts("guard: tip above max"):
            leverage.guard.protect(market, victim, tip_bps, sender=caller)
        assert market.positions(victim) == position
        assert system.x.balanceOf(caller) == 0


def test_the_max_tip_is_all_the_caller_gets(world) -> None:
    leverage, victim, caller = world
    system, market, lst = leverage.system, leverage.system.market, leverage.system.lst
    with system.chain.anchor():
        price = system.oracle.price()
        before = equity(system, victim, price)
        with system.chain.anchor():
            leverage.guard.protect(market, victim, MAX_TIP_BPS, sender=caller)
            unstaked = market.positions(victim)[0]
        unstaked = market.positions(victim)[0] - unstaked
        fee = lst.convertToAssets(unstaked) - lst.previewRedeem(unstaked)
        tip = leverage.guard.protect(market, victim, MAX_TIP_BPS, sender=caller)
        assert tip == before * MAX_TIP_BPS // BPS
        assert system.x.balanceOf(caller) == tip
        # The rest of what the owner lost is the instant-unstake fee, which stays with the LST's stakers.
        assert before - equity(system, victim, price) <= tip + fee + 4
