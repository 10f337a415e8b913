"""A liquidator bot that sizes by collateral amount must be able to seize everything a written-down position
has left. The fifth review (issue 26) found that at 6 decimals, after a liquidation had written a position's
shortfall off (its debt left equal to its collateral's worth), seizing all the remaining collateral by amount
reverted `market: repay exceeds debt`: the repayment was rounded up twice (collateral value, then value over
the incentive) and once more into shares, which outgrew the position's debt when it is a few hundred units (by
shares it worked). Reproduced here before the fix: 18 of 222 leftovers just above the dust threshold got stuck
(116 units of collateral worth 110, debt 110: the seize by amount asked to repay 111).

The defence: the repayment for a seized amount is rounded up once, and when the position's whole debt pays it
within two units, exactly that debt is repaid (two since the write-off goes a unit below the collateral's
worth, so that the debt left never exceeds it: `test_partial_liquidation_cannot_leave_debt_above_value.py`). A
liquidator never gets more than the nominal incentive beyond two units of X, and the health rule is unchanged.
"""

from __future__ import annotations

import pytest
from boa_system import MAX_UINT, ORACLE_SCALE, WAD, RevmChain, attempt, deploy_system, lend, router_user

SLASH_BPS = 500
LEFTOVERS = 60


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    lend(system, 100_000)
    borrower = router_user(system, "borrower", 800)
    system.router.open(system.market, system.units(800), 50 * WAD, 0, 2**64, sender=borrower)
    system.lst.rebalance()
    system.validator.slash(system.lst, SLASH_BPS, sender=system.owner)
    liquidator = system.chain.generate_address("liquidator")
    system.mint_x(liquidator, system.units(10_000_000))
    system.x.approve(system.market, MAX_UINT, sender=liquidator)
    return system, borrower, liquidator


def test_seizing_everything_left_after_a_write_off_by_amount_succeeds(world, decimals) -> None:
    system, borrower, liquidator = world
    market = system.market
    dust = market.dust()
    collateral, _ = market.positions(borrower)
    tried = 0
    for step in range(LEFTOVERS):
        # Leftovers from just above the dust threshold up to about four times it.
        keep = dust * (100 + 5 * step) // 100 + step
        with system.chain.anchor():
            if attempt(market.liquidate, borrower, collateral - keep, 0, sender=liquidator)[1] is not None:
                continue
            left, shares = market.positions(borrower)
            if shares == 0 or left == 0:
                continue
            assert market.bad_debt_total() > 0, "the first liquidation wrote the shortfall off"
            tried += 1
            rate = system.oracle.rate()
            result, reason = attempt(market.liquidate, borrower, left, 0, sender=liquidator)
            assert reason is None, f"seizing the last {left} units by amount failed ({reason})"
            seized, repaid = result
            assert seized == left
            # Never more than the nominal incentive beyond two units of X.
            incentive = market.liquidation_incentive()
            assert (repaid + 2) * ORACLE_SCALE * incentive >= seized * rate * WAD, (
                "the liquidator was overpaid"
            )
    assert tried >= LEFTOVERS // 2


@pytest.fixture(scope="module")
def mildly_slashed(decimals):
    """A 50x position a 1.5% slash takes just below health 1: its collateral is still worth more than its debt
    times the incentive."""
    system = deploy_system(decimals, RevmChain())
    lend(system, 100_000)
    borrower = router_user(system, "borrower", 800)
    system.router.open(system.market, system.units(800), 50 * WAD, 0, 2**64, sender=borrower)
    system.lst.rebalance()
    system.validator.slash(system.lst, 150, sender=system.owner)
    liquidator = system.chain.generate_address("liquidator")
    system.mint_x(liquidator, system.units(10_000_000))
    system.x.approve(system.market, MAX_UINT, sender=liquidator)
    return system, borrower, liquidator


def test_collateral_worth_more_than_the_debt_with_incentive_cannot_all_be_seized(mildly_slashed) -> None:
    """The one-unit allowance is for rounding only: all of a position's collateral is never sold for its debt
    when that collateral is worth more than the debt times the incentive."""
    system, borrower, liquidator = mildly_slashed
    market = system.market
    collateral, debt, _, health = market.position(borrower)
    assert health < WAD
    value = collateral * system.oracle.rate() // ORACLE_SCALE
    assert value * WAD > debt * market.liquidation_incentive() + system.units(1)
    with system.chain.anchor():
        _, reason = attempt(market.liquidate, borrower, collateral, 0, sender=liquidator)
        assert reason == "market: repay exceeds debt"
