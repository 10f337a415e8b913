"""A holder who sees a slash coming files a queued unstake just before it. If a request's payout were fixed
when it is filed, the slash would fall on everybody else while the holder waits out the unbonding delay with
the X already promised. On a chain where unbonding stake is slashable (ours: `SimulatedValidator` cuts
unbonding entries too) that moves the holder's share of the loss onto the stakers who stay.

The defence: a request is covered by unbonding first, and a slash of the unbonding the queue counts on is the
queue's own loss, taken off its liability in full (a loss factor, whatever rewards the backend holds that the
LST has not counted yet); it earns nothing meanwhile, so it is paid the lower of its value when filed and when
funded. The stakers who stay bear the slash of the stake, not of the queue's unbonding.
"""

from __future__ import annotations

import pytest
from boa_system import RevmChain, deploy_system, stake

from levstake.model import LST_VIRTUAL

SLASH_BPS = 1_000
BPS = 10_000


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    stakers = [stake(system, name, 100_000) for name in ("leaver", "stayer")]
    system.lst.rebalance()
    return system, stakers


def test_a_request_filed_before_a_slash_shares_it(world) -> None:
    system, (leaver, stayer) = world
    lst, validator = system.lst, system.validator
    with system.chain.anchor():
        stayer_before = lst.convertToAssets(lst.balanceOf(stayer))
        request = lst.request_unstake(lst.balanceOf(leaver), sender=leaver)
        amount = lst.request_value(request)
        unbonding = validator.unbonding_balance(lst)
        assert unbonding > 0, "the request asked the backend to unbond"
        validator.slash(lst, SLASH_BPS, sender=system.owner)
        assert validator.unbonding_balance(lst) < unbonding, "the slash reached the unbonding stake too"
        stayer_after = lst.convertToAssets(lst.balanceOf(stayer))
        value_after = lst.request_value(request)
        # The request, all of it unbonding, lost the slash's fraction (rounded against it: the backend keeps
        # the rounding of each entry's cut, the queue pays a unit per entry more).
        kept = BPS - SLASH_BPS
        margin = lst.unbonding_requests() + 1
        assert amount * kept // BPS - margin <= value_after <= amount * kept // BPS
        # The stayer lost at most that fraction (the buffer is not slashed), up to the LST's virtual 10^6
        # units of X, which take no loss: nobody paid the request's share for it.
        tolerance = stayer_before * 2 * LST_VIRTUAL // lst.totalAssets() + 1
        assert stayer_after * BPS >= stayer_before * kept - tolerance * BPS
        assert stayer_after < stayer_before
        system.chain.time_travel(validator.unbonding_delay())
        before = system.x.balanceOf(leaver)
        lst.claim(request, sender=leaver)
        paid = system.x.balanceOf(leaver) - before
        assert paid == value_after
        # Nothing owed to the queue is left behind to dilute the stayer later.
        assert lst.convertToAssets(lst.balanceOf(stayer)) >= stayer_after


def test_a_request_filed_after_the_slash_pays_the_slashed_value(world) -> None:
    system, (leaver, stayer) = world
    lst, validator = system.lst, system.validator
    with system.chain.anchor():
        validator.slash(lst, SLASH_BPS, sender=system.owner)
        value = lst.convertToAssets(lst.balanceOf(leaver))
        request = lst.request_unstake(lst.balanceOf(leaver), sender=leaver)
        assert lst.request_value(request) == value
        system.chain.time_travel(validator.unbonding_delay())
        # No later loss: paid what it was filed for, less the wei that converting to the loss factor's units
        # and back can drop.
        assert value - 1 <= lst.claim(request, sender=leaver) <= value


def test_rewards_while_waiting_go_to_those_who_stay(world) -> None:
    system, (leaver, stayer) = world
    lst, validator = system.lst, system.validator
    with system.chain.anchor():
        request = lst.request_unstake(lst.balanceOf(leaver), sender=leaver)
        amount = lst.request_value(request)
        system.chain.time_travel(validator.unbonding_delay())
        lst.sync_rewards()
        assert lst.claim(request, sender=leaver) == amount, "a request earns nothing while it waits"
