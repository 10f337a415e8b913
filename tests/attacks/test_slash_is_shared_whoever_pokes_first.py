"""Who bears a slash must not depend on whether anybody touches the LST after it. The review's run: a stream
of 1,775.34 X, a slash of 901.97 X at the start of the cycle; a holder of half the supply exiting half-way got
500,443.75 X if nobody poked the LST and 500,218.30 X if someone did (+225.45 X); the holder who stayed lost
215.51 X. A loss was taken from the locked stream at the first call after the slash, and until then every view
kept unlocking the stream at its pre-slash speed.

The defences: the backend pushes its new balance to the LST in the slash itself, so the loss applies as of the
slash; and the LST's rule for a loss does not depend on when it is applied (shared pro rata by everything it
holds, the stream untouched), with every view showing exactly what the next call would write.
"""

from __future__ import annotations

import pytest
from boa_system import RevmChain, deploy_system, stake

DAY = 86_400


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    holders = [stake(system, name, 500_000) for name in ("leaver", "stayer")]
    system.lst.rebalance()
    system.chain.time_travel(DAY)
    system.lst.sync_rewards()
    assert system.lst.stream_amount() > 0
    return system, holders


def exit_half_way(system, leaver: str, poke: bool) -> int:
    lst = system.lst
    if poke:
        lst.sync_rewards()
    system.chain.time_travel((lst.stream_end() - lst.stream_start()) // 2)
    shares = lst.balanceOf(leaver) // 2
    return lst.previewRedeem(shares), lst.convertToAssets(shares)


def test_a_reported_slash_pays_the_same_whoever_pokes(world) -> None:
    system, (leaver, stayer) = world
    results = []
    for poke in (False, True):
        with system.chain.anchor():
            system.validator.slash(system.lst, 100, sender=system.owner)
            results.append(exit_half_way(system, leaver, poke))
            results[-1] += (system.lst.convertToAssets(system.lst.balanceOf(stayer)),)
    assert results[0] == results[1]


def silent_loss(system, bps: int) -> None:
    """A loss the backend does not report (a real chain's backend may not push one)."""
    system.validator.slash(system.lst, bps, False, sender=system.owner)


def test_an_unreported_loss_is_seen_by_every_view_as_the_next_call_would_apply_it(world) -> None:
    system, (leaver, stayer) = world
    lst = system.lst
    system.validator.set_apr(0, sender=system.owner)  # no reward accrues in between to blur the comparison
    with system.chain.anchor():
        silent_loss(system, 100)
        views = (lst.totalAssets(), lst.convertToAssets(10**system.decimals), lst.previewRedeem(10**6))
        lst.sync_rewards()
        after = (lst.totalAssets(), lst.convertToAssets(10**system.decimals), lst.previewRedeem(10**6))
        assert after == views
    results = []
    for poke in (False, True):
        with system.chain.anchor():
            silent_loss(system, 100)
            results.append(exit_half_way(system, leaver, poke))
    assert results[0] == results[1], "the leaver gets the same whether or not somebody poked"
