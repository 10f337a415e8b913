"""The LST keeps the queue's loss factor and the X held for funded, unclaimed requests (`queue_reserve`) in
one storage slot (gas: the factor is never zero, so a funding into an emptied reserve creates no slot). Every
write of one half must leave the other as it was: a slash rewrites the factor while funded requests wait to
be claimed, and a filing into a queue worth nothing starts the factor over at RAY with funded X still held.
A write that dropped the reserve would leave the funded owners' X counted nowhere (their claims would revert
or the X would fall to the stakers); a reserve added into the factor's half would shrink or grow every
waiting request.
"""

from __future__ import annotations

from boa_system import RevmChain, deploy_system
from boa_system import stake as staker
from queue_world import DAY, keeper, slash

RAY = 10**27


def _funded_request(system, alias: str, amount: float) -> int:
    """A request of `alias`'s whole stake, kept up until the queue's head passed it (funded, not claimed)."""
    lst = system.lst
    owner = staker(system, alias, amount)
    keeper(system)
    request_id = lst.request_unstake(lst.balanceOf(owner), sender=owner)
    while lst.queue_head() <= request_id:
        system.chain.time_travel(DAY)
        keeper(system)
    return request_id


def _claim_pays(system, request_id: int, expected: int) -> None:
    lst = system.lst
    owner = lst.requests(request_id).owner
    while lst.requests(request_id).ready_at > system.chain.timestamp:
        system.chain.time_travel(DAY)
    reserve = lst.queue_reserve()
    assert lst.claim(request_id, sender=owner) == expected
    assert lst.queue_reserve() == reserve - expected


def test_a_slash_while_a_funded_request_waits_for_its_claim_keeps_the_reserve(decimals) -> None:
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    staker(system, "stayer", 10_000)
    keeper(system)
    system.chain.time_travel(DAY)
    keeper(system)
    funded = _funded_request(system, "funded", 500)
    paid = lst.request_value(funded)
    # A large request behind it stays unfunded: the slash has waiting requests to shrink.
    waiter = staker(system, "waiter", 6_000)
    waiting = lst.request_unstake(lst.balanceOf(waiter), sender=waiter)
    assert lst.queue_head() <= waiting
    reserve = lst.queue_reserve()
    assert reserve >= paid > 0
    system.chain.time_travel(DAY)
    slash(system)
    assert lst.loss_factor() < RAY, "the slash reached the waiting request's factor"
    assert lst.queue_reserve() == reserve, "the factor's rewrite left the reserve as it was"
    assert lst.request_value(funded) == paid
    _claim_pays(system, funded, paid)


def test_a_filing_that_starts_the_factor_over_keeps_the_funded_reserve(decimals) -> None:
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    staker(system, "stayer", 10_000)
    keeper(system)
    system.chain.time_travel(DAY)
    keeper(system)
    funded = _funded_request(system, "funded", 500)
    paid = lst.request_value(funded)
    assert lst.queue_head() == lst.next_request_id(), "nothing waits: the next filing starts the factor over"
    reserve = lst.queue_reserve()
    assert reserve >= paid > 0
    filer = staker(system, "filer", 100)
    lst.request_unstake(lst.balanceOf(filer), sender=filer)
    assert lst.loss_factor() == RAY
    assert lst.queue_reserve() >= reserve, "the fresh factor left the reserve as it was (or funded more)"
    assert lst.request_value(funded) == paid
    _claim_pays(system, funded, paid)
