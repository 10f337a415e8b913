"""KNOWN GAP (strict xfail: it fails the day the gap is closed, so this file must then lose its mark).

The sixth review (of this queue's slash rule) found a third way for a filer to be out of reach of a slash,
left open: `free_ahead` counts only the buffer's unbonding asked before ALL of the queue's, so it assumes the
queue's unbonding is one block in the backend's FIFO. When the backend holds [Q1: an earlier request][F: a
buffer refill asked after it][Q2: the filer's new unbonding], F lands before Q2 and is counted as the
queue's: it is set aside for the filer the day it lands, long before his own unbonding matures, and the
slash of Q2 falls on the stakers. Review's run (x18): the filer lost 0 bp of a 10% slash (896 bp had he
stayed staked), a staker who stayed 968 bp instead of 896.

Closing it needs the LST to keep the queue's and the buffer's unbonding as ordered segments (the backend pays
in the order asked), or to defer a buffer refill while a refill is in flight behind the queue's unbonding;
the LST has 90 bytes of room under the size limit, so it waits for code room (README, Known gaps).
"""

from __future__ import annotations

import pytest
from boa_system import RevmChain, deploy_system
from boa_system import stake as staker
from queue_world import DAY, SLASH_BPS, keeper, lost_bps, slash


@pytest.mark.xfail(
    strict=True, raises=AssertionError, reason="known gap: free_ahead sees the queue's unbonding as one block"
)
def test_a_filer_behind_a_buffer_refill_carries_the_slash(decimals) -> None:
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    with system.chain.anchor():
        staker(system, "stayer", 100_000)
        drainer = staker(system, "drainer", 40_000)
        earlier = staker(system, "earlier", 10_000)
        filer = staker(system, "filer", 10_000)
        for _ in range(4):
            keeper(system)
            system.chain.time_travel(DAY)
        # Q1: a request unbonded from the stake; then F: the keeper refills the drained buffer behind it.
        lst.request_unstake(lst.balanceOf(earlier), sender=earlier)
        lst.redeem(lst.maxRedeem(drainer), sender=drainer)
        keeper(system)
        assert lst.free_unbonding() > lst.free_ahead() + system.units(10_000), "a refill is behind the queue"
        for _ in range(6):
            system.chain.time_travel(DAY)
            keeper(system)
        # Q2: half a day before Q1 and F land, the filer files.
        system.chain.time_travel(DAY // 2)
        request_id = lst.request_unstake(lst.balanceOf(filer), sender=filer)
        value = lst.request_value(request_id)
        system.chain.time_travel(DAY // 2)
        keeper(system)
        system.chain.time_travel(DAY)
        slash(system)
        assert lost_bps(system, request_id, value) == pytest.approx(SLASH_BPS, abs=1)
