"""A sibling of the re-unbonding attack (issue 26): unbonding counted as a request's cover must mature by the
request's `ready_at` on every path, and a backend whose owner shortens its unbonding delay is one of them.
With a 14-day delay, a drained buffer's refill is unbonding until t0+14d; the delay is then cut to 7 days and
at t0+1d V files a request. Counted on that refill, which matures at t0+14d, and promised at t0+8d, V would
wait six days past `ready_at` (a new unbonding for V would not help on a backend that pays its entries in
order, as the devnet's does: it waits behind the refill).

The defence: a request is never due before the unbonding the queue may count on matures
(`unbonding_ready_at`), so its `ready_at` is a date the LST can keep; unchanged delays make that no later than
the delay from now.
"""

from __future__ import annotations

from boa_system import RevmChain, attempt, deploy_system
from boa_system import stake as staker

DAY = 86_400


def test_a_request_filed_after_the_delay_is_shortened_is_paid_at_its_ready_at(decimals) -> None:
    system = deploy_system(decimals, RevmChain())
    lst, validator = system.lst, system.validator
    validator.set_unbonding_delay(14 * DAY, sender=system.owner)
    whale = staker(system, "whale", 100_000)
    lst.rebalance()
    lst.redeem(lst.maxRedeem(whale), sender=whale)
    lst.rebalance()
    refill_ready = system.chain.timestamp + 14 * DAY
    assert validator.unbonding_balance(lst) > system.units(8_000), "the refill is unbonding for 14 days"
    validator.set_unbonding_delay(7 * DAY, sender=system.owner)
    system.chain.time_travel(DAY)
    lst.rebalance()
    v = staker(system, "v", 1_000)
    request_id = lst.request_unstake(lst.balanceOf(v), sender=v)
    amount, ready_at = lst.request_value(request_id), lst.requests(request_id).ready_at
    # Never promised before the X it counts on can come back, and no later either.
    assert ready_at == max(system.chain.timestamp + 7 * DAY, refill_ready)
    for _ in range(20):
        if system.chain.timestamp + DAY > ready_at:
            break
        system.chain.time_travel(DAY)
        lst.rebalance()
        lst.sync_rewards()
    system.chain.time_travel(ready_at - system.chain.timestamp)
    paid, reason = attempt(lst.claim, request_id, sender=v)
    assert reason is None
    assert paid == amount, "the request was not paid at ready_at"
