"""Router properties over a hypothesis range of amounts, leverages and buffer levels (revm, time frozen).

- open lands at the target leverage, at or below max LTV, and needs idle liquidity = the debt only;
- close pays, in each mode, exactly what the LST's previews say for the collateral minus the debt: X by redeem
  (or LST when the buffer cannot take it all), LST after a withdraw of the debt, or a queued request;
- adjust down (with `partial`) lands at the target when the buffer can take the step, even when the step
  drains it below its target and the fee rises; otherwise it stops between, with the buffer used up;
- the router holds nothing and has no allowance left after any of them.
"""

from __future__ import annotations

import pytest
from boa_system import (
    ORACLE_SCALE,
    WAD,
    BoaSystem,
    RevmChain,
    attempt,
    deploy_system,
    lend,
    reverts,
    router_user,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from levstake import lst_lens
from levstake.model import CLOSE_TO_LST, CLOSE_TO_QUEUE, CLOSE_TO_X, LstSnapshot

# The LST's loss factor while no slash reached the queue.
RAY = 10**27

DEADLINE = 2**64
NO_AUTHORIZATION = (0, 0, 0, b"\x00" * 32, b"\x00" * 32)


@pytest.fixture(scope="module")
def world(decimals) -> tuple[BoaSystem, str, str]:
    system = deploy_system(decimals, RevmChain())
    lend(system, 100_000_000)
    staker = system.chain.generate_address("staker")
    system.mint_x(staker, system.units(100_000_000))
    system.x.approve(system.lst, 2**256 - 1, sender=staker)
    return system, router_user(system, "user", 10_000_000), staker


def router_is_empty(system: BoaSystem) -> None:
    router = system.router
    for token in (system.x, system.lst, system.market):
        assert token.balanceOf(router) == 0
    for token in (system.x, system.lst):
        for spender in (system.lst, system.market):
            assert token.allowance(router, spender) == 0


def leverage(system: BoaSystem, user: str, price: int) -> int:
    collateral, debt, _, _ = system.market.position(user)
    value = collateral * price // ORACLE_SCALE
    return value * WAD // (value - debt)


amounts = st.one_of(st.integers(min_value=1, max_value=10**6), st.integers(min_value=10**3, max_value=10**12))
leverages = st.one_of(
    st.integers(min_value=WAD, max_value=50 * WAD), st.sampled_from([WAD, 2 * WAD, 50 * WAD])
)
modes = st.sampled_from([CLOSE_TO_X, CLOSE_TO_LST, CLOSE_TO_QUEUE])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(micro_units=amounts, leverage_=leverages, mode=modes, rebalanced=st.booleans())
def test_open_lands_at_target_and_close_pays_the_rest(
    world, micro_units: int, leverage_: int, mode: int, rebalanced: bool
) -> None:
    system, user, _ = world
    market, lst, x, router = system.market, system.lst, system.x, system.router
    # Amounts from 1e-6 X up to a million X, whatever the decimals.
    assets = max(micro_units * 10**system.decimals // 10**6, 1)
    with system.chain.anchor():
        idle = market.maxFlashLoan(x)
        if assets <= 4:
            # Below the rounding margin nothing can be sized safely: refused, not rounded into debt.
            with reverts("router: amount too small"):
                router.open(market, assets, leverage_, 0, DEADLINE, sender=user)
            return
        router.open(market, assets, leverage_, 0, DEADLINE, sender=user)
        collateral, debt, _, _ = market.position(user)
        value = collateral * system.oracle.price() // ORACLE_SCALE
        assert debt * WAD <= value * market.max_ltv()
        assert idle - market.maxFlashLoan(x) == debt
        # Collateral is the target's to within the few wei of X kept as a rounding margin at max leverage.
        assert abs(value - assets * leverage_ // WAD) <= 6 * leverage_ // WAD + 2
        router_is_empty(system)

        if rebalanced:
            lst.rebalance()  # the buffer down to its target: the close may not be able to repay
        x_before, lst_before = x.balanceOf(user), lst.balanceOf(user)
        full_redeem = mode == CLOSE_TO_X and lst.max_instant_redeem() >= collateral
        redeemed = lst.previewRedeem(collateral)
        burnt = lst.previewWithdraw(debt) if debt else 0
        after_withdraw = LstSnapshot(lst.totalAssets() - debt, lst.totalSupply() - burnt)
        buffer, max_fee = lst.buffer(), debt * lst.max_instant_fee_bps() // 10_000 + 2
        _, reason = attempt(router.close, market, 0, DEADLINE, mode, sender=user)
        if reason is not None:
            # Only a buffer too small for the debt stops a close.
            assert reason == "router: buffer too small" and buffer < debt + max_fee
            return
        assert market.positions(user) == (0, 0)
        if full_redeem:
            assert x.balanceOf(user) - x_before == redeemed - debt
            assert lst.balanceOf(user) == lst_before
        else:
            assert x.balanceOf(user) == x_before
            rest = collateral - burnt
            queued = mode == CLOSE_TO_QUEUE and after_withdraw.to_assets_down(rest) >= lst.min_request()
            if queued:
                request = lst.requests(lst.next_request_id() - 1)
                assert request.receiver == user and request.owner == router.address
                # What it was filed for (its event's amount): `request_value` at once, a unit less at most
                # when a slash left the loss factor below RAY (its `scaled` rounds down).
                value = lst.request_value(lst.next_request_id() - 1)
                filed = after_withdraw.to_assets_down(rest)
                assert value == filed if lst.loss_factor() == RAY else filed - 1 <= value <= filed
                assert lst.balanceOf(user) == lst_before
            else:
                assert lst.balanceOf(user) - lst_before == rest
        router_is_empty(system)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    start=st.integers(min_value=2, max_value=50),
    target_bps=st.integers(min_value=1, max_value=9_999),
    buffer_bps=st.one_of(
        st.integers(min_value=0, max_value=30_000), st.integers(min_value=8_000, max_value=12_000)
    ),
)
def test_adjust_down_lands_at_target_or_uses_up_the_buffer(
    world, start: int, target_bps: int, buffer_bps: int
) -> None:
    """`buffer_bps`: extra X staked after a rebalance, in bps of the X the step needs (about)."""
    system, user, staker = world
    market, lst, oracle, router = system.market, system.lst, system.oracle, system.router
    with system.chain.anchor():
        router.open(market, system.units(1_000), start * WAD, 0, DEADLINE, sender=user)
        lst.rebalance()
        price = oracle.price()
        current = leverage(system, user, price)
        # Strictly between 1x and the current leverage (1x itself: see the unit tests).
        target = WAD + 1 + (current - WAD - 2) * target_bps // 10_000
        collateral, debt, _, health = market.position(user)
        value = collateral * price // ORACLE_SCALE
        step = value - target * (value - debt) // WAD
        extra = step * buffer_bps // 10_000
        if extra:
            lst.deposit(extra, sender=staker)
        room = lst.max_instant_redeem()
        _, reason = attempt(router.adjust, market, target, 0, DEADLINE, NO_AUTHORIZATION, True, sender=user)
        if reason is not None:
            # Nothing to take: the buffer is empty or the fee eats the whole step.
            assert reason in ("router: already at target", "router: buffer too small"), reason
            assert room * 100 < collateral
            return
        landed = leverage(system, user, price)
        unstaked = collateral - market.positions(user)[0]
        assert 0 < unstaked <= room
        assert landed <= current and market.position(user)[3] >= health
        if unstaked < room:
            # The buffer could take the step: at the target. When the step drains the buffer below its target
            # the fee changes with the amount and the router's 3 solver rounds leave an error that grows with
            # the leverage (measured: up to ~2.5e-5 x L relative); 5e-5 x L is allowed.
            if lst.buffer() >= lst_lens.target_buffer(lst):
                assert abs(landed - target) <= target // 10**6 + 2
            else:
                assert abs(landed - target) <= target * (target // WAD) // (2 * 10**4) + 2
        else:
            # Cut to the buffer: between the target and where it started.
            assert landed >= target - target // 10**6
        router_is_empty(system)
