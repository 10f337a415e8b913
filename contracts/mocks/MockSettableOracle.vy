# pragma version 0.4.3
"""
@title MockSettableOracle
@custom:contract-name MockSettableOracle
@license MIT
@notice Test-only IPriceOracle: `price()` (capped, for borrowing) and `rate()`
        (uncapped, for liquidations) are set by anyone, and either can be made to
        revert, to show which one a market reads. Never deployed outside tests.
"""

_price: uint256
_rate: uint256
price_reverts: public(bool)
rate_reverts: public(bool)


@deploy
def __init__(price_: uint256, rate_: uint256):
    self._price = price_
    self._rate = rate_


@external
def set_prices(price_: uint256, rate_: uint256):
    self._price = price_
    self._rate = rate_


@external
def set_reverts(price_reverts_: bool, rate_reverts_: bool):
    self.price_reverts = price_reverts_
    self.rate_reverts = rate_reverts_


@view
@external
def price() -> uint256:
    assert not self.price_reverts, "oracle: price broken"
    return self._price


@view
@external
def rate() -> uint256:
    assert not self.rate_reverts, "oracle: rate broken"
    return self._rate
