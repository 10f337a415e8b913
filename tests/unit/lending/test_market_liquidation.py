"""Liquidation: health and seize amount at the oracle's uncapped rate() (never the capped price()), the
shortfall written off in the same transaction, dust closed out. A settable oracle and a 0% rate model keep
every number exact."""

import ape
import pytest
from lending_math import ORACLE_SCALE, WAD, down, liquidation, liquidation_incentive, up

MAX_UINT = 2**256 - 1

# Module-scoped and used by every test: built once per decimals (each test's changes are undone by Ape's
# isolation), not once per test.
pytestmark = pytest.mark.usefixtures("mocked")


@pytest.fixture(scope="module")
def mocked(
    switch_irm, mock_oracle, create_market, lend_to, post_to, fund, borrower, lender, liquidator, units
):
    """1,000 X lent; the borrower posts 100 LST (1 X each) and borrows 98 X, the 98% max LTV."""
    switch_irm.set_apr(0, sender=lender)
    market = create_market(switch_irm, mock_oracle)
    lend_to(market, lender, units(1_000))
    assert post_to(market, borrower, units(100)) == units(100)
    market.borrow(units(98), 0, borrower, borrower, sender=borrower)
    fund(liquidator, units(1_000), spender=market)
    return market


def state(market, user):
    position = market.positions(user)
    return (
        position.collateral,
        position.borrow_shares,
        market.total_borrow_assets(),
        market.total_borrow_shares(),
    )


def expect(market, user, rate, **amounts):
    collateral, shares, total_assets, total_shares = state(market, user)
    return liquidation(
        collateral,
        shares,
        total_assets,
        total_shares,
        rate,
        market.liquidation_incentive(),
        market.dust(),
        **amounts,
    )


def check_event(market, tx, liquidator, borrower, expected):
    event = tx.events.filter(market.Liquidate)[0]
    assert event.liquidator == liquidator and event.borrower == borrower
    assert event.repaid_assets == expected["repaid"]
    assert event.repaid_shares == expected["repaid_shares"]
    assert event.seized_assets == expected["seized"]
    assert event.bad_debt_assets == expected["bad_assets"]
    assert event.bad_debt_shares == expected["bad_shares"]
    assert tuple(market.positions(borrower)) == (expected["collateral_left"], expected["shares_left"])
    assert market.total_borrow_assets() == expected["total_assets"]
    assert market.total_borrow_shares() == expected["total_shares"]
    return event


def test_incentive_and_dust(mocked, decimals):
    assert mocked.liquidation_incentive() == liquidation_incentive(mocked.lltv()) == 1_003_009_027_081_243_731
    assert mocked.dust() == 10**decimals // 10_000


def test_position_reports_ltv_at_price_and_health_at_rate(mocked, mock_oracle, borrower, units):
    price, rate = 95 * ORACLE_SCALE // 100, ORACLE_SCALE
    mock_oracle.set_prices(price, rate, sender=borrower)
    collateral, debt, ltv, health = mocked.position(borrower)
    assert (collateral, debt) == (units(100), units(98))
    assert ltv == up(units(98), WAD, down(units(100), price, ORACLE_SCALE))
    assert health == down(down(units(100), rate, ORACLE_SCALE), mocked.lltv(), units(98))
    assert ltv > mocked.lltv() and health > WAD
    # Without debt: no LTV, infinite health (and no oracle call).
    mock_oracle.set_reverts(True, True, sender=borrower)
    assert mocked.position(mocked) == (0, 0, 0, MAX_UINT)


def test_healthy_at_rate_cannot_be_liquidated_though_unhealthy_at_capped_price(
    mocked, mock_oracle, borrower, liquidator
):
    """The cap holds price() 2% below the LST's real rate: LTV 100% at price, health 1.0102 at rate."""
    mock_oracle.set_prices(98 * ORACLE_SCALE // 100, ORACLE_SCALE, sender=borrower)
    assert mocked.position(borrower)[2] == WAD
    assert mocked.position(borrower)[3] == 1_010_204_081_632_653_061
    shares = mocked.positions(borrower).borrow_shares
    with ape.reverts("market: position is healthy"):
        mocked.liquidate(borrower, 0, shares // 2, sender=liquidator)
    with ape.reverts("market: position is healthy"):
        mocked.liquidate(borrower, 1, 0, sender=liquidator)
    # The capped price still guards new borrows and collateral withdrawals.
    with ape.reverts("market: ltv too high"):
        mocked.borrow(1, 0, borrower, borrower, sender=borrower)
    with ape.reverts("market: ltv too high"):
        mocked.withdraw_collateral(1, borrower, borrower, sender=borrower)


def test_health_boundary_is_at_rate(mocked, mock_oracle, borrower, liquidator, units):
    """The lowest rate at which debt <= value x LLTV: healthy there, liquidatable one wei below."""
    collateral, debt, lltv = units(100), units(98), mocked.lltv()
    value = up(debt, WAD, lltv)
    lowest = up(value, ORACLE_SCALE, collateral)
    shares = mocked.positions(borrower).borrow_shares
    mock_oracle.set_prices(lowest, lowest, sender=borrower)
    assert mocked.position(borrower)[3] >= WAD
    with ape.reverts("market: position is healthy"):
        mocked.liquidate(borrower, 0, shares // 10, sender=liquidator)
    # Price stays at the boundary (or even breaks): only the rate decides.
    mock_oracle.set_prices(ORACLE_SCALE, lowest - 1, sender=borrower)
    mock_oracle.set_reverts(True, False, sender=borrower)
    assert mocked.total_borrow_assets() == debt
    tx = mocked.liquidate(borrower, 0, shares // 10, sender=liquidator)
    assert tx.events.filter(mocked.Liquidate)[0].repaid_shares == shares // 10


def test_seize_amount_at_rate_not_price(mocked, mock_oracle, borrower, liquidator, lst, x, units):
    """Rate 0.985 (health 0.995), price capped at 0.95: the liquidator gets collateral worth repaid x
    incentive at the rate, and the rest of the position stays the borrower's (no write-off)."""
    rate = 985 * ORACLE_SCALE // 1_000
    mock_oracle.set_prices(95 * ORACLE_SCALE // 100, rate, sender=borrower)
    assert mocked.position(borrower)[3] < WAD
    shares = mocked.positions(borrower).borrow_shares
    expected = expect(mocked, borrower, rate, repaid_shares=shares // 2)
    before = x.balanceOf(liquidator)
    tx = mocked.liquidate(borrower, 0, shares // 2, sender=liquidator)
    event = check_event(mocked, tx, liquidator, borrower, expected)
    assert event.bad_debt_assets == 0 and mocked.bad_debt_total() == 0
    assert before - x.balanceOf(liquidator) == event.repaid_assets == units(49)
    assert lst.balanceOf(liquidator) == event.seized_assets
    # Worth the repaid debt times the incentive at the rate (at the price it would be 3.7% more collateral).
    fair = units(49) * mocked.liquidation_incentive() // WAD * ORACLE_SCALE // rate
    assert event.seized_assets == fair
    assert event.seized_assets < units(49) * mocked.liquidation_incentive() // WAD * 100 // 95


def test_seize_by_collateral_amount_at_rate(mocked, mock_oracle, borrower, liquidator, units):
    rate = 985 * ORACLE_SCALE // 1_000
    mock_oracle.set_prices(rate, rate, sender=borrower)
    expected = expect(mocked, borrower, rate, seized_assets=units(30))
    tx = mocked.liquidate(borrower, units(30), 0, sender=liquidator)
    event = check_event(mocked, tx, liquidator, borrower, expected)
    assert event.seized_assets == units(30) and event.bad_debt_assets == 0
    # The liquidator pays at least the fair value (rounded up for the market).
    assert event.repaid_assets >= units(30) * rate // ORACLE_SCALE * WAD // mocked.liquidation_incentive()


def test_shortfall_written_off_in_the_same_transaction(
    mocked, mock_oracle, borrower, liquidator, lender, units
):
    """Rate 0.9: collateral worth 90 X against 98 X of debt. After half the debt is liquidated, what is left
    of the collateral is worth less than what is left of the debt: the difference is written off at once."""
    rate = 9 * ORACLE_SCALE // 10
    mock_oracle.set_prices(rate, rate, sender=borrower)
    supply = mocked.total_supply_assets()
    shares = mocked.positions(borrower).borrow_shares
    expected = expect(mocked, borrower, rate, repaid_shares=shares // 2)
    tx = mocked.liquidate(borrower, 0, shares // 2, sender=liquidator)
    event = check_event(mocked, tx, liquidator, borrower, expected)
    assert event.bad_debt_assets > units(8) and event.bad_debt_shares > 0
    assert mocked.bad_debt_total() == event.bad_debt_assets
    assert mocked.total_supply_assets() == supply - event.bad_debt_assets
    assert mocked.totalAssets() == supply - event.bad_debt_assets
    # What the borrower still owes is what the collateral left is worth (a unit under it at most: the
    # write-off goes a unit past the shortfall so that the debt left, rounded up, is never above the value).
    collateral, debt, _, health = mocked.position(borrower)
    value = collateral * rate // ORACLE_SCALE
    assert value - 1 <= debt <= value
    assert collateral > 0 and health < WAD
    # Lenders lost exactly the write-off: 98 X lent out = 49 repaid + bad debt + debt left (to a unit).
    assert abs(event.repaid_assets + event.bad_debt_assets + debt - units(98)) <= 1


def test_dust_left_goes_to_the_liquidator_and_the_rest_is_written_off(
    mocked, mock_oracle, borrower, liquidator, lst, units
):
    rate = 9 * ORACLE_SCALE // 10
    mock_oracle.set_prices(rate, rate, sender=borrower)
    dust = mocked.dust()
    # Leave `dust` LST: worth 0.9 x dust, below the dust threshold.
    seized = units(100) - dust
    expected = expect(mocked, borrower, rate, seized_assets=seized)
    assert expected["seized"] == units(100) and expected["shares_left"] == 0
    tx = mocked.liquidate(borrower, seized, 0, sender=liquidator)
    event = check_event(mocked, tx, liquidator, borrower, expected)
    assert event.seized_assets == units(100)
    assert lst.balanceOf(liquidator) == units(100)
    assert tuple(mocked.positions(borrower)) == (0, 0)
    assert mocked.total_borrow_assets() == 0 and mocked.total_borrow_shares() == 0
    assert mocked.bad_debt_total() == event.bad_debt_assets
    assert event.repaid_assets + event.bad_debt_assets == units(98)


def test_collateral_above_dust_is_not_closed_out(mocked, mock_oracle, borrower, liquidator, units):
    """Collateral left worth the dust threshold stays the borrower's (only the shortfall is written off)."""
    rate = 9 * ORACLE_SCALE // 10
    mock_oracle.set_prices(rate, rate, sender=borrower)
    left = up(mocked.dust(), ORACLE_SCALE, rate)  # worth exactly the dust threshold
    expected = expect(mocked, borrower, rate, seized_assets=units(100) - left)
    tx = mocked.liquidate(borrower, units(100) - left, 0, sender=liquidator)
    check_event(mocked, tx, liquidator, borrower, expected)
    assert mocked.positions(borrower).collateral == left
    assert mocked.positions(borrower).borrow_shares > 0


def test_seizing_all_collateral_writes_off_the_rest(mocked, mock_oracle, borrower, liquidator, lst, units):
    rate = 9 * ORACLE_SCALE // 10
    mock_oracle.set_prices(rate, rate, sender=borrower)
    expected = expect(mocked, borrower, rate, seized_assets=units(100))
    tx = mocked.liquidate(borrower, units(100), 0, sender=liquidator)
    event = check_event(mocked, tx, liquidator, borrower, expected)
    assert event.seized_assets == units(100) == lst.balanceOf(liquidator)
    assert tuple(mocked.positions(borrower)) == (0, 0)
    assert event.repaid_assets + event.bad_debt_assets == units(98)
    fair = up(up(units(100), rate, ORACLE_SCALE), WAD, mocked.liquidation_incentive())
    assert fair <= event.repaid_assets <= fair + 1
    assert mocked.total_borrow_assets() == 0
    with ape.reverts("market: position is healthy"):
        mocked.liquidate(borrower, 1, 0, sender=liquidator)


def test_full_repay_liquidation_leaves_the_rest_to_the_borrower(mocked, mock_oracle, borrower, liquidator):
    rate = 985 * ORACLE_SCALE // 1_000
    mock_oracle.set_prices(rate, rate, sender=borrower)
    shares = mocked.positions(borrower).borrow_shares
    expected = expect(mocked, borrower, rate, repaid_shares=shares)
    tx = mocked.liquidate(borrower, 0, shares, sender=liquidator)
    check_event(mocked, tx, liquidator, borrower, expected)
    assert expected["bad_assets"] == 0 and expected["collateral_left"] > 0
    assert mocked.position(borrower)[1] == 0


def test_liquidation_bad_input(mocked, mock_oracle, borrower, liquidator, units):
    mock_oracle.set_prices(ORACLE_SCALE // 2, ORACLE_SCALE // 2, sender=borrower)
    shares = mocked.positions(borrower).borrow_shares
    with ape.reverts("market: give seized or repaid"):
        mocked.liquidate(borrower, 0, 0, sender=liquidator)
    with ape.reverts("market: give seized or repaid"):
        mocked.liquidate(borrower, 1, 1, sender=liquidator)
    with ape.reverts("market: repay exceeds debt"):
        mocked.liquidate(borrower, 0, shares + 1, sender=liquidator)
    with ape.reverts("market: seize exceeds collateral"):
        mocked.liquidate(borrower, 0, shares, sender=liquidator)


def test_collateral_of_a_position_without_debt_never_asks_the_oracle(
    mocked, mock_oracle, other, post_to, lst, units
):
    post_to(mocked, other, units(10))
    mock_oracle.set_reverts(True, True, sender=other)
    mocked.withdraw_collateral(units(10), other, other, sender=other)
    assert lst.balanceOf(other) == units(10)
    with ape.reverts("oracle: price broken"):
        mocked.borrow(1, 0, other, other, sender=other)
