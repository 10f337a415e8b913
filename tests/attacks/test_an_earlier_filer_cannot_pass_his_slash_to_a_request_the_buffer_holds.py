"""A request the stake cannot cover is held by the buffer: its X is never unbonding, so no slash can reach
it. If what the buffer holds for such a request were pooled with the queue's unbonding, X landing or held for
the queue would go to the oldest requests first, and the request the buffer holds would be counted as waiting
on the oldest request's unbonding: a holder who queues more than the stake just before a slash he sees coming
passes part of its cut to whoever queues after him.

The defence: what neither the stake nor the buffer's unbonding covers at filing is set aside for the filer at
once, at its amount.
"""

from __future__ import annotations

import pytest
from boa_system import RevmChain, deploy_system
from boa_system import stake as staker
from queue_world import DAY, SLASH_BPS, keeper, lost_bps, slash


def test_a_request_the_buffer_holds_loses_nothing_to_a_slash(decimals) -> None:
    system = deploy_system(decimals, RevmChain())
    lst, validator = system.lst, system.validator
    whale = staker(system, "whale", 95_000)
    victim = staker(system, "victim", 3_000)
    staker(system, "stayer", 2_000)
    keeper(system)
    whale_id = lst.request_unstake(lst.balanceOf(whale), sender=whale)
    assert validator.staked_balance(lst) == 0, "the whale's request unbonded the whole stake"
    victim_id = lst.request_unstake(lst.balanceOf(victim), sender=victim)
    victim_value, whale_value = lst.request_value(victim_id), lst.request_value(whale_id)
    system.chain.time_travel(DAY)
    keeper(system)
    slash(system)
    assert lst.request_value(victim_id) == victim_value
    # The whale's unbonding (all of his request but the part the buffer held for him) carries the cut.
    assert lost_bps(system, whale_id, whale_value) == pytest.approx(SLASH_BPS * 90 / 95, rel=0.01)
    system.chain.time_travel(lst.requests(victim_id).ready_at - system.chain.timestamp)
    assert lst.claim(victim_id, sender=victim) == victim_value
