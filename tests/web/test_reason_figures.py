"""Amounts in a reason are rounded for reading, as the page's figures are; two amounts of one sentence within
0.0001 of each other are written exactly, where rounding could make them look equal or swap them."""

from collections.abc import Callable
from dataclasses import replace
from types import SimpleNamespace
from unittest import mock

import pytest

from levstake import fmt, projections, report
from levstake.model import (
    LST_BOOKS_MAX,
    ORACLE_SCALE,
    LstSnapshot,
    MarketSnapshot,
)
from levstake.previews import (
    NO_POSITION,
    AdjustPreview,
    EntryCost,
    PreviewError,
    _rounded,
    open_risks,
    position_risks,
    preview_lender_withdraw,
    preview_stake,
    preview_unstake,
)
from levstake.reads import Account, Rates, Snapshot, Stream
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


def test_two_equal_amounts_are_rounded_alike_and_the_lst_keeps_its_symbol() -> None:
    info = SimpleNamespace(decimals=18, symbol="WNAT")
    assert _rounded(info, 25 * 10**18, 25 * 10**18) == "25.0000 WNAT"
    assert _rounded(info, 3 * 10**17, 10**30, "stX") == "0.3000 stX"
    assert _rounded(info, 0, 10**30, "") == "0.0000"


# A market, an LST and one account, built by hand: what each refusal says depends only on these figures.
UNIT = 10**18
INFO = SimpleNamespace(decimals=18, symbol="WNAT", lst_symbol="stX", native=True, min_request=UNIT)
ODD = 24 * UNIT + 999_999_999_999_999_999  # 24.999999999999999999: 25.0000 rounded


def world(
    x: int = 0, lst: int = 0, native: int = 0, lent: int = 0, supply: int = 1_000 * UNIT, borrowed: int = 0
) -> Snapshot:
    idle = supply - borrowed
    account = Account(
        "0x" + "11" * 20, NO_POSITION, x, lst, native, 0, 0, False, 0, 0, 0, lent, min(lent, idle), lent
    )
    return Snapshot(
        block=1,
        timestamp=10**9,
        lst=LstSnapshot(10_000 * UNIT, 10_000 * UNIT, buffer=ODD, target_buffer_bps=1_000),
        market=MarketSnapshot(borrowed, borrowed, ORACLE_SCALE, 9 * 10**17, 95 * 10**16, supply),
        rates=Rates(0, 0, 0),
        stream=Stream(0, 0, 1),
        oracle_cap=ORACLE_SCALE,
        pending=(),
        account=account,
        unbonding_delay=7 * 86_400,
    )


def refusal(call: Callable[[], object]) -> PreviewError:
    with pytest.raises(PreviewError) as caught:
        call()
    return caught.value


def fills(error: PreviewError) -> list[tuple[str, str]]:
    return [(fill.label, fill.value) for fill in error.fills]


def test_withdraw_refusals_echo_the_amount_round_the_supply_and_offer_the_exact_maximum() -> None:
    error = refusal(lambda: preview_lender_withdraw(INFO, world(lent=ODD), 100 * UNIT))
    assert str(error) == 'amount 100 WNAT is above your supply 25.0000 WNAT ("all" withdraws all of it)'
    assert fills(error) == [("Withdraw all (25.0000 WNAT)", "all")]
    # The amount typed a unit above the supply: the supply exact, or the sentence would read "25 > 25".
    error = refusal(lambda: preview_lender_withdraw(INFO, world(lent=ODD), 25 * UNIT))
    assert "above your supply 24.999999999999999999 WNAT" in str(error)
    # Idle liquidity short: rounded, the exact room a click away.
    idle = 7 * UNIT + 123_456_789
    short = world(lent=ODD, supply=ODD, borrowed=ODD - idle)
    error = refusal(lambda: preview_lender_withdraw(INFO, short, None))
    assert str(error).startswith("the market has 7.0000 WNAT idle now (the rest is lent out): you can")
    assert fills(error) == [("Withdraw what is idle (7.0000 WNAT)", "7.000000000123456789")]


def test_unstake_refusals_round_the_balance_and_the_buffer_and_offer_the_exact_maximum() -> None:
    error = refusal(lambda: preview_unstake(INFO, world(), 10 * UNIT))
    assert str(error) == "amount 10 stX is above your balance 0.0000 stX" and not error.fills
    error = refusal(lambda: preview_unstake(INFO, world(lst=ODD), 100 * UNIT))
    assert str(error) == "amount 100 stX is above your balance 25.0000 stX"
    assert fills(error) == [("Unstake all you hold (25.0000 stX)", "24.999999999999999999")]
    # More than the buffer pays now (its room is the odd amount of X, at a rate of 1).
    error = refusal(lambda: preview_unstake(INFO, world(lst=100 * UNIT), 30 * UNIT))
    assert str(error).startswith("the LST's buffer pays at most 25.0000 stX instantly now: unstake that much")
    assert fills(error) == [("Unstake what the buffer pays (25.0000 stX)", "24.999999999999999999")]
    error = refusal(lambda: preview_unstake(INFO, world(lst=UNIT), UNIT // 2, queue=True))
    assert str(error).startswith("0.5 stX is worth 0.5000 WNAT, below the smallest queued unstake (1.0000")
    # Dust is exact, not 0.0000 (a walk read "0.000001 stX is worth 0.0000 WNAT").
    error = refusal(lambda: preview_unstake(INFO, world(lst=UNIT), UNIT // 10**6, queue=True))
    assert str(error).startswith("0.000001 stX is worth 0.000001 WNAT, below the smallest queued unstake")


def test_a_stake_past_the_lst_books_bound_is_refused_and_the_room_left_is_staked() -> None:
    # The LST's buffer, accounted backend balance and funded requests' reserve hold at most 2^128 - 1 X
    # together: a deposit past the room left reverts 'lst: amount too large', the preview first.
    accounted = LST_BOOKS_MAX - ODD - 1_000
    full = LstSnapshot(LST_BOOKS_MAX - 1_000, LST_BOOKS_MAX - 1_000, buffer=ODD, accounted=accounted)
    snapshot = replace(world(x=2**129), lst=full)
    assert full.deposit_room() == 1_000
    error = refusal(lambda: preview_stake(INFO, snapshot, 1_001))
    assert str(error).endswith("(it reverts 'lst: amount too large')")
    assert preview_stake(INFO, snapshot, 1_000).shares == 1_000
    # What the snapshot reads: the room is counted from the buffer, the accounted balance and the reserve.
    assert replace(full, accounted=0).deposit_room() == LST_BOOKS_MAX - ODD
    assert replace(full, accounted=0, queue_reserve=1_000).deposit_room() == LST_BOOKS_MAX - ODD - 1_000


def test_a_stake_that_buys_no_share_at_a_full_book_is_refused_for_that_as_the_lst_refuses_it() -> None:
    # The LST checks the shares a deposit mints before the room it takes: with no room left and a share worth
    # more than a unit, `deposit(1)` reverts 'lst: zero shares' (the chain's side is in
    # test_the_books_bound_cannot_refuse_what_the_lst_offers.py), so the preview says that; an amount that
    # buys a share is refused for the room.
    half = LST_BOOKS_MAX - ODD
    full = LstSnapshot(2 * half, half, buffer=ODD, accounted=half)
    snapshot = replace(world(x=2**129), lst=full)
    assert full.deposit_room() == 0
    too_small = str(refusal(lambda: preview_stake(INFO, snapshot, 1)))
    assert too_small.endswith("(the LST reverts 'lst: zero shares')")
    too_large = str(refusal(lambda: preview_stake(INFO, snapshot, 2)))
    assert too_large.endswith("(it reverts 'lst: amount too large')")


def test_balance_refusals_round_the_balance_offer_it_exactly_and_hint_only_where_it_helps() -> None:
    error = refusal(lambda: projections.check_balance(INFO, world(x=ODD), 100 * UNIT))
    assert str(error) == (
        "amount 100 WNAT is above your WNAT balance 25.0000 WNAT (wrap some first, or pay with the native "
        "coin)"
    )
    assert fills(error) == [("All your WNAT (25.0000 WNAT)", "24.999999999999999999")]
    error = refusal(lambda: projections.check_balance(INFO, world(), 10 * UNIT, spends=False))
    assert str(error) == "amount 10 WNAT is above your WNAT balance 0.0000 WNAT" and not error.fills
    error = refusal(lambda: projections.check_balance(INFO, world(native=ODD), 100 * UNIT, native=True))
    assert str(error) == "amount 100 native is above your native balance 25.0000 native" and not error.fills


def test_liquidity_refusal_names_the_token_of_both_amounts() -> None:
    preview = SimpleNamespace(
        fits_liquidity=False, assets=UNIT, target_leverage=50 * UNIT, idle=ODD, borrowed=9_629_144 * UNIT
    )
    info = SimpleNamespace(**vars(INFO), max_leverage=50 * UNIT, max_ltv=9 * 10**17)
    with mock.patch.object(projections, "max_leverage_for", return_value=1.5):
        text = projections.liquidity_error(info, world(), preview)
    assert text == (
        "liquidity short for 50x: the market has 25.0000 WNAT idle and this borrows 9,629,144.0000 WNAT; "
        "up to 1.50x fits now"
    )


def test_an_adjust_up_names_the_leverage_that_fits_or_that_no_step_up_does() -> None:
    preview = AdjustPreview(
        target_leverage=50 * UNIT, before=SimpleNamespace(leverage=2.0), after=None, unstaked=0,
        borrowed=9_629_144 * UNIT, refund=0, partial=False, state_after=None, idle=ODD,
    )  # fmt: skip
    assert not preview.fits_liquidity
    for found, tail in ((3.5, "; up to 3.50x fits now"), (2.001, "; no step up fits now")):
        with mock.patch.object(projections, "max_adjust_leverage", return_value=found):
            text = projections.liquidity_error(INFO, world(), preview)
        assert text == (
            "liquidity short for 50x: the market has 25.0000 WNAT idle and this borrows 9,629,144.0000 WNAT"
            + tail
        )
    # A step down borrows nothing: it never waits for liquidity, whatever the market holds.
    assert replace(preview, borrowed=0, idle=-1).fits_liquidity


def test_an_entry_cost_no_close_can_price_is_not_known_not_zero() -> None:
    # Adding to a position whose debt the buffer cannot take: no close runs before or right after the open.
    # The cost at once and its break-even were shown as 0.0000 (0.00%) and "in about 0 s".
    reason = "the LST's buffer pays 1,517.4600 WNAT instantly now, less than the 2,508.8207 WNAT of debt"
    entry = EntryCost(
        put_in=10 * UNIT, exit_value_before=0, exit_value_after=None, exit_note_after=reason,
        exit_value_rebalanced=None, exit_note_rebalanced=reason, refund=0, cost=None, stream_premium=0,
        close_fee=0, premium_back_at=None, break_even=None,
    )  # fmt: skip
    assert entry.fraction is None and entry.rebalanced_reason is None
    lines = report.entry_lines(INFO, SimpleNamespace(entry=entry, state_after=None))
    assert lines[0] == f"entry    cost at once not known: no close can run right after ({reason})"
    assert lines[2].startswith("         earned back not known")


def test_an_open_that_costs_more_than_a_tenth_at_once_asks_first() -> None:
    # With the LST's buffer drained a 50x open lost a fifth of what was put in at once with no consent asked
    # (the walkthrough's Info): above ENTRY_COST_WARNING it is a risk like a large stream premium.
    def preview(cost: int | None) -> SimpleNamespace:
        after_open = None if cost is None else 10 * UNIT - cost
        entry = EntryCost(
            put_in=10 * UNIT, exit_value_before=0, exit_value_after=after_open,
            exit_note_after="", exit_value_rebalanced=None, exit_note_rebalanced="", refund=0, cost=cost,
            stream_premium=0, close_fee=0, premium_back_at=None, break_even=None,
        )  # fmt: skip
        after = SimpleNamespace(borrow_shares=0, time_to_liquidation=None)
        return SimpleNamespace(entry=entry, after=after, state_after=None)

    risks = open_risks(preview(2 * UNIT + UNIT // 100))
    assert [risk.kind for risk in risks] == ["entry_cost"]
    assert risks[0].reason == (
        "the open costs 20.10% of what you put in at once (a close right after pays back 79.90%: mostly the "
        "instant-unstake fee on the whole collateral)"
    )
    assert open_risks(preview(UNIT)) == []  # a tenth exactly: no question
    assert open_risks(preview(None)) == []  # not known (no close runs): the figures say so instead


def test_a_position_no_close_can_pay_out_asks_first() -> None:
    # A new user's walk: a 25x open of 100 on the devnet said "once a rebalance delegates the buffer's excess
    # no close can run", was signed without --accept-risk, and the upkeep's rebalance a block later left a
    # position only a repay from the wallet could unwind.
    reason = "the LST's buffer pays 1,364.6874 WNAT instantly now, less than the 2,400.4343 WNAT of debt"
    entry = EntryCost(
        put_in=100 * UNIT, exit_value_before=0, exit_value_after=97 * UNIT, exit_note_after="",
        exit_value_rebalanced=None, exit_note_rebalanced=reason, refund=0, cost=3 * UNIT, stream_premium=0,
        close_fee=0, premium_back_at=None, break_even=None,
    )  # fmt: skip
    after = SimpleNamespace(
        borrow_shares=1, borrow_apr=0.01, staking_apr=0.05, net_apr=0.5, equity_exit=97 * UNIT, exit_note="",
        time_to_liquidation=None,
    )  # fmt: skip
    risks = open_risks(SimpleNamespace(entry=entry, after=after, state_after=None))
    assert [risk.kind for risk in risks] == ["no_close"]
    assert risks[0].reason == f"once a rebalance delegates the buffer's excess no close can run ({reason})"
    # No close right after (an adjust up onto a buffer that cannot repay it): the position's figures say why.
    stuck = SimpleNamespace(**{**vars(after), "equity_exit": None, "exit_note": reason})
    assert [(risk.kind, risk.reason) for risk in position_risks(stuck)] == [
        ("no_close", f"no close can run on the position this leads to ({reason})")
    ]
    assert position_risks(SimpleNamespace(**{**vars(stuck), "borrow_shares": 0})) == []  # no debt to pay out


def test_a_figure_that_rounds_to_zero_is_neither_a_gain_nor_a_loss_and_a_fresh_snapshot_is_just_now() -> None:
    info = SimpleNamespace(decimals=18, symbol="WNAT", lst_symbol="stX", contracts={})
    tone = environment(SimpleNamespace(info=info)).filters["tone"]
    assert [tone(value) for value in (-3, 0, 3, None)] == ["", "", "", ""]
    assert [tone(value) for value in (-(10**15), 10**15)] == ["danger", "good"]
    assert [fmt.ago(seconds) for seconds in (0, 59, 90)] == ["just now", "just now", "1.5 minutes ago"]
