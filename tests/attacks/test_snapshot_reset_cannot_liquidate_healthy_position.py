"""A 50x position, healthy at the LST's own rate, must not become liquidatable through the oracle's growth
cap.

The review's attack: nobody syncs rewards for 150 days while someone calls `update_snapshot` every day (the
rate is flat, so each call moved the snapshot to the same rate and the cap's headroom restarted from zero);
then `sync_rewards` ran and streamed the 150-day backlog over one day. A day later the LST's rate stood 1.7%
above the capped oracle price, the victim's health was 0.992 at the price and 1.009 at the rate, and half its
debt was liquidated for 201 bps of profit instead of the nominal 30.

The defences: liquidations use the oracle's uncapped `rate()`, the LST's book value of a share (rewards it has
counted but still streams included); `update_snapshot` moves the cap's anchor to the current cap, so no call
can lower it; and a late sync streams its gain over as long as it took to accrue, so the exchange rate does
not jump either, while the book value counts the whole backlog at once.
"""

from __future__ import annotations

import pytest
from boa_system import MAX_UINT, ORACLE_SCALE, WAD, RevmChain, deploy_system, lend, reverts, router_user

DAY = 86_400
LAG_DAYS = 150


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    # 60,000 X lent and a 1,000 X position at 50x: 49,000 X borrowed, 82% utilization, 4.6% borrow APR.
    lend(system, 60_000)
    victim = router_user(system, "victim", 1_000)
    system.router.open(system.market, system.units(1_000), 50 * WAD, 0, 2**64, sender=victim)
    system.lst.rebalance()
    return system, victim


def health_at(system, user, price: int) -> float:
    collateral, debt, _, _ = system.market.position(user)
    return collateral * price // ORACLE_SCALE * system.market.lltv() / WAD / debt


def test_daily_snapshots_then_a_late_sync_cannot_liquidate_a_position_healthy_at_the_lst_rate(world) -> None:
    system, victim = world
    oracle, market, lst = system.oracle, system.market, system.lst
    liquidator = system.chain.generate_address("liquidator")
    system.mint_x(liquidator, system.units(10_000_000))
    system.x.approve(market, MAX_UINT, sender=liquidator)
    with system.chain.anchor():
        for _ in range(LAG_DAYS):
            system.chain.time_travel(DAY)
            oracle.update_snapshot()
            # The cap never falls below the rate: every daily call left the headroom where it was.
            assert oracle.price() == oracle.rate()
        # Interest ran for 150 days while no reward was counted: below the line until somebody syncs.
        assert health_at(system, victim, oracle.rate()) < 1
        lst.sync_rewards()
        system.chain.time_travel(DAY)
        _, borrow_shares = market.positions(victim)
        with reverts("market: position is healthy"):
            market.liquidate(victim, 0, borrow_shares // 2, sender=liquidator)
        rate, price = oracle.rate(), oracle.price()
        assert health_at(system, victim, rate) >= 1, "healthy at the LST's own rate"
        assert market.position(victim)[3] >= WAD, "and so by the market's own measure"
        assert price == lst.convertToAssets(ORACLE_SCALE), "the cap does not bind: its headroom was kept"
        assert lst.stream_amount() > 0, "the 150-day backlog was counted"
        assert lst.stream_end() - lst.stream_start() >= LAG_DAYS * DAY, "and streams over as long as it took"
        assert rate > price, "the book value counts the backlog still streaming"


def test_even_with_the_price_held_below_the_rate_liquidation_looks_at_the_rate(world) -> None:
    """The cap can trail the rate (the rate jumps when instant-unstake fees stay in the LST); the market then
    lends less against the collateral, but decides liquidations at the rate."""
    system, victim = world
    oracle, market, lst = system.oracle, system.market, system.lst
    whale = system.chain.generate_address("whale")
    system.mint_x(whale, system.units(10_000_000))
    system.x.approve(lst, MAX_UINT, sender=whale)
    system.x.approve(market, MAX_UINT, sender=whale)
    with system.chain.anchor():
        # Fees of a whale's round trip through the buffer raise the rate at once, faster than the cap allows.
        shares = lst.deposit(system.units(5_000_000), sender=whale)
        lst.redeem(min(shares, lst.maxRedeem(whale)), sender=whale)
        rate, price = oracle.rate(), oracle.price()
        assert price < rate, "the cap holds the price below the jumped rate"
        # Interest for a while: the position drifts towards the line at the capped price first.
        system.chain.time_travel(60 * DAY)
        market.accrue_interest()
        rate, price = oracle.rate(), oracle.price()
        if health_at(system, victim, rate) >= 1:
            _, borrow_shares = market.positions(victim)
            with reverts("market: position is healthy"):
                market.liquidate(victim, 0, borrow_shares // 2, sender=whale)
        # Borrowing is checked at the capped price: no more than max LTV of the collateral valued at it.
        collateral, debt, _, _ = market.position(victim)
        room_at_rate = collateral * rate // ORACLE_SCALE * market.max_ltv() // WAD
        if room_at_rate > debt + system.units(1):
            with reverts("market: ltv too high"):
                market.borrow(room_at_rate - debt, 0, victim, victim, sender=victim)


def test_no_snapshot_call_shrinks_the_headroom(world) -> None:
    """The cap with a snapshot every day is never below the cap with no snapshot at all, at any time."""
    system, _ = world
    oracle = system.oracle
    caps_without = []
    with system.chain.anchor():
        for _ in range(30):
            system.chain.time_travel(DAY)
            caps_without.append(oracle.cap())
    with system.chain.anchor():
        for day in range(30):
            system.chain.time_travel(DAY)
            before = oracle.cap()
            oracle.update_snapshot()
            assert oracle.cap() == before, "a snapshot moves the anchor to the cap itself"
            assert oracle.cap() >= caps_without[day]
        assert oracle.cap() > caps_without[-1], "daily snapshots compound the cap"
