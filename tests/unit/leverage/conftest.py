"""Fixtures for the router: a market with liquidity and a user who authorized the router."""

from __future__ import annotations

import pytest

WAD = 10**18
ORACLE_SCALE = 10**36
LIQUIDITY = 10_000_000
HOUR = 3_600


@pytest.fixture
def liquidity(lend, lender, units):
    lend(lender, units(LIQUIDITY))


@pytest.fixture
def ready(fund, router, market, leverager, units, liquidity):
    """The leverager holds X approved to the router and has authorized the router on the market."""
    fund(leverager, units(1_000_000), spender=router)
    market.set_authorization(router, True, sender=leverager)


@pytest.fixture
def deadline(chain):
    def later(seconds: int = HOUR) -> int:
        return chain.pending_timestamp + seconds

    return later


@pytest.fixture
def leverage_of(market, oracle):
    """(leverage WAD, value, debt) of `user`'s position at the oracle price (or at `price`)."""

    def measure(user, price: int | None = None) -> tuple[int, int, int]:
        collateral, debt, _, _ = market.position(user)
        value = collateral * (price or oracle.price()) // ORACLE_SCALE
        return value * WAD // (value - debt), value, debt

    return measure


@pytest.fixture
def router_is_empty(router, x, lst, market):
    """Asserts the router holds no X, LST or market shares (invariant 4)."""

    def check() -> None:
        for token in (x, lst, market):
            assert token.balanceOf(router) == 0

    return check
