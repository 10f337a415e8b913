"""Fixtures for the router: a market with liquidity and a user who authorized the router."""

from __future__ import annotations

import pytest

WAD = 10**18
ORACLE_SCALE = 10**36
LIQUIDITY = 10_000_000
HOUR = 3_600


# `liquidity` and `ready` are module-scoped: built once per module and decimals, each test's changes undone
# by Ape's isolation. test_router_open.py asks for a function-scoped `authorized` instead of `ready`: two of
# its tests start from a leverager who has not authorized the router.
@pytest.fixture(scope="module")
def liquidity(lend, lender, units):
    lend(lender, units(LIQUIDITY))


@pytest.fixture(scope="session")
def authorize_router(fund, router, market, leverager, units):
    """Gives the leverager X approved to the router and has it authorize the router on the market."""

    def authorize() -> None:
        fund(leverager, units(1_000_000), spender=router)
        market.set_authorization(router, True, sender=leverager)

    return authorize


@pytest.fixture(scope="module")
def ready(authorize_router, liquidity):
    """The leverager holds X approved to the router and has authorized the router on the market."""
    authorize_router()


@pytest.fixture
def opened(router, market, leverager, units, ready, deadline):
    """A 10x position on 1,000 X: 10,000 X of collateral (all of it in the LST's buffer), 9,000 X of debt."""
    router.open(market, units(1_000), 10 * WAD, 0, deadline(), sender=leverager)


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
    """
    Asserts the router holds no X, LST or market shares (invariant 4) and has no allowance left to the LST
    or the market for either token (no lasting approvals).
    """

    def check() -> None:
        for token in (x, lst, market):
            assert token.balanceOf(router) == 0
        for token in (x, lst):
            for spender in (lst, market):
                assert token.allowance(router, spender) == 0, (token, spender)

    return check


@pytest.fixture
def buffer_at(lst, staker, stake):
    """
    Leaves the LST's buffer at `level` of X: `rebalance` first brings it down to the target (the rest goes to
    the backend), then a staker's deposit tops it up. `level` below the target is refused.
    """

    def set_level(level: int) -> None:
        lst.rebalance(sender=staker)
        missing = level - lst.buffer()
        assert missing >= 0, "the buffer is above that level after rebalance"
        if missing:
            stake(staker, missing)
        assert lst.buffer() == level

    return set_level


@pytest.fixture
def before(chain):
    """Reads a view as it was just before `tx` (the state the transaction started from)."""

    def read(view, tx, *args):
        return view(*args, block_id=tx.block_number - 1)

    return read


@pytest.fixture
def matured_unbonding(lst, validator, staker, stake, units, warp, opened):
    """
    The 10x position, in an LST whose buffer (500 X) cannot even cover its debt while about 17,500 X of
    matured unbonding waits at the backend for somebody to pull it (`process_queue` / `rebalance`).
    """
    stake(staker, units(190_000))
    lst.rebalance(sender=staker)
    lst.withdraw(lst.buffer() - units(500), staker, staker, sender=staker)
    lst.rebalance(sender=staker)
    warp(validator.unbonding_delay() + 1)
    assert lst.buffer() == units(500)
    assert validator.withdrawable(lst) > units(17_000)
