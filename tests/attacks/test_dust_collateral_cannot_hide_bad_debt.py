"""A liquidator seizes all but one wei of an underwater position's collateral. If the write-off waited for the
collateral to be exactly zero, the shortfall would stay on the books as a live debt; a lender who sees it
coming withdraws in full, and the next one-wei liquidation writes the loss off against the lenders who stayed.
The review's run (X with 6 decimals, a 5% slash, health 0.96969): lender A withdrew 50,000 X in full and
lender B was left with 49,085.40 X for 50,000.

The defence: after every liquidation, collateral worth less than `dust` goes with the seized collateral and
the rest of the debt is written off; collateral worth less than the debt left has the shortfall written off.
Both in the same transaction, before anybody can withdraw.
"""

from __future__ import annotations

import pytest
from boa_system import MAX_UINT, ORACLE_SCALE, WAD, RevmChain, deploy_system, router_user

SLASH_BPS = 500


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    lenders = []
    for name in ("lender_a", "lender_b"):
        lender = system.chain.generate_address(name)
        system.mint_x(lender, system.units(50_000))
        system.x.approve(system.market, MAX_UINT, sender=lender)
        system.market.deposit(system.units(50_000), sender=lender)
        lenders.append(lender)
    borrower = router_user(system, "borrower", 800)
    system.router.open(system.market, system.units(800), 50 * WAD, 0, 2**64, sender=borrower)
    system.lst.rebalance()
    system.validator.slash(system.lst, SLASH_BPS, sender=system.owner)
    liquidator = system.chain.generate_address("liquidator")
    system.mint_x(liquidator, system.units(1_000_000))
    system.x.approve(system.market, MAX_UINT, sender=liquidator)
    return system, lenders, borrower, liquidator


def shortfall(system, borrower) -> int:
    collateral, debt, _, _ = system.market.position(borrower)
    value = collateral * system.oracle.rate() // ORACLE_SCALE
    return debt - value * WAD // system.market.liquidation_incentive()


def test_seizing_all_but_one_wei_writes_the_shortfall_off_at_once(world) -> None:
    system, (lender_a, lender_b), borrower, liquidator = world
    market = system.market
    with system.chain.anchor():
        assert market.position(borrower)[3] < WAD, "the slash made the position liquidatable"
        expected = shortfall(system, borrower)
        assert expected > 0, "the collateral cannot cover the debt: there is bad debt to write off"
        collateral, _ = market.positions(borrower)
        market.liquidate(borrower, collateral - 1, 0, sender=liquidator)
        assert market.positions(borrower) == (0, 0), "the dust went with the seized collateral"
        written_off = market.bad_debt_total()
        assert abs(written_off - expected) <= system.units(1) // 100
        # Lender A leaves at once: it already bears its half of the loss.
        withdrawable = market.maxWithdraw(lender_a)
        assert withdrawable < system.units(50_000) - written_off * 49 // 100
        market.redeem(market.balanceOf(lender_a), sender=lender_a)
        # Lender B is left with the same as A got, not with A's half of the loss too.
        left_for_b = market.convertToAssets(market.balanceOf(lender_b))
        assert abs(left_for_b - withdrawable) <= 2
        assert left_for_b >= system.units(50_000) - written_off // 2 - system.units(1) // 100


def test_collateral_worth_less_than_the_debt_left_is_written_down_to_it(world) -> None:
    """A partial liquidation that leaves real collateral but less than the debt: the shortfall goes now."""
    system, _, borrower, liquidator = world
    market = system.market
    with system.chain.anchor():
        collateral, _ = market.positions(borrower)
        market.liquidate(borrower, collateral * 9 // 10, 0, sender=liquidator)
        left_collateral, debt, _, _ = market.position(borrower)
        value = left_collateral * system.oracle.rate() // ORACLE_SCALE
        assert market.bad_debt_total() > 0
        assert value - 1 <= debt <= value, "the debt left is what the collateral left is worth"
        # The rest is still liquidatable, and a later liquidation writes nothing off twice.
        before = market.bad_debt_total()
        remaining, _ = market.positions(borrower)
        market.liquidate(borrower, remaining, 0, sender=liquidator)
        assert market.positions(borrower) == (0, 0)
        # Seizing the rest at the incentive leaves only the incentive's share of it unpaid.
        assert market.bad_debt_total() - before <= value * (market.liquidation_incentive() - WAD) // WAD + 2


def test_a_healthy_liquidation_writes_nothing_off(world) -> None:
    """A position below the line but with collateral worth more than its debt loses no lender money."""
    system, _, _, liquidator = world
    market = system.market
    other = router_user(system, "other", 100)
    with system.chain.anchor():
        system.router.open(market, system.units(100), 50 * WAD, 0, 2**64, sender=other)
        system.validator.slash(system.lst, 150, sender=system.owner)
        assert market.position(other)[3] < WAD
        before = market.bad_debt_total()
        _, shares = market.positions(other)
        market.liquidate(other, 0, shares // 2, sender=liquidator)
        assert market.bad_debt_total() == before
