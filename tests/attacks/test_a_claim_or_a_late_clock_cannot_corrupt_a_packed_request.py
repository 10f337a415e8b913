"""A queued request's owner, `ready_at` and flags share one storage slot (owner in the low 160 bits,
`ready_at` in the 40 above, the flags above them), as the reward stream's amount, start and end share another.
A claim clears the slots its request wrote (an owner-less slot below the next id reads as claimed). Three
ways that could go wrong, each worth money:

- A claim clears the wrong slots, or too few: the request behind it would lose its owner or what it pays, or
  the claimed request, its owner slot left, could be claimed again (and paid what its other slots still say).
- A bit misplaced between the fields: an owner whose 160 bits are all set, filing a request due at 2^40 - 1
  (all 40 bits of `ready_at` set), must read back exactly; a flag overlapping `ready_at`'s top bit would
  change what the request is (its receiver, or a part set aside that it does not have).
- A time past 40 bits: shifted into its place it loses its high bits. A `ready_at` of 2^40 + d would read d
  (a request due at once: a fee-free instant exit), and a stream's end of 2^40 + d would end before it
  starts (the whole gain unlocked at once, for whoever deposits just before the sync). Both are refused.

The clock is set a few days before 2^40 (the year 36,812), where those values are reachable with the
devnet's backend (unbonding delay up to 60 days) and reward cycle.
"""

from __future__ import annotations

from boa_system import MAX_UINT, BoaSystem, RevmChain, deploy_system, reverts

from levstake.rpc import ZERO_ADDRESS

DAY = 86_400
# The last time the packed slots hold.
TIME_MAX = 2**40 - 1
# Every bit of an address set: no bit of `ready_at` or of the flag can hide in it or take from it.
OWNER = "0xFFfFfFffFFfffFFfFFfFFFFFffFFFffffFfFFFfF"


def system_at(decimals: int, start: int) -> BoaSystem:
    """The system deployed on a revm chain whose clock reads `start`."""
    chain = RevmChain()
    chain.time_travel(start - chain.timestamp)
    return deploy_system(decimals, chain)


def owner_with_shares(system: BoaSystem, amount: float) -> None:
    system.chain.evm.set_balance(OWNER, 10**24)
    system.mint_x(OWNER, system.units(amount))
    system.x.approve(system.lst, MAX_UINT, sender=OWNER)
    system.lst.deposit(system.units(amount), sender=OWNER)


def test_a_request_due_at_the_last_packed_second_keeps_its_owner_until_its_claim_clears_it(decimals) -> None:
    system = system_at(decimals, TIME_MAX - 20 * DAY)
    lst, chain = system.lst, system.chain
    # Nothing delegated: the buffer pays the requests when they are due.
    owner_with_shares(system, 1_000)
    receiver = chain.generate_address("receiver")
    system.validator.set_unbonding_delay(TIME_MAX - chain.timestamp, sender=system.owner)
    shares = lst.convertToShares(system.units(100))
    request_id = lst.request_unstake(shares, receiver, OWNER, sender=OWNER)
    # The request behind it, to the owner: the claim must leave all of it as it is.
    behind = lst.request_unstake(shares, sender=OWNER)
    filed = lst.requests(request_id)
    assert (filed.owner, filed.receiver, filed.ready_at, filed.claimed) == (OWNER, receiver, TIME_MAX, False)
    assert filed.paid == lst.request_value(request_id) > 0, "the buffer set it aside whole at filing"
    # Not due yet: the claim waits and leaves the request as it was.
    chain.time_travel(TIME_MAX - 1 - chain.timestamp)
    assert lst.claim(request_id, sender=OWNER) == 0
    assert lst.requests(request_id) == filed
    # Due: the owner (not the receiver) claims, which reads the owner from the packed slot.
    chain.time_travel(1)
    behind_before = (lst.requests(behind), lst.request_value(behind))
    paid = lst.claim(request_id, sender=OWNER)
    assert paid == filed.paid and system.x.balanceOf(receiver) == filed.paid
    claimed = tuple(lst.requests(request_id))
    assert claimed == (ZERO_ADDRESS, ZERO_ADDRESS, 0, 0, 0, True), "the claim cleared it and it reads claimed"
    assert lst.request_value(request_id) == 0, "a claimed request is worth nothing more"
    assert (lst.requests(behind), lst.request_value(behind)) == behind_before, "and only that request"
    for claimant in (receiver, OWNER):
        with reverts("lst: already claimed"):
            lst.claim(request_id, sender=claimant)
    # The request behind is paid to its owner what it read, once.
    assert lst.claim(behind, sender=OWNER) == behind_before[1] > 0
    with reverts("lst: already claimed"):
        lst.claim(behind, sender=OWNER)
    with reverts("lst: unknown request"):
        lst.claim(behind + 1, sender=OWNER)
    assert lst.queue_reserve() == 0


def test_a_request_due_past_40_bits_is_refused(decimals) -> None:
    system = system_at(decimals, TIME_MAX - 30 * DAY)
    lst, chain = system.lst, system.chain
    owner_with_shares(system, 1_000)
    shares = lst.convertToShares(system.units(100))
    # One second past what the slot holds: refused, nothing burnt (it would read as due at 0, at once).
    system.validator.set_unbonding_delay(TIME_MAX + 1 - chain.timestamp, sender=system.owner)
    balance = lst.balanceOf(OWNER)
    with reverts("lst: ready_at out of range"):
        lst.request_unstake(shares, sender=OWNER)
    assert (lst.balanceOf(OWNER), lst.next_request_id()) == (balance, 0)
    # Due at the last second it holds: filed, and not due before it.
    system.validator.set_unbonding_delay(TIME_MAX - chain.timestamp, sender=system.owner)
    request_id = lst.request_unstake(shares, sender=OWNER)
    assert lst.requests(request_id).ready_at == TIME_MAX
    chain.time_travel(TIME_MAX - 1 - chain.timestamp)
    assert lst.claim(request_id, sender=OWNER) == 0
    assert not lst.requests(request_id).claimed


def test_a_stream_ending_past_40_bits_is_refused(decimals) -> None:
    # Deployed (the last counted gain) at D: a sync at t streams its gain until t + (t - D), which is 2^40 - 1
    # at t = (2^40 - 1 + D) / 2.
    deployed = TIME_MAX - 20 * DAY
    system = system_at(decimals, deployed)
    lst, chain = system.lst, system.chain
    owner_with_shares(system, 1_000)
    lst.rebalance()
    assert lst.last_gain_time() == deployed
    last_fitting = (TIME_MAX + deployed) // 2
    with chain.anchor():
        chain.time_travel(last_fitting + 1 - chain.timestamp)
        accounted = lst.backend_accounted()
        with reverts("lst: stream end out of range"):
            lst.sync_rewards()
        assert lst.backend_accounted() == accounted
    chain.time_travel(last_fitting - chain.timestamp)
    lst.sync_rewards()
    assert lst.stream_amount() > 0, "the backend earned something to stream"
    assert (lst.stream_start(), lst.stream_end()) == (last_fitting, TIME_MAX)
    assert lst.share_prices()[1] == lst.stream_amount(), "all of it still locked when it starts"


def test_unbonding_maturing_past_40_bits_cannot_spill_into_the_queues_other_counters(decimals) -> None:
    # The queue's ids, head, `last_ready_at`, `unbonding_ready_at` and unbonding count share one slot: a
    # backend `ready_at` past 40 bits is kept as 2^40, and no other counter may move but the count, by one.
    system = system_at(decimals, TIME_MAX - 30 * DAY)
    lst, chain = system.lst, system.chain
    owner_with_shares(system, 1_000)
    request_id = lst.request_unstake(lst.convertToShares(system.units(100)), sender=OWNER)
    lst.rebalance()
    system.validator.set_unbonding_delay(60 * DAY, sender=system.owner)
    before = (lst.next_request_id(), lst.queue_head(), lst.last_ready_at(), lst.unbonding_requests())
    lst.redeem(lst.maxRedeem(OWNER), sender=OWNER)  # the buffer drained: the rebalance asks for unbonding
    lst.rebalance()
    after = (lst.next_request_id(), lst.queue_head(), lst.last_ready_at(), lst.unbonding_requests())
    assert lst.unbonding_ready_at() == TIME_MAX + 1
    assert after == (*before[:3], before[3] + 1)
    with reverts("lst: ready_at out of range"):
        lst.request_unstake(lst.balanceOf(OWNER), sender=OWNER)
    chain.time_travel(lst.requests(request_id).ready_at - chain.timestamp)
    assert lst.claim(request_id, sender=OWNER) > 0
