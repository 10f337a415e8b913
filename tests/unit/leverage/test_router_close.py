"""Closing a position: to X (with its fallback to LST), to LST, to the unstake queue; buffer limits, slippage.

Exact payouts come from the LST's own previews in the state the close started from (read at the block before
the transaction: the LST's previews do not move with time while no reward streams), and the debt the market
charged (the Closed event's `repaid`).
"""

import ape
import pytest

from levstake import lst_lens
from levstake.model import CLOSE_TO_LST, CLOSE_TO_QUEUE, CLOSE_TO_X, LstSnapshot

# Built once per module and decimals (see conftest.py), before the first test.
pytestmark = pytest.mark.usefixtures("liquidity", "ready")

WAD = 10**18
BPS = 10_000
MODES = [CLOSE_TO_X, CLOSE_TO_LST, CLOSE_TO_QUEUE]
MODE_IDS = ["x", "lst", "queue"]


def closed_event(router, tx):
    return tx.events.filter(router.Closed)[0]


def lst_after_withdraw(lst, before, tx, assets: int, burnt: int) -> LstSnapshot:
    """The LST as a `withdraw(assets)` burning `burnt` shares leaves it: the fee stays with stakers."""
    return LstSnapshot(before(lst.totalAssets, tx) - assets, before(lst.totalSupply, tx) - burnt)


@pytest.mark.parametrize("buffer", ["drained", "ample"])
@pytest.mark.parametrize("explicit", [False, True], ids=["default-mode", "mode-0"])
def test_close_to_x_pays_preview_redeem_minus_debt(
    router, market, x, lst, leverager, staker, stake, units, opened, deadline, buffer_at, before,
    router_is_empty, buffer, explicit,
):
    collateral, debt, _, _ = market.position(leverager)
    if buffer == "drained":
        # Other stakers' X is at the backend; the buffer holds just over the position: the close empties it.
        stake(staker, units(90_000))
        value = lst.convertToAssets(collateral)
        buffer_at(value + value // 100)
    else:
        stake(staker, units(100_000))
    balance = x.balanceOf(leverager)
    args = (CLOSE_TO_X,) if explicit else ()
    tx = router.close(market, 0, deadline(), *args, sender=leverager)
    event = closed_event(router, tx)
    # The interest of the block the close was mined in, nothing more.
    assert debt <= event.repaid <= debt + debt // 10**6
    expected = before(lst.previewRedeem, tx, collateral) - event.repaid
    assert x.balanceOf(leverager) - balance == event.assets_out == expected
    assert (event.shares_out, event.queued_assets, event.collateral) == (0, 0, collateral)
    assert lst.balanceOf(leverager) == 0 and market.positions(leverager) == (0, 0)
    fee = tx.events.filter(lst.InstantFeePaid)[0].fee
    gross = tx.events.filter(lst.Withdraw)[0].assets + fee
    if buffer == "drained":
        # The buffer falls far below its target: the fee rises well above its base rate on the way.
        assert lst.buffer() * 10 < lst_lens.target_buffer(lst)
        assert fee * BPS > gross * lst.instant_fee_bps() * 2
    else:
        # The buffer stays above its target: the base rate only (rounded up).
        assert fee * BPS - gross * lst.instant_fee_bps() < BPS
    router_is_empty()


def test_close_to_x_falls_back_to_lst_when_the_buffer_cannot_take_everything(
    router, market, x, lst, leverager, opened, deadline, buffer_at, before, router_is_empty
):
    collateral, debt, _, _ = market.position(leverager)
    # Enough buffer to repay the debt, not enough to unstake the whole position.
    buffer_at(debt + debt // 20)
    balance = x.balanceOf(leverager)
    tx = router.close(market, 0, deadline(), CLOSE_TO_X, sender=leverager)
    event = closed_event(router, tx)
    # Only the debt was unstaked (exactly, by withdraw); the rest comes back as LST.
    burnt = before(lst.previewWithdraw, tx, event.repaid)
    assert event.shares_out == collateral - burnt == lst.balanceOf(leverager) > 0
    assert event.assets_out == 0 and x.balanceOf(leverager) == balance
    assert market.positions(leverager) == (0, 0)
    router_is_empty()


def test_close_to_lst_unstakes_only_the_debt(
    router, market, x, lst, leverager, opened, deadline, before, router_is_empty
):
    collateral = market.positions(leverager)[0]
    balance = x.balanceOf(leverager)
    tx = router.close(market, 0, deadline(), CLOSE_TO_LST, sender=leverager)
    event = closed_event(router, tx)
    burnt = before(lst.previewWithdraw, tx, event.repaid)
    assert event.shares_out == collateral - burnt == lst.balanceOf(leverager) > 0
    assert event.assets_out == 0 and event.queued_assets == 0 and x.balanceOf(leverager) == balance
    # The instant fee was paid on the debt only.
    assert tx.events.filter(lst.InstantFeePaid)[0].fee == lst_lens.instant_fee(
        lst, event.repaid, block_id=tx.block_number - 1
    )
    assert market.positions(leverager) == (0, 0)
    router_is_empty()


def test_close_to_queue_files_a_request_paying_the_user(
    router, market, x, lst, validator, leverager, other, opened, deadline, before, warp, router_is_empty
):
    collateral = market.positions(leverager)[0]
    balance = x.balanceOf(leverager)
    tx = router.close(market, 0, deadline(), CLOSE_TO_QUEUE, sender=leverager)
    event = closed_event(router, tx)
    burnt = before(lst.previewWithdraw, tx, event.repaid)
    rest = collateral - burnt
    amount = lst_after_withdraw(lst, before, tx, event.repaid, burnt).to_assets_down(rest)
    assert event.queued_assets == amount > 0
    request = lst.requests(event.request_id)
    # Filed by the router (which burnt the shares) for the user, who alone receives the X.
    assert request.owner == router.address and request.receiver == leverager.address
    assert lst.request_value(event.request_id) == amount and not request.claimed
    (filed,) = lst.UnstakeRequested.from_receipt(tx)
    assert (filed.request_id, filed.receiver, filed.amount) == (event.request_id, leverager.address, amount)
    assert (event.assets_out, event.shares_out) == (0, 0)
    assert x.balanceOf(leverager) == balance and lst.balanceOf(leverager) == 0
    assert market.positions(leverager) == (0, 0)
    # No instant fee on the queued part: it is worth more than the X road from the same state.
    assert amount > before(lst.previewRedeem, tx, collateral) - event.repaid
    router_is_empty()

    # Not before the unbonding delay (claim keeps the request), and only by its receiver or owner.
    lst.claim(event.request_id, sender=leverager)
    assert x.balanceOf(leverager) == balance and not lst.requests(event.request_id).claimed
    with ape.reverts("lst: not request owner"):
        lst.claim(event.request_id, sender=other)
    warp(validator.unbonding_delay() + 1)
    lst.claim(event.request_id, sender=leverager)
    assert x.balanceOf(leverager) - balance == amount
    assert lst.requests(event.request_id).claimed


def test_close_to_queue_returns_lst_below_the_minimum_request(
    router, market, lst, leverager, units, ready, deadline, router_is_empty
):
    # Equity worth half the LST's minimum request (0.01 X).
    router.open(market, units(0.005), 2 * WAD, 0, deadline(), sender=leverager)
    requests = lst.next_request_id()
    tx = router.close(market, 0, deadline(), CLOSE_TO_QUEUE, sender=leverager)
    event = closed_event(router, tx)
    assert event.queued_assets == 0 and lst.next_request_id() == requests
    assert event.shares_out == lst.balanceOf(leverager) > 0
    router_is_empty()


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_close_without_debt(router, market, x, lst, leverager, units, ready, deadline, before, mode):
    """A 1x position has no debt to repay: the close goes straight to unwinding the collateral."""
    router.open(market, units(100), WAD, 0, deadline(), sender=leverager)
    collateral, debt, _, _ = market.position(leverager)
    assert debt == 0
    balance = x.balanceOf(leverager)
    tx = router.close(market, 0, deadline(), mode, sender=leverager)
    event = closed_event(router, tx)
    assert event.repaid == 0 and market.positions(leverager) == (0, 0)
    if mode == CLOSE_TO_X:
        redeemed = before(lst.previewRedeem, tx, collateral)
        assert x.balanceOf(leverager) - balance == event.assets_out == redeemed
    elif mode == CLOSE_TO_LST:
        assert event.shares_out == lst.balanceOf(leverager) == collateral
        assert not tx.events.filter(lst.Withdraw)
    else:
        assert event.queued_assets == before(lst.convertToAssets, tx, collateral)
        assert lst.UnstakeRequested.from_receipt(tx)[0].amount == event.queued_assets
        assert not tx.events.filter(lst.Withdraw)


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_close_with_buffer_below_debt_reverts(router, market, lst, leverager, staker, opened, deadline, mode):
    lst.rebalance(sender=staker)
    assert lst.buffer() < market.position(leverager)[1]
    with ape.reverts("router: buffer too small"):
        router.close(market, 0, deadline(), mode, sender=leverager)


def test_close_pulls_matured_unbonding(
    router, market, x, lst, leverager, matured_unbonding, chain, deadline, router_is_empty
):
    """The buffer cannot even cover the debt, but the backend holds matured X for the LST: close pulls it."""
    collateral, debt, _, _ = market.position(leverager)
    assert lst.buffer() < debt
    with chain.isolate():
        lst.process_queue(sender=leverager)
        redeemed = lst.previewRedeem(collateral)
    balance = x.balanceOf(leverager)
    tx = router.close(market, 0, deadline(), sender=leverager)
    assert tx.events.filter(lst.BackendPaidBack)[0].amount > 0
    event = closed_event(router, tx)
    assert x.balanceOf(leverager) - balance == event.assets_out == redeemed - event.repaid
    assert market.positions(leverager) == (0, 0)
    router_is_empty()


@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_close_min_out_counts_every_road(router, market, lst, leverager, opened, chain, deadline, mode):
    """min_out bounds X + LST at its exchange rate + the queued amount, to the wei."""
    # Setting the time mines a block at `when`: each close below is mined at `when + 1`, same interest.
    # A bare snapshot, not `chain.isolate()`: isolate also puts back the pending timestamp it saw on entry,
    # which on a loaded machine can already be behind the restored head ("1 seconds before"), and every
    # attempt sets its own time anyway.
    when = chain.pending_timestamp + 60
    start = chain.snapshot()
    chain.pending_timestamp = when
    event = closed_event(router, router.close(market, 0, deadline(), mode, sender=leverager))
    out = event.assets_out + lst.convertToAssets(event.shares_out) + event.queued_assets
    assert out > 0
    chain.restore(start)
    start = chain.snapshot()
    chain.pending_timestamp = when
    with ape.reverts("router: slippage"):
        router.close(market, out + 1, deadline(), mode, sender=leverager)
    chain.restore(start)
    chain.pending_timestamp = when
    router.close(market, out, deadline(), mode, sender=leverager)
    assert market.positions(leverager) == (0, 0)


def test_close_slippage_bound(router, market, leverager, opened, deadline, leverage_of):
    _, value, debt = leverage_of(leverager)
    # The instant fee makes the full equity unreachable.
    with ape.reverts("router: slippage"):
        router.close(market, value - debt, deadline(), sender=leverager)


def test_close_with_unknown_mode_reverts(router, market, leverager, opened, deadline):
    with ape.reverts("router: unknown close mode"):
        router.close(market, 0, deadline(), 3, sender=leverager)


def test_close_without_position_reverts(router, market, other, deadline):
    with ape.reverts("router: no position"):
        router.close(market, 0, deadline(), sender=other)
