"""Lending unit tests: extra markets created through the factory with test-only rate models and oracles,
and helpers to lend and post collateral in them (the integer math lives in lending_math.py)."""

from __future__ import annotations

import pytest
from lending_math import ORACLE_SCALE, WAD

from levstake.deploy import DEFAULT_LLTV, DEFAULT_MAX_LTV


@pytest.fixture(scope="module")
def switch_irm(project, owner):
    """A rate model answering a constant 20% a year (whatever the utilization), switchable to misbehave."""
    return owner.deploy(project.MockSwitchableRateModel, WAD // 5)


@pytest.fixture(scope="module")
def mock_oracle(project, owner):
    """An oracle whose price() and rate() the test sets; both start at 1 X per LST."""
    return owner.deploy(project.MockSettableOracle, ORACLE_SCALE, ORACLE_SCALE)


@pytest.fixture(scope="module")
def create_market(project, factory, owner, x, lst):
    """Create a market through the factory (enabling its rate model, oracle and pair first if needed)."""

    def create(irm, oracle, max_ltv=DEFAULT_MAX_LTV, lltv=DEFAULT_LLTV, reserve_factor=0):
        if not factory.is_irm_enabled(irm):
            factory.enable_irm(irm, sender=owner)
        if not factory.is_oracle_enabled(oracle, lst):
            factory.enable_oracle(oracle, lst, sender=owner)
        if not factory.is_pair_allowed(max_ltv, lltv):
            factory.set_pair_allowed(max_ltv, lltv, True, sender=owner)
        tx = factory.create_market(
            x, lst, oracle, irm, max_ltv, lltv, reserve_factor, "Test market", "tm", sender=owner
        )
        return project.LendingMarket.at(tx.events.filter(factory.MarketCreated)[0].market)

    return create


@pytest.fixture(scope="module")
def lend_to(fund):
    """Fund `account` with X and deposit it into `market`."""

    def lend(market, account, amount: int) -> None:
        fund(account, amount, spender=market)
        market.deposit(amount, account, sender=account)

    return lend


@pytest.fixture(scope="module")
def post_to(lst, stake):
    """Stake `amount` of X for `account` and supply all the LST to `market` as collateral.

    Returns the LST shares posted.
    """

    def post(market, account, amount: int) -> int:
        shares = stake(account, amount)
        lst.approve(market, 2**256 - 1, sender=account)
        market.supply_collateral(shares, account, sender=account)
        return shares

    return post
