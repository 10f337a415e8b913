"""Amounts in and out, exactly (integers and `Decimal`, never floats), and human-friendly figures.

`parse_amount` turns what a user types into base units of a token, refusing anything that is not exactly
such an amount; `exact` prints base units so that pasting the text back gives the same integer; `amount`
rounds for reading. Nothing here knows about a chain or a CLI: a web page parses and prints with the same
functions."""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

MAX_UINT = 2**256 - 1
# Larger exponents are refused before any arithmetic: no token amount has more than 78 digits.
MAX_DIGITS = 80


class AmountError(ValueError):
    """Text that is not an amount of the token, with the reason as one line."""


def parse_amount(text: str | Decimal, decimals: int, symbol: str = "") -> int:
    """
    `text` ("1.5", "1e-6", "1_000") in base units of a token with `decimals`: exact, or an `AmountError`
    (not a number, NaN, infinite, zero or negative, more decimals than the token has, above 2^256 - 1 units).
    """
    what = f" of {symbol}" if symbol else ""
    if isinstance(text, Decimal):
        value = text
    else:
        cleaned = text.strip()
        # Decimal reads any script's digits ("١٠" is 10): an amount is typed in ASCII or refused.
        if not cleaned.isascii():
            raise AmountError(f"amount {text!r} is not a number")
        if "," in cleaned:
            raise AmountError(f"amount {text!r}: write it without thousands separators (1000.5, not 1,000.5)")
        # Decimal takes "1__0" as 10 and "_1" or "1_" as 1: an underscore groups digits, one between two.
        if re.search(r"(?<![0-9])_|_(?![0-9])", cleaned):
            raise AmountError(f"amount {text!r}: an underscore goes between two digits (1_000)")
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise AmountError(f"amount {text!r} is not a number") from None
    if not value.is_finite():
        raise AmountError(f"amount {text} is not a finite number")
    if value.is_signed() or value.is_zero():
        raise AmountError(f"amount {text} must be above 0")
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    coefficient = int("".join(map(str, digits)))
    while coefficient % 10 == 0:
        coefficient //= 10
        exponent += 1
    shift = exponent + decimals
    if shift + len(str(coefficient)) > MAX_DIGITS:
        raise AmountError(f"amount {text} is too large (above 2^256 - 1 base units{what})")
    if shift < 0:
        token = symbol or "the token"
        raise AmountError(f"amount {text} has {-exponent} decimal places; {token} has {decimals}")
    units = coefficient * 10**shift
    if units > MAX_UINT:
        raise AmountError(f"amount {text} is too large (above 2^256 - 1 base units{what})")
    return units


def readable(value: int, decimals: int, symbol: str = "") -> str:
    """`amount` rounded to 4 places, as every figure is read, but dust exact: below 0.0001 it would show as
    0.0000 and read as nothing (a lend of 1e-18 read "supply 0.0000 WNAT")."""
    if 0 < abs(value) * 10**4 < 10**decimals:
        return f"{exact(value, decimals)} {symbol}".rstrip()
    return amount(value, decimals, symbol)


def exact(units: int, decimals: int) -> str:
    """Base units as the shortest exact decimal ("10.5", "0.000000000000000001"); no separators, so it can be
    pasted back as an amount."""
    sign = "-" if units < 0 else ""
    whole, fraction = divmod(abs(units), 10**decimals)
    if fraction == 0 or decimals == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{str(fraction).rjust(decimals, '0').rstrip('0')}"


def amount(value: int, decimals: int, symbol: str = "", places: int = 4) -> str:
    """Base units as a decimal amount rounded to `places` (half to even), with separators and an optional
    symbol; exact arithmetic, so 10^30 prints as 1,000,...,000.0000."""
    quotient, remainder = divmod(abs(value) * 10**places, 10**decimals)
    twice = 2 * remainder
    if twice > 10**decimals or (twice == 10**decimals and quotient % 2):
        quotient += 1
    whole, fraction = divmod(quotient, 10**places)
    sign = "-" if value < 0 and quotient else ""
    text = f"{sign}{whole:,}" + (f".{fraction:0{places}d}" if places else "")
    return f"{text} {symbol}".rstrip()


def rate(value: int, decimals: int, places: int = 8) -> str:
    """Format an exchange rate given as X units per 10**decimals LST units."""
    return amount(value, decimals, places=places).replace(",", "")


def duration(seconds: float) -> str:
    """Format a number of seconds as minutes, hours or days."""
    if seconds < 3_600:
        return f"{seconds / 60:.1f} minutes"
    if seconds < 86_400:
        return f"{seconds / 3_600:.1f} hours"
    return f"{seconds / 86_400:.1f} days"


def ago(seconds: float) -> str:
    """How long ago, for reading: "just now" under a minute (not "0.0 minutes ago"), else `duration`."""
    return "just now" if seconds < 60 else f"{duration(seconds)} ago"


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
