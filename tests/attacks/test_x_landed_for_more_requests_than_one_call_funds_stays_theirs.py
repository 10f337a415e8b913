"""X that lands for the queue is set aside for the oldest requests at once, but one call funds at most
`MAX_FUNDED_PER_CALL` (64) requests: when more requests' X lands together, the rest waits in the buffer as
the queue's part until later calls set it aside, and those requests may be weeks from due. That part must
stay theirs: instant exits cannot take it, `rebalance` does not unbond it a second time, and does not
delegate it as room above the buffer's target (each would leave the requests to wait for a new unbonding).
Since the queue's slash rule sets X aside at filing and at landing, one road is left to such a part: a buffer
refill asked behind the queue's unbonding lands first and is counted as the queue's (README, Known gaps);
the devnet validator pays at most 32 entries per call, so a request per entry never gets there alone. This
file builds that road and checks the three defences (each has a mutation in `make defences`).
"""

from __future__ import annotations

import pytest
from boa_system import BoaSystem, RevmChain, attempt, deploy_system
from boa_system import stake as staker
from queue_world import DAY, HOUR, keeper

from levstake import lst_lens

REQUESTS = 300  # several calls' worth of funding


def queue_part(system: BoaSystem) -> int:
    """X the buffer holds for the queue and has not set aside yet."""
    return system.lst.queue_cover()[1]


@pytest.fixture(scope="module")
def world(decimals):
    """[an earlier request's unbonding][a buffer refill][300 small requests' unbonding]: the refill lands with
    the earlier request's unbonding and pays for the small requests, 6.5 days before they are due."""
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    stayer = staker(system, "stayer", 100_000)
    drainer = staker(system, "drainer", 40_000)
    earlier = staker(system, "earlier", 10_000)
    holder = staker(system, "holder", 3_000)
    for _ in range(4):
        keeper(system)
        system.chain.time_travel(DAY)
    lst.request_unstake(lst.balanceOf(earlier), sender=earlier)
    lst.redeem(lst.maxRedeem(drainer), sender=drainer)
    keeper(system)
    for _ in range(6):
        system.chain.time_travel(DAY)
        keeper(system)
    system.chain.time_travel(DAY // 2)
    piece = lst.balanceOf(holder) // REQUESTS
    requests = [lst.request_unstake(piece, sender=holder) for _ in range(REQUESTS)]
    system.chain.time_travel(DAY // 2 + HOUR)
    return system, stayer, holder, requests


def claims_pay_in_full(system: BoaSystem, holder: str, requests: list[int]) -> None:
    lst = system.lst
    system.chain.time_travel(lst.requests(requests[-1]).ready_at - system.chain.timestamp)
    for request_id in requests:
        amount = lst.request_value(request_id)
        paid, reason = attempt(lst.claim, request_id, sender=holder)
        assert reason is None and paid == amount, f"request {request_id} paid {paid} of {amount} ({reason})"


def test_instant_exits_cannot_take_what_landed_for_unfunded_requests(world) -> None:
    system, stayer, holder, requests = world
    lst = system.lst
    with system.chain.anchor():
        lst.process_queue()
        owed = queue_part(system)
        assert owed > 0, "the scenario needs X waiting for a later call"
        lst.redeem(lst.maxRedeem(stayer), sender=stayer)
        assert lst.buffer() >= owed, "an instant exit took X that landed for the queue"
        claims_pay_in_full(system, holder, requests)


def test_rebalance_does_not_unbond_again_what_landed_for_the_queue(world) -> None:
    system, _, holder, requests = world
    lst, validator = system.lst, system.validator
    with system.chain.anchor():
        unbonding, free = validator.unbonding_balance(lst), lst.free_unbonding()
        lst.rebalance()
        assert queue_part(system) > 0, "the scenario needs X waiting for a later call"
        asked = validator.unbonding_balance(lst) - unbonding
        # Whatever this call asked is the buffer's (its target), none of it for the queue.
        assert asked <= max(lst.free_unbonding() - free, 0), "rebalance unbonded X the buffer holds for it"
        claims_pay_in_full(system, holder, requests)


def test_rebalance_does_not_delegate_what_landed_for_the_queue(world) -> None:
    system, _, holder, requests = world
    lst = system.lst
    with system.chain.anchor():
        # Where one rebalance leaves the buffer, its target and the queue's part...
        with system.chain.anchor():
            lst.rebalance()
            buffer, target, owed = lst.buffer(), lst_lens.target_buffer(lst), queue_part(system)
            total = lst.totalAssets()
        assert owed > system.units(10), "the scenario needs X waiting for a later call"
        # ...then a stake that brings the buffer to its target plus half the queue's part: room above the
        # target only if the queue's part is counted as room.
        rate = target / total
        top_up = int((target + owed // 2 - buffer) / (1 - rate))
        assert top_up > 0
        staker(system, "top-up", top_up / 10**system.decimals)
        staked = system.validator.staked_balance(lst)
        lst.rebalance()
        assert system.validator.staked_balance(lst) <= staked, "rebalance delegated X the buffer holds for it"
        claims_pay_in_full(system, holder, requests)
