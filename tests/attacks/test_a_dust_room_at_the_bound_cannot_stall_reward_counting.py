"""At the books' bound (buffer + accounted = 2^128 - 1) a sync counts no gain and leaves `last_gain_time`
where it was. Once a dust room opens (an exit of one unit), anybody can sync: the gain is clamped to the
room (one unit) and streamed over all the time since the last counted gain (a year here), and no further
gain is counted until that stream ends, however much room later exits open. README (Math, locks and
rounding): "a sync counts a gain only up to it (the rest waits for later syncs ...)": here the rest waits a
year, not for the next sync. Stakers who exit meanwhile leave without rewards the backend has paid: 180
days after a half exit the rate is 1.0001 with the dust sync against 1.0210 without.

Found by the fifteenth session's outside review of the books' packing (main's clamp, 2^176 - 1, no balance
reached). Fixed: a gain the bound cuts short accounts only for its share of the time (`_sync`'s `spent`), so
the dust stream lasts one reward cycle and the rest of the time stays for the next sync's APR cap and stream.
"""

from __future__ import annotations

import pytest
from boa_system import MAX_UINT, deploy_lst
from revm_chain import RevmChain

from levstake.model import LST_BOOKS_MAX

DAY = 86_400


@pytest.mark.parametrize("decimals", [6, 18])
def test_a_dust_sync_at_the_bound_cannot_stall_counting(decimals: int) -> None:
    chain = RevmChain()
    alone = deploy_lst(chain, decimals, "staking/SimulatedValidator.vy", 500)
    owner, x, validator, lst = alone.owner, alone.x, alone.backend, alone.lst
    x.mint(owner, 2**132, sender=owner)
    x.approve(validator, MAX_UINT, sender=owner)
    validator.fund_rewards(2**131, sender=owner)
    whale, griefer = chain.generate_address("whale"), chain.generate_address("griefer")
    for who in (whale, griefer):
        x.mint(who, 2**130, sender=owner)
        x.approve(lst, MAX_UINT, sender=who)
    lst.deposit(LST_BOOKS_MAX - 10**6, sender=whale)
    lst.deposit(10**6, sender=griefer)
    lst.rebalance()
    chain.time_travel(365 * DAY)
    lst.sync_rewards()
    assert lst.stream_amount() == 0, "at the bound nothing is counted"
    # A room of one unit, and a sync: one unit counted, streamed over a year.
    lst.withdraw(1, sender=griefer)
    lst.sync_rewards(sender=griefer)
    assert lst.stream_amount() <= 1
    # Half the LST exits: room for 10^37+ units of the rewards the backend holds.
    lst.withdraw(lst.maxWithdraw(whale) // 2, sender=whale)
    room = LST_BOOKS_MAX - lst.buffer() - lst.backend_accounted()
    uncounted = validator.total_balance(lst) - lst.backend_accounted()
    assert min(room, uncounted) > 10**30
    chain.time_travel(DAY)
    lst.sync_rewards()
    assert lst.stream_amount() > 1, (
        f"a day after the room opened ({room} units, {uncounted} uncounted) the sync counted nothing: "
        f"the dust stream runs {(lst.stream_end() - chain.timestamp) // DAY} more days"
    )
