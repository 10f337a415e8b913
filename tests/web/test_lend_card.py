"""The Lend & stake page's supply card: what a lender's shares are worth and, apart from it, what idle
liquidity lets out now. One figure for both (`maxWithdraw`) read 0.0000 once borrowers held the rest, and a
new user's walk took the supply for lost."""

from dataclasses import replace
from types import SimpleNamespace

from levstake.previews import NO_POSITION
from levstake.reads import Account
from levstake.web.views import environment

UNIT = 10**18
INFO = SimpleNamespace(decimals=18, symbol="WNAT", lst_symbol="stX", native=True, contracts={})
MARKET = SimpleNamespace(supply_apr=0.36, utilization=1.0, idle=0, staking_apr=0.05, instant_room=7 * UNIT)


def lend_card(withdrawable: int, worth: int) -> dict[str, str]:
    account = Account("0x" + "11" * 20, NO_POSITION, 0, 0, 0, 0, 0, False, 0, 0, 0, 1, withdrawable, 1)
    account = replace(account, lender_value=worth)
    html = environment(SimpleNamespace(info=INFO)).get_template("_lend.html").render(
        account=account.address, wallet=account, market=MARKET, extra={"buffer_target": UNIT}, requests=[],
        block=SimpleNamespace(timestamp=0),
    )  # fmt: skip
    from html.parser import HTMLParser

    figures: dict[str, str] = {}

    class Figures(HTMLParser):
        name: str | None = None

        def handle_starttag(self, tag, attrs):
            self.name = dict(attrs).get("data-figure", self.name if tag == "span" else None)

        def handle_data(self, data):
            if self.name:
                figures[self.name] = (figures.get(self.name, "") + data).strip()

    Figures().feed(html)
    return figures


def test_a_supply_lent_out_shows_its_worth_and_none_withdrawable_not_a_lent_of_zero() -> None:
    figures = lend_card(withdrawable=0, worth=38_907 * UNIT)
    assert figures["lender_value"] == "38,907.0000 WNAT"
    assert figures["lender_assets"] == "0.0000 WNAT(the rest is lent out)"


def test_a_supply_all_idle_is_lent_and_withdrawable_alike() -> None:
    figures = lend_card(withdrawable=25 * UNIT, worth=25 * UNIT)
    assert figures["lender_value"] == figures["lender_assets"] == "25.0000 WNAT"
    assert "payable now" in figures["instant_room"] and "before the instant fee" in figures["instant_room"]
