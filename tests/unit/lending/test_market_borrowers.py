"""Borrowers: collateral, borrow limit at max LTV (to the wei), repay, operators."""

import ape
import pytest

WAD = 10**18
ORACLE_SCALE = 10**36


@pytest.fixture
def funded_market(lender, lend, units):
    lend(lender, units(1_000))


def max_borrow(market, oracle, user) -> int:
    collateral = market.positions(user).collateral
    return collateral * oracle.price() // ORACLE_SCALE * market.max_ltv() // WAD


def test_borrow_up_to_max_ltv_exactly(market, oracle, x, borrower, funded_market, post_collateral, units):
    post_collateral(borrower, units(100))
    limit = max_borrow(market, oracle, borrower)
    with ape.reverts("market: ltv too high"):
        market.borrow(limit + 1, 0, borrower, borrower, sender=borrower)
    market.borrow(limit, 0, borrower, borrower, sender=borrower)
    assert x.balanceOf(borrower) == limit
    collateral, debt, ltv, health = market.position(borrower)
    assert debt == limit
    assert ltv <= market.max_ltv() + 1
    assert health >= WAD
    # Not one more wei, also not by shares.
    with ape.reverts("market: ltv too high"):
        market.borrow(1, 0, borrower, borrower, sender=borrower)


def test_withdraw_collateral_keeps_ltv(market, lst, borrower, funded_market, post_collateral, units):
    shares = post_collateral(borrower, units(100))
    market.borrow(units(50), 0, borrower, borrower, sender=borrower)
    with ape.reverts("market: ltv too high"):
        market.withdraw_collateral(shares * 49 // 100, borrower, borrower, sender=borrower)
    market.withdraw_collateral(shares // 4, borrower, borrower, sender=borrower)
    assert lst.balanceOf(borrower) == shares // 4
    with ape.reverts("market: insufficient collateral"):
        market.withdraw_collateral(shares, borrower, borrower, sender=borrower)


def test_repay_by_assets_and_all_by_shares(
    market, x, borrower, funded_market, post_collateral, fund, units, warp
):
    post_collateral(borrower, units(100))
    market.borrow(units(50), 0, borrower, borrower, sender=borrower)
    warp(30 * 86_400)
    fund(borrower, units(10), spender=market)
    market.repay(units(10), 0, borrower, sender=borrower)
    shares = market.positions(borrower).borrow_shares
    with ape.reverts("market: repay exceeds debt"):
        market.repay(0, shares + 1, borrower, sender=borrower)
    market.repay(0, shares, borrower, sender=borrower)
    assert market.positions(borrower).borrow_shares == 0
    assert market.position(borrower)[1] == 0
    assert market.total_borrow_shares() == 0


def test_repay_more_than_owed_reverts(market, borrower, funded_market, post_collateral, fund, units):
    post_collateral(borrower, units(10))
    market.borrow(units(5), 0, borrower, borrower, sender=borrower)
    fund(borrower, units(10), spender=market)
    with ape.reverts("market: repay exceeds debt"):
        market.repay(units(6), 0, borrower, sender=borrower)


def test_operator_needs_authorization(market, x, borrower, other, funded_market, post_collateral, units):
    post_collateral(borrower, units(10))
    with ape.reverts("market: unauthorized"):
        market.borrow(units(1), 0, borrower, other, sender=other)
    with ape.reverts("market: unauthorized"):
        market.withdraw_collateral(1, borrower, other, sender=other)
    tx = market.set_authorization(other, True, sender=borrower)
    assert tx.events.filter(market.SetAuthorization)[0].authorized == other
    market.borrow(units(1), 0, borrower, other, sender=other)
    assert x.balanceOf(other) == units(1)
    market.set_authorization(other, False, sender=borrower)
    with ape.reverts("market: unauthorized"):
        market.borrow(units(1), 0, borrower, other, sender=other)


def test_borrow_bad_input(market, borrower, guardian, funded_market, post_collateral, units):
    post_collateral(borrower, units(10))
    with ape.reverts("market: give assets or shares"):
        market.borrow(0, 0, borrower, borrower, sender=borrower)
    with ape.reverts("market: give assets or shares"):
        market.borrow(1, 1, borrower, borrower, sender=borrower)
    with ape.reverts("market: zero assets"):
        market.supply_collateral(0, borrower, sender=borrower)
    market.set_paused(False, True, sender=guardian)
    with ape.reverts("market: borrow paused"):
        market.borrow(1, 0, borrower, borrower, sender=borrower)


def test_borrow_needs_liquidity(market, borrower, lender, lend, post_collateral, units):
    lend(lender, units(5))
    post_collateral(borrower, units(100))
    with ape.reverts("market: insufficient liquidity"):
        market.borrow(units(6), 0, borrower, borrower, sender=borrower)


def test_views(market, borrower, funded_market, post_collateral, units):
    post_collateral(borrower, units(100))
    market.borrow(units(900) // 10, 0, borrower, borrower, sender=borrower)
    supply, borrow, utilization, borrow_apr, supply_apr = market.market_state()
    assert supply == units(1_000) and borrow == units(90)
    assert utilization == WAD * 9 // 100
    assert 5 * WAD // 1_000 < borrow_apr < 5 * WAD // 100
    assert supply_apr < borrow_apr
    assert market.max_leverage() == 50 * WAD
