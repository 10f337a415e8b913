"""Instant unstake (withdraw / redeem from the buffer) and the FIFO unstake queue."""

import ape
import pytest

DAY = 86_400
ZERO = "0x0000000000000000000000000000000000000000"


def request_id(tx) -> int:
    # Read ids from the event: Ape's return_value on the in-process chain is taken after the block.
    return next(log.request_id for log in tx.events if log.event_name == "UnstakeRequested")


@pytest.fixture
def staked(lst, staker, other, stake, units, warp):
    """100 X staked, 90 delegated, one reward cycle streamed: the rate is above 1."""
    stake(staker, units(100))
    lst.rebalance(sender=other)
    warp(DAY)
    lst.sync_rewards(sender=other)
    warp(2 * DAY)
    return units(100)


def test_redeem_preview_equals_actual_and_fee_stays(lst, x, staked, staker, units):
    shares = units(3) + 7
    rate_before = lst.convertToAssets(units(1))
    preview = lst.previewRedeem(shares)
    gross = lst.convertToAssets(shares)
    before = x.balanceOf(staker)
    tx = lst.redeem(shares, staker, staker, sender=staker)
    assert x.balanceOf(staker) - before == preview
    assert tx.events.filter(lst.Withdraw)[0].assets == preview
    # 0.1% fee, rounded against the user.
    assert preview == gross - (gross * 10 + 10_010 - 1) // 10_010
    # The fee stayed in the pool: the rate went up.
    assert lst.convertToAssets(units(1)) > rate_before


def test_withdraw_preview_equals_actual_and_rounds_up(lst, x, staked, staker, units):
    assets = units(2) + 1
    preview = lst.previewWithdraw(assets)
    before_shares = lst.balanceOf(staker)
    before = x.balanceOf(staker)
    lst.withdraw(assets, staker, staker, sender=staker)
    assert x.balanceOf(staker) - before == assets
    assert before_shares - lst.balanceOf(staker) == preview
    # Burnt shares are worth at least what was paid plus the fee.
    assert lst.convertToAssets(preview) >= assets + assets * 10 // 10_000


def test_max_withdraw_is_limited_by_buffer(lst, staked, staker, other, units):
    buffer = lst.buffer()
    assert buffer == units(10)
    assert lst.maxWithdraw(staker) == buffer
    max_redeem = lst.maxRedeem(staker)
    assert lst.previewRedeem(max_redeem) <= buffer
    assert lst.maxWithdraw(other) == 0 and lst.maxRedeem(other) == 0
    with ape.reverts("lst: withdraw exceeds max"):
        lst.withdraw(buffer + 1, staker, staker, sender=staker)
    with ape.reverts("lst: redeem exceeds max"):
        lst.redeem(max_redeem + 1, staker, staker, sender=staker)
    lst.redeem(max_redeem, staker, staker, sender=staker)
    assert lst.buffer() < units(10) // 1_000


def test_max_withdraw_is_limited_by_balance(lst, staker, other, stake, units):
    stake(staker, units(100))
    stake(other, units(1))
    limit = lst.maxWithdraw(other)
    assert limit == lst.previewRedeem(lst.balanceOf(other))
    assert lst.maxRedeem(other) == lst.balanceOf(other)
    lst.withdraw(limit, other, other, sender=other)
    assert lst.balanceOf(other) <= 1


def test_withdraw_for_owner_needs_allowance(lst, staked, staker, other, units):
    with ape.reverts("erc20: insufficient allowance"):
        lst.withdraw(units(1), other, staker, sender=other)
    lst.approve(other, units(2), sender=staker)
    lst.withdraw(units(1), other, staker, sender=other)
    assert lst.allowance(staker, other) < units(1)


def test_unstake_bad_input(lst, x, staked, staker):
    with ape.reverts("lst: zero assets"):
        lst.withdraw(0, staker, staker, sender=staker)
    with ape.reverts("lst: zero shares"):
        lst.redeem(0, staker, staker, sender=staker)
    with ape.reverts("lst: zero receiver"):
        lst.withdraw(1, ZERO, staker, sender=staker)
    with ape.reverts("lst: zero receiver"):
        lst.redeem(1, ZERO, staker, sender=staker)
    with ape.reverts("lst: zero shares"):
        lst.request_unstake(0, staker, staker, sender=staker)
    with ape.reverts("lst: zero receiver"):
        lst.request_unstake(1, ZERO, staker, sender=staker)
    assert lst.balanceOf(staker) == staked


def test_queue_request_burns_and_fixes_amount(lst, validator, staked, staker, units):
    shares = units(50)
    expected = lst.convertToAssets(shares)
    total_before = lst.totalAssets()
    tx = lst.request_unstake(shares, staker, staker, sender=staker)
    event = tx.events.filter(lst.UnstakeRequested)[0]
    assert event.amount == expected and event.shares == shares and event.request_id == 0
    assert lst.balanceOf(staker) == staked - shares
    assert lst.totalAssets() == total_before - expected
    request = lst.requests(0)
    assert request.amount == expected and request.owner == staker
    # The request asked the backend to unbond what the queue needs.
    assert validator.unbonding_balance(lst) == expected
    assert tx.events.filter(lst.UnbondingRequested)[0].amount == expected


def test_claim_after_unbonding_and_fifo(lst, x, validator, staked, staker, other, units, warp):
    first = request_id(lst.request_unstake(units(20), staker, staker, sender=staker))
    second = request_id(lst.request_unstake(units(30), other, staker, sender=staker))
    assert (first, second) == (0, 1)
    assert list(lst.request_ids_of(staker, 0, 10)) == [0, 1]
    assert list(lst.request_ids_of(staker, 1, 10)) == [1]
    with ape.reverts("lst: request not ready"):
        lst.claim(first, sender=staker)
    warp(validator.unbonding_delay() + 1)
    assert not lst.is_claimable(second)
    with ape.reverts("lst: not request owner"):
        lst.claim(second, sender=other)
    # Claiming the second pulls the backend's payback and funds the queue in order.
    amount = lst.requests(second).amount
    before = x.balanceOf(other)
    tx = lst.claim(second, sender=staker)
    assert x.balanceOf(other) - before == amount
    assert tx.events.filter(lst.UnstakeClaimed)[0].receiver == other
    assert lst.is_claimable(first)
    with ape.reverts("lst: already claimed"):
        lst.claim(second, sender=staker)
    lst.claim(first, sender=staker)
    assert lst.queue_reserve() == 0
    assert lst.funded_cumulative() == lst.requested_cumulative()


def test_fifo_later_request_waits_for_earlier(lst, validator, staked, staker, other, units, warp, stake):
    stake(other, units(10))
    first = request_id(lst.request_unstake(units(40), staker, staker, sender=staker))
    warp(DAY)
    second = request_id(lst.request_unstake(units(5), other, other, sender=other))
    # Only the first request's unbonding has matured: the second cannot jump ahead.
    warp(validator.unbonding_delay() - DAY + 1)
    with ape.reverts("lst: request not ready"):
        lst.claim(second, sender=other)
    lst.claim(first, sender=staker)
    warp(DAY)
    lst.claim(second, sender=other)


def test_claim_unknown_request(lst, staker):
    with ape.reverts("lst: unknown request"):
        lst.claim(7, sender=staker)


def test_queue_funded_from_buffer_when_backend_cannot(lst, staker, stake, units, other):
    """Nothing delegated yet: the buffer funds the queue, claimable at once."""
    stake(staker, units(10))
    request = request_id(lst.request_unstake(units(4), staker, staker, sender=staker))
    lst.rebalance(sender=other)
    assert lst.is_claimable(request)
    lst.claim(request, sender=staker)


def test_rebalance_keeps_target_buffer(lst, staker, other, stake, units):
    stake(staker, units(50))
    tx = lst.rebalance(sender=other)
    assert tx.events.filter(lst.Delegated)[0].amount == units(45)
    assert lst.buffer() == units(5)
    tx = lst.rebalance(sender=other)
    assert len(tx.events.filter(lst.Delegated)) == 0
