"""
What the web page draws and checks beyond the CLI's previews, built only on them (`levstake.previews`) and on
`levstake.model`: health projected over time at constant rates, net APR against leverage, a lender's deposit
with the rates after it, the market's oracle and queue figures, and the one-line balance and liquidity
reasons the page shows before anything is signed. No key, no Ape: usable from plain web3.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from levstake import fmt, model
from levstake.model import BPS, ORACLE_SCALE, WAD, queue_liability
from levstake.previews import (
    ADJUST_TOLERANCE_BPS,
    AdjustPreview,
    Fill,
    OpenPreview,
    PositionFigures,
    PreviewError,
    _fills,
    _rounded,
    _units,
    max_adjust_leverage,
    max_leverage_for,
    preview_open,
)
from levstake.reads import Call, LendQuote, ProtocolInfo, Reader, Snapshot
from levstake.rpc import Block

# The unit of a native-coin amount in a refusal (the previews do not know the coin's own name: ETH, ...).
NATIVE_UNIT = "native"


def projected_health(health_now: float, staking_apr: float, borrow_apr: float, seconds: float) -> float:
    """Health after `seconds` at constant rates: collateral grows at the staking APR, debt at the borrow APR
    (continuously compounded, as `model.time_to_liquidation` assumes), so health follows e^((s - b) t)."""
    if math.isinf(health_now):
        return health_now
    return health_now * math.exp((staking_apr - borrow_apr) * seconds / model.YEAR)


def health_path(
    figures: PositionFigures, horizon: float = model.YEAR, points: int = 53
) -> list[tuple[float, float]]:
    """(seconds from now, health) over `horizon` at today's rates."""
    times = [horizon * index / (points - 1) for index in range(points)]
    return [(t, projected_health(figures.health, figures.staking_apr, figures.borrow_apr, t)) for t in times]


@dataclass(frozen=True)
class AprPoint:
    """Net APR at a leverage: at today's rates, and after an open of the amount at that leverage moves them
    (None when that open cannot be previewed: liquidity short, amount too small)."""

    leverage: float
    at_current_rates: float
    after_own_effect: float | None


def net_apr_by_leverage(
    info: ProtocolInfo, snapshot: Snapshot, assets: int, leverages: list[float]
) -> list[AprPoint]:
    staking, borrow = snapshot.staking_apr, snapshot.rates.borrow_apr / WAD
    points = []
    for leverage in leverages:
        after = None
        if assets > 0:
            try:
                open_ = preview_open(info, snapshot, assets, int(round(leverage * WAD)))
                after = open_.after.net_apr if open_.fits_liquidity else None
            except PreviewError:
                after = None
        points.append(AprPoint(leverage, model.net_apr(staking, borrow, leverage), after))
    return points


def check_balance(
    info: ProtocolInfo,
    snapshot: Snapshot,
    assets: int,
    native: bool = False,
    spends: bool = True,
    gas_reserve: int = 0,
    native_unit: str = NATIVE_UNIT,
) -> None:
    """A one-line `PreviewError` when the account holds less than `assets` of X (or of the native coin),
    saying how to get X when the form `spends` it (lend, stake, open: wrap first, or pay with the native
    coin; not an unwrap, whose X becomes the native coin). The amount
    typed is echoed exactly, the balance rounded as the page's balances are (exact within 0.0001 of the
    amount); the exact X balance comes as a fill. Paid in the native coin, the balance must also keep
    `gas_reserve` (the most the transactions' gas can cost): the most that leaves room for it is the fill.
    `native_unit` names the native coin where the caller knows it (the page: ETH on this chain)."""
    account = snapshot.account
    if account is None:
        raise PreviewError("connect a wallet first")
    if native and not info.native:
        raise PreviewError(
            f"{info.symbol} is not this network's wrapped native token; pay with {info.symbol}"
        )
    balance = account.native_balance if native else account.x_balance
    reserve = gas_reserve if native else 0
    if assets + reserve <= balance:
        return
    # Every amount of the native coin says so: a walk read "amount 991999.9999 is above your native balance
    # 991999.999806975" as two bare numbers.
    coin = native_unit
    if native and assets <= balance:
        most = max(balance - reserve, 0)
        raise PreviewError(
            f"amount {fmt.exact(assets, info.decimals)} {coin} leaves too little of your native balance "
            f"{_rounded(info, balance, assets, coin)} for the gas, which may cost up to "
            f"{fmt.exact(reserve, info.decimals)} {coin}: pay at most "
            f"{fmt.exact(most, info.decimals)} {coin}",
            [Fill(f"Most you can pay ({_rounded(info, most, symbol=coin)})", fmt.exact(most, info.decimals))]
            if most
            else [],
        )
    if native:
        raise PreviewError(
            f"amount {fmt.exact(assets, info.decimals)} {coin} is above your native balance "
            f"{_rounded(info, balance, assets, coin)}"
        )
    hint = " (wrap some first, or pay with the native coin)" if info.native and spends else ""
    raise PreviewError(
        f"amount {fmt.exact(assets, info.decimals)} {info.symbol} is above your {info.symbol} balance "
        f"{_rounded(info, balance, assets)}{hint}",
        [Fill(f"All your {info.symbol} ({_rounded(info, balance)})", fmt.exact(balance, info.decimals))]
        if balance
        else [],
    )


def liquidity_error(
    info: ProtocolInfo, snapshot: Snapshot, preview: OpenPreview | AdjustPreview
) -> str | None:
    """Why the market cannot lend what an open or an adjust up borrows (with the highest leverage that fits
    now), or None."""
    if preview.fits_liquidity:
        return None
    if isinstance(preview, AdjustPreview):
        fits = max_adjust_leverage(info, snapshot)
        # An adjust cannot step by less than its tolerance (it would change nothing): the search ends at the
        # position's own leverage when no step up fits.
        now = preview.before.leverage or 0.0
        stuck = fits <= now * (1 + ADJUST_TOLERANCE_BPS / BPS)
    else:
        fits, stuck = max_leverage_for(info, snapshot, preview.assets), False
    room = "no step up fits now" if stuck else f"up to {fits:.2f}x fits now"
    return (
        f"liquidity short for {preview.target_leverage / WAD:g}x: the market has "
        f"{_rounded(info, max(preview.idle, 0), preview.borrowed)} idle and this borrows "
        f"{_rounded(info, preview.borrowed, preview.idle)}; {room}"
    )


@dataclass(frozen=True)
class LendPreview:
    """A lender's deposit of `assets`: the market's supply and borrow APR after it."""

    assets: int
    supply_apr_after: float
    borrow_apr_after: float


def preview_lend(
    info: ProtocolInfo, snapshot: Snapshot, assets: int, quote: LendQuote | None = None
) -> LendPreview:
    """Supplying `assets`; `quote` (`Reader.lend_quote`) refuses what the market would: past its room (paused,
    or its supply cap), and dust whose lender shares are worth 0, which the market takes for nothing back."""
    if assets <= 0:
        raise PreviewError("amount must be above 0")
    if quote is not None and quote.room is not None and assets > quote.room:
        if quote.room == 0:
            raise PreviewError("the market takes no deposits now (paused, or its supply cap reached)")
        raise PreviewError(
            f"the market takes at most {_rounded(info, quote.room, assets)} now (its supply cap)",
            _fills(info, "Lend what the cap leaves", quote.room),
        )
    if quote is not None and quote.worth == 0:
        raise PreviewError(
            f"{_units(info, assets)} {info.symbol} is too small: the lender shares it buys "
            f"are worth 0 {info.symbol}"
        )
    check_balance(info, snapshot, assets)
    market = snapshot.market
    utilization = model.utilization(market.total_supply_assets + assets, market.total_borrow_assets)
    borrow = info.rate_model.borrow_apr(utilization)
    return LendPreview(assets, info.rate_model.supply_apr(borrow, utilization) / WAD, borrow / WAD)


@dataclass(frozen=True)
class OracleAndQueue:
    """The Market page's figures a `Snapshot` does not carry: the oracle's price and cap, the age of its last
    snapshot (the cap's anchor), the LST's buffer target and its unstake queue."""

    oracle_price: float
    oracle_cap: float
    snapshot_age: int
    buffer_target: int
    queue_liability: int
    queue_length: int
    unbonding: int


def oracle_and_queue(reader: Reader, snapshot: Snapshot, block: Block) -> OracleAndQueue:
    """One batched read at `block` besides the snapshot (taken at the same block)."""
    calls: list[Call] = [
        ("oracle", "snapshot_time", ()),
        ("lst", "queue_cover", ()),
        ("lst", "queue_head", ()),
        ("lst", "next_request_id", ()),
        ("validator", "unbonding_balance", (reader.addresses["lst"],)),
    ]
    snapshot_time, cover, head, next_id, unbonding = reader.call_many(calls, block)
    lst = snapshot.lst
    return OracleAndQueue(
        oracle_price=snapshot.market.price / ORACLE_SCALE,
        oracle_cap=snapshot.oracle_cap / ORACLE_SCALE,
        snapshot_age=max(snapshot.timestamp - snapshot_time, 0),
        buffer_target=lst.target(lst.total_assets),
        queue_liability=queue_liability(tuple(cover)),
        queue_length=next_id - head,
        unbonding=unbonding,
    )


__all__ = [
    "AprPoint",
    "LendPreview",
    "OracleAndQueue",
    "check_balance",
    "health_path",
    "liquidity_error",
    "net_apr_by_leverage",
    "oracle_and_queue",
    "preview_lend",
    "projected_health",
]
