"""A flash loan gives an attacker any amount of X for one transaction; it must not buy a liquidation of a
healthy position (the price comes from the LST's exchange rate, which X flowing around cannot move)."""

from __future__ import annotations

import boa
import pytest
from boa_system import WAD, deploy_system, lend, router_user

ATTACKER = """
# pragma version 0.4.3
from ethereum.ercs import IERC20

interface Market:
    def flashLoan(receiver: address, token: address, amount: uint256, data: Bytes[1024]) -> bool: nonpayable
    def liquidate(
        borrower: address, seized: uint256, repaid_shares: uint256, data: Bytes[1024]
    ) -> (uint256, uint256): nonpayable
    def positions(user: address) -> (uint256, uint256): view

interface LST:
    def deposit(assets: uint256, receiver: address) -> uint256: nonpayable
    def redeem(shares: uint256, receiver: address, owner: address) -> uint256: nonpayable

market: Market
x: IERC20
lst: LST
victim: address

@deploy
def __init__(market: Market, x: IERC20, lst: LST, victim: address):
    self.market = market
    self.x = x
    self.lst = lst
    self.victim = victim

@external
def attack_with_market_flash_loan(amount: uint256):
    extcall self.market.flashLoan(self, self.x.address, amount, b"")

@external
def attack_with_outside_money(amount: uint256):
    # X flash-borrowed anywhere else: the attacker simply holds it for the transaction.
    self._manipulate_and_liquidate(amount)

@external
def onFlashLoan(
    initiator: address, token: address, amount: uint256, fee: uint256, data: Bytes[1024]
) -> bytes32:
    self._manipulate_and_liquidate(amount)
    return keccak256("ERC3156FlashBorrower.onFlashLoan")

@internal
def _manipulate_and_liquidate(amount: uint256):
    # Push the LST's rate around with a huge stake and unstake, donate, then try to liquidate.
    extcall self.x.approve(self.lst.address, amount)
    shares: uint256 = extcall self.lst.deposit(amount // 2, self)
    extcall self.lst.redeem(shares // 2, self, self)
    debt_shares: uint256 = (staticcall self.market.positions(self.victim))[1]
    extcall self.x.approve(self.market.address, max_value(uint256))
    extcall self.x.transfer(self.lst.address, amount // 4)
    extcall self.market.liquidate(self.victim, 0, debt_shares, b"")
"""


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals)
    lend(system, 10_000_000)
    victim = router_user(system, "victim", 100)
    system.router.open(system.market, system.units(100), 50 * WAD, 0, 2**64, sender=victim)
    return system, victim


@pytest.fixture(scope="module")
def attacker(world):
    system, victim = world
    contract = boa.loads(ATTACKER, system.market, system.x, system.lst, victim)
    system.mint_x(contract.address, system.units(20_000_000))
    return contract


def test_outside_flash_money_cannot_move_the_price_into_a_liquidation(world, attacker) -> None:
    system, victim = world
    health = system.market.position(victim)[3]
    assert WAD <= health < WAD * 102 // 100, "a 50x position: healthy but close to the line"
    with boa.env.anchor(), boa.reverts("market: position is healthy"):
        attacker.attack_with_outside_money(system.units(10_000_000))
    assert system.market.position(victim)[3] == health


def test_the_markets_own_flash_loan_cannot_fund_a_liquidation(world, attacker) -> None:
    system, victim = world
    with boa.env.anchor(), boa.reverts("market: flash loan in progress"):
        attacker.attack_with_market_flash_loan(system.units(5_000_000))
    assert system.market.positions(victim)[0] > 0
