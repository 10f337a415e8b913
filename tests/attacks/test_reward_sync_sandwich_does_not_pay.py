"""Sandwiching a reward sync: stake right before `sync_rewards`, unstake right after, in one block. The LST
streams each synced gain over `reward_cycle`, so the rate does not jump at the sync and the sandwich earns
nothing, even with the instant-unstake fee at zero (the worst case for this defence)."""

from __future__ import annotations

import pytest
from boa_system import MAX_UINT, RevmChain, deploy_system, set_lst_parameter, stake

DAY = 86_400


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    stake(system, "stakers", 1_000_000)
    system.lst.rebalance()
    set_lst_parameter(system, "instant_fee_bps", 0, max_instant_fee_bps=0)
    # A week of unsynced rewards waits in the backend: the largest possible sync.
    system.chain.time_travel(7 * DAY)
    attacker = system.chain.generate_address("attacker")
    system.mint_x(attacker, system.units(10_000_000))
    system.x.approve(system.lst, MAX_UINT, sender=attacker)
    return system, attacker


def test_stake_sync_unstake_in_one_block_earns_nothing(world) -> None:
    system, attacker = world
    lst, x = system.lst, system.x
    with system.chain.anchor():
        before = x.balanceOf(attacker)
        rate = lst.convertToAssets(10**system.decimals)
        shares = lst.deposit(system.units(100_000), sender=attacker)
        lst.sync_rewards()
        assert lst.stream_amount() > 0, "the sync counted a gain"
        assert lst.convertToAssets(10**system.decimals) == rate, "the rate jumped at the sync"
        lst.redeem(shares, sender=attacker)
        assert x.balanceOf(attacker) <= before


def test_the_gain_reaches_stakers_over_the_cycle(world) -> None:
    system, attacker = world
    lst = system.lst
    with system.chain.anchor():
        rate = lst.convertToAssets(10**system.decimals)
        lst.sync_rewards()
        system.chain.time_travel(lst.reward_cycle())
        assert lst.convertToAssets(10**system.decimals) > rate
