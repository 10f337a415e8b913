"""`levstake.model.LstSnapshot`'s exit side (the instant fee integrated along the buffer, previews, max views)
equals the LST's own views, over random buffer levels, queue reserves and amounts (on revm). The previews read
one snapshot and compute everything from it, so this mirror must be exact."""

from __future__ import annotations

import pytest
from boa_system import RevmChain, attempt, deploy_system
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from revm_reads import reader_of

DAY = 86_400


@pytest.fixture(scope="module")
def lst_world(decimals):
    system = deploy_system(decimals, RevmChain())
    staker = system.chain.generate_address("staker")
    system.mint_x(staker, system.units(1_000_000))
    system.x.approve(system.lst, 2**256 - 1, sender=staker)
    system.lst.deposit(system.units(100_000), sender=staker)
    system.lst.rebalance()
    system.chain.time_travel(3 * DAY)
    system.lst.sync_rewards()
    system.chain.time_travel(DAY // 3)
    return system, staker, reader_of(system)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    drained=st.integers(0, 999),
    queued=st.integers(0, 500),
    amount=st.integers(1, 10**9),
)
def test_exit_views_match_the_chain(lst_world, drained: int, queued: int, amount: int) -> None:
    system, staker, reader = lst_world
    lst = system.lst
    with system.chain.anchor():
        # Drain the buffer by a random part, then file a queued request (its X is reserved from the buffer
        # beyond what is unbonding for it).
        room = lst.maxWithdraw(staker)
        if room * drained // 1000:
            lst.withdraw(room * drained // 1000, staker, staker, sender=staker)
        if queued:
            lst.request_unstake(lst.balanceOf(staker) * queued // 10_000, sender=staker)
        snapshot = reader.snapshot(staker)
        model_lst = snapshot.lst
        assets = amount * 10**system.decimals // 10**6
        shares = lst.convertToShares(assets)
        assert model_lst.preview_redeem(shares) == lst.previewRedeem(shares)
        assert model_lst.preview_withdraw(assets) == lst.previewWithdraw(assets)
        assert model_lst.max_instant_shares() == lst.max_instant_redeem()
        balance = lst.balanceOf(staker)
        assert model_lst.max_withdraw(balance) == lst.maxWithdraw(staker)
        assert model_lst.max_redeem(balance) == lst.maxRedeem(staker)
        assert model_lst.preview_mint(shares) == lst.previewMint(shares)
        # The router's and the Liquidator's reading of an instant withdraw: what they let through goes
        # through, and what the shares cannot pay the LST refuses too.
        refusal = model_lst.withdraw_refusal(assets, balance)
        _, reason = attempt(lst.withdraw, assets, sender=staker)
        if refusal is None:
            assert reason is None
        elif refusal == "balance":
            assert reason == "lst: withdraw exceeds max"
