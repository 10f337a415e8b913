"""Nobody syncs rewards for 30 days; then `sync_rewards` runs. If the 532.60 X backlog unlocked over one
reward cycle, a staker depositing 130,000 X just before the sync and leaving a day later (0.1% fee) took
+170.79 X where his fair share for one day was at most 28.49 X, and the honest staker who held all month lost
170.69 X (32% of the backlog); through the fee-free queue, 1,000,000 X captured +484.16 X.

The defence: a gain unlocks over as long as it took to accrue (at least a reward cycle), so whoever joins just
before a late sync earns only for the time they stay; and a queued request earns nothing while it waits.
"""

from __future__ import annotations

import pytest
from boa_system import MAX_UINT, RevmChain, deploy_system

DAY = 86_400


def staker(system, name: str, amount: float) -> str:
    account = system.chain.generate_address(name)
    system.mint_x(account, system.units(amount))
    system.x.approve(system.lst, MAX_UINT, sender=account)
    return account


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    honest = staker(system, "honest", 100_000)
    system.lst.deposit(system.units(100_000), sender=honest)
    system.lst.rebalance()
    system.lst.sync_rewards()
    system.chain.time_travel(30 * DAY)
    return system, honest


def test_a_late_depositor_earns_only_for_the_day_he_stays(world) -> None:
    system, honest = world
    lst, x = system.lst, system.x
    sniper = staker(system, "sniper", 130_000)
    with system.chain.anchor():
        backlog = system.validator.total_balance(lst) - lst.backend_accounted()
        assert backlog > 0
        shares = lst.deposit(system.units(130_000), sender=sniper)
        lst.sync_rewards()
        assert lst.stream_end() - lst.stream_start() >= 30 * DAY, "the backlog streams over 30 days"
        system.chain.time_travel(DAY)
        value = lst.convertToAssets(shares)
        gain = value - system.units(130_000)
        # His pro-rata share of one day of a 30-day stream, and not more (plus rounding).
        fair = lst.stream_amount() * shares // lst.totalSupply() // 30 + system.units(1) // 100
        unit = 10**system.decimals
        assert gain <= fair, f"gained {gain / unit:.2f} X, fair is {fair / unit:.2f}"
        before = x.balanceOf(sniper)
        lst.redeem(min(shares, lst.maxRedeem(sniper)), sender=sniper)
        # After the instant fee the round trip loses.
        assert x.balanceOf(sniper) - before < system.units(130_000)


def test_the_honest_staker_keeps_the_backlog(world) -> None:
    system, honest = world
    lst = system.lst
    sniper = staker(system, "sniper2", 130_000)
    with system.chain.anchor():
        lst.deposit(system.units(130_000), sender=sniper)
        lst.sync_rewards()
        stream = lst.stream_amount()
        system.chain.time_travel(DAY)
        lst.redeem(min(lst.balanceOf(sniper), lst.maxRedeem(sniper)), sender=sniper)
        system.chain.time_travel(30 * DAY)
        earned = lst.convertToAssets(lst.balanceOf(honest)) - system.units(100_000)
        # All of the stream but the sniper's day (1/30 of his share), plus the fee he left.
        assert earned >= stream * 29 // 30 - system.units(1)


def test_the_queue_does_not_capture_the_backlog_either(world) -> None:
    system, honest = world
    lst = system.lst
    whale = staker(system, "whale", 1_000_000)
    with system.chain.anchor():
        shares = lst.deposit(system.units(1_000_000), sender=whale)
        lst.sync_rewards()
        system.chain.time_travel(DAY)
        fair = lst.stream_amount() * shares // lst.totalSupply() // 30 + system.units(1) // 100
        request = lst.request_unstake(shares, sender=whale)
        amount = lst.request_value(request)
        system.chain.time_travel(system.validator.unbonding_delay())
        lst.sync_rewards()
        assert lst.claim(request, sender=whale) == amount, "nothing earned while it waited"
        assert amount - system.units(1_000_000) <= fair, "one day's share of the backlog, no more"
