"""A queued request is promised its X at `ready_at`. An outside review of the queue's cover (issue 26, finding
1) found a slash that made it up to a full unbonding delay late with no attacker at all: the backend cuts the
queue's unbonding by the whole slash, but the queue's debt shrank only by the loss the LST saw, net of the
rewards the backend held that it had not counted yet (there always are some between two daily syncs) and
spread over the buffer too. The buffer then had to hold the difference, which instant exits had already taken,
and the request waited for new unbonding. The review's run: V files 10,005.33 X covered by unbonding; just
before `ready_at` a holder redeems what instant exits may take; a 13 bp slash (hidden by 136.71 X of uncounted
rewards) leaves the queue's debt at 10,005.33 X and its unbonding at 10,002.08 X; V is paid 7.00 days late
(30 days late when the backend's delay is 30 days). Reproduced here before the fix: the claim at `ready_at`
paid 0.

The defence: a slash of the unbonding the queue counts on is the queue's own loss, taken off its liability
(and off the LST's accounted backend balance) in full, never netted against uncounted rewards, and the part of
the liability the buffer holds stays as it was; every other loss falls on the stakers. A slash can then never
make the buffer owe the queue more than it held.
"""

from __future__ import annotations

import pytest
from boa_system import BoaSystem, RevmChain, attempt, deploy_system
from boa_system import stake as staker

DAY = 86_400
# The drain happens this long before `ready_at`, the slash right after it.
DRAIN_BEFORE = 2 * 3_600


def keeper(system: BoaSystem) -> None:
    system.lst.rebalance()
    system.lst.sync_rewards()


@pytest.fixture(scope="module")
def world(decimals):
    """V's request is covered by unbonding; the daily keeper ran (once 10 days late, so the stream after it
    runs 10 days and the backend's rewards go uncounted meanwhile) until 2 hours before `ready_at`, when a
    holder redeems what instant exits may take."""
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    whale = staker(system, "whale", 100_000)
    v = staker(system, "v", 10_000)
    keeper(system)
    for _ in range(3):
        system.chain.time_travel(DAY)
        keeper(system)
    system.chain.time_travel(10 * DAY)
    keeper(system)
    request_id = lst.request_unstake(lst.balanceOf(v), sender=v)
    ready_at = lst.requests(request_id).ready_at
    while system.chain.timestamp + DAY <= ready_at - DRAIN_BEFORE:
        system.chain.time_travel(DAY)
        keeper(system)
    system.chain.time_travel(ready_at - DRAIN_BEFORE - system.chain.timestamp)
    for _ in range(3):
        shares = lst.maxRedeem(whale)
        if shares:
            lst.redeem(shares, sender=whale)
    assert lst.buffer() < system.units(10), "instant exits took what they may"
    uncounted = system.validator.total_balance(lst) - lst.backend_accounted()
    assert uncounted > system.units(10), "the backend holds rewards the LST has not counted"
    return system, v, request_id, uncounted


def hidden_bps(system: BoaSystem, uncounted: int) -> int:
    """The largest slash the uncounted rewards hide from the LST's books entirely."""
    return max(uncounted * 10_000 // system.validator.total_balance(system.lst), 1)


@pytest.mark.parametrize("reported", [True, False], ids=["reported", "unreported"])
@pytest.mark.parametrize("size", ["hidden", "300bp"])
def test_a_slash_cannot_make_a_covered_request_late(world, reported: bool, size: str) -> None:
    system, v, request_id, uncounted = world
    lst, validator = system.lst, system.validator
    with system.chain.anchor():
        ready_at = lst.requests(request_id).ready_at
        bps = hidden_bps(system, uncounted) if size == "hidden" else 300
        unbonding, owed = validator.unbonding_balance(lst), lst.request_value(request_id)
        validator.slash(lst, bps, reported, sender=system.owner)
        cut = unbonding - validator.unbonding_balance(lst)
        # The queue counted on its part of the unbonding (the rest refills the buffer): its debt falls by
        # that part's cut, whatever the rewards hide.
        assert lst.request_value(request_id) <= owed - cut * owed // unbonding
        keeper(system)
        system.chain.time_travel(ready_at - system.chain.timestamp)
        keeper(system)
        value = lst.request_value(request_id)
        paid, reason = attempt(lst.claim, request_id, sender=v)
        assert reason is None
        assert paid == value > 0, "the request was not paid at its ready_at"


def test_the_slash_falls_on_the_queue_not_on_the_stakers(world) -> None:
    """The queue's X was its unbonding, which the slash cut: the stakers do not make it whole, and they bear
    the slash of the stake (here hidden by their uncounted rewards) themselves."""
    system, v, request_id, uncounted = world
    lst, validator = system.lst, system.validator
    with system.chain.anchor():
        assets = lst.totalAssets()
        validator.slash(lst, hidden_bps(system, uncounted), sender=system.owner)
        # Up to the unit per backend entry the queue is charged more (each entry's cut rounds down) and the
        # unit its loss factor rounds in the stakers' favour.
        margin = lst.unbonding_requests() + 1
        assert assets <= lst.totalAssets() <= assets + margin, "a cut moved between the queue and the stakers"
