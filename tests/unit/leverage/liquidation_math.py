"""`LendingMarket.liquidate`'s arithmetic in Python, with the market's rounding: the reference the
liquidator's tests check seized and repaid amounts against (its `quote` mirrors the same steps in Vyper)."""

from __future__ import annotations

from dataclasses import dataclass

WAD = 10**18
ORACLE_SCALE = 10**36
VIRTUAL_SHARES = 10**6
VIRTUAL_ASSETS = 1


def mul_div(x: int, y: int, d: int, up: bool = False) -> int:
    return -(-x * y // d) if up else x * y // d


def to_assets(shares: int, total_assets: int, total_shares: int, up: bool = False) -> int:
    return mul_div(shares, total_assets + VIRTUAL_ASSETS, total_shares + VIRTUAL_SHARES, up)


def to_shares(assets: int, total_assets: int, total_shares: int, up: bool = False) -> int:
    return mul_div(assets, total_shares + VIRTUAL_SHARES, total_assets + VIRTUAL_ASSETS, up)


@dataclass(frozen=True)
class Liquidation:
    seized: int
    repaid_shares: int
    repaid: int


@dataclass(frozen=True)
class Books:
    """A market's borrow totals once interest is accrued, its incentive, the oracle's rate and dust."""

    total_assets: int
    total_shares: int
    incentive: int
    rate: int
    dust: int

    def liquidate(
        self, collateral: int, borrow_shares: int, seized_assets: int = 0, repaid_shares: int = 0
    ) -> Liquidation:
        """What `liquidate(borrower, seized_assets, repaid_shares)` seizes and charges (dust rule too)."""
        seized, repaid_sh = seized_assets, repaid_shares
        if seized_assets:
            # the market rounds the X owed up once, and clamps to the whole debt within two units
            owed = mul_div(seized_assets, self.rate, self.incentive * (ORACLE_SCALE // WAD), up=True)
            repaid_sh = to_shares(owed, self.total_assets, self.total_shares, up=True)
            whole = to_assets(borrow_shares, self.total_assets, self.total_shares, up=True)
            if repaid_sh > borrow_shares and whole + 2 >= owed:
                repaid_sh = borrow_shares
        else:
            worth = to_assets(repaid_shares, self.total_assets, self.total_shares)
            seized = mul_div(mul_div(worth, self.incentive, WAD), ORACLE_SCALE, self.rate)
        assert repaid_sh <= borrow_shares and seized <= collateral
        repaid = to_assets(repaid_sh, self.total_assets, self.total_shares, up=True)
        if borrow_shares != repaid_sh and (collateral - seized) * self.rate // ORACLE_SCALE < self.dust:
            seized = collateral
        return Liquidation(seized, repaid_sh, repaid)


def burnt_value(burnt: int, total_assets: int, total_shares: int) -> int:
    """`LendingMarket._burnt_value`: what a burn of borrow shares takes off the total borrow assets (their
    value rounded down; all of it with the last share), whatever the payer was charged."""
    if burnt == total_shares:
        return total_assets
    return min(to_assets(burnt, total_assets, total_shares), total_assets)


def books_of_liquidation(market, oracle, tx, event) -> Books:
    """The market's books as the liquidation in `tx` found them (interest accrued in its block): the totals
    after it plus what it took off them (the repaid shares' value rounded down, which the charge rounded up
    exceeds by at most a unit, and the bad debt). The oracle's rate is read at the block before: the LST's
    book value does not move with time unless a reward stream was counted in between."""
    after = market.total_borrow_shares(block_id=tx.block_number)
    total_shares = after + event.repaid_shares + event.bad_debt_shares
    left = market.total_borrow_assets(block_id=tx.block_number) + event.bad_debt_assets
    total_assets = next(
        assets
        for assets in range(left + event.repaid_assets, left - 1, -1)
        if assets - burnt_value(event.repaid_shares, assets, total_shares) == left
    )
    return Books(
        total_assets=total_assets,
        total_shares=total_shares,
        incentive=market.liquidation_incentive(),
        rate=oracle.rate(block_id=tx.block_number - 1),
        dust=market.dust(),
    )
