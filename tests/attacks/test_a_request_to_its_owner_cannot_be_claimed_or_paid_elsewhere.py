"""A queued request stores its receiver only when it is not its owner (a flag in the owner's slot says so,
above `ready_at`): most requests pay their owner, and a filing then writes one new slot less.
What that could break, each worth money:

- A request to its owner read back without a receiver: its claim would pay the zero address (the X gone) or
  nobody could claim it.
- The flag misplaced onto `ready_at` or the other flag: a request to another receiver would read as due
  ~17,400 years later, or as having a part set aside apart that was never written (its X never paid).
- A stranger claiming for somebody else, or a request never filed read as one.

Requests at both ends: an owner whose 160 bits are all set (no bit of it may leak into the flags), due at a
normal time (`ready_at`'s top bit clear), once to itself and once to another receiver.
"""

from __future__ import annotations

from boa_system import MAX_UINT, RevmChain, deploy_system, reverts

from levstake.rpc import ZERO_ADDRESS

# Every bit of an address set.
OWNER = "0xFFfFfFffFFfffFFfFFfFFFFFffFFFffffFfFFFfF"


def world(decimals: int):
    system = deploy_system(decimals, RevmChain())
    chain = system.chain
    chain.evm.set_balance(OWNER, 10**24)
    system.mint_x(OWNER, system.units(1_000))
    system.x.approve(system.lst, MAX_UINT, sender=OWNER)
    system.lst.deposit(system.units(1_000), sender=OWNER)
    return system, chain.generate_address("receiver"), chain.generate_address("stranger")


def test_a_request_to_its_owner_reads_back_and_pays_its_owner(decimals) -> None:
    system, _, stranger = world(decimals)
    lst, chain, x = system.lst, system.chain, system.x
    due = chain.timestamp + system.validator.unbonding_delay()
    request_id = lst.request_unstake(lst.convertToShares(system.units(100)), sender=OWNER)
    filed, amount = lst.requests(request_id), lst.request_value(request_id)
    assert (filed.owner, filed.receiver, filed.ready_at, filed.claimed) == (OWNER, OWNER, due, False)
    assert due < 2**39, "ready_at's top bit clear: a flag there would show"
    chain.time_travel(due - chain.timestamp)
    with reverts("lst: not request owner"):
        lst.claim(request_id, sender=stranger)
    before = x.balanceOf(OWNER)
    assert lst.claim(request_id, sender=OWNER) == amount > 0
    assert x.balanceOf(OWNER) - before == amount, "paid to its owner"
    assert tuple(lst.requests(request_id)) == (ZERO_ADDRESS, ZERO_ADDRESS, 0, 0, 0, True), "cleared, claimed"


def test_a_request_to_another_receiver_reads_back_due_and_unclaimed(decimals) -> None:
    system, receiver, stranger = world(decimals)
    lst, chain, x = system.lst, system.chain, system.x
    due = chain.timestamp + system.validator.unbonding_delay()
    request_id = lst.request_unstake(lst.convertToShares(system.units(100)), receiver, OWNER, sender=OWNER)
    filed, amount = lst.requests(request_id), lst.request_value(request_id)
    assert (filed.owner, filed.receiver, filed.ready_at, filed.claimed) == (OWNER, receiver, due, False)
    chain.time_travel(due - chain.timestamp)
    with reverts("lst: not request owner"):
        lst.claim(request_id, sender=stranger)
    assert lst.claim(request_id, sender=receiver) == amount > 0
    assert x.balanceOf(receiver) == amount and x.balanceOf(stranger) == 0
    with reverts("lst: already claimed"):
        lst.claim(request_id, sender=OWNER)


def test_a_request_never_filed_is_unknown(decimals) -> None:
    system, receiver, stranger = world(decimals)
    lst = system.lst
    lst.request_unstake(lst.convertToShares(system.units(100)), sender=OWNER)
    assert lst.next_request_id() == 1 and lst.requests(1).owner == ZERO_ADDRESS
    for caller in (stranger, OWNER, receiver):
        with reverts("lst: unknown request"):
            lst.claim(1, sender=caller)
