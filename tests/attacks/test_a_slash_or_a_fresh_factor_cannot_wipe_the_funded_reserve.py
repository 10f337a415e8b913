"""The LST keeps the queue's loss factor and the X held for funded, unclaimed requests (`queue_reserve`) in
one storage slot (gas: the factor is never zero, so a funding into an emptied reserve creates no slot). Every
write of one half must leave the other as it was: a slash rewrites the factor while funded requests wait to
be claimed, and a filing into a queue worth nothing starts the factor over at RAY with funded X still held.
A write that dropped the reserve would leave the funded owners' X counted nowhere (their claims would revert
or the X would fall to the stakers); a reserve added into the factor's half would shrink or grow every
waiting request.
"""

from __future__ import annotations

from boa_system import MAX_UINT, BoaSystem, RevmChain, deploy_system, reverts
from boa_system import stake as staker
from queue_world import DAY, keeper, slash
from revm_reads import reader_of

from levstake.model import LST_BOOKS_MAX

RAY = 10**27


def _funded_request(decimals: int) -> tuple[BoaSystem, int, int]:
    """A staked LST (10,000 X, a day of upkeep) with one request of 500 X kept up until the queue's head
    passed it (funded, not claimed): the system, the request's id and what it pays."""
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    staker(system, "stayer", 10_000)
    keeper(system)
    system.chain.time_travel(DAY)
    keeper(system)
    owner = staker(system, "funded", 500)
    keeper(system)
    request_id = lst.request_unstake(lst.balanceOf(owner), sender=owner)
    while lst.queue_head() <= request_id:
        system.chain.time_travel(DAY)
        keeper(system)
    return system, request_id, lst.request_value(request_id)


def _claim_pays(system, request_id: int, expected: int) -> None:
    lst = system.lst
    owner = lst.requests(request_id).owner
    while lst.requests(request_id).ready_at > system.chain.timestamp:
        system.chain.time_travel(DAY)
    reserve = lst.queue_reserve()
    assert lst.claim(request_id, sender=owner) == expected
    assert lst.queue_reserve() == reserve - expected


def test_a_slash_while_a_funded_request_waits_for_its_claim_keeps_the_reserve(decimals) -> None:
    system, funded, paid = _funded_request(decimals)
    lst = system.lst
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
    system, funded, paid = _funded_request(decimals)
    lst = system.lst
    assert lst.queue_head() == lst.next_request_id(), "nothing waits: the next filing starts the factor over"
    reserve = lst.queue_reserve()
    assert reserve >= paid > 0
    filer = staker(system, "filer", 100)
    lst.request_unstake(lst.balanceOf(filer), sender=filer)
    assert lst.loss_factor() == RAY
    assert lst.queue_reserve() >= reserve, "the fresh factor left the reserve as it was (or funded more)"
    assert lst.request_value(funded) == paid
    _claim_pays(system, funded, paid)


def test_a_reserve_of_everything_the_books_held_cannot_freeze_the_queue(decimals) -> None:
    # The reserve has the slot's high 128 bits, and X set aside leaves the books: were the bound on the books
    # alone, deposits would refill them and the next funding would carry the reserve out of its half (an
    # outside review's find: every claim, filing and rebalance then reverted for good). The bound counts it.
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    whale = system.chain.generate_address("whale")
    system.mint_x(whale, 2**129)
    system.x.approve(system.lst, MAX_UINT, sender=whale)
    lst.deposit(LST_BOOKS_MAX, sender=whale)
    request_id = lst.request_unstake(lst.balanceOf(whale), sender=whale)
    assert lst.queue_reserve() == LST_BOOKS_MAX, "set aside whole at once"
    assert lst.maxDeposit(whale) == 0 and lst.maxMint(whale) == 0
    assert lst_snapshot_room(system) == 0, "the previews' room is the chain's"
    with reverts("lst: amount too large"):
        lst.deposit(1, sender=whale)
    system.chain.time_travel(lst.requests(request_id).ready_at - system.chain.timestamp)
    lst.rebalance()
    assert lst.claim(request_id, sender=whale) == LST_BOOKS_MAX
    assert lst.queue_reserve() == 0 and lst.maxDeposit(whale) == LST_BOOKS_MAX
    lst.deposit(10 ** (decimals + 2), sender=whale)
    later = lst.request_unstake(lst.balanceOf(whale), sender=whale)
    system.chain.time_travel(lst.requests(later).ready_at - system.chain.timestamp + DAY)
    keeper(system)
    assert lst.claim(later, sender=whale) > 0, "the queue goes on"


def lst_snapshot_room(system) -> int:
    """The room the CLI's and the page's previews refuse a stake past (`levstake.reads`' snapshot)."""
    return reader_of(system).snapshot().lst.deposit_room()
