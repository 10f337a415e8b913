"""Anybody can file queued unstakes. The review filed 40 dust requests ahead of a user: 41 entries in the
backend, which pays at most 32 per call, and `claim` reverted when the user's request was not yet funded,
undoing what the call had pulled, so her first claim failed and needed an extra `rebalance()`.

The defences: a queued unstake must be worth at least `min_request` (0.01 X); a claim funds up to 64 due
requests and, when the claimed one is still waiting, returns 0 and keeps what it did instead of reverting.
"""

from __future__ import annotations

import pytest
from boa_system import RevmChain, deploy_system, reverts, stake


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    spammer, user = stake(system, "spammer", 10_000), stake(system, "user", 10_000)
    system.lst.rebalance()
    return system, spammer, user


def test_dust_requests_are_refused(world) -> None:
    system, spammer, _ = world
    lst = system.lst
    dust = lst.convertToShares(lst.min_request()) - 1
    with reverts("lst: request below minimum"):
        lst.request_unstake(dust, sender=spammer)
    with reverts("lst: request below minimum"):
        lst.request_unstake(1, sender=spammer)


def spam(system, spammer, count: int) -> None:
    lst = system.lst
    shares = lst.convertToShares(lst.min_request()) + 1
    for _ in range(count):
        lst.request_unstake(shares, sender=spammer)


def test_forty_smallest_requests_ahead_do_not_fail_her_claim(world) -> None:
    system, spammer, user = world
    lst = system.lst
    with system.chain.anchor():
        spam(system, spammer, 40)
        request = lst.request_unstake(lst.convertToShares(system.units(1_000)), sender=user)
        system.chain.time_travel(system.validator.unbonding_delay())
        before = system.x.balanceOf(user)
        paid = lst.claim(request, sender=user)
        assert paid > 0 and system.x.balanceOf(user) - before == paid, "paid in her first call"


def test_a_claim_behind_a_long_queue_keeps_its_progress(world) -> None:
    system, spammer, user = world
    lst = system.lst
    with system.chain.anchor():
        spam(system, spammer, 100)
        request = lst.request_unstake(lst.convertToShares(system.units(1_000)), sender=user)
        system.chain.time_travel(system.validator.unbonding_delay())
        assert lst.claim(request, sender=user) == 0, "more than one call's worth of requests ahead of hers"
        assert lst.queue_head() == 64, "but the call funded what it could, and that stays"
        assert lst.claim(request, sender=user) > 0
