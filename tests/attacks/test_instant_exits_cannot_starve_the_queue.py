"""A queued request is promised its X at `ready_at`. The outside review after the hardening found that when
the buffer looked big enough at filing, the LST asked the backend to unbond nothing for the request and left
the buffer open to instant exits: the review's run had a 100 X request filed with a 500 X buffer, a week of
daily rebalances, then two holders redeeming the buffer down to 0.0022 X an hour before `ready_at` (at a lower
fee, since the X owed to the queue made the buffer's deficit look smaller). The claim at `ready_at` paid 0; a
new unbonding had to run its whole delay, and the request was first paid at `ready_at` + 6.96 days. Now the
queue is covered by unbonding only: filing asks the backend for what the queue is owed beyond what is already
unbonding, whatever the buffer holds.
"""

from __future__ import annotations

from boa_system import RevmChain, attempt, deploy_system
from boa_system import stake as staker
from queue_world import DAY


def test_instant_exits_before_ready_at_cannot_delay_a_request(decimals):
    system = deploy_system(decimals, RevmChain())
    lst, validator = system.lst, system.validator
    with system.chain.anchor():
        whale = staker(system, "whale", 1_000)
        lst.rebalance()
        exiter = staker(system, "exiter", 300)
        queued = staker(system, "queued", 100)
        assert lst.buffer() >= system.units(500)
        request_id = lst.request_unstake(lst.balanceOf(queued), sender=queued)
        amount, ready_at = lst.request_value(request_id), lst.requests(request_id).ready_at
        # Covered by unbonding at once, although the buffer could have paid it.
        assert validator.unbonding_balance(lst) >= amount
        for _ in range(6):
            system.chain.time_travel(DAY)
            lst.rebalance()
        system.chain.time_travel(DAY - 3_600)
        for holder in (exiter, whale):
            shares = lst.maxRedeem(holder)
            if shares:
                lst.redeem(shares, sender=holder)
        assert lst.buffer() < system.units(1)
        lst.rebalance()
        system.chain.time_travel(ready_at - system.chain.timestamp)
        paid, reason = attempt(lst.claim, request_id, sender=queued)
        assert reason is None
        assert paid == amount, "the request was not paid at ready_at"
        assert system.x.balanceOf(queued) == amount


def test_the_buffer_is_not_counted_for_the_queue(decimals):
    """Filing a request with a full buffer still asks the backend for the whole request: the queue never
    relies on X that instant exits can take."""
    system = deploy_system(decimals, RevmChain())
    lst, validator = system.lst, system.validator
    with system.chain.anchor():
        staker(system, "whale", 10_000)
        lst.rebalance()
        depositor = staker(system, "depositor", 5_000)
        before = validator.unbonding_balance(lst)
        request_id = lst.request_unstake(lst.balanceOf(depositor) // 10, sender=depositor)
        assert validator.unbonding_balance(lst) - before >= lst.request_value(request_id)


def test_a_payback_that_lands_early_stays_for_the_queue(decimals):
    """Found while rebuilding the queue tests: a request filed while unbonding asked earlier (for the buffer)
    is in flight was once covered by that unbonding, which matures a week before the request is due and
    lands in the buffer; instant exits could take it and leave the request to wait a whole new unbonding
    delay. Now a filing is covered by new unbonding of the stake (the refill in flight stays the buffer's),
    so the refill landing early changes nothing for the request: the exits may take all of it, and the
    request is still paid in full at `ready_at`."""
    system = deploy_system(decimals, RevmChain())
    lst, validator = system.lst, system.validator
    with system.chain.anchor():
        whale = staker(system, "whale", 1_000)
        lst.rebalance()
        lst.redeem(lst.maxRedeem(whale), sender=whale)
        lst.rebalance()
        refill = validator.unbonding_balance(lst)
        assert refill > 0
        system.chain.time_travel(6 * DAY)
        depositor = staker(system, "depositor", 200)
        queued = staker(system, "queued", 50)
        request_id = lst.request_unstake(lst.balanceOf(queued), sender=queued)
        amount, ready_at = lst.request_value(request_id), lst.requests(request_id).ready_at
        # The filing is covered by new unbonding, not by the refill in flight.
        assert validator.unbonding_balance(lst) >= refill + amount
        system.chain.time_travel(DAY + 60)
        lst.process_queue()
        # The refill landed for the buffer; the request's own unbonding is still on its way.
        assert validator.unbonding_balance(lst) >= amount
        assert ready_at > system.chain.timestamp
        for holder in (depositor, whale):
            shares = lst.maxRedeem(holder)
            if shares:
                lst.redeem(shares, sender=holder)
        system.chain.time_travel(ready_at - system.chain.timestamp)
        paid, reason = attempt(lst.claim, request_id, sender=queued)
        assert reason is None and paid == amount
