"""Interest: closed-form check over long idle gaps, timestamp always moves, reserve factor."""

import ape

WAD = 10**18
YEAR = 365 * 86_400


def taylor(rate: int, elapsed: int) -> int:
    first = rate * elapsed
    second = first * first // (2 * WAD)
    third = second * first // (3 * WAD)
    return first + second + third


def test_interest_matches_closed_form_over_a_year(
    market, irm, borrower, lender, lend, post_collateral, units, warp
):
    lend(lender, units(1_000))
    post_collateral(borrower, units(1_000))
    market.borrow(units(900), 0, borrower, borrower, sender=borrower)
    borrowed = market.total_borrow_assets()
    rate = irm.borrow_rate(borrowed * WAD // market.total_supply_assets())
    start = market.last_update()
    warp(YEAR)
    tx = market.accrue_interest(sender=lender)
    elapsed = tx.timestamp - start
    expected = borrowed * taylor(rate, elapsed) // WAD
    assert market.total_borrow_assets() == borrowed + expected
    # 5% APR at the kink compounds to about e^0.05 - 1.
    assert abs(expected / borrowed - 0.05127) < 0.0005


def test_idle_time_is_never_charged(market, borrower, lender, lend, post_collateral, units, warp):
    lend(lender, units(1_000))
    warp(YEAR)
    tx = market.accrue_interest(sender=lender)
    assert market.last_update() == tx.timestamp
    post_collateral(borrower, units(100))
    market.borrow(units(50), 0, borrower, borrower, sender=borrower)
    assert market.position(borrower)[1] == units(50)


def test_reserve_factor_minted_to_treasury(
    market, treasury, borrower, lender, lend, post_collateral, units, warp
):
    lend(lender, units(1_000))
    post_collateral(borrower, units(1_000))
    market.borrow(units(900), 0, borrower, borrower, sender=borrower)
    warp(YEAR)
    tx = market.accrue_interest(sender=lender)
    event = tx.events.filter(market.AccrueInterest)[0]
    assert market.balanceOf(treasury) == event.fee_shares
    fee_value = market.convertToAssets(event.fee_shares)
    assert abs(fee_value - event.interest // 10) <= 2


def test_views_include_pending_interest(market, borrower, lender, lend, post_collateral, units, warp):
    lend(lender, units(1_000))
    post_collateral(borrower, units(1_000))
    market.borrow(units(500), 0, borrower, borrower, sender=borrower)
    warp(YEAR // 12)
    preview = market.previewRedeem(market.balanceOf(lender))
    debt = market.position(borrower)[1]
    assert preview > units(1_000) and debt > units(500)
    with ape.reverts("market: insufficient liquidity"):
        market.redeem(market.balanceOf(lender), lender, lender, sender=lender)
