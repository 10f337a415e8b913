"""A queued request carries the slash of the unbonding it counts on. An outside review of the loss rule (issue
26, second review, finding 1) found that one loss factor over every unfunded request also cut requests whose X
had already landed in the buffer: a holder who saw a slash coming filed just before it, and part of the cut of
his unbonding fell on the earlier requests (~500 bp of a 10% slash moved onto an earlier requester in the
review's run, who lost nothing without him).

The defences: a filing is covered by new unbonding of the stake, not by the buffer's unbonding on its way
(which lands first, as the buffer's); X that does land for the queue is set aside for the oldest requests at
once, due or not; so the loss factor only ever spreads over requests whose X is still unbonding, each losing
the cut's fraction, and no filing changes what the requests before it lose.
"""

from __future__ import annotations

import pytest
from boa_system import BoaSystem, RevmChain, deploy_system
from boa_system import stake as staker
from queue_world import DAY, HOUR, SLASH_BPS, keeper, lost_bps, slash


def drained(decimals: int, **stakes: float) -> tuple[BoaSystem, dict[str, str]]:
    """Stakers, then instant exits drain the buffer and the daily keeper asks the backend to refill it."""
    system = deploy_system(decimals, RevmChain())
    users = {name: staker(system, name, amount) for name, amount in stakes.items()}
    keeper(system)
    system.lst.redeem(system.lst.maxRedeem(users["drainer"]), sender=users["drainer"])
    system.chain.time_travel(DAY)
    keeper(system)
    return system, users


def losses(system: BoaSystem, earlier: int, late: str) -> tuple[float, float]:
    """(bp the earlier request loses to a slash when `late` stays, when `late` files just before it)."""
    lst, lost = system.lst, []
    for files in (False, True):
        with system.chain.anchor():
            if files:
                lst.request_unstake(lst.balanceOf(late), sender=late)
            value = lst.request_value(earlier)
            slash(system)
            lost.append(lost_bps(system, earlier, value))
    return lost[0], lost[1]


@pytest.fixture(scope="module")
def review_world(decimals):
    """The review's run: V files while the buffer's unbonding is on its way, which then lands."""
    system, users = drained(decimals, stayer=100_000, drainer=40_000, victim=10_000, late=10_000)
    system.chain.time_travel(2 * DAY)
    keeper(system)
    victim_id = system.lst.request_unstake(system.lst.balanceOf(users["victim"]), sender=users["victim"])
    for _ in range(6):
        system.chain.time_travel(DAY)
        keeper(system)
    ready_at = system.lst.requests(victim_id).ready_at
    assert ready_at > system.chain.timestamp, "the victim's request is not due yet"
    return system, users, victim_id


def test_a_later_filing_changes_nothing_an_earlier_request_loses(review_world) -> None:
    system, users, victim_id = review_world
    alone, crowded = losses(system, victim_id, users["late"])
    assert crowded == pytest.approx(alone, abs=0.01)


def test_the_late_filer_carries_the_whole_cut_of_his_unbonding(review_world) -> None:
    system, users, _ = review_world
    lst = system.lst
    with system.chain.anchor():
        late_id = lst.request_unstake(lst.balanceOf(users["late"]), sender=users["late"])
        value = lst.request_value(late_id)
        slash(system)
        assert lost_bps(system, late_id, value) == pytest.approx(SLASH_BPS, abs=0.01)


def test_x_landed_for_an_earlier_request_takes_no_share_of_a_later_cut(decimals) -> None:
    # A whale queues more than the stake: the rest is taken from the buffer's unbonding on its way, which
    # lands a day before the whale is due. Then new stake comes in and a late holder files before a slash.
    system, users = drained(decimals, whale=180_000, drainer=15_000, late=5_000)
    lst = system.lst
    system.chain.time_travel(DAY)
    staked = system.validator.staked_balance(lst)
    whale_id = lst.request_unstake(lst.balanceOf(users["whale"]), sender=users["whale"])
    assert lst.request_value(whale_id) > staked, "the whale queued more than the stake"
    system.chain.time_travel(system.validator.unbonding_delay() - DAY + HOUR)
    keeper(system)
    assert 0 < lst.requests(whale_id).paid < lst.request_value(whale_id), "the landed part is set aside"
    assert lst.requests(whale_id).ready_at > system.chain.timestamp, "the whale is not due yet"
    staker(system, "newcomer", 50_000)
    keeper(system)
    late = users["late"]
    late_id = lst.request_unstake(lst.balanceOf(late), sender=late)
    value = lst.request_value(late_id)
    slash(system)
    assert lost_bps(system, late_id, value) == pytest.approx(SLASH_BPS, abs=0.01)
