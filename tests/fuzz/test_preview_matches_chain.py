"""levstake.model.preview_open equals what the router does on chain, to the wei (on revm).

The sizing (collateral, borrow shares, debt) is checked over a hypothesis range, with a reward stream running
(the router mints at the LST's book value, which `LstSnapshot.locked` carries). The health preview (at the
oracle's uncapped `rate()`, the book value) is checked apart, with and without a stream.
"""

from __future__ import annotations

import pytest
from boa_system import WAD, RevmChain, deploy_system, lend, router_user
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from levstake import lst_lens
from levstake.model import LstSnapshot, MarketSnapshot, preview_open


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    lend(system, 100_000_000)
    user = router_user(system, "user", 10_000_000)
    # A used market and a grown LST, so that no ratio is 1:1.
    system.router.open(system.market, system.units(12_345), 17 * WAD, 0, 2**64, sender=user)
    system.chain.time_travel(3 * 86_400)
    system.lst.sync_rewards()
    system.chain.time_travel(86_400)
    # A queue owed X, part of the stake at the backend, a slash shared by both and a stream still running:
    # the LST's totals count all of them.
    staker = system.chain.generate_address("staker")
    system.mint_x(staker, system.units(1_000_000))
    system.x.approve(system.lst, 2**256 - 1, sender=staker)
    system.lst.deposit(system.units(1_000_000), sender=staker)
    system.lst.rebalance()
    system.lst.request_unstake(system.lst.balanceOf(staker) // 3, sender=staker)
    system.validator.slash(system.lst, 37, sender=system.owner)
    system.chain.time_travel(2 * 86_400)
    system.lst.sync_rewards()
    system.chain.time_travel(3_600)
    assert lst_lens.queue_liability(system.lst) > 0 and system.lst.loss_factor() < 10**27
    return system, router_user(system, "other", 10_000_000)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    micro_units=st.integers(min_value=10, max_value=10**12),
    leverage=st.integers(min_value=WAD, max_value=50 * WAD),
)
def test_preview_open_matches_the_chain(world, micro_units: int, leverage: int) -> None:
    system, user = world
    market = system.market
    assets = micro_units * 10**system.decimals // 10**6
    with system.chain.anchor():
        market.accrue_interest()
        snapshot = MarketSnapshot(
            market.total_borrow_assets(),
            market.total_borrow_shares(),
            system.oracle.price(),
            market.max_ltv(),
            market.lltv(),
        )
        preview = preview_open(lst_snapshot(system), snapshot, assets, leverage)
        system.router.open(market, assets, leverage, 0, 2**64, sender=user)
        collateral, borrow_shares = market.positions(user)
        assert (collateral, borrow_shares) == (preview.collateral_added, preview.borrow_shares)
        assert market.position(user)[1] == preview.debt


def lst_snapshot(system) -> LstSnapshot:
    """The LST's totals, with the rewards still streaming (`locked`: mints are priced at the book value)."""
    lst = system.lst
    now, end, start = system.chain.timestamp, lst.stream_end(), lst.stream_start()
    amount = lst.stream_amount()
    locked = 0 if now >= end else amount - amount * (now - start) // (end - start)
    return LstSnapshot(lst.totalAssets(), lst.totalSupply(), locked)


def preview_health_matches(system, user) -> None:
    market = system.market
    market.accrue_interest()
    snapshot = MarketSnapshot(
        market.total_borrow_assets(), market.total_borrow_shares(), system.oracle.price(), market.max_ltv(),
        market.lltv(),
    )
    preview = preview_open(lst_snapshot(system), snapshot, system.units(777), 12 * WAD)
    system.router.open(market, system.units(777), 12 * WAD, 0, 2**64, sender=user)
    assert market.position(user)[1] == preview.debt
    assert market.position(user)[3] == preview.health


def test_preview_health_matches_once_the_stream_is_over(world) -> None:
    system, user = world
    with system.chain.anchor():
        system.chain.time_travel(30 * 86_400)
        assert system.oracle.rate() == system.oracle.price()
        preview_health_matches(system, user)


def test_preview_health_matches_while_rewards_stream(world) -> None:
    system, user = world
    with system.chain.anchor():
        assert system.oracle.rate() > system.oracle.price()
        preview_health_matches(system, user)
