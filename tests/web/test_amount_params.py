"""The page reads an amount as the CLI reads `--amount` (one parser, `fmt.parse_amount`): exponent notation
and underscores are accepted on both, and each refusal is the CLI's sentence (the page refused `1e-6` as "must
be a plain decimal number" while the README documents it for the CLI)."""

from __future__ import annotations

import pytest

from levstake import fmt
from levstake.web.params import BadRequest, amount


@pytest.mark.parametrize("text", ["10", "0.5", "1e-6", "1_000", "1_000.000_5", "2.5E3", " 7 "])
def test_the_page_accepts_what_the_cli_accepts(text: str) -> None:
    assert amount(text, 18, "WNAT") == fmt.parse_amount(text, 18, "WNAT")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1,000", "without thousands separators"),
        # Decimal reads these as 10, 1 and 1 (a walk's `--amount 1__0` lent 10).
        ("1__0", "an underscore goes between two digits"),
        ("_1", "an underscore goes between two digits"),
        ("1_", "an underscore goes between two digits"),
        ("1_.5", "an underscore goes between two digits"),
        ("abc", "is not a number"),
        ("١٠", "is not a number"),  # Arabic-Indic digits: Decimal reads them as 10
        ("nan", "is not a finite number"),
        ("0", "must be above 0"),
        ("-1", "must be above 0"),
        ("0.0000001", "has 7 decimal places; USDX has 6"),
        ("1e33", r"amount 1e33 is too large \(at most 2\^128 - 1 base units of USDX\)"),
    ],
)
def test_the_page_refuses_with_the_clis_reason(text: str, reason: str) -> None:
    with pytest.raises(BadRequest, match=reason):
        amount(text, 6, "USDX")
    if "too large" not in reason:  # the page's own bound, 2^128 units, below the CLI's 2^256 - 1
        with pytest.raises(fmt.AmountError, match=reason):
            fmt.parse_amount(text, 6, "USDX")
