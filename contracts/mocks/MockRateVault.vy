# pragma version 0.4.3
"""
@title MockRateVault
@custom:contract-name MockRateVault
@license MIT
@notice Test-only: an ERC-4626 stand-in whose `convertToAssets(1e36)` is whatever the test
        sets, to drive the oracle to the bounds of its packed snapshot.
"""

ORACLE_SCALE: constant(uint256) = 10**36

price: public(uint256)


@external
def set_price(price_: uint256):
    """
    @notice `convertToAssets(1e36)` from now on.
    """
    self.price = price_


@view
@external
def convertToAssets(shares: uint256) -> uint256:
    """
    @notice `shares` at the set price (1e36 shares -> `price`), rounded down; the oracle
            only asks for 1e36 shares, which is answered without the product (it may not fit).
    """
    if shares == ORACLE_SCALE:
        return self.price
    return shares * self.price // ORACLE_SCALE
