"""A holder who sees a slash coming files a queued unstake: his request must carry the cut of the unbonding it
counts on, like a staker carries the cut of the stake. An outside review (issue 26, second review, finding
2) found two ways to be out of reach of the slash at once, at the stakers' cost (~465 X of the stakers' per
100k staked with a 10% slash in the review's run), whenever unbonding asked to refill the buffer after
instant exits is about to land:

- file while that unbonding has matured but was not pulled yet, then call `process_queue` in the same bundle:
  the filing was covered by the matured unbonding, the pull landed it, and the request's whole value sat in
  the buffer before the slash;
- file just before it matures: the pull that lands it was counted as the queue's payback first.

The defences: a filing is covered by new unbonding of the stake (not by the buffer's unbonding on its way),
and what lands is the buffer's unbonding asked before the queue's first (`free_ahead`, the backend pays in the
order asked). A filing also pulls whatever has matured first, but these two rules alone already close both
roads (taking the pull out changes neither case), so the pull has no mutation of its own. The request then
loses the slash's full fraction, as a filing in quiet times does.
"""

from __future__ import annotations

import pytest
from boa_system import RevmChain, deploy_system
from boa_system import stake as staker
from queue_world import DAY, HOUR, SLASH_BPS, keeper, lost_bps, slash


@pytest.fixture(scope="module")
def world(decimals):
    """Instant exits drained the buffer and the daily keeper asked the backend to refill it."""
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    staker(system, "stayer", 100_000)
    drainer = staker(system, "drainer", 20_000)
    leaver = staker(system, "leaver", 5_000)
    keeper(system)
    lst.redeem(lst.maxRedeem(drainer), sender=drainer)
    system.chain.time_travel(DAY)
    keeper(system)
    assert lst.free_unbonding() > system.units(5_000), "the buffer's unbonding is on its way"
    return system, leaver


def file_and_slash(world, wait: int, bundle_pull: bool) -> float:
    """The bp the leaver's request lost when he files `wait` seconds from now (the buffer's unbonding matures
    after `unbonding_delay`) and the slash follows."""
    system, leaver = world
    lst = system.lst
    with system.chain.anchor():
        system.chain.time_travel(wait)
        request_id = lst.request_unstake(lst.balanceOf(leaver), sender=leaver)
        if bundle_pull:
            lst.process_queue()
        else:
            # The buffer's unbonding matures; the keeper lands it.
            system.chain.time_travel(2 * HOUR)
            keeper(system)
        value = lst.request_value(request_id)
        slash(system)
        return lost_bps(system, request_id, value)


@pytest.fixture(scope="module")
def delay(world) -> int:
    return world[0].validator.unbonding_delay()


def test_filing_then_pulling_in_one_bundle_carries_the_slash(world, delay) -> None:
    # The buffer's unbonding matured an hour ago and nobody pulled it yet.
    assert file_and_slash(world, delay + HOUR, bundle_pull=True) == pytest.approx(SLASH_BPS, abs=0.01)


def test_filing_just_before_the_buffer_unbonding_lands_carries_the_slash(world, delay) -> None:
    # The buffer's unbonding matures an hour after the filing.
    assert file_and_slash(world, delay - HOUR, bundle_pull=False) == pytest.approx(SLASH_BPS, abs=0.01)
