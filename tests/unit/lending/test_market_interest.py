"""Interest: continuous compounding (e^(apr t) - 1), the carried remainder, accrual frequency does not matter,
long idle gaps, idle time never charged, reserve factor."""

import math
import os

import ape
from lending_math import (
    DAY,
    ORACLE_SCALE,
    WAD,
    YEAR,
    assert_interest_close,
    exact_growth,
    small_growth,
    to_assets_up,
)

# Accruals of the "every block" test: 12 minutes of blocks (60) on Ape's in-process chain, where each costs
# ~0.1 s; LEVSTAKE_ACCRUAL_STEPS=7200 runs a day. The day (7,200 accruals) and an hour of 2 s accruals run
# on revm in tests/attacks/test_interest_never_rounds_toward_borrowers.py.
ACCRUAL_STEPS = int(os.environ.get("LEVSTAKE_ACCRUAL_STEPS", "60"))
BLOCK = 12
# A yearly rate whose 12 s exponent is exact in WAD: 0.31536 x 12 / 31,536,000 = 1.2e-7.
APR_EXACT_12S = 315_360_000_000_000_000
EXPONENT_12S = 120_000_000_000
# The market's growth for that exponent, at its 1e36 scale (Taylor terms, never below e^x - 1).
GROWTH_12S = small_growth(EXPONENT_12S * WAD)


def test_interest_compounds_continuously_over_a_year(
    market, irm, borrower, lender, lend, post_collateral, units, warp
):
    lend(lender, units(1_000))
    post_collateral(borrower, units(1_000))
    market.borrow(units(900), 0, borrower, borrower, sender=borrower)
    borrowed = market.total_borrow_assets()
    apr = irm.borrow_apr(borrowed * WAD // market.total_supply_assets())
    assert apr == 5 * WAD // 100  # at the kink
    start = market.last_update()
    warp(YEAR)
    tx = market.accrue_interest(sender=lender)
    elapsed = tx.timestamp - start
    event = tx.events.filter(market.AccrueInterest)[0]
    interest = market.total_borrow_assets() - borrowed
    assert event.interest == interest
    assert event.borrow_rate == apr and market.last_borrow_apr() == apr
    assert market.total_supply_assets() == units(1_000) + interest
    assert_interest_close(interest, borrowed, apr, elapsed)
    # 5% a year compounds continuously to e^0.05 - 1 (a 3-term Taylor expansion is 2.6e-7 short of it).
    assert abs(interest / borrowed - math.expm1(0.05 * elapsed / YEAR)) < 1e-9
    assert 0 <= market.interest_remainder() < ORACLE_SCALE


def test_growth_constant_is_wad_exp():
    assert APR_EXACT_12S * BLOCK // YEAR == EXPONENT_12S
    assert APR_EXACT_12S * BLOCK % YEAR == 0
    exact = exact_growth(EXPONENT_12S) * ORACLE_SCALE
    assert exact <= GROWTH_12S <= exact + 9


def test_interest_remainder_is_carried(
    switch_irm, oracle, create_market, lend_to, post_to, borrower, lender, chain, units, decimals
):
    """A debt whose interest per block is a fraction of a unit still pays it: the fraction is carried."""
    switch_irm.set_apr(APR_EXACT_12S, sender=lender)
    market = create_market(switch_irm, oracle)
    lend_to(market, lender, units(1_000))
    post_to(market, borrower, units(100))
    tx = market.borrow(units(5), 0, borrower, borrower, sender=borrower)
    debt, remainder, timestamp = units(5), 0, tx.timestamp
    charged_without_carry = 0
    for _ in range(8):
        timestamp += BLOCK
        chain.pending_timestamp = timestamp
        tx = market.accrue_interest(sender=lender)
        assert tx.timestamp == timestamp
        charged_without_carry += debt * GROWTH_12S // ORACLE_SCALE
        carried = debt * GROWTH_12S + remainder
        debt, remainder = debt + carried // ORACLE_SCALE, carried % ORACLE_SCALE
        assert market.total_borrow_assets() == debt
        assert market.interest_remainder() == remainder
    if decimals == 6:
        # 0.6 of a unit per block: dropping the fraction would have charged nothing at all.
        assert charged_without_carry == 0
        assert debt == units(5) + 4


def test_accruing_every_block_equals_one_accrual(
    switch_irm, oracle, create_market, lend_to, post_to, borrower, lender, chain, units, decimals
):
    """Accruing every 12 s charges what one accrual over the same time does (constant 20% model, so that the
    utilization drift of a curve does not enter the comparison)."""
    market = create_market(switch_irm, oracle)
    lend_to(market, lender, units(1_000))
    post_to(market, borrower, units(1_000))
    tx = market.borrow(units(900), 0, borrower, borrower, sender=borrower)
    start = tx.timestamp
    snapshot = chain.snapshot()
    timestamp = start
    for _ in range(ACCRUAL_STEPS):
        timestamp += BLOCK
        chain.pending_timestamp = timestamp
        market.accrue_interest(sender=lender)
    assert market.last_update() == timestamp
    every_block = market.total_borrow_assets()
    chain.restore(snapshot)
    chain.pending_timestamp = timestamp
    market.accrue_interest(sender=lender)
    once = market.total_borrow_assets()
    assert once > units(900)
    if decimals == 6:
        assert abs(every_block - once) <= 1
    else:
        # Each accrual rounds its growth up by one wei of WAD (and floors its exponent by less than one):
        # at most 901 wei (900e18 / 1e18 + 1) per accrual, 5.4e-14 X over 60 accruals.
        assert abs(every_block - once) <= ACCRUAL_STEPS * (units(900) // WAD + 1) + 1
    assert_interest_close(once - units(900), units(900), WAD // 5, timestamp - start)


def test_ten_idle_years_at_full_utilization(
    market, irm, borrower, lender, lend, post_collateral, units, warp
):
    """Nobody touches a fully utilized market (40% a year) for ten years: the debt grows by e^4 - 1."""
    lend(lender, units(1_000))
    post_collateral(borrower, units(1_100))
    market.borrow(units(1_000), 0, borrower, borrower, sender=borrower)
    assert market.market_state()[2] == WAD
    assert market.market_state()[3] == 40 * WAD // 100
    start = market.last_update()
    warp(10 * YEAR)
    tx = market.accrue_interest(sender=lender)
    interest = market.total_borrow_assets() - units(1_000)
    assert tx.events.filter(market.AccrueInterest)[0].interest == interest
    assert_interest_close(interest, units(1_000), 40 * WAD // 100, tx.timestamp - start)
    assert abs(interest / units(1_000) / math.expm1(4) - 1) < 1e-6
    assert market.total_supply_assets() == units(1_000) + interest
    # The borrower owes all of it but the virtual shares' part (debt rounded up).
    shares = market.positions(borrower).borrow_shares
    assert market.position(borrower)[1] == to_assets_up(shares, market.total_borrow_assets(), shares)


def test_idle_time_is_never_charged(market, irm, borrower, lender, lend, post_collateral, units, warp, chain):
    lend(lender, units(1_000))
    tx = market.accrue_interest(sender=lender)
    assert market.last_update() == tx.timestamp
    # A year with nobody borrowing and nobody accruing: the borrow that ends it starts from zero.
    warp(YEAR)
    post_collateral(borrower, units(100))
    tx = market.borrow(units(50), 0, borrower, borrower, sender=borrower)
    assert market.last_update() == tx.timestamp
    assert market.total_borrow_assets() == units(50)
    assert market.position(borrower)[1] == units(50)
    # A day later the debt carries one day of interest, not a year and a day.
    warp(DAY)
    apr = irm.borrow_apr(units(50) * WAD // units(1_000))
    elapsed = chain.blocks.head.timestamp - tx.timestamp
    pending = market.market_state()[1] - units(50)
    assert_interest_close(pending, units(50), apr, elapsed)
    assert pending < units(50) * apr * 2 * DAY // (WAD * YEAR)


def test_idle_time_after_full_repayment_is_never_charged(
    market, borrower, lender, lend, post_collateral, fund, units, warp
):
    lend(lender, units(1_000))
    post_collateral(borrower, units(100))
    market.borrow(units(50), 0, borrower, borrower, sender=borrower)
    warp(DAY)
    fund(borrower, units(1), spender=market)
    market.repay(0, market.positions(borrower).borrow_shares, borrower, sender=borrower)
    assert market.total_borrow_assets() == 0 and market.total_borrow_shares() == 0
    supply = market.total_supply_assets()
    warp(YEAR)
    tx = market.borrow(units(50), 0, borrower, borrower, sender=borrower)
    assert not tx.events.filter(market.AccrueInterest)
    assert market.total_supply_assets() == supply
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
    assert event.fee_shares > 0
    assert market.balanceOf(treasury) == event.fee_shares
    assert market.totalSupply() == market.balanceOf(lender) + event.fee_shares
    fee_value = market.convertToAssets(event.fee_shares)
    assert abs(fee_value - event.interest // 10) <= 2


def test_views_include_pending_interest(market, borrower, lender, lend, post_collateral, units, warp):
    lend(lender, units(1_000))
    post_collateral(borrower, units(1_000))
    market.borrow(units(500), 0, borrower, borrower, sender=borrower)
    warp(YEAR // 12)
    preview = market.previewRedeem(market.balanceOf(lender))
    supply, borrowed = market.market_state()[:2]
    debt = market.position(borrower)[1]
    assert preview > units(1_000) and debt > units(500)
    assert market.totalAssets() == supply
    shares = market.positions(borrower).borrow_shares
    assert debt == to_assets_up(shares, borrowed, shares)
    tx = market.accrue_interest(sender=lender)
    # The chain moved on by one second; the views were exact for their own block.
    assert market.total_borrow_assets() >= borrowed
    assert tx.events.filter(market.AccrueInterest)[0].interest == market.total_borrow_assets() - units(500)
    with ape.reverts("market: insufficient liquidity"):
        market.redeem(market.balanceOf(lender), lender, lender, sender=lender)
