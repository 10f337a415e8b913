"""
Figures and previews: pure functions of a `levstake.reads.Snapshot`, the one source of the numbers the CLI,
the web page and the keeper show. No RPC here: a preview is computed from one snapshot, so a page can move a
slider without asking the chain again.

A preview builds the snapshot the chain would be in right after the transaction (the exact integer mirrors of
the router, the market and the LST in `levstake.model`) and reads its figures with the same function a read
after the transaction uses, so what a preview says equals what lands when nothing else moves in between: the
whole position after the call, net APR after the user's own effect on the staking APR (their stake dilutes the
reward stream) and on the borrow rate (their borrow moves utilization), equity at exit and at book value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from levstake import fmt, model
from levstake.model import (
    BPS,
    CLOSE_TO_LST,
    CLOSE_TO_QUEUE,
    CLOSE_TO_X,
    ORACLE_SCALE,
    WAD,
    LstSnapshot,
    MarketSnapshot,
    ModelError,
)
from levstake.reads import Account, Position, ProtocolInfo, Rates, RequestView, Snapshot
from levstake.rpc import ZERO_ADDRESS

# `max_leverage_for` resolves to 0.0001x.
LEVERAGE_STEP = WAD // 10_000
LEVERAGE_SHOWN = WAD // 100  # leverage is shown and typed to two places
# An adjust this close to the current leverage (in bps of it) changes nothing a user would see: refused.
ADJUST_TOLERANCE_BPS = 10
# Risks an open or an adjust up needs the user's explicit consent for: liquidation within this many seconds
# at current rates, and a stream premium above this fraction of what is put in.
RISK_HORIZON = model.YEAR
PREMIUM_WARNING = 0.05
# An open whose cost at once (mostly the instant-unstake fee a close would pay now) passes this fraction of
# what is put in asks too: with the LST's buffer drained a 50x open loses a fifth of it at once.
ENTRY_COST_WARNING = 0.10
# Liquidation thresholds are the rates that liquidate a position within this many seconds.
LIQUIDATION_HORIZON = model.YEAR
MAX_UINT = 2**256 - 1
# An instant unstake's fill is what the buffer still pays this many seconds on (rewards streaming meanwhile).
FILL_HOLDS = 3_600
NO_POSITION = Position(0, 0, 0, 0, MAX_UINT)


@dataclass(frozen=True)
class Fill:
    """An exact amount a refusal invites the user to use instead (its text rounds it for reading, as every
    figure): the web page offers it as a button that fills the amount field, the CLI prints it as the
    `--amount` to pass. `value` is an exact decimal, or "all" where the form takes it."""

    label: str
    value: str


class PreviewError(ValueError):
    """Why a preview cannot be given (what the contracts would refuse, or an input that means nothing), as
    one line; `fills` are the exact amounts it invites the user to use instead."""

    def __init__(self, message: str, fills: Sequence[Fill] = ()) -> None:
        super().__init__(message)
        self.fills = tuple(fills)


# ---------------------------------------------------------------- figures


@dataclass(frozen=True)
class MarketFigures:
    """The market and the LST at a snapshot; rates as fractions (0.05 = 5%)."""

    supply_assets: int
    borrow_assets: int
    idle: int
    utilization: float
    borrow_apr: float
    supply_apr: float
    staking_apr: float
    max_ltv: float
    lltv: float
    max_leverage: float
    exchange_rate: float  # X per LST at exit (`convertToAssets`)
    book_rate: float  # X per LST counting the rewards still streaming (what liquidations use)
    lst_buffer: int
    instant_room: int  # X the buffer can pay out instantly now


def market_figures(info: ProtocolInfo, snapshot: Snapshot) -> MarketFigures:
    market, lst, rates = snapshot.market, snapshot.lst, snapshot.rates
    unit = 10**info.decimals
    return MarketFigures(
        supply_assets=market.total_supply_assets,
        borrow_assets=market.total_borrow_assets,
        idle=market.total_supply_assets - market.total_borrow_assets,
        utilization=rates.utilization / WAD,
        borrow_apr=rates.borrow_apr / WAD,
        supply_apr=rates.supply_apr / WAD,
        staking_apr=snapshot.staking_apr,
        max_ltv=info.max_ltv / WAD,
        lltv=info.lltv / WAD,
        max_leverage=info.max_leverage / WAD,
        exchange_rate=lst.to_assets_down(unit) / unit,
        book_rate=lst.book_value(unit) / unit,
        lst_buffer=lst.buffer,
        instant_room=lst.exit_room(),
    )


@dataclass(frozen=True)
class PositionFigures:
    """A position at a snapshot. Value and leverage are at the oracle's price (what borrowing checks);
    equity is also given at book value (what liquidation checks) and at exit value (what closing to X pays
    now, None when a close cannot run now: `exit_note` says why)."""

    collateral: int
    borrow_shares: int
    value: int
    debt: int
    equity: int
    equity_book: int
    equity_exit: int | None
    exit_note: str
    leverage: float | None  # None when the debt is worth the whole value (insolvent at the price)
    ltv: float
    health: float  # inf without debt
    staking_apr: float
    borrow_apr: float
    net_apr: float | None
    time_to_liquidation: float | None  # seconds; None: never at these rates
    liquidation_borrow_apr: float | None  # borrow APR that liquidates within a year (staking APR as now)
    liquidation_staking_apr: float | None  # staking APR that liquidates within a year (borrow APR as now)
    close_fee: int  # the instant-unstake fee of closing to X now


def position_figures(info: ProtocolInfo, snapshot: Snapshot) -> PositionFigures | None:
    """The figures of the snapshot's account position; None when it has none."""
    position = snapshot.position
    if position is None or (position.collateral == 0 and position.borrow_shares == 0):
        return None
    market, lst = snapshot.market, snapshot.lst
    value = market.value(position.collateral)
    book = position.collateral * (market.rate or market.price) // ORACLE_SCALE
    health = math.inf if position.debt == 0 else position.health / WAD
    staking, borrow = snapshot.staking_apr, snapshot.rates.borrow_apr / WAD
    leverage = value / (value - position.debt) if value > position.debt else None
    try:
        closing = preview_close(info, snapshot)
        equity_exit, note = closing.value, "" if closing.mode == CLOSE_TO_X else "as LST: the buffer is short"
    except PreviewError as error:
        equity_exit, note = None, str(error)
    thresholds = model.liquidation_rates(health, staking, borrow, LIQUIDATION_HORIZON)
    return PositionFigures(
        collateral=position.collateral,
        borrow_shares=position.borrow_shares,
        value=value,
        debt=position.debt,
        equity=max(value - position.debt, 0),
        equity_book=max(book - position.debt, 0),
        equity_exit=equity_exit,
        exit_note=note,
        leverage=leverage,
        ltv=0.0 if position.debt == 0 else position.ltv / WAD,
        health=health,
        staking_apr=staking,
        borrow_apr=borrow,
        net_apr=None if leverage is None else model.net_apr(staking, borrow, leverage),
        time_to_liquidation=model.time_to_liquidation(health, staking, borrow),
        liquidation_borrow_apr=None if thresholds is None else thresholds[0],
        liquidation_staking_apr=None if thresholds is None else thresholds[1],
        close_fee=lst.exit_fee(lst.to_assets_down(position.collateral)),
    )


# ---------------------------------------------------------------- the chain after a transaction


def _after(
    info: ProtocolInfo,
    snapshot: Snapshot,
    lst: LstSnapshot,
    market: MarketSnapshot,
    collateral: int,
    borrow_shares: int,
) -> Snapshot:
    """The snapshot once a transaction has left `lst`, `market` and the account's position as given: the
    oracle's price and rate, the market's rates and the position's debt, LTV and health as the contracts
    compute them."""
    price = min(lst.to_assets_down(ORACLE_SCALE), snapshot.oracle_cap)
    market = replace(market, price=price, rate=lst.book_value(ORACLE_SCALE))
    utilization = model.utilization(market.total_supply_assets, market.total_borrow_assets)
    borrow_apr = info.rate_model.borrow_apr(utilization)
    rates = Rates(utilization, borrow_apr, info.rate_model.supply_apr(borrow_apr, utilization))
    debt = market.debt_up(borrow_shares) if borrow_shares else 0
    position = Position(
        collateral,
        borrow_shares,
        debt,
        market.ltv_wad(collateral, debt),
        market.health_wad(collateral, debt),
    )
    account = snapshot.account or Account.holding(ZERO_ADDRESS, NO_POSITION)
    return replace(snapshot, lst=lst, market=market, rates=rates, account=replace(account, position=position))


def figures_of(
    info: ProtocolInfo, snapshot: Snapshot, user: str, position: Position
) -> PositionFigures | None:
    """The figures of another account's position at the same snapshot (`watch`, the risk page, the keeper)."""
    return position_figures(info, replace(snapshot, account=Account.holding(user, position)))


def _position(snapshot: Snapshot) -> Position:
    return snapshot.position or NO_POSITION


# ---------------------------------------------------------------- open


def check_leverage(info: ProtocolInfo, leverage: float) -> int:
    """The leverage as WAD, or a one-line reason when the market cannot give it."""
    if not math.isfinite(leverage):
        raise PreviewError(f"leverage {leverage} is not a number")
    wad = int(round(leverage * WAD))
    if wad < WAD:
        raise PreviewError(f"leverage {leverage:g}x is below 1x")
    if wad > info.max_leverage:
        raise PreviewError(f"leverage {leverage:g}x is above the market's max {info.max_leverage / WAD:.2f}x")
    return wad


@dataclass(frozen=True)
class EntryCost:
    """What opening costs at once, in X: `put_in` less what the position's exit value gained (`cost`).
    `stream_premium` is the part of the reward stream the new LST paid for: deposits are priced at the book
    value, exits at `totalAssets`; it comes back as the stream unlocks, by `premium_back_at`. The rest is
    mostly the instant-unstake fee a close would pay. `break_even`: the seconds the position's net APR takes
    to earn `cost` back (None: never at these rates). `exit_value_rebalanced`: what a close pays once a
    `rebalance` (anybody's; the devnet's upkeep sends one at once) has delegated the buffer's excess above its
    target, the open's own X included (None: no close can run then). The notes are the position figures'
    `exit_note`: empty when a close to X pays the figure, else why it does not (paid in LST, or refused)."""

    put_in: int
    exit_value_before: int
    exit_value_after: int | None  # None: no close can run right after the open (`exit_note_after` says why)
    exit_note_after: str
    exit_value_rebalanced: int | None
    exit_note_rebalanced: str
    refund: int
    cost: int | None  # None when no close can run before or right after the open: not known, not 0
    stream_premium: int
    close_fee: int
    premium_back_at: int | None
    break_even: float | None

    @property
    def base(self) -> int:
        """What the cost is a part of: what is put in, plus the exit value of the position it is added to
        (the router levers all of it: a dust amount on a position is not a 10^17 % cost)."""
        return self.put_in + self.exit_value_before

    @property
    def fraction(self) -> float | None:
        if self.cost is None:
            return None
        return self.cost / self.base if self.base else 0.0

    @property
    def rebalanced_reason(self) -> str | None:
        """Why the close after a rebalance differs from the close right after (None: it does not, so there is
        nothing to add): a smaller buffer's higher fee, or the close's own note (paid in LST, or refused)."""
        if self.exit_note_rebalanced and self.exit_note_rebalanced != self.exit_note_after:
            return self.exit_note_rebalanced
        rebalanced, after = self.exit_value_rebalanced, self.exit_value_after
        if rebalanced is not None and after is not None and rebalanced < after:
            return "a smaller buffer charges a higher instant fee"
        return None


@dataclass(frozen=True)
class OpenPreview:
    """`router.open(assets, leverage)`: the router levers the whole position (an existing one included)."""

    assets: int
    target_leverage: int
    collateral_added: int
    borrowed: int
    mint_cost: int
    idle: int
    before: PositionFigures | None
    after: PositionFigures
    market_after: MarketFigures
    entry: EntryCost
    state_after: Snapshot

    @property
    def fits_liquidity(self) -> bool:
        return self.borrowed <= self.idle


def preview_open(info: ProtocolInfo, snapshot: Snapshot, assets: int, leverage: int) -> OpenPreview:
    """What `open` with `assets` of X at `leverage` (WAD) does, whole position included."""
    if assets <= 0:
        raise PreviewError("amount must be above 0")
    if not WAD <= leverage <= info.max_leverage:
        raise PreviewError(f"leverage {leverage / WAD:g}x is outside 1x to {info.max_leverage / WAD:.2f}x")
    lst, market, position = snapshot.lst, snapshot.market, _position(snapshot)
    try:
        opened = model.preview_open(
            lst, market, assets, leverage, position.collateral, position.borrow_shares, position.debt
        )
    except ModelError as error:
        if str(error) == "router: amount too small":
            raise PreviewError(_nothing_added(info, snapshot, assets, leverage)) from None
        raise PreviewError(_reason(error)) from None
    added, cost, borrowed = opened.collateral_added, opened.mint_cost, opened.borrowed
    market_after = replace(
        market,
        total_borrow_assets=market.total_borrow_assets + borrowed,
        total_borrow_shares=market.total_borrow_shares + opened.borrow_shares,
    )
    after = _after(
        info,
        snapshot,
        lst.minted(added),
        market_after,
        position.collateral + added,
        position.borrow_shares + opened.borrow_shares,
    )
    figures_after = position_figures(info, after)
    assert figures_after is not None
    before = position_figures(info, snapshot)
    exit_before = 0 if before is None else before.equity_exit
    refund = max(assets - cost, 0)
    rebalanced = position_figures(info, replace(after, lst=after.lst.delegated(info.min_request)))
    assert rebalanced is not None
    entry = _entry_cost(snapshot, after, figures_after, rebalanced, assets, exit_before, refund, cost, added)
    return OpenPreview(
        assets=assets,
        target_leverage=leverage,
        collateral_added=added,
        borrowed=borrowed,
        mint_cost=cost,
        idle=market.total_supply_assets - market.total_borrow_assets,
        before=before,
        after=figures_after,
        market_after=market_figures(info, after),
        entry=entry,
        state_after=after,
    )


def _nothing_added(info: ProtocolInfo, snapshot: Snapshot, assets: int, leverage: int) -> str:
    """Why the router would add no collateral: a position already above the leverage asked (open only adds
    collateral), or an amount too small to buy a share."""
    position, market = _position(snapshot), snapshot.market
    value = assets + market.value(position.collateral)
    if position.collateral and value > position.debt:
        now = market.value(position.collateral)
        current = now / (now - position.debt) if now > position.debt else math.inf
        with_amount = value / (value - position.debt)
        if with_amount * WAD >= leverage:
            return (
                f"the position is at {current:.2f}x ({with_amount:.2f}x with this amount), above the "
                f"{leverage / WAD:g}x asked: open only adds collateral; step down with adjust first, or open "
                f"at {with_amount:.2f}x or more"
            )
    return (
        f"amount {_units(info, assets)} {info.symbol} is too small: the router would add no collateral "
        "(it reverts 'router: amount too small')"
    )


def _units(info: ProtocolInfo, amount: int) -> str:
    return fmt.exact(amount, info.decimals)


def _rounded(info: ProtocolInfo, amount: int, beside: int | None = None, symbol: str | None = None) -> str:
    """An amount of X (or of `symbol`, "" for none: the LST has as many decimals) for reading, rounded as
    the rest of the page and the CLI, with its symbol; exact when it differs from the amount `beside` it in
    the same sentence by less than 0.0001, where rounding could make the two look equal or swap them."""
    symbol = info.symbol if symbol is None else symbol
    if beside is not None and 0 < abs(amount - beside) * 10**4 < 10**info.decimals:
        return f"{_units(info, amount)} {symbol}".rstrip()
    # Dust exact: "0.000001 stX is worth 0.0000 WNAT" read as nothing.
    return fmt.readable(amount, info.decimals, symbol)


def _fills(info: ProtocolInfo, label: str, amount: int, symbol: str | None = None) -> list[Fill]:
    """A button (an `--amount` in the CLI) with `amount` exactly, its label showing it rounded; none for 0."""
    if amount == 0:
        return []
    return [Fill(f"{label} ({_rounded(info, amount, symbol=symbol)})", _units(info, amount))]


def _entry_cost(
    snapshot: Snapshot,
    after: Snapshot,
    figures: PositionFigures,
    rebalanced: PositionFigures,
    assets: int,
    exit_before: int | None,
    refund: int,
    mint_cost: int,
    minted: int,
) -> EntryCost:
    exit_after = figures.equity_exit
    cost = None if exit_before is None or exit_after is None else exit_before + assets - refund - exit_after
    stream = snapshot.stream
    running = stream.start <= snapshot.timestamp < stream.end and stream.amount > 0
    yearly = (figures.net_apr or 0.0) * figures.equity
    return EntryCost(
        put_in=assets,
        exit_value_before=exit_before or 0,
        exit_value_after=exit_after,
        exit_note_after=figures.exit_note,
        exit_value_rebalanced=rebalanced.equity_exit,
        exit_note_rebalanced=rebalanced.exit_note,
        refund=refund,
        cost=cost,
        stream_premium=max(mint_cost - after.lst.to_assets_down(minted), 0),
        close_fee=figures.close_fee,
        premium_back_at=stream.end if running else None,
        break_even=None if cost is None else model.seconds_to_earn(cost, yearly),
    )


def max_leverage_for(info: ProtocolInfo, snapshot: Snapshot, assets: int) -> float:
    """The highest leverage an open of `assets` can get now, given the market's idle liquidity (1.0 when even
    the lowest does not fit)."""

    def fits(leverage: int) -> bool:
        try:
            return preview_open(info, snapshot, assets, leverage).fits_liquidity
        except PreviewError:
            return False

    return _highest_fitting(fits, WAD, info.max_leverage) / WAD


def _highest_fitting(fits: Callable[[int], bool], low: int, high: int) -> int:
    """The highest leverage in [low, high] that `fits` (to LEVERAGE_STEP), `low` when none above it does;
    rounded down to the hundredth a user reads and types back (rounded to nearest, 16.036969x read "16.04x",
    which did not fit: the outside review of the adjust's refusal)."""
    if fits(high):
        return high - high % LEVERAGE_SHOWN
    while high - low > LEVERAGE_STEP:
        middle = (low + high) // 2
        if fits(middle):
            low = middle
        else:
            high = middle
    # The edge lies between `low` (fits) and `high` (does not): the hundredth above `low` may still fit.
    shown = low - low % LEVERAGE_SHOWN
    above = shown + LEVERAGE_SHOWN
    return above if above < high and fits(above) else shown


# ---------------------------------------------------------------- adjust


def max_adjust_leverage(info: ProtocolInfo, snapshot: Snapshot) -> float:
    """The highest leverage an adjust up can reach now, given the market's idle liquidity (the position's own
    leverage when no step up fits)."""
    before = position_figures(info, snapshot)
    current = WAD
    if before is not None and before.leverage is not None:
        current = min(int(before.leverage * WAD), info.max_leverage)

    def fits(leverage: int) -> bool:
        try:
            return preview_adjust(info, snapshot, leverage).fits_liquidity
        except PreviewError:
            return False

    return _highest_fitting(fits, current, info.max_leverage) / WAD


@dataclass(frozen=True)
class AdjustPreview:
    """Where `adjust` takes the position. `partial`: the LST's buffer cannot take the whole step down, and
    only part of it is done. `refund`: X the router sends back when the unstaked collateral pays more than the
    debt (a move to 1x)."""

    target_leverage: int
    before: PositionFigures
    after: PositionFigures
    unstaked: int
    borrowed: int
    refund: int
    partial: bool
    state_after: Snapshot
    idle: int  # what the market can lend now: an adjust up borrows from it

    @property
    def fits_liquidity(self) -> bool:
        return self.borrowed == 0 or self.borrowed <= self.idle  # a step down borrows nothing


def preview_adjust(
    info: ProtocolInfo, snapshot: Snapshot, leverage: int, partial: bool = False
) -> AdjustPreview:
    """`router.adjust` to `leverage` (WAD), mirrored from the router: up borrows and stakes more, down
    unstakes collateral instantly (the fee rises as the buffer empties) and repays."""
    position = _position(snapshot)
    before = position_figures(info, snapshot)
    if before is None or position.collateral == 0:
        raise PreviewError("no position to adjust; open one first")
    lst, market = snapshot.lst, snapshot.market
    value = market.value(position.collateral)
    if value <= position.debt:
        raise PreviewError("the position is insolvent at the oracle's price (router: position is insolvent)")
    current = value * WAD // (value - position.debt)
    if leverage < WAD:
        raise PreviewError("leverage below 1x")
    if abs(leverage - current) * BPS <= current * ADJUST_TOLERANCE_BPS:
        raise PreviewError(
            f"the position is at {current / WAD:.2f}x, within {ADJUST_TOLERANCE_BPS / 100:g}% of "
            f"{leverage / WAD:g}x: adjusting would change nothing but cost gas"
        )
    unstaked = borrowed = refund = 0
    cut = False
    if leverage > current:
        if leverage > info.max_leverage:
            raise PreviewError(f"leverage above the market's max {info.max_leverage / WAD:.2f}x")
        try:
            target = model.router_target_collateral(
                lst, market, 0, position.collateral, position.debt, leverage
            )
        except ModelError as error:
            raise PreviewError(_reason(error)) from None
        if target <= position.collateral:
            raise PreviewError(
                "the position cannot borrow more at the oracle's price (already at max leverage)"
            )
        added = target - position.collateral
        borrowed = lst.preview_mint(added)
        try:
            lst.check_deposit(borrowed)
        except ModelError as error:
            raise PreviewError(_reason(error)) from None
        market_after, shares = market.borrowed(borrowed)
        after = _after(
            info, snapshot, lst.minted(added), market_after, target, position.borrow_shares + shares
        )
    elif leverage < current:
        try:
            if leverage == WAD:
                amount = model.router_unstake_for(lst, position.debt, position.collateral)
            else:
                amount = model.router_unstake_size(
                    lst, market.price, position.collateral, position.debt, value, leverage
                )
        except ModelError as error:
            raise PreviewError(_reason(error)) from None
        room = lst.max_instant_shares()
        cut = room < amount
        if cut:
            if not partial:
                unit = 10**info.decimals
                way = (
                    "add --partial (on the page: step as far as the buffer allows) to go as far as it "
                    "allows, or adjust in smaller steps"
                    if room == 0 or _step_within_max_ltv(lst, market, position, room)
                    else "a step that far would still leave the position above the market's max LTV, which "
                    "taking collateral out must meet: repay some debt from your wallet first, or close"
                )
                raise PreviewError(
                    f"this move unstakes {amount / unit:,.4f} {info.lst_symbol} instantly but the LST's "
                    f"buffer takes {room / unit:,.4f} now; {way}"
                )
            amount = room
        if amount == 0:
            raise PreviewError(
                "the LST's buffer is empty: nothing can be unstaked instantly now"
                if cut
                else "already at target"
            )
        proceeds = lst.preview_redeem(amount)
        if proceeds == 0:
            raise PreviewError("the LST's buffer is too small to pay anything for this step")
        if not _step_within_max_ltv(lst, market, position, amount):
            raise PreviewError(
                f"this step leaves the position above the market's max LTV {info.max_ltv / WAD:.0%}, which "
                "taking collateral out must meet (market: ltv too high): repay some debt from your wallet "
                "first, or close"
            )
        if proceeds >= position.debt:
            market_after, repaid, burnt = market.repaid(0, position.borrow_shares)
            refund = proceeds - repaid
        else:
            market_after, repaid, burnt = market.repaid(proceeds, 0)
        unstaked = amount
        after = _after(
            info,
            snapshot,
            lst.exited(amount, proceeds),
            market_after,
            position.collateral - amount,
            position.borrow_shares - burnt,
        )
    else:
        raise PreviewError("the position is already at that leverage")
    figures_after = position_figures(info, after)
    assert figures_after is not None
    idle = market.total_supply_assets - market.total_borrow_assets
    return AdjustPreview(leverage, before, figures_after, unstaked, borrowed, refund, cut, after, idle)


def _step_within_max_ltv(lst: LstSnapshot, market: MarketSnapshot, position: Position, unstaked: int) -> bool:
    """Whether a step down that unstakes `unstaked` of the collateral leaves the position within max LTV, as
    the market checks it when the router takes that collateral out: inside the repay's callback, so after
    the repay and at the price before the unstake (debt rounded up, value and its share rounded down)."""
    proceeds = lst.preview_redeem(unstaked)
    if proceeds >= position.debt:
        return True
    market_after, _, burnt = market.repaid(proceeds, 0)
    debt_left = market_after.debt_up(position.borrow_shares - burnt)
    return debt_left <= market.value(position.collateral - unstaked) * market.max_ltv // WAD


# ---------------------------------------------------------------- close


@dataclass(frozen=True)
class ClosePreview:
    """What `close` does and pays: X, LST, or a queued unstake of the rest (`mode` is the router's close mode
    it will take, which for an X close can fall back to LST); `value` counts everything in X (LST at its exit
    rate), as the router's `min_out` does."""

    mode: int
    x_out: int
    lst_out: int
    queued: int
    value: int
    state_after: Snapshot


def preview_close(info: ProtocolInfo, snapshot: Snapshot, mode: int = CLOSE_TO_X) -> ClosePreview:
    """
    `router.close`, as the router decides it: an X close when asked and the LST's buffer can redeem the
    whole collateral (else it returns LST); an LST close unstakes only the debt; a queue close unstakes the
    debt and files a queued unstake of the rest (no instant fee on it, claimable after the unbonding delay).
    Every close needs the buffer to cover the debt.
    """
    position = _position(snapshot)
    if position.collateral == 0 and position.borrow_shares == 0:
        raise PreviewError("no position to close")
    lst, market, collateral = snapshot.lst, snapshot.market, position.collateral
    market_after, repaid, _ = (
        market.repaid(0, position.borrow_shares) if position.borrow_shares else (market, 0, 0)
    )
    if mode == CLOSE_TO_X and collateral and lst.max_redeem(collateral) >= collateral:
        gross = lst.preview_redeem(collateral)
        if gross < repaid:
            raise PreviewError("the collateral's instant-unstake value does not cover the debt")
        after = _after(info, snapshot, lst.exited(collateral, gross), market_after, 0, 0)
        return ClosePreview(CLOSE_TO_X, gross - repaid, 0, 0, gross - repaid, after)
    burnt = 0
    if repaid:
        refusal = lst.withdraw_refusal(repaid, collateral)
        if refusal == "balance":
            raise PreviewError("the collateral's instant-unstake value does not cover the debt")
        if refusal == "buffer":
            unit = 10**info.decimals
            room = lst.instant_room()
            raise PreviewError(
                f"the LST's buffer pays {room / unit:,.4f} {info.symbol} instantly now, less than "
                f"the {repaid / unit:,.4f} {info.symbol} of debt to repay: an adjust down with --partial (on "
                "the page: step as far as the buffer allows) steps down with what it holds, and a repay from "
                "your wallet lowers the debt at once"
            )
        burnt = lst.preview_withdraw(repaid)
        lst = lst.exited(burnt, repaid)
    rest = collateral - burnt
    worth = lst.to_assets_down(rest)
    if mode == CLOSE_TO_QUEUE and worth >= info.min_request:
        # The request burns the shares and moves their worth out of the LST's assets, to the queue.
        queued_lst = replace(lst, total_assets=lst.total_assets - worth, total_supply=lst.total_supply - rest)
        after = _after(info, snapshot, queued_lst, market_after, 0, 0)
        return ClosePreview(CLOSE_TO_QUEUE, 0, 0, worth, worth, after)
    after = _after(info, snapshot, lst, market_after, 0, 0)
    return ClosePreview(CLOSE_TO_LST, 0, rest, 0, worth, after)


# ---------------------------------------------------------------- risks that need the user's consent


@dataclass(frozen=True)
class Risk:
    """A reason to ask before an open or an adjust up: `kind` is "negative_carry", "liquidation",
    "stream_premium" or "entry_cost"; `reason` says it in one sentence."""

    kind: str
    reason: str


def position_risks(after: PositionFigures, horizon: float = RISK_HORIZON) -> list[Risk]:
    """What the position a transaction leads to risks at current rates (the rates after the transaction's own
    effect): negative carry (the borrow APR above the staking APR: each unit borrowed costs more than it
    earns, whether or not the position's net APR stays positive), no close able to run on it (the LST's
    buffer cannot pay its debt out) and liquidation within `horizon` seconds."""
    risks = []
    if after.borrow_shares and after.borrow_apr > after.staking_apr:
        # Every unit borrowed costs more than it earns, however little is borrowed: said so even where the
        # position's net APR stays positive (a 1x open borrows dust), so the consent is not read as a loss.
        net = "" if after.net_apr is None else f" ({fmt.percent(after.net_apr)})"
        loss = f": what you borrow costs more than it earns, the position's net APR{net} is below staking's"
        risks.append(
            Risk(
                "negative_carry",
                f"negative carry: after your borrow the borrow APR ({fmt.percent(after.borrow_apr)}) is "
                f"above the staking APR ({fmt.percent(after.staking_apr)}){loss}",
            )
        )
    if after.borrow_shares and after.equity_exit is None:
        risks.append(Risk("no_close", f"no close can run on the position this leads to ({after.exit_note})"))
    ttl = after.time_to_liquidation
    if ttl is not None and ttl < horizon:
        risks.append(
            Risk(
                "liquidation",
                f"at these rates the position is liquidated in {fmt.duration(ttl)} (under "
                f"{fmt.duration(horizon)})",
            )
        )
    return risks


def open_risks(preview: OpenPreview, horizon: float = RISK_HORIZON) -> list[Risk]:
    """`position_risks` of the position an open leads to, no close once a rebalance has delegated the
    buffer's excess, a cost at once above `ENTRY_COST_WARNING` and a stream premium above `PREMIUM_WARNING`
    of what is put in (locked until the reward stream ends)."""
    risks = position_risks(preview.after, horizon)
    entry = preview.entry
    closes_now = entry.exit_value_after is not None
    if closes_now and entry.exit_value_rebalanced is None and preview.after.borrow_shares:
        # A close runs right after, but not once the buffer's excess (the open's own X in it) is delegated:
        # the devnet's upkeep does that at once, and nothing then pays the debt out of the buffer.
        risks.append(
            Risk(
                "no_close",
                "once a rebalance delegates the buffer's excess no close can run "
                f"({entry.exit_note_rebalanced})",
            )
        )
    if entry.fraction is not None and entry.fraction > ENTRY_COST_WARNING:
        risks.append(
            Risk(
                "entry_cost",
                f"the open costs {fmt.percent(entry.fraction)} of {entry_base(entry)} at once (a close right "
                f"after pays back {fmt.percent(1 - entry.fraction)}: mostly the instant-unstake fee on the "
                "whole collateral)",
            )
        )
    if entry.base and entry.stream_premium > entry.base * PREMIUM_WARNING:
        until = ""
        if entry.premium_back_at is not None:
            left = entry.premium_back_at - preview.state_after.timestamp
            until = f" until the reward stream ends in {fmt.duration(left)}"
        risks.append(
            Risk(
                "stream_premium",
                f"the stream premium locks {fmt.percent(entry.stream_premium / entry.base)} of "
                f"{entry_base(entry)}{until}",
            )
        )
    return risks


def entry_base(entry: EntryCost) -> str:
    """What an entry cost is a fraction of, in words."""
    return (
        "what you put in" if not entry.exit_value_before else "what you put in and the position's exit value"
    )


# ---------------------------------------------------------------- wallet and lender


@dataclass(frozen=True)
class WalletFigures:
    """What the account holds outside the market: native coin, X, the LST and what it is worth at exit."""

    native: int
    x: int
    lst: int
    lst_worth: int


def wallet_figures(snapshot: Snapshot) -> WalletFigures:
    account = _account(snapshot)
    worth = snapshot.lst.to_assets_down(account.lst_balance) if account.lst_balance else 0
    return WalletFigures(account.native_balance, account.x_balance, account.lst_balance, worth)


@dataclass(frozen=True)
class LenderFigures:
    """A lender's supply: shares, their worth in X, what can be withdrawn now (idle liquidity permitting) and
    the supply APR it earns."""

    shares: int
    value: int
    withdrawable: int
    supply_apr: float


def lender_figures(snapshot: Snapshot) -> LenderFigures | None:
    """The account's lender supply; None when it has none."""
    account = _account(snapshot)
    if not account.lender_shares:
        return None
    return LenderFigures(
        account.lender_shares,
        account.lender_value or account.lender_assets,
        account.lender_assets,
        snapshot.rates.supply_apr / WAD,
    )


@dataclass(frozen=True)
class LenderWithdrawPreview:
    """A lender's withdrawal: `assets` of X by exact amount, or all `shares` (`redeem`, nothing left)."""

    assets: int
    shares: int
    everything: bool
    left: int


def preview_lender_withdraw(
    info: ProtocolInfo, snapshot: Snapshot, assets: int | None
) -> LenderWithdrawPreview:
    """`market.withdraw(assets)`, or with `assets` None a redeem of every share; refused beyond what the
    account supplied or what the market holds idle."""
    supply = lender_figures(snapshot)
    if supply is None:
        raise PreviewError("nothing supplied to withdraw")
    if supply.value == 0:
        # The market refuses a withdrawal of nothing ("market: zero assets"): dust supplied earlier.
        raise PreviewError(f"your supply is worth 0 {info.symbol}: nothing to withdraw")
    idle = snapshot.market.total_supply_assets - snapshot.market.total_borrow_assets
    wanted = supply.value if assets is None else assets
    # The amount typed is echoed exactly; the supply is a figure to read (it grows every block): "all"
    # redeems every share, where an amount typed from it could be a unit above what the shares are worth.
    if wanted > supply.value:
        raise PreviewError(
            f"amount {_units(info, wanted)} {info.symbol} is above your supply "
            f'{_rounded(info, supply.value, wanted)} ("all" withdraws all of it)',
            [Fill(f"Withdraw all ({_rounded(info, supply.value)})", "all")],
        )
    if wanted > supply.withdrawable:
        idle = max(idle, 0)
        raise PreviewError(
            f"the market has {_rounded(info, idle, supply.withdrawable)} idle now (the rest is lent out): "
            f"you can withdraw up to {_rounded(info, supply.withdrawable, idle)} now, the rest once "
            "borrowers repay",
            _fills(info, "Withdraw what is idle", supply.withdrawable),
        )
    if assets is None:
        return LenderWithdrawPreview(supply.value, supply.shares, True, 0)
    return LenderWithdrawPreview(assets, 0, False, supply.value - assets)


# ---------------------------------------------------------------- stake and unstake


@dataclass(frozen=True)
class StakePreview:
    """Staking `assets` of X: `shares` of the LST minted at the book value (the rewards still streaming
    included); `worth` is what they pay at exit right after (the stream premium and the instant fee aside)."""

    assets: int
    shares: int
    worth: int


def preview_stake(info: ProtocolInfo, snapshot: Snapshot, assets: int) -> StakePreview:
    """`LiquidStaking.deposit(assets)`; refused when it mints no share (it reverts 'lst: zero shares') or
    passes the room the LST has left (`maxDeposit`; it reverts 'lst: amount too large'), in that order, as
    the LST checks them: with no room left, an amount that buys no share is refused for that."""
    if assets <= 0:
        raise PreviewError("amount must be above 0")
    lst = snapshot.lst
    book = LstSnapshot(lst.total_assets + lst.locked, lst.total_supply)
    try:
        shares = book.to_shares_down(assets)
    except ModelError as error:
        raise PreviewError(_reason(error)) from None
    if shares == 0:
        raise PreviewError(
            f"amount {_units(info, assets)} {info.symbol} is too small: it buys no {info.lst_symbol} share "
            "(the LST reverts 'lst: zero shares')"
        )
    try:
        lst.check_deposit(assets)
    except ModelError as error:
        raise PreviewError(_reason(error)) from None
    after = replace(lst, total_assets=lst.total_assets + assets, total_supply=lst.total_supply + shares)
    return StakePreview(assets, shares, after.to_assets_down(shares))


@dataclass(frozen=True)
class UnstakePreview:
    """Unstaking `shares` of the LST: instantly (`redeem`: `x_out` now, `fee` stays with the stakers) or
    queued (no fee: `x_out` is paid from `ready_at` on, less its share of any loss meanwhile)."""

    shares: int
    queued: bool
    gross: int
    fee: int
    x_out: int
    ready_at: int | None
    max_instant: int


def preview_unstake(
    info: ProtocolInfo, snapshot: Snapshot, shares: int, queue: bool = False
) -> UnstakePreview:
    lst = snapshot.lst
    account = _account(snapshot)
    if shares <= 0:
        raise PreviewError("amount must be above 0")
    lst_symbol = info.lst_symbol
    if shares > account.lst_balance:
        raise PreviewError(
            f"amount {_units(info, shares)} {lst_symbol} is above your balance "
            f"{_rounded(info, account.lst_balance, shares, lst_symbol)}",
            _fills(info, "Unstake all you hold", account.lst_balance, lst_symbol),
        )
    gross = lst.to_assets_down(shares)
    max_instant = min(account.lst_balance, lst.max_instant_shares())
    if queue:
        if gross < info.min_request:
            raise PreviewError(
                f"{_units(info, shares)} {lst_symbol} is worth {_rounded(info, gross, info.min_request)}, "
                f"below the smallest queued unstake ({_rounded(info, info.min_request, gross)}); "
                "unstake it instantly"
            )
        ready = max(snapshot.timestamp + snapshot.unbonding_delay, snapshot.queue_ready_at)
        return UnstakePreview(shares, True, gross, 0, gross, ready, max_instant)
    room = lst.max_instant_shares()
    if shares > room:
        # The fill is what the buffer still pays an hour on: the rewards streaming meanwhile make each share
        # worth more X, so fewer of them drain the same buffer.
        released = lst.locked - snapshot.stream.locked(snapshot.timestamp + FILL_HOLDS)
        lasting = lst.instant_shares_once_released(released)
        for_the_hour = (
            ""
            if lasting == room
            else f" ({_rounded(info, lasting, room, lst_symbol)} for the next hour, as rewards stream in)"
        )
        raise PreviewError(
            f"the LST's buffer pays at most {_rounded(info, room, shares, lst_symbol)} instantly now"
            f"{for_the_hour}: unstake that much, or queue the unstake (no fee, paid after the unbonding "
            f"delay of {fmt.duration(snapshot.unbonding_delay)})",
            _fills(info, "Unstake what the buffer pays", lasting, lst_symbol),
        )
    net = lst.preview_redeem(shares)
    if net == 0:
        raise PreviewError(
            f"{_units(info, shares)} {info.lst_symbol} is too small: it pays nothing after the instant fee"
        )
    return UnstakePreview(shares, False, gross, gross - net, net, None, max_instant)


def claim_refusal(request: RequestView, user: str, timestamp: int) -> str | None:
    """Why claiming `request` from `user` now would revert or pay nothing (None: it pays). A due request the
    buffer cannot fund yet also pays nothing: only a simulation of the claim tells."""
    if request.claimed:
        return f"request {request.request_id} was already claimed"
    if user.lower() not in (request.owner.lower(), request.receiver.lower()):
        return (
            f"request {request.request_id} pays {request.receiver}: only it (or the request's owner) can "
            "claim it"
        )
    if not request.due:
        return (
            f"request {request.request_id} is due in {fmt.duration(request.ready_at - timestamp)}: claiming "
            "now pays nothing"
        )
    return None


# ---------------------------------------------------------------- repay from the wallet


@dataclass(frozen=True)
class RepayPreview:
    """Repaying debt with X from the wallet (`market.repay`), no buffer needed: part of it (`repaid` X burns
    `burnt` borrow shares), or all of it, after which the whole collateral (`collateral_out` of the LST) comes
    back to the wallet (`withdraw_collateral`). `after` is the position left (None once closed)."""

    repaid: int
    burnt: int
    full: bool
    collateral_out: int
    before: PositionFigures
    after: PositionFigures | None
    state_after: Snapshot


def preview_repay(info: ProtocolInfo, snapshot: Snapshot, assets: int | None) -> RepayPreview:
    """`assets` of X off the debt, or with `assets` None the whole debt and then the collateral back."""
    position = _position(snapshot)
    before = position_figures(info, snapshot)
    if before is None:
        raise PreviewError("no position to repay")
    account = _account(snapshot)
    market = snapshot.market
    if assets is None:
        market_after, repaid, burnt = (
            market.repaid(0, position.borrow_shares) if position.borrow_shares else (market, 0, 0)
        )
        collateral, shares, out = 0, 0, position.collateral
    else:
        if position.borrow_shares == 0:
            raise PreviewError("the position has no debt to repay")
        if assets >= position.debt:
            # The debt is a figure to read (it grows every block), not one to type back: "all" repays it
            # exactly, by shares. The amount typed is echoed exactly, as the user wrote it.
            raise PreviewError(
                f"amount {_units(info, assets)} {info.symbol} is the whole debt "
                f"({_rounded(info, position.debt, assets)}) or more: repay all of it instead, which also "
                "returns the collateral"
            )
        market_after, repaid, burnt = market.repaid(assets, 0)
        if burnt == 0:
            raise PreviewError(
                f"amount {_units(info, assets)} {info.symbol} is too small to repay a debt share"
            )
        collateral, shares, out = position.collateral, position.borrow_shares - burnt, 0
    if repaid > account.x_balance:
        hint = " (wrap native coin first)" if info.native else ""
        raise PreviewError(
            f"repaying needs {_rounded(info, repaid, account.x_balance)} and your balance is "
            f"{_rounded(info, account.x_balance, repaid)}{hint}"
        )
    after = _after(info, snapshot, snapshot.lst, market_after, collateral, shares)
    return RepayPreview(repaid, burnt, assets is None, out, before, position_figures(info, after), after)


def _account(snapshot: Snapshot) -> Account:
    if snapshot.account is None:
        raise PreviewError("the snapshot was read without an account")
    return snapshot.account


def _reason(error: ModelError) -> str:
    text = str(error)
    return {
        "router: position is insolvent": "the position is worth less than its debt at the oracle's price",
        "router: amount too small": (
            "the router would add no collateral (it reverts 'router: amount too small'): the amount is too "
            "small, or the position is already above that leverage (use adjust to step down)"
        ),
        "router: price above rate": "the oracle's price is above the LST's mint price: the router refuses",
        model.NOTHING_LEFT: "a loss took all the LST's assets: it sells no shares (it reverts "
        f"'{model.NOTHING_LEFT}')",
        "router: already below target": "the position is already at or below that leverage",
        model.LST_TOO_LARGE: "the LST holds at most 2^128 - 1 units of X in its buffer, backend and queue "
        f"together: the amount passes what is left (it reverts '{model.LST_TOO_LARGE}')",
        "router: target too high for the unstake fee": (
            "the instant-unstake fee is too high for that leverage; choose a lower one"
        ),
    }.get(text, text)


__all__ = [
    "ADJUST_TOLERANCE_BPS",
    "CLOSE_TO_LST",
    "CLOSE_TO_QUEUE",
    "CLOSE_TO_X",
    "AdjustPreview",
    "ClosePreview",
    "EntryCost",
    "Fill",
    "LenderFigures",
    "LenderWithdrawPreview",
    "MarketFigures",
    "OpenPreview",
    "PositionFigures",
    "PreviewError",
    "RepayPreview",
    "StakePreview",
    "Risk",
    "UnstakePreview",
    "WalletFigures",
    "check_leverage",
    "claim_refusal",
    "figures_of",
    "lender_figures",
    "market_figures",
    "open_risks",
    "position_risks",
    "max_leverage_for",
    "position_figures",
    "preview_adjust",
    "preview_close",
    "preview_lender_withdraw",
    "preview_open",
    "preview_repay",
    "preview_stake",
    "preview_unstake",
    "wallet_figures",
]
