"""A queued request is promised its X at `ready_at`. The fifth review (issue 26) found that X the buffer
already held for the queue was unbonded a second time and then handed to instant exits: at t0 an instant exit
emptied the buffer and `rebalance` unbonded the shortfall (maturing t0+7d); at t0+1d V filed a 1,000.51 X
request (due t0+8d), covered by that unbonding, so nothing new was asked for it. At t0+7d the payback landed
and `rebalance` saw the queue owed more than was unbonding, unbonded V's 1,000.51 X again (maturing t0+14d)
and delegated the buffer down to its target; instant exits, which counted the new unbonding as the queue's
cover, then took the whole buffer (9,201.89 X). V was paid 6.00 days after `ready_at`. Reproduced here before
the fix: 1,000.82 X filed, the claim at `ready_at` paid 0, paid 6.0 days late.

The defence (one rule for every path): X counted as a request's cover is only ever set aside for the queue
(`queue_reserve`) or in unbonding that matures by the request's `ready_at`. A filing is covered by new
unbonding of the stake (the refill in flight stays the buffer's), what lands for the queue is set aside at
once, and X set aside is never unbonded again, delegated, or open to instant exits.
"""

from __future__ import annotations

import pytest
from boa_system import BoaSystem, RevmChain, attempt, deploy_system, rebalance_checked
from boa_system import stake as staker
from queue_world import DAY


def queue_cover(system: BoaSystem) -> int:
    """X set aside for the queue plus the queue's part of the unbonding (all of it but the buffer's)."""
    lst = system.lst
    return lst.queue_reserve() + system.validator.unbonding_balance(lst) - lst.free_unbonding()


def keeper(system: BoaSystem, checked: bool = False) -> None:
    if checked:
        rebalance_checked(system)
    else:
        system.lst.rebalance()
    system.lst.sync_rewards()


@pytest.fixture(scope="module")
def world(decimals):
    """t0: an instant exit emptied the buffer and `rebalance` unbonded the shortfall; t0+1d: V files."""
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    whale = staker(system, "whale", 100_000)
    lst.rebalance()
    holder = staker(system, "holder", 10_000)
    v = staker(system, "v", 1_000.51)
    lst.rebalance()
    lst.redeem(lst.maxRedeem(whale), sender=whale)
    lst.rebalance()
    assert system.validator.unbonding_balance(lst) > system.units(9_000), "the refill is unbonding"
    system.chain.time_travel(DAY)
    keeper(system)
    request_id = lst.request_unstake(lst.balanceOf(v), sender=v)
    return system, whale, holder, v, request_id


def test_a_landed_payback_is_not_unbonded_again(world) -> None:
    """Every keeper call, the payback's too, unbonds at most the buffer's target shortfall and never both
    unbonds and delegates (`rebalance_checked`); once the refill has landed, V's cover is still set aside or
    unbonding to mature by his `ready_at`, out of the instant exits' reach."""
    system, _, _, _, request_id = world
    lst, validator = system.lst, system.validator
    with system.chain.anchor():
        amount = lst.request_value(request_id)
        for _ in range(6):
            system.chain.time_travel(DAY)
            keeper(system, checked=True)
        assert validator.withdrawable(lst) == 0, "the refill has landed"
        assert lst.unbonding_ready_at() <= lst.requests(request_id).ready_at
        assert queue_cover(system) >= amount, "V's X is open to instant exits"
        assert lst.convertToAssets(lst.max_instant_redeem()) <= lst.buffer()


def test_instant_exits_after_the_payback_cannot_delay_the_request(world) -> None:
    system, whale, holder, v, request_id = world
    lst = system.lst
    with system.chain.anchor():
        amount, ready_at = lst.request_value(request_id), lst.requests(request_id).ready_at
        for _ in range(6):
            system.chain.time_travel(DAY)
            keeper(system)
        for exiter in (holder, whale):
            shares = lst.maxRedeem(exiter)
            if shares:
                lst.redeem(shares, sender=exiter)
        assert queue_cover(system) >= amount, "instant exits took the X counted for the queue"
        system.chain.time_travel(ready_at - system.chain.timestamp)
        paid, reason = attempt(lst.claim, request_id, sender=v)
        assert reason is None
        assert paid == amount, "the request was not paid at ready_at"
