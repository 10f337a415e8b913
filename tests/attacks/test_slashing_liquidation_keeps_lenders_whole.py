"""
A slashing makes a maxed-out position liquidatable. Liquidation must keep lenders whole while the collateral
covers the debt, and write off only the true shortfall (debt - collateral value / incentive) when it does not.
"""

import ape

WAD = 10**18
ORACLE_SCALE = 10**36


def test_healthy_position_cannot_be_liquidated(market, borrower, liquidator, maxed):
    assert market.position(borrower)[3] >= WAD
    shares = market.positions(borrower).borrow_shares
    with ape.reverts("market: position is healthy"):
        market.liquidate(borrower, 0, shares // 2, sender=liquidator)


def test_price_swing_cannot_liquidate(market, lst, borrower, liquidator, attacker, maxed, fund, x, units):
    """Market-price moves do not exist for this oracle; donations to the LST do not move its rate."""
    fund(attacker, units(10_000))
    x.transfer(lst, units(10_000), sender=attacker)
    assert market.position(borrower)[3] >= WAD


def test_slash_then_partial_liquidation(
    market, oracle, lst, validator, owner, borrower, liquidator, maxed, fund, units
):
    validator.slash(lst, 200, sender=owner)  # 2% of the stake
    assert market.position(borrower)[3] < WAD
    fund(liquidator, units(1_000), spender=market)
    shares = market.positions(borrower).borrow_shares
    repay_shares = shares // 2
    tx = market.liquidate(borrower, 0, repay_shares, sender=liquidator)
    event = tx.events.filter(market.Liquidate)[0]
    price = oracle.price()
    # Seized collateral is worth the repaid debt times the incentive (rounded down).
    value = event.seized_assets * price // ORACLE_SCALE
    incentive = market.liquidation_incentive()
    assert value <= event.repaid_assets * incentive // WAD
    assert value >= event.repaid_assets * incentive // WAD - units(1) // 10**4
    assert lst.balanceOf(liquidator) == event.seized_assets
    assert event.bad_debt_assets == 0


def test_liquidation_after_slash_keeps_lenders_whole(
    market, lst, validator, owner, borrower, liquidator, maxed, fund, units
):
    validator.slash(
        lst, 150, sender=owner
    )  # 1.5%: past LLTV, but the collateral still covers debt x incentive
    assert market.position(borrower)[3] < WAD
    fund(liquidator, units(1_000), spender=market)
    market.accrue_interest(sender=liquidator)
    lenders_before = market.total_supply_assets()
    tx = market.liquidate(borrower, 0, market.positions(borrower).borrow_shares, sender=liquidator)
    event = tx.events.filter(market.Liquidate)[0]
    assert event.bad_debt_assets == 0
    assert market.bad_debt_total() == 0
    assert market.positions(borrower).borrow_shares == 0
    assert market.positions(borrower).collateral > 0  # what is left stays the borrower's
    # Lenders lose nothing (they only gain the last second of interest).
    assert market.total_supply_assets() >= lenders_before
    assert market.total_borrow_assets() == 0


def test_liquidation_incentive_formula(market):
    lltv = market.lltv()
    expected = min(115 * WAD // 100, WAD * WAD // (WAD - 3 * WAD // 10 * (WAD - lltv) // WAD))
    assert market.liquidation_incentive() == expected
    assert 1_003_000_000_000_000_000 <= expected <= 1_003_010_000_000_000_000


def test_heavy_slash_writes_off_only_the_shortfall(
    market, oracle, lst, validator, owner, borrower, liquidator, lender, maxed, fund, units
):
    validator.slash(lst, 5_000, sender=owner)  # half the stake: collateral no longer covers the debt
    fund(liquidator, units(1_000), spender=market)
    supply_before = market.totalAssets()
    collateral = market.positions(borrower).collateral
    market.accrue_interest(sender=liquidator)
    debt_before = market.total_borrow_assets()  # the only borrower
    value = collateral * oracle.price() // ORACLE_SCALE
    tx = market.liquidate(borrower, collateral, 0, sender=liquidator)
    event = tx.events.filter(market.Liquidate)[0]
    assert event.bad_debt_assets > 0
    # The liquidator paid for all the collateral at the incentive; only the rest of the debt is written off.
    # (Four roundings, each up, in the market's favour.)
    fair = value * WAD // market.liquidation_incentive()
    assert fair <= event.repaid_assets <= fair + 4
    assert debt_before <= event.repaid_assets + event.bad_debt_assets <= debt_before + units(1) // 10**5
    assert market.positions(borrower).collateral == 0
    assert market.positions(borrower).borrow_shares == 0
    assert market.bad_debt_total() == event.bad_debt_assets
    # Lenders carry the shortfall that was not repaid (plus a few seconds of interest earned before it).
    assert supply_before - event.bad_debt_assets <= market.totalAssets()
    assert market.totalAssets() <= supply_before - event.bad_debt_assets + units(1) // 10**5
    assert market.total_borrow_assets() == 0


def test_liquidation_bad_input(market, borrower, liquidator, maxed):
    with ape.reverts("market: give seized or repaid"):
        market.liquidate(borrower, 0, 0, sender=liquidator)
