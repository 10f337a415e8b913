"""levstake.model.preview_open equals what the router does on chain, to the wei (titanoboa)."""

from __future__ import annotations

import boa
import pytest
from boa_system import WAD, deploy_system, lend, router_user
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from levstake.model import LstSnapshot, MarketSnapshot, preview_open


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals)
    lend(system, 100_000_000)
    user = router_user(system, "user", 10_000_000)
    # A used market and a grown LST, so that no ratio is 1:1.
    system.router.open(system.market, system.units(12_345), 17 * WAD, 0, 2**64, sender=user)
    boa.env.time_travel(seconds=3 * 86_400)
    system.lst.sync_rewards()
    boa.env.time_travel(seconds=86_400)
    return system, router_user(system, "other", 10_000_000)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    micro_units=st.integers(min_value=10, max_value=10**12),
    leverage=st.integers(min_value=WAD, max_value=50 * WAD),
)
def test_preview_open_matches_the_chain(world, micro_units: int, leverage: int) -> None:
    system, user = world
    market, lst = system.market, system.lst
    assets = micro_units * 10**system.decimals // 10**6
    with boa.env.anchor():
        market.accrue_interest()
        snapshot = MarketSnapshot(
            market.total_borrow_assets(),
            market.total_borrow_shares(),
            system.oracle.price(),
            market.max_ltv(),
            market.lltv(),
        )
        preview = preview_open(LstSnapshot(lst.totalAssets(), lst.totalSupply()), snapshot, assets, leverage)
        system.router.open(market, assets, leverage, 0, 2**64, sender=user)
        collateral, borrow_shares = market.positions(user)
        assert (collateral, borrow_shares) == (preview.collateral_added, preview.borrow_shares)
        assert market.position(user)[1] == preview.debt
        assert market.position(user)[3] == preview.health
