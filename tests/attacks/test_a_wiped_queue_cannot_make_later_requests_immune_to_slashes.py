"""A slash of all the unbonding the queue counts on takes the queue's loss factor to its floor (1): every
unfunded request is then worth nothing, which is right. An outside review (issue 26, sixth review, finding 2)
found that the factor never came back: every later request was valued at that floor, where no slash can cut it
any more, so the queue's share of every later slash fell on the stakers (a 10,000 X request lost 0 bp to a
10% slash; the stakers lost 980 bp). The same floor is reachable with a dust liability the per-entry margin
wipes.

The defence: a filing into an empty queue starts the loss factor over.
"""

from __future__ import annotations

import pytest
from boa_system import RevmChain, deploy_system
from queue_world import DAY, SLASH_BPS, keeper, lost_bps, slash, staker


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
