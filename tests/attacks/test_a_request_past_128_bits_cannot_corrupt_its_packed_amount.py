"""A queued request's amount and the X set aside for it so far (`paid`) share one storage slot, 128 bits each
(the amount low, `paid` above it), as its owner, `ready_at` and claimed flag share another. Three ways that
could go wrong, each worth money:

- A filing worth 2^128 X or more: its high bits would land in `paid`, so the request would read as paid
  before anything is set aside for it, and its claim would take X set aside for the requests behind it (or
  revert for good). Refused ("lst: request too large"), before any share is burnt; one unit less is filed.
- A bit misplaced between the two: a request of exactly 2^128 - 1 X (all 128 bits set), set aside whole at
  filing (all of `paid`'s bits set too), must read back and be paid exactly that; and one of 2^127 - 1 (odd,
  the amount's top bit clear), where a paid part one bit out of place would show.
- A funding rewrites the slot to add what it set aside: were it to write `paid` alone, the amount would be
  gone (what the CLI, the page and the bot show as the request's size).
"""

from __future__ import annotations

from boa_system import MAX_UINT, BoaSystem, RevmChain, deploy_system, reverts
from boa_system import stake as staker

DAY = 86_400
# The most one request holds.
REQUEST_MAX = 2**128 - 1


def holder_of_more_than_128_bits(system: BoaSystem) -> str:
    """An account holding shares worth 2^129 X, staked at a rate of exactly 1 (nothing delegated: the buffer
    holds it all, so a filing is set aside whole at once)."""
    holder = system.chain.generate_address("holder")
    system.mint_x(holder, 2**129)
    system.x.approve(system.lst, MAX_UINT, sender=holder)
    system.lst.deposit(2**129, sender=holder)
    assert system.lst.convertToAssets(10**30) == 10**30, "a rate of exactly 1: shares and X alike"
    return holder


def test_a_request_worth_2_to_the_128_is_refused_and_one_unit_less_is_paid_exactly(decimals) -> None:
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    holder = holder_of_more_than_128_bits(system)
    balance = lst.balanceOf(holder)
    with reverts("lst: request too large"):
        lst.request_unstake(REQUEST_MAX + 1, sender=holder)
    assert (lst.balanceOf(holder), lst.next_request_id()) == (balance, 0), "nothing burnt, nothing filed"
    # Amount and paid odd with the amount's top bit clear: a paid part shifted one bit short would set it.
    odd = lst.requests(lst.request_unstake(2**127 - 1, sender=holder))
    assert (odd.amount, odd.paid) == (2**127 - 1, 2**127 - 1)
    request_id = lst.request_unstake(REQUEST_MAX, sender=holder)
    assert request_id == 1
    filed = lst.requests(request_id)
    assert (filed.amount, filed.paid) == (REQUEST_MAX, REQUEST_MAX), "all of both fields' bits, each intact"
    assert lst.request_value(request_id) == REQUEST_MAX
    system.chain.time_travel(filed.ready_at - system.chain.timestamp)
    before = system.x.balanceOf(holder)
    assert lst.claim(request_id, sender=holder) == REQUEST_MAX
    assert system.x.balanceOf(holder) - before == REQUEST_MAX
    assert lst.queue_reserve() == 2**127 - 1, "what is set aside for the other request stays"
    paid = lst.requests(request_id)
    assert paid.claimed and (paid.amount, paid.paid) == (REQUEST_MAX, REQUEST_MAX)


def test_a_funding_keeps_the_amount_filed(decimals) -> None:
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    leaver = staker(system, "leaver", 1_000)
    staker(system, "stayer", 9_000)
    lst.rebalance()
    # Covered by unbonding of the stake: nothing set aside at filing, all of it when it lands.
    request_id = lst.request_unstake(lst.balanceOf(leaver), sender=leaver)
    filed = lst.requests(request_id)
    assert filed.paid == 0 and filed.amount > 0
    system.chain.time_travel(filed.ready_at - system.chain.timestamp)
    lst.process_queue()
    funded = lst.requests(request_id)
    assert lst.queue_head() == request_id + 1, "funded"
    assert (funded.amount, funded.paid) == (filed.amount, lst.request_value(request_id))
    assert funded.paid == filed.amount, "no slash: paid in full"
    assert lst.claim(request_id, sender=leaver) == filed.amount
    assert lst.requests(request_id).amount == filed.amount
