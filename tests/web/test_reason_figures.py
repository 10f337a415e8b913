"""Amounts in a reason are rounded for reading, as the page's figures are; two amounts of one sentence within
0.0001 of each other are written exactly, where rounding could make them look equal or swap them."""

from types import SimpleNamespace

import pytest

from levstake import fmt
from levstake.previews import _rounded
from levstake.web.views import environment


@pytest.mark.parametrize("decimals", [18, 6])
def test_rounded_unless_rounding_hides_how_it_differs_from_the_amount_beside_it(decimals: int) -> None:
    info = SimpleNamespace(decimals=decimals, symbol="WNAT")
    unit = 10**decimals
    debt = 481 * unit + 4_550_417 * unit // 10**7  # 481.4550417
    assert _rounded(info, debt) == "481.4550 WNAT"
    assert _rounded(info, debt, 0) == "481.4550 WNAT"
    assert _rounded(info, debt, 1_000 * unit) == "481.4550 WNAT"
    # A balance a few base units short of it: both exact, so the reason reads as what it says.
    assert _rounded(info, debt - 3, debt) == f"481.{str(debt - 3)[3:].rstrip('0')} WNAT"
    assert _rounded(info, debt, debt - 3).startswith("481.455041")


def test_a_figure_that_rounds_to_zero_is_neither_a_gain_nor_a_loss_and_a_fresh_snapshot_is_just_now() -> None:
    info = SimpleNamespace(decimals=18, symbol="WNAT", lst_symbol="stX", contracts={})
    tone = environment(SimpleNamespace(info=info)).filters["tone"]
    assert [tone(value) for value in (-3, 0, 3, None)] == ["", "", "", ""]
    assert [tone(value) for value in (-(10**15), 10**15)] == ["danger", "good"]
    assert [fmt.ago(seconds) for seconds in (0, 59, 90)] == ["just now", "just now", "1.5 minutes ago"]
