"""A holder of 1,000,000 X of LST (backend balance 90,039 X) filed two queued requests and claimed the first
in the same block: 909,959.55 X came at once from the buffer with no fee, the LST's whole stake went into
unbonding, and the second request was paid in full 9 days later. He ended 999 X better off than an instant
redeem; a 100,000 X staker lost 1,124.55 X (the fee plus yield). The queue funded from the buffer whatever the
backend could not cover, without looking at a request's age, and charged no fee on it.

The defence: a request is funded only once it is older than the backend's unbonding delay at filing, so the
queue always costs the wait it stands for and is never an instant exit; no same-block request-and-claim pays
anything.
"""

from __future__ import annotations

import pytest
from boa_system import MAX_UINT, RevmChain, deploy_system

from levstake import lst_lens

DAY = 86_400


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    small = system.chain.generate_address("small")
    system.mint_x(small, system.units(100_000))
    system.x.approve(lst, MAX_UINT, sender=small)
    lst.deposit(system.units(100_000), sender=small)
    lst.rebalance()
    # The holder's X sits in the buffer: nobody delegated it yet.
    holder = system.chain.generate_address("holder")
    system.mint_x(holder, system.units(1_000_000))
    system.x.approve(lst, MAX_UINT, sender=holder)
    lst.deposit(system.units(1_000_000), sender=holder)
    return system, small, holder


def test_request_and_claim_in_one_block_pays_nothing(world) -> None:
    system, small, holder = world
    lst = system.lst
    with system.chain.anchor():
        held = system.x.balanceOf(lst)
        shares = lst.balanceOf(holder)
        first = lst.request_unstake(shares * 9 // 10, sender=holder)
        second = lst.request_unstake(lst.balanceOf(holder), sender=holder)
        assert lst.claim(first, sender=holder) == 0 and lst.claim(second, sender=holder) == 0
        # What the buffer holds for his requests is set aside for them, but none of it leaves before ready_at.
        assert system.x.balanceOf(lst) == held, "the buffer was paid out to his queue"
        assert system.x.balanceOf(holder) == 0


def test_the_queue_costs_the_wait_and_the_instant_exit_costs_the_fee(world) -> None:
    system, small, holder = world
    lst = system.lst
    with system.chain.anchor():
        instant = lst.previewRedeem(lst.maxRedeem(holder))
        instant_shares = lst.maxRedeem(holder)
    with system.chain.anchor():
        request = lst.request_unstake(instant_shares, sender=holder)
        amount = lst.request_value(request)
        small_before = lst.convertToAssets(lst.balanceOf(small))
        for _ in range(6):
            system.chain.time_travel(DAY)
            assert lst.claim(request, sender=holder) == 0, "not before the unbonding delay"
        system.chain.time_travel(system.validator.unbonding_delay() - 6 * DAY)
        assert lst.claim(request, sender=holder) == amount
        # The queue paid no fee but the holder waited 7 days and earned nothing meanwhile: no better than
        # the instant exit by more than the fee he did not pay.
        assert amount - instant <= lst_lens.instant_fee(lst, amount) + system.units(1)
        # The staker who stayed lost nothing to the queue.
        assert lst.convertToAssets(lst.balanceOf(small)) >= small_before


def test_a_request_the_buffer_holds_whole_is_not_paid_before_ready_at(decimals) -> None:
    """Nothing staked yet: the buffer holds the whole request, sets it aside at filing and the request is
    funded at the next call; it still waits for its ready_at (else the queue is a fee-free instant exit)."""
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    holder = system.chain.generate_address("holder")
    system.mint_x(holder, system.units(1_000))
    system.x.approve(lst, MAX_UINT, sender=holder)
    lst.deposit(system.units(1_000), sender=holder)
    request = lst.request_unstake(lst.balanceOf(holder) // 2, sender=holder)
    amount, ready_at = lst.request_value(request), lst.requests(request).ready_at
    assert lst.requests(request).paid == amount, "the buffer set the whole request aside at filing"
    lst.process_queue()
    assert lst.queue_head() > request, "funded"
    assert lst.claim(request, sender=holder) == 0, "paid before ready_at"
    system.chain.time_travel(ready_at - system.chain.timestamp)
    assert lst.claim(request, sender=holder) == amount
