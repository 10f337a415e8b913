"""Interest is charged to the borrower at every accrual, and anybody may call `accrue_interest`. Rounding each
accrual's interest down hands the borrower the remainder every time: X with 6 decimals, 900 X borrowed at 5%
APR, the review measured 123,296 units of interest for a day accrued once, 122,400 accrued every 12 s (-0.7%)
and 86,400 every 2 s (-29.9%). And a third-order expansion of e^(rt) - 1 left lenders 57.7% short after 10
idle years at 100% utilization (2,266.67% charged vs 5,359.82%).

The defences: interest compounds continuously (`wad_exp`) and the fraction of a unit that an accrual rounds
away is carried to the next one, so accruing every block charges what one accrual does.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import pytest
from boa_system import MAX_UINT, ORACLE_SCALE, WAD, RevmChain, deploy_system

from levstake.deploy import DEFAULT_LLTV, DEFAULT_MAX_LTV, DEFAULT_RESERVE_FACTOR

DAY = 86_400
YEAR = 365 * DAY


def flat_rate_market(system):
    """A market whose rate model answers 5% whatever the utilization: accrued interest moves the utilization,
    and the default curve's rate with it, which would blur what this test measures (rounding)."""
    rate = WAD * 5 // 100
    model = system.chain.deploy(
        "lending/InterestRateModel.vy", rate, rate, rate, WAD * 9 // 10, sender=system.owner
    )
    system.factory.enable_irm(model, sender=system.owner)
    address = system.factory.create_market(
        system.x, system.lst, system.oracle, model, DEFAULT_MAX_LTV, DEFAULT_LLTV, DEFAULT_RESERVE_FACTOR,
        "Flat", "lsXF", sender=system.owner,
    )
    system.market = system.chain.at("lending/LendingMarket.vy", address)
    return system


def lend_and_borrow(system) -> str:
    """1,000 X lent, 900 X borrowed against 2,000 X of LST (90% utilization); returns the borrower."""
    lender = system.chain.generate_address("lender")
    system.mint_x(lender, system.units(1_000))
    system.x.approve(system.market, MAX_UINT, sender=lender)
    system.market.deposit(system.units(1_000), sender=lender)
    borrower = system.chain.generate_address("borrower")
    system.mint_x(borrower, system.units(2_000))
    system.x.approve(system.lst, MAX_UINT, sender=borrower)
    shares = system.lst.deposit(system.units(2_000), sender=borrower)
    system.lst.approve(system.market, MAX_UINT, sender=borrower)
    system.market.supply_collateral(shares, borrower, sender=borrower)
    system.market.borrow(system.units(900), 0, borrower, borrower, sender=borrower)
    return borrower


@pytest.fixture(scope="module")
def world(decimals):
    """1,000 X lent, 900 X borrowed at 5% APR (90% utilization), on the default curve."""
    system = deploy_system(decimals, RevmChain())
    return system, lend_and_borrow(system)


def interest_over(system, seconds: int, step: int) -> int:
    market = system.market
    before = market.total_borrow_assets()
    with system.chain.anchor():
        for _ in range(seconds // step):
            system.chain.time_travel(step)
            market.accrue_interest()
        return market.total_borrow_assets() - before


@pytest.fixture(scope="module")
def flat(decimals):
    system = flat_rate_market(deploy_system(decimals, RevmChain()))
    lend_and_borrow(system)
    return system


@pytest.mark.parametrize("step, period", [(12, DAY), (2, 3_600)])
def test_accruing_every_block_charges_what_one_accrual_does(flat, step: int, period: int) -> None:
    """Every 12 s for a day (7,200 accruals), or every 2 s (anybody may call) for an hour."""
    system = flat
    once = interest_over(system, period, period)
    with localcontext() as context:  # vyper forbids changing the global decimal context
        context.prec = 60
        exact = Decimal(system.units(900)) * (Decimal(period) / YEAR / 20).exp() - system.units(900)
    assert abs(once - exact) <= 1, f"one accrual {once} vs continuous {exact:.1f}"
    assert abs(interest_over(system, period, step) - once) <= 1


def test_ten_idle_years_at_full_utilization_compound_continuously(world) -> None:
    system, borrower = world
    market = system.market
    with system.chain.anchor():
        # Borrow the rest of the idle X: 100% utilization, 40% APR, then nobody touches the market.
        idle = market.total_supply_assets() - market.total_borrow_assets()
        collateral = market.positions(borrower)[0]
        room = collateral * system.oracle.price() // ORACLE_SCALE * market.max_ltv() // WAD
        assert room >= market.total_borrow_assets() + idle
        market.borrow(idle, 0, borrower, borrower, sender=borrower)
        debt = market.total_borrow_assets()
        apr = market.market_state()[3]
        assert apr == WAD * 40 // 100
        system.chain.time_travel(10 * YEAR)
        market.accrue_interest()
        charged = market.total_borrow_assets() - debt
        exact = debt * (math.exp(4) - 1)
        assert abs(charged - exact) / exact < 1e-9, f"charged {charged / debt:.4%} vs {math.exp(4) - 1:.4%}"
