"""The rate model cannot block or overcharge a market: its answer is bounded at 1,000% a year, and if it
reverts, burns its gas or answers garbage the last rate applies (RateModelFailed) and every exit still
works."""

import pytest
from lending_math import (
    DAY,
    IRM_ANSWERS,
    IRM_BURNS_GAS,
    IRM_REVERTS,
    IRM_SHORT_DATA,
    MAX_BORROW_APR,
    MAX_UINT,
    MAX_UINT128,
    WAD,
    YEAR,
    assert_interest_close,
)

TWENTY_PERCENT = WAD // 5


# Module-scoped and used by every test here: built once per decimals (Ape's isolation undoes each test's
# changes), not once per test.
pytestmark = pytest.mark.usefixtures("switch_market")


@pytest.fixture(scope="module")
def switch_market(switch_irm, oracle, create_market):
    return create_market(switch_irm, oracle, reserve_factor=WAD // 10)


def test_rate_is_bounded_at_1000_percent(
    switch_market, switch_irm, lend_to, post_to, borrower, lender, units, warp
):
    switch_irm.set_apr(MAX_UINT, sender=lender)
    lend_to(switch_market, lender, units(1_000))
    post_to(switch_market, borrower, units(1_000))
    tx = switch_market.borrow(units(100), 0, borrower, borrower, sender=borrower)
    assert switch_market.market_state()[3] == MAX_BORROW_APR
    warp(30 * DAY)
    accrual = switch_market.accrue_interest(sender=lender)
    event = accrual.events.filter(switch_market.AccrueInterest)[0]
    assert event.borrow_rate == MAX_BORROW_APR
    assert switch_market.last_borrow_apr() == MAX_BORROW_APR
    assert not accrual.events.filter(switch_market.RateModelFailed)
    assert_interest_close(event.interest, units(100), MAX_BORROW_APR, accrual.timestamp - tx.timestamp)


def test_one_accrual_compounds_at_most_e50(
    switch_market, switch_irm, lend_to, post_to, borrower, lender, units, warp, x
):
    """Ten idle years at the 1,000% bound would be e^100: one accrual stops at e^50 - 1, totals stay
    finite. (Raw amounts: e^50 times the debt fits the market's 128-bit totals at 6 and 18 decimals.)"""
    switch_irm.set_apr(MAX_UINT, sender=lender)
    lend_to(switch_market, lender, 10**17)
    post_to(switch_market, borrower, 10**17)
    tx = switch_market.borrow(10**16, 0, borrower, borrower, sender=borrower)
    warp(10 * YEAR)
    accrual = switch_market.accrue_interest(sender=lender)
    interest = accrual.events.filter(switch_market.AccrueInterest)[0].interest
    assert_interest_close(interest, 10**16, MAX_BORROW_APR, accrual.timestamp - tx.timestamp)
    assert 5.18e21 < interest / 10**16 < 5.19e21  # e^50 - 1 = 5.1847e21
    assert switch_market.total_borrow_assets() == 10**16 + interest
    # Lenders still reach their idle X.
    before = x.balanceOf(lender)
    switch_market.withdraw(9 * 10**16, lender, lender, sender=lender)
    assert x.balanceOf(lender) - before == 9 * 10**16


def test_interest_stops_where_the_totals_stop(
    switch_market, switch_irm, lend_to, post_to, borrower, lender, warp, x
):
    """e^50 on a debt of 10^18 units would take supply assets past 2^128 - 1, the most the market's totals
    hold: the interest stops there (nothing overflows or reverts) and lenders still reach their idle X."""
    switch_irm.set_apr(MAX_UINT, sender=lender)
    lend_to(switch_market, lender, 10**19)
    post_to(switch_market, borrower, 10**19)
    switch_market.borrow(10**18, 0, borrower, borrower, sender=borrower)
    warp(10 * YEAR)
    accrual = switch_market.accrue_interest(sender=lender)
    interest = accrual.events.filter(switch_market.AccrueInterest)[0].interest
    assert interest == MAX_UINT128 - 10**19
    assert switch_market.total_supply_assets() == MAX_UINT128
    assert switch_market.total_borrow_assets() == 10**18 + interest
    before = x.balanceOf(lender)
    switch_market.withdraw(9 * 10**18, lender, lender, sender=lender)
    assert x.balanceOf(lender) - before == 9 * 10**18


@pytest.mark.parametrize(
    "mode", [IRM_REVERTS, IRM_BURNS_GAS, IRM_SHORT_DATA], ids=["reverts", "burns_gas", "short"]
)
def test_failing_model_falls_back_to_last_rate(
    switch_market,
    switch_irm,
    lend_to,
    post_to,
    fund,
    borrower,
    other,
    lender,
    liquidator,
    lst,
    units,
    warp,
    mode,
):
    market = switch_market
    lend_to(market, lender, units(2_000))
    collateral = post_to(market, borrower, units(100))
    market.borrow(collateral * market.max_ltv() // WAD, 0, borrower, borrower, sender=borrower)
    post_to(market, other, units(100))
    market.borrow(units(10), 0, other, other, sender=other)
    warp(DAY)
    market.accrue_interest(sender=lender)
    assert market.last_borrow_apr() == TWENTY_PERCENT

    switch_irm.set_mode(mode, sender=lender)
    switch_irm.set_apr(3 * TWENTY_PERCENT, sender=lender)  # never read while the model fails
    warp(30 * DAY)
    # The views apply the last rate too.
    assert market.market_state()[3] == TWENTY_PERCENT
    start = market.last_update()
    borrowed = market.total_borrow_assets()
    tx = market.accrue_interest(sender=lender)
    assert tx.events.filter(market.RateModelFailed)[0].fallback_apr == TWENTY_PERCENT
    accrued = tx.events.filter(market.AccrueInterest)[0]
    assert accrued.borrow_rate == TWENTY_PERCENT
    assert_interest_close(accrued.interest, borrowed, TWENTY_PERCENT, tx.timestamp - start)
    assert market.last_borrow_apr() == TWENTY_PERCENT
    # A month at 20% took the maxed-out position past its LLTV.
    assert market.position(borrower)[3] < WAD

    def failed(receipt):
        return receipt.events.filter(market.RateModelFailed)[0].fallback_apr == TWENTY_PERCENT

    fund(other, units(5), spender=market)
    assert failed(market.repay(units(5), 0, other, sender=other))
    assert failed(market.withdraw_collateral(collateral // 2, other, other, sender=other))
    assert lst.balanceOf(other) == collateral // 2
    assert failed(market.withdraw(units(100), lender, lender, sender=lender))
    fund(liquidator, units(200), spender=market)
    shares = market.positions(borrower).borrow_shares
    tx = market.liquidate(borrower, 0, shares // 2, sender=liquidator)
    assert failed(tx)
    assert lst.balanceOf(liquidator) == tx.events.filter(market.Liquidate)[0].seized_assets > 0
    assert market.positions(borrower).borrow_shares == shares - shares // 2
    # Borrowing and deposits are not blocked either.
    assert failed(market.borrow(units(1), 0, other, other, sender=other))
    fund(lender, units(1), spender=market)
    assert failed(market.deposit(units(1), lender, sender=lender))

    # Once the model answers again, its rate applies from the next accrual on.
    switch_irm.set_mode(IRM_ANSWERS, sender=lender)
    warp(DAY)
    tx = market.accrue_interest(sender=lender)
    assert not tx.events.filter(market.RateModelFailed)
    assert tx.events.filter(market.AccrueInterest)[0].borrow_rate == 3 * TWENTY_PERCENT
    assert market.last_borrow_apr() == 3 * TWENTY_PERCENT
