"""The guard and the liquidator act inside a market's callback: the guard withdraws and unstakes the
collateral of a user who authorized it, the liquidator unstakes the LST it was sent and approves the market
for the X. A callback from anywhere else must do nothing: here from another factory market's address (market
B, where the victim also authorized the guard), while no call of the guard or the liquidator is in progress on
it. No real market calls anybody back but the caller of its own entry point, so the test sends the call from
B's address directly (titanoboa lets a test pick any sender, revm refuses a sender with code): a market with
hooks, or a bug, would do the same.

The defence: `on_repay` / `on_liquidate` are accepted only from the market of the call in progress (transient
storage, set just before that market is called and cleared when it returns); not from any listed market.
"""

from __future__ import annotations

import eth_abi
import pytest
from boa_leverage import deploy_leverage, second_market, stake_and_delegate
from boa_system import MAX_UINT, WAD, deploy_system, lend, reverts


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals)
    lend(system, 1_000_000)
    leverage = deploy_leverage(system)
    other = second_market(system)
    lender = system.chain.generate_address("lender B")
    system.mint_x(lender, system.units(1_000_000))
    system.x.approve(other, MAX_UINT, sender=lender)
    other.deposit(system.units(1_000_000), sender=lender)
    stake_and_delegate(system, 100_000)
    # The victim holds a 3x position on market B, guarded there (to 1x below a health of 1.2).
    victim = system.chain.generate_address("victim")
    system.mint_x(victim, system.units(1_000))
    system.x.approve(system.router, MAX_UINT, sender=victim)
    other.set_authorization(system.router, True, sender=victim)
    system.router.open(other, system.units(1_000), 3 * WAD, 0, 2**64, sender=victim)
    other.set_authorization(leverage.guard, True, sender=victim)
    leverage.guard.set_guard(other, 12 * WAD // 10, WAD, 100, 0, sender=victim)
    return leverage, other, victim


def test_the_guard_refuses_a_repay_callback_from_another_market(world) -> None:
    leverage, other, victim = world
    system, guard = leverage.system, leverage.guard
    with system.chain.anchor():
        position = other.positions(victim)
        take = position[0] // 10
        for sender in (other.address, system.market.address):
            with reverts("guard: unexpected callback"):
                guard.on_repay(0, eth_abi.encode(["address", "uint256"], [victim, take]), sender=sender)
        assert other.positions(victim) == position
        assert system.lst.balanceOf(guard) == 0 and system.x.balanceOf(guard) == 0


def test_the_liquidator_refuses_a_liquidate_callback_from_another_market(world) -> None:
    leverage, other, _ = world
    system, liquidator = leverage.system, leverage.liquidator
    with system.chain.anchor():
        # LST somebody sent the liquidator by mistake stays where it is.
        stray = system.chain.generate_address("stray")
        system.mint_x(stray, system.units(10))
        system.x.approve(system.lst, MAX_UINT, sender=stray)
        shares = system.lst.deposit(system.units(10), sender=stray)
        system.lst.transfer(liquidator, shares, sender=stray)
        for sender in (other.address, system.market.address):
            with reverts("liquidator: unexpected callback"):
                liquidator.on_liquidate(0, eth_abi.encode(["bool"], [False]), sender=sender)
        assert system.lst.balanceOf(liquidator) == shares
        assert system.x.allowance(liquidator, other) == 0
