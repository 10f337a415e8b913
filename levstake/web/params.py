"""
What the server accepts from a page, checked before anything else runs: addresses, amounts in the token's
units (exact decimals, never floats), leverage, choices, signatures. A bad value raises `BadRequest` with one
line naming the parameter, which the app answers with a 400.
"""

from __future__ import annotations

import math
import re
from typing import Any

from eth_utils import to_checksum_address

from levstake import fmt
from levstake.model import WAD
from levstake.rpc import ADDRESS
from levstake.txs import Signature, TxError

SIGNATURE = re.compile(r"^0x[0-9a-fA-F]{130}$")
# No amount of any token a page deals with comes near this (2^128 units).
MAX_UNITS = 2**128
MAX_TEXT = 200


class BadRequest(ValueError):
    """A parameter the server refuses, as one line (HTTP 400)."""


def _text(value: Any, name: str) -> str:
    if value is None or value == "":
        raise BadRequest(f"{name} is missing")
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise BadRequest(f"{name} must be a string")
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise BadRequest(f"{name} is too long")
    return text


def address(value: Any, name: str = "account") -> str:
    text = _text(value, name)
    if not ADDRESS.match(text):
        raise BadRequest(f"{name} must be an address (0x and 40 hex digits)")
    return to_checksum_address(text)


def optional_address(value: Any, name: str = "account") -> str | None:
    return None if value in (None, "") else address(value, name)


def amount(value: Any, decimals: int, symbol: str, name: str = "amount") -> int:
    """A decimal amount in `symbol`'s units, parsed as the CLI parses `--amount` (`fmt.parse_amount`: "10",
    "0.5", "1e-6", "1_000"; exact, above 0, at most `decimals` digits after the point), below 2^128 units."""
    text = _text(value, name)
    try:
        units = fmt.parse_amount(text, decimals, symbol)
    except fmt.AmountError as error:
        raise BadRequest(str(error) if name == "amount" else f"{name}: {error}") from None
    if units >= MAX_UNITS:
        # Far above any balance or market (the market keeps its totals in 128 bits): said with the bound.
        raise BadRequest(f"{name} {text} is too large (at most 2^128 - 1 base units of {symbol})")
    return units


def leverage(value: Any, name: str = "leverage") -> int:
    """Leverage as WAD, from a decimal such as 50 or 12.5 (the market's range is checked by the previews)."""
    text = _text(value, name)
    try:
        number = float(text)
    except ValueError:
        raise BadRequest(f"{name} must be a number such as 20") from None
    if not math.isfinite(number) or number > 10_000:
        raise BadRequest(f"{name} must be between 1 and the market's max")
    if number < 1:
        raise BadRequest(f"{name} {number:g}x is below 1x")  # the CLI's words (previews.check_leverage)
    return int(round(number * 10_000)) * (WAD // 10_000)


def choice(value: Any, options: tuple[str, ...], name: str, default: str | None = None) -> str:
    if value in (None, "") and default is not None:
        return default
    text = _text(value, name)
    if text not in options:
        raise BadRequest(f"{name} must be one of {', '.join(options)}")
    return text


def flag(value: Any, name: str) -> bool:
    if value in (None, "", False, "0", "false", "no"):
        return False
    if value in (True, "1", "true", "yes", "on"):
        return True
    raise BadRequest(f"{name} must be true or false")


def integer(value: Any, name: str, low: int, high: int, default: int | None = None) -> int:
    if value in (None, "") and default is not None:
        return default
    text = _text(value, name)
    if not re.fullmatch(r"\d{1,20}", text):
        raise BadRequest(f"{name} must be a whole number")
    number = int(text)
    if not low <= number <= high:
        raise BadRequest(f"{name} must be between {low} and {high}")
    return number


def chain_id(value: Any, expected: int) -> int | None:
    """The wallet's chain, as the page read it (hex or decimal); None when the page has no wallet."""
    if value in (None, ""):
        return None
    text = _text(value, "chain")
    try:
        number = int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        raise BadRequest("chain must be a chain id") from None
    if not 0 < number < 2**64:
        raise BadRequest("chain must be a chain id")
    return number


def signatures(value: Any, kinds: tuple[str, ...] = ("authorization", "permit")) -> dict[str, Signature]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict) or len(value) > len(kinds):
        raise BadRequest("signatures must map " + " / ".join(kinds) + " to signatures")
    found = {}
    for kind, signature in value.items():
        if kind not in kinds:
            raise BadRequest(f"unknown signature {kind!r}")
        if not isinstance(signature, str) or not SIGNATURE.match(signature):
            raise BadRequest(f"the {kind} signature must be 65 bytes of hex")
        try:
            found[kind] = Signature.from_hex(signature)
        except TxError as error:
            raise BadRequest(f"the {kind} signature: {error}") from None
    return found
