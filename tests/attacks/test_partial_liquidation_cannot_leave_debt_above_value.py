"""
A partial liquidation of a position under water writes the shortfall off at once. Written off rounded down, it
left the debt (rounded up) a wei above the collateral's value at the liquidation rate, and that wei stayed
through every later partial liquidation: a position the market says owes more than it holds (found by the
whole-system fuzz, x18: two unreported slashes, then 1 bp of a 50x position's shares liquidated).

Here a maxed-out position accrues for a while (the borrow-share price is no round ratio then), a slash puts it
under water, and it is liquidated a sliver at a time: after every write-off the debt left is at most what the
collateral left is worth.
"""

import pytest

WAD = 10**18
ORACLE_SCALE = 10**36
SLIVERS = 12


@pytest.fixture
def slashed_below_its_debt(market, oracle, lst, validator, owner, borrower, other, warp, maxed):
    # Interest makes the borrow-share price an irregular ratio; the slash leaves the debt above the value.
    warp(3 * 86_400 + 7_777)
    market.accrue_interest(sender=other)
    validator.slash(lst, 430, sender=owner)
    collateral, debt, _, _ = market.position(borrower)
    assert collateral * oracle.rate() // ORACLE_SCALE < debt


def test_partial_liquidation_cannot_leave_debt_above_value(
    market, oracle, borrower, liquidator, fund, units, slashed_below_its_debt
):
    fund(liquidator, units(1_000), spender=market)
    written_off = 0
    for sliver in range(1, SLIVERS + 1):
        shares = market.positions(borrower).borrow_shares
        if shares == 0:
            break
        tx = market.liquidate(borrower, 0, max(shares * sliver // 10_000, 1), sender=liquidator)
        written_off += tx.events.filter(market.Liquidate)[0].bad_debt_assets > 0
        collateral, debt, _, _ = market.position(borrower)
        value = collateral * oracle.rate() // ORACLE_SCALE
        assert debt <= value, f"liquidation {sliver} left {debt} of debt on collateral worth {value}"
    # The first liquidation writes the shortfall off; what is left is worth its debt, so nothing more is.
    assert written_off >= 1
