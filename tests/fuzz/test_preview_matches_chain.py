"""levstake.model.preview_open equals what the router does on chain, to the wei (titanoboa)."""

from __future__ import annotations

import boa
import pytest
from boa_system import WAD, deploy_system
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from levstake.model import LstSnapshot, MarketSnapshot, preview_open

MAX_UINT = 2**256 - 1


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals)
    lender, user = boa.env.generate_address("lender"), boa.env.generate_address("user")
    system.mint_x(lender, system.units(100_000_000))
    system.x.approve(system.market, MAX_UINT, sender=lender)
    system.market.deposit(system.units(100_000_000), sender=lender)
    system.mint_x(user, system.units(10_000_000))
    system.x.approve(system.router, MAX_UINT, sender=user)
    system.market.set_authorization(system.router, True, sender=user)
    # A used market and a grown LST, so that no ratio is 1:1.
    system.router.open(system.market, system.units(12_345), 17 * WAD, 0, 2**64, sender=user)
    boa.env.time_travel(seconds=3 * 86_400)
    system.lst.sync_rewards()
    boa.env.time_travel(seconds=86_400)
    other = boa.env.generate_address("other")
    system.market.set_authorization(system.router, True, sender=other)
    system.mint_x(other, system.units(10_000_000))
    system.x.approve(system.router, MAX_UINT, sender=other)
    return system, other


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
