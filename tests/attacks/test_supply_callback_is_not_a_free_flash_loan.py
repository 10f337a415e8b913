"""`supply_collateral` credits the collateral, calls back, and pulls the tokens last. The review's contract,
holding 10 wei of X, had 800,000 LST credited, borrowed 217,800 X of idle liquidity against it and withdrew
100% of the market's LST collateral for the length of the transaction at no cost, and funded a liquidation
with the market's own X (repaid 48,750 X, seized 49,653.93 LST): both things `flashLoan` refuses.

The defences: inside any callback nobody can liquidate or take a flash loan, and the position being credited
cannot withdraw collateral until the market has pulled it. The router's one-transaction open, which only
borrows inside the callback, still works.
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
    def borrow(
        assets: uint256, shares: uint256, on_behalf: address, receiver: address
    ) -> (uint256, uint256): nonpayable
    def withdraw_collateral(assets: uint256, on_behalf: address, receiver: address): nonpayable
    def repay(
        assets: uint256, shares: uint256, on_behalf: address, data: Bytes[1024]
    ) -> (uint256, uint256): nonpayable
    def liquidate(
        borrower: address, seized: uint256, repaid_shares: uint256, data: Bytes[1024]
    ) -> (uint256, uint256): nonpayable
    def flashLoan(receiver: address, token: address, amount: uint256, data: Bytes[1024]) -> bool: nonpayable
    def positions(user: address) -> (uint256, uint256): view

market: Market
x: IERC20
lst: IERC20
mode: uint256
victim: address
borrowed: public(uint256)

@deploy
def __init__(market: Market, x: IERC20, lst: IERC20):
    self.market = market
    self.x = x
    self.lst = lst

@external
def attack(credit: uint256, borrow_amount: uint256, mode: uint256, victim: address):
    self.mode = mode
    self.victim = victim
    self.borrowed = borrow_amount
    extcall self.x.approve(self.market.address, max_value(uint256))
    extcall self.lst.approve(self.market.address, max_value(uint256))
    extcall self.market.supply_collateral(credit, self, b"go")

@external
def on_supply_collateral(assets: uint256, data: Bytes[1024]):
    # Borrow against collateral nobody has paid for yet (the router does this, legitimately).
    extcall self.market.borrow(self.borrowed, 0, self, self)
    if self.mode == 1:
        # Take the credited collateral out before the market pulls it: the market's LST, free.
        extcall self.market.withdraw_collateral(assets, self, self)
    elif self.mode == 2:
        # Liquidate somebody with the market's own X.
        shares: uint256 = (staticcall self.market.positions(self.victim))[1]
        extcall self.market.liquidate(self.victim, 0, shares // 2, b"")
    elif self.mode == 3:
        extcall self.market.flashLoan(self, self.x.address, 1, b"")
    # Mode 0: pay nothing back; the market's pull of the collateral must fail.
    extcall self.market.repay(self.borrowed, 0, self, b"")

@external
def on_repay(assets: uint256, data: Bytes[1024]):
    pass

@external
def onFlashLoan(
    initiator: address, token: address, amount: uint256, fee: uint256, data: Bytes[1024]
) -> bytes32:
    return keccak256("ERC3156FlashBorrower.onFlashLoan")
"""


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals)
    lend(system, 1_000_000)
    # Other borrowers' collateral sits in the market; one of them is liquidatable after a slash.
    victim = router_user(system, "victim", 1_000)
    system.router.open(system.market, system.units(1_000), 50 * WAD, 0, 2**64, sender=victim)
    system.lst.rebalance()
    system.validator.slash(system.lst, 200, sender=system.owner)
    assert system.market.position(victim)[3] < WAD
    attacker = boa.loads(ATTACKER, system.market, system.x, system.lst)
    system.mint_x(attacker.address, 10)
    return system, victim, attacker


def test_the_credited_collateral_cannot_be_withdrawn_inside_the_callback(world) -> None:
    system, victim, attacker = world
    held = system.lst.balanceOf(system.market)
    with boa.env.anchor(), boa.reverts("market: collateral not paid yet"):
        attacker.attack(held, system.units(100), 1, victim)
    assert system.lst.balanceOf(system.market) == held


def test_the_market_cannot_fund_a_liquidation_from_inside_the_callback(world) -> None:
    system, victim, attacker = world
    with boa.env.anchor(), boa.reverts("market: callback in progress"):
        attacker.attack(system.lst.balanceOf(system.market), system.units(40_000), 2, victim)
    assert system.market.positions(victim)[1] > 0


def test_no_flash_loan_inside_the_callback(world) -> None:
    system, victim, attacker = world
    with boa.env.anchor(), boa.reverts("market: callback in progress"):
        attacker.attack(system.units(10), system.units(1), 3, victim)


def test_unpaid_collateral_is_never_kept(world) -> None:
    system, victim, attacker = world
    with boa.env.anchor(), boa.reverts():
        attacker.attack(system.lst.balanceOf(system.market), system.units(100), 0, victim)
    assert system.market.positions(attacker.address) == (0, 0)


def test_the_router_still_opens_in_one_transaction(world) -> None:
    system, _, _ = world
    user = router_user(system, "leverager", 100)
    with boa.env.anchor():
        system.router.open(system.market, system.units(100), 50 * WAD, 0, 2**64, sender=user)
        collateral, debt, _, _ = system.market.position(user)
        assert collateral > 0 and debt > 0
        assert system.x.balanceOf(system.router) == system.lst.balanceOf(system.router) == 0
    assert system.x.allowance(user, system.router) == MAX_UINT
