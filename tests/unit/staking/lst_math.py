"""
The LST's math written out independently of the contract and of `levstake.model`, for exact expectations.

`instant_fee` follows the rule in the contract-change notes (base rate on everything, plus the extra rate
growing linearly from 0 at the target to its ceiling at an empty buffer, integrated over the range drained)
with the contract's rounding steps; `exit_fee` applies it with the target of the LST after the exit, as the
contract does; `instant_fee_exact` is the same rule in exact rational arithmetic, so a test can also show
that the rounding only ever goes up, and by how much.
"""

from __future__ import annotations

from fractions import Fraction

BPS = 10_000
RAY = 10**27
VIRTUAL = 10**6  # virtual shares and virtual assets
MAX_UINT = 2**256 - 1
DAY = 86_400
YEAR = 365 * DAY


def div_up(x: int, d: int) -> int:
    return -(-x // d)


def pricing(total_assets: int, supply: int) -> tuple[int, int]:
    """The virtual position at a rate of 1 or more, pro rata below (`LiquidStaking._pricing`)."""
    if supply and total_assets < supply:
        return total_assets, supply
    return total_assets + VIRTUAL, supply + VIRTUAL


def to_shares(assets: int, total_assets: int, supply: int, up: bool = False) -> int:
    priced_assets, priced_shares = pricing(total_assets, supply)
    numerator = assets * priced_shares
    return div_up(numerator, priced_assets) if up else numerator // priced_assets


def to_assets(shares: int, total_assets: int, supply: int, up: bool = False) -> int:
    priced_assets, priced_shares = pricing(total_assets, supply)
    numerator = shares * priced_assets
    return div_up(numerator, priced_shares) if up else numerator // priced_shares


def target(total_assets: int, target_bps: int = 1_000) -> int:
    return total_assets * target_bps // BPS


def deficit_integral(level: int, amount: int, target_level: int) -> int:
    """Integral of max(0, (target - x) / target) over [level - amount, level], rounded up as the contract."""
    inside = min(amount, level)
    beyond = amount - inside  # below an empty buffer the deficit counts as 1
    low = level - inside
    if target_level == 0 or low >= target_level:
        return beyond
    high = min(level, target_level)
    mean = div_up((target_level - high) + (target_level - low), 2)
    return div_up((high - low) * mean, target_level) + beyond


def instant_fee(level: int, amount: int, target_level: int, *, base_bps: int, ceiling_bps: int) -> int:
    fee = div_up(amount * base_bps, BPS)
    extra = ceiling_bps - base_bps
    if extra == 0:
        return fee
    return fee + div_up(deficit_integral(level, amount, target_level) * extra, BPS)


def exit_fee(
    level: int,
    amount: int,
    total_assets: int,
    *,
    target_bps: int,
    base_bps: int,
    ceiling_bps: int,
) -> int:
    """Fee of an exit draining `amount`, against the target of the LST as it is AFTER the exit."""
    after = target(total_assets - min(amount, total_assets), target_bps)
    return instant_fee(level, amount, after, base_bps=base_bps, ceiling_bps=ceiling_bps)


def instant_fee_exact(
    level: int, amount: int, target_level: int, *, base_bps: int, ceiling_bps: int
) -> Fraction:
    """The same fee without any rounding: base * amount + extra * integral of the deficit fraction."""
    low, high = level - amount, level
    assert low >= 0, "exact form only for withdrawals the buffer can pay"
    integral = Fraction(0)
    if low < target_level:
        top = min(high, target_level)
        # Integral of (T - x) / T from low to top: (top - low) * (mean of the deficits) / T.
        integral = Fraction((top - low) * ((target_level - top) + (target_level - low)), 2 * target_level)
    return Fraction(amount * base_bps, BPS) + integral * Fraction(ceiling_bps - base_bps, BPS)


def fee_rates(lst) -> dict[str, int]:
    """The LST's current base rate and ceiling, as keyword arguments for `instant_fee`."""
    return {"base_bps": lst.instant_fee_bps(), "ceiling_bps": lst.max_instant_fee_bps()}


def exit_rule(lst) -> dict[str, int]:
    """`fee_rates` plus the target, as keyword arguments for `exit_fee`."""
    return {**fee_rates(lst), "target_bps": lst.target_buffer_bps()}


def request_id(tx) -> int:
    # Read ids from the event: Ape's return_value on the in-process chain is taken after the block.
    return next(log.request_id for log in tx.events if log.event_name == "UnstakeRequested")
def claimable(lst, request_id: int) -> bool:
    """`claim` pays the request now: funded (all of it set aside), due at the head block, not claimed."""
    from ape import chain

    request = lst.requests(request_id)
    due = request.ready_at <= chain.blocks.head.timestamp
    return request_id < lst.queue_head() and due and not request.claimed


