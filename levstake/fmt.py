"""Human-friendly numbers for the scripts."""

from __future__ import annotations

import math


def amount(value: int, decimals: int, symbol: str = "", places: int = 4) -> str:
    """Format integer token units as a decimal amount with an optional symbol."""
    text = f"{value / 10**decimals:,.{places}f}"
    return f"{text} {symbol}".rstrip()


def rate(value: int, decimals: int, places: int = 8) -> str:
    """Format an exchange rate given as X units per 10**decimals LST units."""
    return f"{value / 10**decimals:.{places}f}"


def duration(seconds: float) -> str:
    """Format a number of seconds as minutes, hours or days."""
    if seconds < 3_600:
        return f"{seconds / 60:.1f} minutes"
    if seconds < 86_400:
        return f"{seconds / 3_600:.1f} hours"
    return f"{seconds / 86_400:.1f} days"


def percent(fraction: float, places: int = 2) -> str:
    """0.0123 -> "1.23%"."""
    return f"{fraction * 100:.{places}f}%"


def leverage(value: float | None) -> str:
    return "under water" if value is None or math.isinf(value) else f"{value:.2f}x"


def health(value: float) -> str:
    """Health to five places (liquidation at 1.00000); "no debt" without debt."""
    return "no debt" if math.isinf(value) else f"{value:.5f}"


def time_left(seconds: float | None) -> str:
    """Time to liquidation: "never" when rates only improve the position."""
    if seconds is None:
        return "never at current rates"
    if seconds <= 0:
        return "now (liquidatable)"
    return duration(seconds)
