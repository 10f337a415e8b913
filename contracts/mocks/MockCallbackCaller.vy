# pragma version 0.4.3
"""
@title MockCallbackCaller
@custom:contract-name MockCallbackCaller
@license MIT
@notice Test-only user of a market's callbacks: it calls `supply_collateral`,
        `repay` or `liquidate` with non-empty data and, inside the callback, makes
        the market call it was armed with (`arm`); a failing call reverts the whole
        transaction with the market's reason. `execute` makes a market call outside
        any callback. Never deployed outside tests.
"""

from ethereum.ercs import IERC20


interface Market:
    def supply_collateral(assets: uint256, on_behalf: address, data: Bytes[1024]): nonpayable
    def repay(assets: uint256, shares: uint256, on_behalf: address, data: Bytes[1024]) -> (uint256, uint256): nonpayable
    def liquidate(
        borrower: address, seized_assets: uint256, repaid_shares: uint256, data: Bytes[1024]
    ) -> (uint256, uint256): nonpayable


market: public(address)
action: public(Bytes[1024])
callbacks: public(uint256)


@deploy
def __init__(market_: address):
    self.market = market_


@external
def arm(action_: Bytes[1024]):
    self.action = action_


@external
def approve(token: address, amount: uint256):
    extcall IERC20(token).approve(self.market, amount)


@external
def execute(data: Bytes[1024]):
    raw_call(self.market, data)


@external
def supply(assets: uint256, on_behalf: address):
    extcall Market(self.market).supply_collateral(assets, on_behalf, b"\x01")


@external
def repay(assets: uint256, shares: uint256, on_behalf: address):
    extcall Market(self.market).repay(assets, shares, on_behalf, b"\x01")


@external
def liquidate(borrower: address, seized_assets: uint256, repaid_shares: uint256):
    extcall Market(self.market).liquidate(borrower, seized_assets, repaid_shares, b"\x01")


@internal
def _act():
    assert msg.sender == self.market, "mock: not the market"
    self.callbacks += 1
    if len(self.action) != 0:
        raw_call(self.market, self.action)


@external
def on_supply_collateral(assets: uint256, data: Bytes[1024]):
    self._act()


@external
def on_repay(assets: uint256, data: Bytes[1024]):
    self._act()


@external
def on_liquidate(repaid_assets: uint256, data: Bytes[1024]):
    self._act()
