"""Properties of the router over a hypothesis range of amounts and leverages (titanoboa, time frozen).

- open lands at the target leverage, at or below max LTV, and needs idle liquidity = the debt only;
- close returns exactly what the LST's instant unstake pays for the collateral, minus the debt;
- the router holds nothing after either.
"""

from __future__ import annotations

import boa
import pytest
from boa_system import ORACLE_SCALE, WAD, BoaSystem, deploy_system, lend, router_user
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

DEADLINE = 2**64


@pytest.fixture(scope="module")
def world(decimals) -> tuple[BoaSystem, str]:
    system = deploy_system(decimals)
    lend(system, 100_000_000)
    return system, router_user(system, "user", 1_000_000)


def router_is_empty(system: BoaSystem) -> None:
    for token in (system.x, system.lst, system.market):
        assert token.balanceOf(system.router) == 0


amounts = st.one_of(st.integers(min_value=1, max_value=10**6), st.integers(min_value=10**3, max_value=10**12))
leverages = st.one_of(
    st.integers(min_value=WAD, max_value=50 * WAD), st.sampled_from([WAD, 2 * WAD, 50 * WAD])
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(micro_units=amounts, leverage=leverages)
def test_open_lands_at_target_and_close_pays_the_rest(world, micro_units: int, leverage: int) -> None:
    system, user = world
    market, lst, x, router = system.market, system.lst, system.x, system.router
    # Amounts from 1e-6 X up to a million X, whatever the decimals.
    assets = max(micro_units * 10**system.decimals // 10**6, 1)
    idle = market.maxFlashLoan(x)
    if assets <= 4:
        # Below the rounding margin nothing can be sized safely: refused, not rounded into debt.
        with boa.reverts("router: amount too small"):
            router.open(market, assets, leverage, 0, DEADLINE, sender=user)
        return
    router.open(market, assets, leverage, 0, DEADLINE, sender=user)
    collateral, debt, _, _ = market.position(user)
    value = collateral * system.oracle.price() // ORACLE_SCALE
    assert debt * WAD <= value * market.max_ltv()
    assert idle - market.maxFlashLoan(x) == debt
    # Collateral is the target's to within the few wei of X kept as a rounding margin at max leverage.
    assert abs(value - assets * leverage // WAD) <= 6 * leverage // WAD + 2
    router_is_empty(system)

    before = x.balanceOf(user)
    expected = lst.previewRedeem(collateral) - debt
    if lst.buffer() >= lst.previewRedeem(collateral):
        router.close(market, expected, DEADLINE, sender=user)
        assert x.balanceOf(user) - before == expected
    else:
        router.close(market, 0, DEADLINE, True, sender=user)
    assert market.positions(user) == (0, 0)
    router_is_empty(system)
