"""The protocol's math: plain-float models for people, exact integer previews that match the contracts.

Float functions take rates as fractions (0.08 for 8%) and return fractions or plain numbers. Integer
functions mirror the Vyper code line by line (same rounding direction, same order of operations), so a
preview computed from a chain snapshot equals the transaction's result to the wei.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WAD = 10**18
ORACLE_SCALE = 10**36
YEAR = 365 * 86_400
# The market's virtual shares and assets (Morpho Blue), and the LST's (10^6 each: the rate starts at 1).
MARKET_VIRTUAL_SHARES = 10**6
MARKET_VIRTUAL_ASSETS = 1
LST_VIRTUAL = 10**6
# The LST's owner parameters: id for `announce_parameter` / `apply_parameter`, by name. Changes wait
# LST_PARAMETER_DELAY seconds between the announcement and the moment anybody may apply them.
LST_PARAMETERS = {
    "reward_cycle": 0,
    "max_apr_bps": 1,
    "protocol_fee_bps": 2,
    "instant_fee_bps": 3,
    "max_instant_fee_bps": 4,
    "target_buffer_bps": 5,
}
LST_PARAMETER_DELAY = 10 * 86_400
# What the router's `close` returns (its `mode` argument).
CLOSE_TO_X, CLOSE_TO_LST, CLOSE_TO_QUEUE = 0, 1, 2
# The router keeps this many wei of X below the max-LTV limit when sizing at the maximum leverage.
ROUTER_LTV_MARGIN = 4


# ---------------------------------------------------------------- floats


def max_leverage(max_ltv: float) -> float:
    """Highest leverage (collateral value / equity) a position can have at `max_ltv`: 1 / (1 - max LTV)."""
    if not 0 <= max_ltv < 1:
        raise ValueError("max LTV must be in [0, 1)")
    return 1 / (1 - max_ltv)


def leverage_after_loops(ltv: float, steps: int) -> float:
    """Leverage of the classic loop after `steps` borrow-stake-supply rounds: (1 - q^(n+1)) / (1 - q)."""
    if steps < 0:
        raise ValueError("steps must be >= 0")
    if ltv == 1:
        return steps + 1.0
    return (1 - ltv ** (steps + 1)) / (1 - ltv)


def net_apr(staking_apr: float, borrow_apr: float, leverage: float) -> float:
    """Yearly return on the user's equity: leverage x staking APR - (leverage - 1) x borrow APR."""
    return leverage * staking_apr - (leverage - 1) * borrow_apr


def health(collateral_value: float, debt: float, lltv: float) -> float:
    """Collateral value x LLTV / debt; infinite without debt. Below 1 the position can be liquidated."""
    if debt == 0:
        return math.inf
    return collateral_value * lltv / debt


def time_to_liquidation(health_now: float, staking_apr: float, borrow_apr: float) -> float | None:
    """
    Seconds until health reaches 1 if collateral grows at the staking APR and debt at the borrow APR
    (both continuously compounded); None when it never does, 0 when it already has.
    """
    if health_now <= 1:
        return 0.0
    drift = staking_apr - borrow_apr
    if drift >= 0 or math.isinf(health_now):
        return None
    return math.log(health_now) / -drift * YEAR


def loop_yield(staking_apr: float, borrow_apr: float, ltv: float, steps: int | None = None) -> float:
    """Net APR of a looped position (StaFi's model); `steps=None` is the infinite-loop limit 1 / (1 - ltv)."""
    leverage = max_leverage(ltv) if steps is None else leverage_after_loops(ltv, steps)
    return net_apr(staking_apr, borrow_apr, leverage)


# ---------------------------------------------------------------- exact integers (mirror the contracts)


def to_units(amount: float | int | str, decimals: int) -> int:
    """A human amount of a token (e.g. 1.5) in its integer units; integer amounts stay exact."""
    if isinstance(amount, str):
        amount = float(amount)
    return int(round(amount * 10**decimals))


def mul_div_down(x: int, y: int, d: int) -> int:
    return x * y // d


def mul_div_up(x: int, y: int, d: int) -> int:
    return (x * y + d - 1) // d


@dataclass(frozen=True)
class LstSnapshot:
    """The LST's totals as its previews see them (`totalAssets()` after pending losses and streaming)."""

    total_assets: int
    total_supply: int
    # Rewards still streaming: not in `totalAssets`, but in the book value the oracle's `rate()` reads.
    locked: int = 0

    def pricing(self) -> tuple[int, int]:
        """`LiquidStaking._pricing`: the virtual position at a rate of 1 or more, pro rata below."""
        if self.total_supply and self.total_assets < self.total_supply:
            return self.total_assets, self.total_supply
        return self.total_assets + LST_VIRTUAL, self.total_supply + LST_VIRTUAL

    def to_shares_down(self, assets: int) -> int:
        priced_assets, priced_shares = self.pricing()
        return mul_div_down(assets, priced_shares, priced_assets)

    def to_assets_down(self, shares: int) -> int:
        priced_assets, priced_shares = self.pricing()
        return mul_div_down(shares, priced_assets, priced_shares)

    def preview_mint(self, shares: int) -> int:
        """`LiquidStaking.previewMint`: priced at the book value (the rewards still streaming included)."""
        book = LstSnapshot(self.total_assets + self.locked, self.total_supply)
        priced_assets, priced_shares = book.pricing()
        return mul_div_up(shares, priced_assets, priced_shares)

    def book_value(self, shares: int) -> int:
        """`LiquidStaking.book_value`: what `shares` are worth counting the rewards still streaming."""
        return LstSnapshot(self.total_assets + self.locked, self.total_supply).to_assets_down(shares)

    def minted(self, shares: int) -> LstSnapshot:
        added = self.preview_mint(shares)
        return LstSnapshot(self.total_assets + added, self.total_supply + shares, self.locked)


@dataclass(frozen=True)
class MarketSnapshot:
    """A market's borrow totals after interest is accrued, its oracle price (1e36) and max LTV (WAD)."""

    total_borrow_assets: int
    total_borrow_shares: int
    price: int
    max_ltv: int
    lltv: int

    def borrow_shares_up(self, assets: int) -> int:
        return mul_div_up(
            assets,
            self.total_borrow_shares + MARKET_VIRTUAL_SHARES,
            self.total_borrow_assets + MARKET_VIRTUAL_ASSETS,
        )

    def debt_up(self, borrow_shares: int) -> int:
        return mul_div_up(
            borrow_shares,
            self.total_borrow_assets + MARKET_VIRTUAL_ASSETS,
            self.total_borrow_shares + MARKET_VIRTUAL_SHARES,
        )

    def value(self, collateral: int) -> int:
        return collateral * self.price // ORACLE_SCALE

    def health_wad(self, collateral: int, debt: int, rate: int | None = None) -> int:
        """
        The market's `position()` health: collateral value at the oracle's uncapped `rate` (1e36; `price`
        when not given) x LLTV / debt (WAD), max uint without debt.
        """
        rate = self.price if rate is None else rate
        return 2**256 - 1 if debt == 0 else collateral * rate // ORACLE_SCALE * self.lltv // debt


@dataclass(frozen=True)
class OpenPreview:
    collateral_added: int
    borrowed: int
    borrow_shares: int
    debt: int
    health: int
    leverage: float


def router_target_collateral(
    lst: LstSnapshot, market: MarketSnapshot, assets_in: int, shares: int, debt: int, target_leverage: int
) -> int:
    """`LeverageRouter._collateral_for`: the position's collateral after levering to `target_leverage`."""
    equity = assets_in + shares * market.price // ORACLE_SCALE - debt
    target = lst.to_shares_down(equity * target_leverage // WAD)
    rate = lst.preview_mint(ORACLE_SCALE) + 1
    floor_value = market.price * market.max_ltv // WAD
    credit = assets_in + shares * rate // ORACLE_SCALE
    if credit <= debt + ROUTER_LTV_MARGIN:
        return shares
    cap = (credit - debt - ROUTER_LTV_MARGIN) * ORACLE_SCALE // (rate - floor_value)
    return max(min(target, cap), shares)


def preview_open(
    lst: LstSnapshot, market: MarketSnapshot, assets_in: int, target_leverage: int
) -> OpenPreview:
    """What `router.open(assets_in, target_leverage)` does to a new position, to the wei."""
    collateral = router_target_collateral(lst, market, assets_in, 0, 0, target_leverage)
    cost = lst.preview_mint(collateral)
    borrowed = max(cost - assets_in, 0)
    shares = market.borrow_shares_up(borrowed) if borrowed else 0
    after = MarketSnapshot(
        market.total_borrow_assets + borrowed,
        market.total_borrow_shares + shares,
        market.price,
        market.max_ltv,
        market.lltv,
    )
    debt = after.debt_up(shares)
    value = after.value(collateral)
    leverage = value / (value - debt) if value > debt else math.inf
    # Health is at the oracle's rate: the LST's book value once the router's mint is in.
    rate = lst.minted(collateral).book_value(ORACLE_SCALE)
    return OpenPreview(collateral, borrowed, shares, debt, after.health_wad(collateral, debt, rate), leverage)
