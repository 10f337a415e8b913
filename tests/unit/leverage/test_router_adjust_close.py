"""Moving a position up and down, closing it to X or to LST, and the classic loop."""

import ape
import pytest

WAD = 10**18


@pytest.fixture
def opened(router, market, leverager, units, ready, deadline):
    """A 10x position on 1,000 X."""
    router.open(market, units(1_000), 10 * WAD, 0, deadline(), sender=leverager)


@pytest.mark.parametrize("target", [2, 5, 20, 50])
@pytest.mark.parametrize("idle_days", [0, 30], ids=["fresh", "month-old"])
def test_adjust_moves_to_target(
    router, market, oracle, leverager, opened, deadline, leverage_of, router_is_empty, target, idle_days, warp
):
    if idle_days:  # the oracle's last snapshot is old, as on a live chain: its growth cap no longer binds
        warp(idle_days * 86_400)
    # The router sizes at the oracle price of the block. Going down, the instant-unstake fee it pays stays
    # with stakers and lifts the LST's rate, which the oracle follows as far as its growth cap allows (the
    # older its last snapshot, the further). So the landing is measured at the price the router used.
    price = oracle.price()
    tx = router.adjust(market, target * WAD, 0, deadline(), sender=leverager)
    measured, _, _ = leverage_of(leverager, price)
    _, value, debt = leverage_of(leverager)
    assert abs(measured - target * WAD) <= target * WAD // 10**6
    assert debt * WAD <= value * market.max_ltv()
    event = tx.events.filter(router.Adjusted)[0]
    assert event.target_leverage == target * WAD and event.debt_after == debt
    router_is_empty()


def test_adjust_down_to_1x_repays_all_debt(router, market, x, leverager, opened, deadline, router_is_empty):
    router.adjust(market, WAD, 0, deadline(), sender=leverager)
    assert market.positions(leverager)[1] == 0
    router_is_empty()


def test_adjust_slippage_bound(router, market, leverager, opened, deadline, leverage_of):
    _, value, debt = leverage_of(leverager)
    # Unstaking instantly costs a fee: the equity cannot stay whole.
    with ape.reverts("router: slippage"):
        router.adjust(market, 2 * WAD, value - debt, deadline(), sender=leverager)


def test_adjust_above_max_reverts(router, market, leverager, opened, deadline):
    with ape.reverts("router: leverage above max"):
        router.adjust(market, market.max_leverage() + 1, 0, deadline(), sender=leverager)


def test_adjust_without_position_reverts(router, market, other, liquidity, deadline):
    with ape.reverts("router: position is insolvent"):
        router.adjust(market, 2 * WAD, 0, deadline(), sender=other)


def test_close_returns_equity_minus_instant_fee(
    router, market, x, lst, leverager, opened, deadline, router_is_empty
):
    before = x.balanceOf(leverager)
    value = lst.convertToAssets(market.positions(leverager)[0])
    tx = router.close(market, 0, deadline(), sender=leverager)
    event = tx.events.filter(router.Closed)[0]
    redeemed = tx.events.filter(lst.Withdraw)[0].assets
    assert x.balanceOf(leverager) - before == event.assets_out == redeemed - event.repaid
    assert market.positions(leverager) == (0, 0)
    # The instant fee is charged on the total: net = gross x 10,000 / (10,000 + fee bps).
    bps = lst.instant_fee_bps()
    fee = value * bps // (10_000 + bps)
    assert abs(event.assets_out - (value - fee - event.repaid)) <= 2
    router_is_empty()


def test_close_to_lst(router, market, lst, leverager, opened, deadline, router_is_empty):
    tx = router.close(market, 0, deadline(), True, sender=leverager)
    event = tx.events.filter(router.Closed)[0]
    assert event.assets_out == 0 and event.shares_out == lst.balanceOf(leverager) > 0
    router_is_empty()


def test_close_falls_back_to_lst_when_buffer_is_small(
    router, market, lst, leverager, staker, stake, opened, deadline, units
):
    lst.rebalance(sender=staker)
    collateral, debt, _, _ = market.position(leverager)
    value = lst.convertToAssets(collateral)
    # Enough buffer to repay the debt, not enough to unstake the whole position.
    stake(staker, debt + (value - debt) // 2 - lst.buffer())
    tx = router.close(market, 0, deadline(), sender=leverager)
    assert tx.events.filter(router.Closed)[0].shares_out == lst.balanceOf(leverager) > 0


def test_close_with_buffer_below_debt_reverts(router, market, lst, leverager, staker, opened, deadline):
    lst.rebalance(sender=staker)
    assert lst.buffer() < market.position(leverager)[1]
    with ape.reverts("router: buffer too small"):
        router.close(market, 0, deadline(), sender=leverager)


def test_close_slippage_bound(router, market, leverager, opened, deadline, leverage_of):
    _, value, debt = leverage_of(leverager)
    with ape.reverts("router: slippage"):
        router.close(market, value - debt, deadline(), sender=leverager)


def test_close_without_position_reverts(router, market, other, deadline):
    with ape.reverts("router: no position"):
        router.close(market, 0, deadline(), sender=other)


@pytest.mark.parametrize("steps", [0, 1, 5, 25])
def test_loop_reaches_geometric_leverage(
    router, market, leverager, units, ready, deadline, leverage_of, steps
):
    router.loop(market, units(1_000), steps, 0, deadline(), sender=leverager)
    measured, value, debt = leverage_of(leverager)
    q = market.max_ltv() / WAD
    expected = (1 - q ** (steps + 1)) / (1 - q)
    assert measured / WAD == pytest.approx(expected, rel=1e-6)
    assert debt * WAD <= value * market.max_ltv()


def test_loop_step_limit(router, market, leverager, units, ready, deadline):
    with ape.reverts("router: too many steps"):
        router.loop(market, units(1), 51, 0, deadline(), sender=leverager)
