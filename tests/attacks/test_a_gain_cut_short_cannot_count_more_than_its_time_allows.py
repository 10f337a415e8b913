"""A gain the books' bound cuts short is charged `spent` seconds of the time since the last counted gain.
Rounded down, a sync could count up to a second of the APR cap more than the time it moves `last_gain_time`
by, and a later sync would count that second again. README (Rewards): "the rate grows at most
`max_apr_bps` a year".

The attack (rounded down): at the bound (buffer + accounted = 2^128 - 1), with the backend
holding far more rewards than the cap allows and the reward cycle at its 1-hour minimum, open a room just
under (cycle + 1) seconds of the cap every hour and sync. Each sync counts ~3,601 s of the cap, streams it
over 3,600 s and moves `last_gain_time` by 3,600 s: the stream's slope is 1 + ~1/3,600 times the cap's rate
and `last_gain_time` falls a second behind per sync, a second the next full sync counts again. Each dust
sync (a room under a second of the cap) counts without moving `last_gain_time` at all.

Bounded at a second of the cap per sync, one sync per cycle (>= 1 hour): at most 1/3,600 of `max_apr_bps`
(50% -> 50.014%), and only at a bound no real token reaches (2^128 units): found by the fifteenth session's
second outside review of the sync (Info), fixed by rounding `spent` up (`math._mul_div(elapsed, gain, owed,
True)`, at most `elapsed` since gain <= owed, exactly `elapsed` below the bound), which charges every gain at
least the time the cap allows for it.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from boa_system import MAX_UINT, deploy_lst
from revm_chain import RevmChain

from levstake.model import LST_BOOKS_MAX, LST_PARAMETER_DELAY, LST_PARAMETERS

DAY = 86_400
YEAR = 365 * DAY
BPS = 10_000
CYCLE = 3_600
APR = 5_000
SYNCS = 24


def _world(decimals: int):
    chain = RevmChain()
    whale = chain.generate_address("whale")
    alone = deploy_lst(chain, decimals, "mocks/MockBackend.vy")
    owner, x, backend, lst = alone.owner, alone.x, alone.backend, alone.lst
    for name, value in (("reward_cycle", CYCLE), ("max_apr_bps", APR)):
        alone.governor.announce_parameter(LST_PARAMETERS[name], value, sender=owner)
    chain.time_travel(LST_PARAMETER_DELAY)
    for name in ("reward_cycle", "max_apr_bps"):
        alone.governor.apply_parameter(LST_PARAMETERS[name], sender=owner)
    x.mint(whale, 2**130, sender=owner)
    x.approve(lst, MAX_UINT, sender=whale)
    lst.deposit(LST_BOOKS_MAX - 10**6, sender=whale)
    lst.deposit(lst.maxDeposit(whale), sender=whale)
    # Far more rewards than the cap allows: the cap binds every sync.
    backend.set_staked(lst, 2**200, sender=owner)
    chain.time_travel(YEAR)
    return chain, lst, whale


def _room(lst) -> int:
    return LST_BOOKS_MAX - lst.buffer() - lst.backend_accounted()


def _open_room(lst, whale, seconds: Fraction) -> None:
    """A room worth `seconds` of the cap at the total assets left once it is open (a few rounds: a
    withdrawal or deposit moves the total, so the cap's rate, a little)."""
    for _ in range(8):
        total = lst.share_prices()[0]
        want = int(seconds * total * lst.max_apr_bps() / (BPS * YEAR))
        have = _room(lst)
        if want == have:
            return
        if want > have:
            lst.withdraw(want - have, sender=whale)
        else:
            lst.deposit(have - want, sender=whale)


def _sync(chain, lst) -> tuple[int, int, Fraction]:
    """(gain, spent, the gain in seconds of the cap's rate)."""
    accounted, last, total = lst.backend_accounted(), lst.last_gain_time(), lst.share_prices()[0]
    lst.sync_rewards()
    gain, spent = lst.backend_accounted() - accounted, lst.last_gain_time() - last
    assert lst.stream_end() == chain.timestamp + max(CYCLE, spent)
    return gain, spent, Fraction(gain * BPS * YEAR, total * lst.max_apr_bps())


@pytest.mark.parametrize("decimals", [6, 18])
def test_hourly_syncs_cut_short_cannot_outgrow_the_cap(decimals: int) -> None:
    chain, lst, whale = _world(decimals)
    counted = charged = Fraction(0)
    for _ in range(SYNCS):
        _open_room(lst, whale, Fraction(CYCLE) + Fraction(999, 1000))
        gain, spent, seconds = _sync(chain, lst)
        assert gain > 0 and spent >= CYCLE
        counted, charged = counted + seconds, charged + spent
        chain.time_travel(lst.stream_end() - chain.timestamp)
    # Every gain at most the cap's rate times the time charged for it.
    assert counted <= charged, f"{SYNCS} syncs counted {float(counted - charged):.3f} s of the cap uncharged"


@pytest.mark.parametrize("decimals", [6, 18])
def test_dust_syncs_cannot_count_without_charging_time(decimals: int) -> None:
    chain, lst, whale = _world(decimals)
    start = lst.last_gain_time()
    counted = Fraction(0)
    for _ in range(SYNCS):
        _open_room(lst, whale, Fraction(999, 1000))
        gain, spent, seconds = _sync(chain, lst)
        assert gain > 0
        counted += seconds
        chain.time_travel(lst.stream_end() - chain.timestamp)
    charged = lst.last_gain_time() - start
    assert counted <= charged, f"{SYNCS} dust syncs: {float(counted):.3f} s of the cap, {charged} s charged"
