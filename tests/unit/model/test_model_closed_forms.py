"""levstake.model's float functions against closed forms and limits."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from levstake import model


def test_max_leverage_of_the_default_market_is_50x():
    assert model.max_leverage(0.98) == pytest.approx(50)
    with pytest.raises(ValueError):
        model.max_leverage(1.0)


@given(ltv=st.floats(0, 0.99), steps=st.integers(0, 200))
def test_loops_approach_but_never_reach_the_max(ltv, steps):
    reached = model.leverage_after_loops(ltv, steps)
    assert reached == pytest.approx(sum(ltv**i for i in range(steps + 1)))
    assert 1 <= reached <= model.max_leverage(ltv) + 1e-9


def test_fifty_loops_at_98_percent_stop_near_32x():
    assert model.leverage_after_loops(0.98, 50) == pytest.approx(32.15, abs=0.01)


def test_net_apr_is_levered_spread():
    assert model.net_apr(0.08, 0.05, 1) == pytest.approx(0.08)
    assert model.net_apr(0.08, 0.05, 50) == pytest.approx(50 * 0.08 - 49 * 0.05)
    assert model.loop_yield(0.08, 0.05, 0.98) == pytest.approx(model.net_apr(0.08, 0.05, 50))
    assert model.loop_yield(0.08, 0.05, 0.98, steps=0) == pytest.approx(0.08)


def test_health_and_time_to_liquidation():
    assert model.health(100, 98, 0.99) == pytest.approx(99 / 98)
    assert model.health(100, 0, 0.99) == math.inf
    # Staking beats borrowing: never liquidated.
    assert model.time_to_liquidation(1.01, 0.08, 0.05) is None
    assert model.time_to_liquidation(0.99, 0.08, 0.05) == 0
    # Borrowing at 10% against 8% staking: health decays by e^(-0.02 t).
    seconds = model.time_to_liquidation(1.01, 0.08, 0.10)
    assert math.exp(-0.02 * seconds / model.YEAR) * 1.01 == pytest.approx(1.0)


def test_to_units_keeps_integer_amounts_exact() -> None:
    from levstake.model import to_units

    assert to_units(10_000_000_000, 18) == 10_000_000_000 * 10**18
    assert to_units("1.5", 6) == 1_500_000
    assert to_units(0.1, 18) == 10**17


def test_stafi_closed_form_reproduces_their_273_percent() -> None:
    # StaFi's example: rATOM staking at 8.08%, free borrowing, a 65% collateral factor, 1 rATOM = 1.025715.
    lsr = model.stafi_lsr_apy(0.0808, 0.0, 0.65, 1.025715)
    assert round(lsr.ratio * 100) == 273
    assert lsr.apy == pytest.approx(0.0808 * lsr.ratio)
    # Interest on what was borrowed (ratio - 1 per X put in) comes off; at R = 1 it is the infinite loop.
    assert model.stafi_lsr_apy(0.08, 0.05, 0.5, 1.0).apy == pytest.approx(0.08 * 2 - 0.05)
    assert model.stafi_lsr_apy(0.08, 0.05, 0.98, 1.0).apy == pytest.approx(model.loop_yield(0.08, 0.05, 0.98))
    with pytest.raises(ValueError):
        model.stafi_lsr_apy(0.08, 0.0, 1.1, 1.0)


@given(
    health=st.floats(1.0001, 3),
    staking=st.floats(0, 0.5),
    borrow=st.floats(0, 0.5),
)
def test_liquidation_rates_liquidate_in_exactly_a_year(health, staking, borrow) -> None:
    borrow_at, staking_at = model.liquidation_rates(health, staking, borrow)
    assert model.time_to_liquidation(health, staking, borrow_at) == pytest.approx(model.YEAR)
    assert model.time_to_liquidation(health, staking_at, borrow) == pytest.approx(model.YEAR)
    assert borrow_at > staking and staking_at < borrow


def test_liquidation_rates_without_debt_or_below_one() -> None:
    assert model.liquidation_rates(math.inf, 0.06, 0.01) is None
    assert model.liquidation_rates(0.99, 0.06, 0.01) == (0.01, 0.06)


def test_seconds_to_earn() -> None:
    assert model.seconds_to_earn(1.0, 12.0) == pytest.approx(model.YEAR / 12)
    assert model.seconds_to_earn(1.0, 0.0) is None
    assert model.seconds_to_earn(0.0, -1.0) == 0


def test_the_lst_mirror_sells_no_shares_at_a_book_value_of_zero() -> None:
    """After a loss of everything (assets 0, shares out, nothing streaming) the LST refuses `deposit` and
    `mint` with "lst: nothing left to stake into"; the mirror raises that, not a division by zero or a
    mint for nothing. Its exits still price (at 0)."""
    emptied = model.LstSnapshot(total_assets=0, total_supply=10**18)
    for convert in (emptied.to_shares_down, emptied.to_shares_up, emptied.preview_mint):
        with pytest.raises(model.ModelError, match=model.NOTHING_LEFT):
            convert(10**6)
    assert emptied.to_assets_down(10**18) == 0 and emptied.max_instant_shares() == 0
    # Something still streaming keeps a price: shares cost what it is worth.
    streaming = model.LstSnapshot(total_assets=0, total_supply=10**18, locked=10**6)
    assert streaming.preview_mint(10**18) == 10**6
