# pragma version 0.4.3
"""
@title MockSpreadCollateral
@custom:contract-name MockSpreadCollateral
@license MIT
@notice Benchmark-only: supplies collateral it holds on behalf of many made-up
        accounts (addresses first .. first + count - 1), so that `make bench` can
        measure the keeper's scan over 10,000 positions without 10,000 accounts.
        Never deployed outside the benchmark.
"""

from ethereum.ercs import IERC20
from interfaces import ILendingMarket

MAX_COUNT: constant(uint256) = 500


@external
def spread(market: ILendingMarket, token: IERC20, first: uint256, count: uint256, amount: uint256):
    """
    @notice Supplies `amount` of `token` (held here) as collateral for each account.
    """
    extcall token.approve(market.address, amount * count)
    for index: uint256 in range(count, bound=MAX_COUNT):
        extcall market.supply_collateral(amount, convert(convert(first + index, uint160), address), b"")
