# pragma version 0.4.3
"""
@title PositionLens
@custom:contract-name PositionLens
@license MIT
@notice Many borrowers' raw positions (collateral, borrow shares) of a market in one
        view call, so a keeper scans thousands of positions a block with a handful of
        `eth_call`s instead of one per position. Health is computed off-chain from
        these and one read of the market's totals and oracle (levstake.model), the
        same math the market's `position` applies.
@custom:security - View only: no state, no owner, no funds; a wrong answer can only
                   make a keeper skip or try a liquidation the market itself checks.
"""

from interfaces import ILendingMarket


# 2,000 positions cost about 12M gas of a view call: under every node's default eth_call cap.
MAX_USERS: constant(uint256) = 2_000


struct RawPosition:
    collateral: uint256
    borrow_shares: uint256


@view
@external
def positions_of(market: ILendingMarket, users: DynArray[address, MAX_USERS]) -> DynArray[RawPosition, MAX_USERS]:
    """
    @notice `market.positions(user)` of every user, in the order given.
    @param market Any contract with the lending market's `positions(address)` view.
    @param users At most `MAX_USERS` addresses.
    """
    result: DynArray[RawPosition, MAX_USERS] = []
    for user: address in users:
        collateral: uint256 = 0
        borrow_shares: uint256 = 0
        collateral, borrow_shares = staticcall market.positions(user)
        result.append(RawPosition(collateral=collateral, borrow_shares=borrow_shares))
    return result
