"""A slash of all the unbonding the queue counts on takes the queue's loss factor to its floor (1): every
unfunded request is then worth nothing, which is right. An outside review (issue 26, sixth review, finding 2)
found that the factor never came back: every later request was valued at that floor, where no slash can cut it
any more, so the queue's share of every later slash fell on the stakers (a 10,000 X request lost 0 bp to a
10% slash; the stakers lost 980 bp). The same floor is reachable with a dust liability the per-entry margin
wipes.

The first defence, a filing into an empty queue starts the loss factor over, was not enough (seventh review):
one call funds at most 64 requests, so with 130 zeroed requests waiting (130 dust filings, 1.3 X, or a busy
LST's honest queue) the filer right after one keeper call still found the queue not empty and was filed at the
floor: 0 bp of a later 10% slash (996.5 bp for a staker who stayed), and a 30% slash of his 100,000 X then
left the buffer's part of the queue above the buffer, so every queue call reverted until deposits refilled it.

The defence: a filing when nothing waiting is worth anything (the queue's liability is 0) funds every waiting
request at what is set aside for it and starts the loss factor over.
"""

from __future__ import annotations

import pytest
from boa_system import RevmChain, deploy_system
from boa_system import stake as staker
from queue_world import DAY, SLASH_BPS, keeper, lost_bps, slash

from levstake import lst_lens


def test_a_request_after_a_wiped_queue_carries_its_slash(decimals) -> None:
    system = deploy_system(decimals, RevmChain())
    lst, validator = system.lst, system.validator
    first = staker(system, "first", 1_000)
    staker(system, "other", 1_000)
    keeper(system)
    system.chain.time_travel(DAY)
    keeper(system)
    wiped = lst.request_unstake(lst.balanceOf(first) // 10, sender=first)
    system.chain.time_travel(DAY)
    validator.slash(lst, 10_000, True, sender=system.owner)
    assert lst.request_value(wiped) == 0 and lst.loss_factor() == 1
    while lst.queue_head() <= wiped:
        system.chain.time_travel(DAY)
        keeper(system)
    staker(system, "stayer", 100_000)
    holder = staker(system, "holder", 10_000)
    for _ in range(3):
        system.chain.time_travel(DAY)
        keeper(system)
    request_id = lst.request_unstake(lst.balanceOf(holder), sender=holder)
    value = lst.request_value(request_id)
    system.chain.time_travel(DAY)
    keeper(system)
    slash(system)
    assert lost_bps(system, request_id, value) == pytest.approx(SLASH_BPS, abs=0.01)


def test_a_request_behind_more_zeroed_requests_than_two_calls_fund_carries_its_slash(decimals) -> None:
    system = deploy_system(decimals, RevmChain())
    lst, validator = system.lst, system.validator
    staker(system, "old", 10_000)
    spammer = staker(system, "spammer", 10)
    keeper(system)
    system.chain.time_travel(DAY)
    keeper(system)
    shares = lst.convertToShares(lst.min_request()) + 1
    while lst.convertToAssets(shares) < lst.min_request():
        shares += 1
    spam = [lst.request_unstake(shares, sender=spammer) for _ in range(130)]
    system.chain.time_travel(DAY)
    validator.slash(lst, 10_000, True, sender=system.owner)
    assert lst.loss_factor() == 1 and lst_lens.queue_liability(lst) <= 1
    staker(system, "stayer", 100_000)
    holder = staker(system, "holder", 10_000)
    keeper(system)
    assert lst.queue_head() < len(spam) - 64, "more zeroed requests wait than the filing's own call funds"
    request_id = lst.request_unstake(lst.balanceOf(holder), sender=holder)
    assert lst.queue_head() == request_id, "the zeroed requests are funded at what was set aside for them"
    value = lst.request_value(request_id)
    for _ in range(2):
        system.chain.time_travel(DAY)
        keeper(system)
    slash(system)
    assert lost_bps(system, request_id, value) == pytest.approx(SLASH_BPS, abs=0.01)
    # And the queue lives on: the request is paid what it is worth at its ready_at.
    system.chain.time_travel(lst.requests(request_id).ready_at - system.chain.timestamp)
    keeper(system)
    worth = lst.request_value(request_id)
    assert lst.claim(request_id, sender=holder) == worth > 0
