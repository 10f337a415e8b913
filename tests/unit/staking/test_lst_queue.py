"""
The unstake queue: a request burns shares and fixes its amount; it is funded FIFO, whole, only once the
backend's unbonding delay has passed, at its amount less its pro-rata share of any later loss; claims by the
receiver or the owner; `process_queue` is permissionless.
"""

import ape
import pytest
from ape import chain
from lst_math import RAY, claimable, request_id

from levstake import lst_lens
from levstake.rpc import ZERO_ADDRESS

DAY = 86_400
# Matured entries the backend pays back per `withdraw_unbonded` call (its MAX_PAYOUTS_PER_CALL).
PAYOUTS = 32


def events(tx, event) -> list:
    return list(tx.events.filter(event))


def test_request_below_minimum_reverts(lst, delegated, staker, decimals):
    minimum = lst.min_request()
    assert minimum == 10**decimals // 100
    # At rate 1 a share is worth one unit of X.
    with ape.reverts("lst: request below minimum"):
        lst.request_unstake(minimum - 1, staker, staker, sender=staker)
    tx = lst.request_unstake(minimum, staker, staker, sender=staker)
    assert events(tx, lst.UnstakeRequested)[0].amount == minimum


def test_request_burns_shares_and_fixes_amount(lst, validator, delegated, staker, units):
    shares = units(50)
    expected = lst.convertToAssets(shares)
    assert expected == units(50)
    tx = lst.request_unstake(shares, staker, staker, sender=staker)
    event = events(tx, lst.UnstakeRequested)[0]
    ready_at = tx.timestamp + validator.unbonding_delay()
    assert (event.request_id, event.owner, event.receiver) == (0, staker, staker)
    assert (event.shares, event.amount, event.ready_at) == (shares, expected, ready_at)
    assert lst.balanceOf(staker) == delegated - shares
    assert lst.totalAssets() == units(50)
    # Nothing lost yet, so the scaled amount is the amount.
    assert lst.requests(0) == (staker, staker, expected * RAY // RAY, ready_at, 0, False)
    assert lst_lens.queue_liability(lst) == lst.request_value(0) == expected
    assert (lst.next_request_id(), lst.queue_head()) == (1, 0)
    # The backend is asked for the whole request (the queue is covered by unbonding only, never by the
    # buffer) and nothing for the buffer: its 10 X are above the new target (5 X).
    assert events(tx, lst.UnbondingRequested)[0].amount == units(50)
    assert validator.unbonding_balance(lst) == units(50)


def test_a_waiting_request_earns_nothing(lst, delegated, staker, other, units, warp):
    rid = request_id(lst.request_unstake(units(50), staker, staker, sender=staker))
    warp(DAY)
    lst.sync_rewards(sender=other)
    warp(lst.stream_end() - ape.chain.blocks.head.timestamp + 1)
    # The stakers who stayed got the gain; the request is still worth what it was filed at.
    assert lst.convertToAssets(units(1)) > units(1)
    assert lst.request_value(rid) == units(50)


def test_not_paid_before_ready_at_even_with_its_x_set_aside(lst, x, staker, stake, units, next_block_at):
    stake(staker, units(100))
    tx = lst.request_unstake(units(10), staker, staker, sender=staker)
    rid = request_id(tx)
    # Nothing is staked: the buffer covers the request, which is set aside at once (no slash can reach it).
    assert not events(tx, lst.UnbondingRequested)
    assert lst.requests(rid).paid == units(10) and lst.queue_reserve() == units(10)
    assert lst.buffer() == units(90) and lst_lens.queue_liability(lst) == 0
    ready_at = lst.requests(rid).ready_at
    before = x.balanceOf(staker)
    for now in (tx.timestamp + 1, ready_at - 1):
        next_block_at(now)
        assert lst.claim.call(rid, sender=staker) == 0
        next_block_at(now)
        tx = lst.claim(rid, sender=staker)
        assert not events(tx, lst.UnstakeClaimed)
        assert x.balanceOf(staker) == before
        assert lst.requests(rid).paid == units(10) and not lst.requests(rid).claimed
        assert not claimable(lst, rid)
    assert lst.buffer() == units(90)
    next_block_at(ready_at)
    tx = lst.claim(rid, sender=staker)
    assert events(tx, lst.UnstakeClaimed)[0].amount == units(10)
    assert x.balanceOf(staker) - before == units(10)
    assert lst.queue_reserve() == 0


def test_funded_from_the_backend_payback(lst, x, validator, delegated, staker, units, warp):
    rid = request_id(lst.request_unstake(units(50), staker, staker, sender=staker))
    warp(validator.unbonding_delay())
    before = x.balanceOf(staker)
    tx = lst.claim(rid, sender=staker)
    # The whole request was unbonded at filing, so the payback alone pays it.
    assert events(tx, lst.BackendPaidBack)[0].amount == units(50)
    assert events(tx, lst.RequestFunded)[0].amount == units(50)
    claimed = events(tx, lst.UnstakeClaimed)[0]
    assert (claimed.request_id, claimed.owner, claimed.receiver) == (rid, staker, staker)
    assert claimed.amount == units(50)
    assert x.balanceOf(staker) - before == units(50)
    # 10 X buffer + 50 X payback - 50 X paid: the buffer is untouched, 5 X above the new target (5 X) for
    # the next rebalance to delegate.
    assert lst.buffer() == units(10)
    assert lst_lens.target_buffer(lst) == units(5)
    assert lst.backend_accounted() == units(40)
    assert lst.queue_reserve() == 0 and lst_lens.queue_liability(lst) == 0
    # The claim cleared the request (its events keep what it was): it reads claimed, worth nothing more.
    assert lst.request_value(rid) == 0
    assert tuple(lst.requests(rid)) == (ZERO_ADDRESS, ZERO_ADDRESS, 0, 0, 0, True)


def test_fifo_whole_requests(lst, x, validator, delegated_without_rewards, staker, other, units, warp):
    minimum = lst.min_request()
    # 32 minimum requests, each unbonded whole at filing: one backend entry each.
    fillers = [request_id(lst.request_unstake(minimum, sender=staker)) for _ in range(PAYOUTS)]
    assert fillers == list(range(PAYOUTS))
    tx = lst.request_unstake(units(50), staker, staker, sender=staker)
    first = request_id(tx)
    assert events(tx, lst.UnbondingRequested)[0].amount == units(50)
    # The second pays `other`, who claims it.
    tx = lst.request_unstake(units(1), other, staker, sender=staker)
    second = request_id(tx)
    assert events(tx, lst.UnbondingRequested)[0].amount == units(1)
    assert (first, second) == (PAYOUTS, PAYOUTS + 1)
    assert validator.unbonding_tail(lst) == PAYOUTS + 2
    assert validator.unbonding_balance(lst) == lst_lens.queue_liability(lst) == PAYOUTS * minimum + units(51)
    # The 10 X buffer is above the new target (4.868 X): the backend was asked for nothing more.
    assert lst.buffer() == units(10)
    warp(validator.unbonding_delay())
    # All requests are due and every entry has matured, but the backend pays back 32 entries per call: the
    # fillers' X arrives, the first request's (50 X) and the second's (1 X) do not.
    assert lst.claim.call(second, sender=other) == 0
    tx = lst.claim(second, sender=other)
    assert events(tx, lst.BackendPaidBack)[0].amount == PAYOUTS * minimum
    funded = [(e.request_id, e.amount) for e in events(tx, lst.RequestFunded)]
    assert funded == [(i, minimum) for i in fillers]
    assert not events(tx, lst.UnstakeClaimed)
    assert validator.unbonding_head(lst) == PAYOUTS and validator.withdrawable(lst) == units(51)
    # The 10 X buffer would pay the second request whole, but the first comes first and cannot be paid
    # whole, so both wait.
    assert lst.buffer() == units(10)
    assert lst.request_value(second) == units(1) < lst.buffer() < lst.request_value(first) == units(50)
    assert lst.queue_head() == first
    assert lst.requests(first).paid == lst.requests(second).paid == 0
    assert not claimable(lst, first) and not claimable(lst, second)
    # The next call pulls the last two entries (51 X) and funds both, in order, in that one call.
    before = x.balanceOf(other)
    tx = lst.claim(second, sender=other)
    assert events(tx, lst.BackendPaidBack)[0].amount == units(51)
    assert [(e.request_id, e.amount) for e in events(tx, lst.RequestFunded)] == [
        (first, units(50)),
        (second, units(1)),
    ]
    assert events(tx, lst.UnstakeClaimed)[0].amount == units(1)
    assert x.balanceOf(other) - before == units(1)
    assert lst.queue_head() == second + 1 and lst_lens.queue_liability(lst) == 0
    assert lst.buffer() == units(10)
    assert lst.queue_reserve() == PAYOUTS * minimum + units(50)
    assert claimable(lst, first) and not claimable(lst, second)


def test_claim_by_receiver_or_owner_only(lst, x, validator, delegated, staker, other, attacker, units, warp):
    by_owner = request_id(lst.request_unstake(units(10), other, staker, sender=staker))
    by_receiver = request_id(lst.request_unstake(units(5), other, staker, sender=staker))
    warp(validator.unbonding_delay())
    for rid in (by_owner, by_receiver):
        with ape.reverts("lst: not request owner"):
            lst.claim(rid, sender=attacker)
    staker_before, other_before = x.balanceOf(staker), x.balanceOf(other)
    # The owner may claim, but the X goes to the receiver.
    tx = lst.claim(by_owner, sender=staker)
    claimed = events(tx, lst.UnstakeClaimed)[0]
    assert (claimed.owner, claimed.receiver, claimed.amount) == (staker, other, units(10))
    lst.claim(by_receiver, sender=other)
    assert x.balanceOf(staker) == staker_before
    assert x.balanceOf(other) - other_before == units(15)
    for rid in (by_owner, by_receiver):
        for account in (staker, other):
            with ape.reverts("lst: already claimed"):
                lst.claim(rid, sender=account)


def test_claim_unknown_request(lst, delegated, staker, units):
    with ape.reverts("lst: unknown request"):
        lst.claim(0, sender=staker)
    lst.request_unstake(units(1), staker, staker, sender=staker)
    with ape.reverts("lst: unknown request"):
        lst.claim(1, sender=staker)
    with ape.reverts("lst: unknown request"):
        lst.claim(2**256 - 1, sender=staker)


def test_request_for_another_owner_needs_allowance(lst, delegated, staker, other, units):
    with ape.reverts("erc20: insufficient allowance"):
        lst.request_unstake(units(1), other, staker, sender=other)
    lst.approve(other, units(3), sender=staker)
    lst.request_unstake(units(1), other, staker, sender=other)
    assert lst.allowance(staker, other) == units(2)
    assert lst.requests(0).owner == staker and lst.requests(0).receiver == other


def test_requests_are_found_by_receiver_in_the_filing_events(lst, delegated, staker, other, units):
    # No per-receiver index on chain (two storage slots per filing): readers filter the indexed event.
    for receiver in (staker, other, staker):
        lst.request_unstake(units(1), receiver, staker, sender=staker)
    end = chain.blocks.height + 1
    filed = [(log.request_id, log.receiver) for log in lst.UnstakeRequested.range(0, end)]
    assert filed == [(0, staker.address), (1, other.address), (2, staker.address)]
    for_other = lst.UnstakeRequested.range(0, end, search_topics={"receiver": other.address})
    assert [log.request_id for log in for_other] == [1]


def test_slash_while_waiting_reduces_the_payout_by_its_unbondings_cut(
    lst, x, validator, owner, delegated_without_rewards, staker, units, warp
):
    rid = request_id(lst.request_unstake(units(20), staker, staker, sender=staker))  # unbonds 20 X
    factor_before = lst.loss_factor()
    assert factor_before == RAY
    # 10% of the 70 X staked (the stakers') and of the 20 X unbonding (the queue's).
    tx = validator.slash(lst, 1_000, sender=owner)
    loss = events(tx, lst.LossApplied)[0]
    margin = lst.unbonding_requests() + 1  # a unit per backend entry: each entry's cut rounds down
    assert loss.loss == units(9)
    factor_after = lst.loss_factor()
    payout = units(20) * factor_after // factor_before
    assert units(18) - margin <= payout <= units(18)
    assert lst.request_value(rid) == lst_lens.queue_liability(lst) == payout
    assert loss.queue_share == units(20) - payout
    # The stakers lose the stake's 7 X: 80 X less 7.
    assert units(73) <= lst.totalAssets() <= units(73) + margin
    warp(validator.unbonding_delay())
    before = x.balanceOf(staker)
    tx = lst.claim(rid, sender=staker)
    # The 20 X unbonding less its 10% pays the request: the buffer owes it nothing.
    assert events(tx, lst.BackendPaidBack)[0].amount == units(18)
    assert x.balanceOf(staker) - before == payout
    assert events(tx, lst.UnstakeClaimed)[0].amount == payout


def test_claim_keeps_progress_when_more_than_64_requests_are_due(
    lst, x, validator, delegated_without_rewards, staker, units, warp
):
    # Each request is unbonded at filing (nothing set aside); once due, the 10 X buffer funds them whole.
    count = 70
    for _ in range(count):
        lst.request_unstake(units(0.1), staker, staker, sender=staker)
    assert lst.queue_reserve() == 0 and lst_lens.queue_liability(lst) == count * units(0.1)
    warp(validator.unbonding_delay())
    last = count - 1
    assert lst.claim.call(last, sender=staker) == 0
    # The first call funds 64 requests and keeps them funded although it pays nothing itself.
    tx = lst.claim(last, sender=staker)
    assert len(events(tx, lst.RequestFunded)) == 64 and not events(tx, lst.UnstakeClaimed)
    assert lst.queue_head() == 64
    before = x.balanceOf(staker)
    tx = lst.claim(last, sender=staker)
    assert [e.request_id for e in events(tx, lst.RequestFunded)] == list(range(64, count))
    assert x.balanceOf(staker) - before == units(0.1)
    assert lst.queue_reserve() == (count - 1) * units(0.1)


def test_process_queue_is_permissionless(lst, x, validator, delegated, staker, attacker, units, warp):
    rid = request_id(lst.request_unstake(units(50), staker, staker, sender=staker))
    tx = lst.process_queue(sender=attacker)
    assert not events(tx, lst.RequestFunded) and not events(tx, lst.BackendPaidBack)
    warp(validator.unbonding_delay())
    attacker_before = x.balanceOf(attacker)
    tx = lst.process_queue(sender=attacker)
    assert events(tx, lst.BackendPaidBack)[0].amount == units(50)
    assert [(e.request_id, e.amount) for e in events(tx, lst.RequestFunded)] == [(rid, units(50))]
    assert x.balanceOf(attacker) == attacker_before
    assert claimable(lst, rid) and lst.queue_reserve() == units(50)
    assert lst.claim(rid, sender=staker).events.filter(lst.UnstakeClaimed)[0].amount == units(50)


def test_ready_at_never_moves_backwards(lst, validator, owner, delegated, staker, units, warp, next_block_at):
    first = lst.request_unstake(units(10), staker, staker, sender=staker)
    ready_at = events(first, lst.UnstakeRequested)[0].ready_at
    # A shorter delay at the backend cannot let a later request overtake an earlier one.
    validator.set_unbonding_delay(DAY, sender=owner)
    second = lst.request_unstake(units(10), staker, staker, sender=staker)
    assert events(second, lst.UnstakeRequested)[0].ready_at == ready_at == lst.last_ready_at()
    # Its unbonding matures after a day, yet it is not funded before the earlier request's time.
    warp(2 * DAY)
    assert lst.claim.call(request_id(second), sender=staker) == 0
    next_block_at(ready_at)
    tx = lst.claim(request_id(second), sender=staker)
    assert [e.request_id for e in events(tx, lst.RequestFunded)] == [0, 1]


@pytest.mark.parametrize("bps", [1_000, 3_333])
def test_payout_after_a_slash_is_amount_times_the_factor_ratio(
    lst, validator, owner, delegated, staker, other, units, warp, bps
):
    filed = events(lst.request_unstake(units(30) + 7, other, staker, sender=staker), lst.UnstakeRequested)[0]
    rid, amount, factor_before = filed.request_id, filed.amount, lst.loss_factor()
    validator.slash(lst, bps, sender=owner)
    factor_after = lst.loss_factor()
    assert factor_after < factor_before
    expected = amount * factor_after // factor_before
    # Within the rounding of the scaled amount (down) and of the payout (down).
    assert expected - 1 <= lst.request_value(rid) <= expected
    warp(validator.unbonding_delay())
    lst.rebalance(sender=other)
    warp(validator.unbonding_delay())
    paid = lst.claim(rid, sender=other).events.filter(lst.UnstakeClaimed)[0].amount
    assert expected - 1 <= paid <= expected


def test_a_funded_request_is_out_of_reach_of_later_losses(
    lst, x, validator, owner, delegated, staker, other, units, warp
):
    rid = request_id(lst.request_unstake(units(50), staker, staker, sender=staker))
    warp(validator.unbonding_delay())
    lst.process_queue(sender=other)
    assert lst.queue_reserve() == units(50)
    # Funded X sits apart from the buffer and the backend: a slash now is the stakers' alone.
    tx = validator.slash(lst, 5_000, sender=owner)
    assert tx.events.filter(lst.LossApplied)[0].queue_share == 0
    assert lst.request_value(rid) == units(50)
    before = x.balanceOf(staker)
    lst.claim(rid, sender=staker)
    assert x.balanceOf(staker) - before == units(50)
