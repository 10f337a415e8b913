"""`supply_collateral` with a callback takes payment two ways: what the callback sends the market (the router
mints the LST straight to it, so no approval is written and cleared) and, for the rest, a pull from the
caller. The market measures its collateral balance across the callback. Anything else that brings collateral
in during that window would be counted as the same payment: here the attacker's callback makes a plain
`supply_collateral` for a second position of its own. That supply pulls its LST into the market; without the
defence the outer supply counts the same LST as paid too, and one payment credits two positions (the
attacker then withdraws both, taking other borrowers' collateral).

The defence: no other supply while a supply callback runs (nested callback supplies were already refused).
Collateral withdrawn meanwhile counts as nothing received, so the caller pays more, never less.
"""

from __future__ import annotations

import boa
import pytest
from boa_system import MAX_UINT, WAD, deploy_system, lend, router_user

ATTACKER = """
# pragma version 0.4.3
from ethereum.ercs import IERC20

interface Market:
    def supply_collateral(assets: uint256, on_behalf: address, data: Bytes[1024]): nonpayable
    def withdraw_collateral(assets: uint256, on_behalf: address, receiver: address): nonpayable

market: Market
lst: IERC20
second: public(address)

@deploy
def __init__(market: Market, lst: IERC20, second: address):
    self.market = market
    self.lst = lst
    self.second = second

@external
def attack(credit: uint256):
    extcall self.lst.approve(self.market.address, max_value(uint256))
    extcall self.market.supply_collateral(credit, self, b"go")

@external
def on_supply_collateral(assets: uint256, data: Bytes[1024]):
    # A plain supply for another position: its pull is the only LST that enters the market.
    extcall self.market.supply_collateral(assets, self.second, b"")

@external
def take(amount: uint256):
    extcall self.market.withdraw_collateral(amount, self, self)
"""


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals)
    lend(system, 1_000_000)
    # Other borrowers' collateral sits in the market.
    victim = router_user(system, "victim", 1_000)
    system.router.open(system.market, system.units(1_000), 10 * WAD, 0, 2**64, sender=victim)
    second = boa.env.generate_address("second")
    attacker = boa.loads(ATTACKER, system.market, system.lst, second)
    # The attacker holds LST for one payment only.
    system.mint_x(attacker.address, system.units(100))
    with boa.env.prank(attacker.address):
        system.x.approve(system.lst, MAX_UINT)
        system.lst.deposit(system.units(100), attacker.address)
    return system, attacker, second


def test_one_payment_cannot_credit_two_positions(world) -> None:
    system, attacker, second = world
    credit = system.lst.balanceOf(attacker.address)
    held = system.lst.balanceOf(system.market)
    with boa.env.anchor():
        with boa.reverts("market: callback in progress"):
            attacker.attack(credit)
        assert system.market.positions(attacker.address) == (0, 0)
        assert system.market.positions(second) == (0, 0)
        assert system.lst.balanceOf(system.market) == held


def test_the_router_pays_its_collateral_in_the_callback(world) -> None:
    """The router mints the new LST straight to the market: no LST passes through it or is approved."""
    system, _, _ = world
    user = router_user(system, "leverager", 100)
    held = system.lst.balanceOf(system.market)
    with boa.env.anchor():
        system.router.open(system.market, system.units(100), 50 * WAD, 0, 2**64, sender=user)
        collateral = system.market.positions(user)[0]
        assert collateral > 0
        assert system.lst.balanceOf(system.market) == held + collateral
        assert system.lst.balanceOf(system.router) == 0
        assert system.lst.allowance(system.router, system.market) == 0
