"""Rounding-dust extraction: hundreds of tiny deposits and withdrawals on both vaults (the LST and the
market's lender shares), at awkward exchange rates, never leave the attacker with more X than they had.
On revm: the 1,000 rounds are ~7,000 calls per vault."""

from __future__ import annotations

import pytest
from boa_system import MAX_UINT, REVERTED, WAD, RevmChain, deploy_system, lend, router_user, set_lst_parameter

ROUNDS = 1_000


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    chain = system.chain
    lend(system, 1_000_000)
    user = router_user(system, "borrower", 100_000)
    system.router.open(system.market, system.units(12_345), 17 * WAD, 0, 2**64, sender=user)
    # Odd rates: rewards streamed into the LST, interest accrued in the market.
    system.lst.rebalance()
    chain.time_travel(3 * 86_400 + 17)
    system.lst.sync_rewards()
    chain.time_travel(86_400 + 3)
    system.market.accrue_interest()
    attacker = chain.generate_address("attacker")
    system.mint_x(attacker, system.units(1_000))
    # No instant-unstake fee: rounding alone has to protect the LST (the worst case for this defence).
    set_lst_parameter(system, "instant_fee_bps", 0, max_instant_fee_bps=0)
    for spender in (system.lst, system.market):
        system.x.approve(spender, MAX_UINT, sender=attacker)
    return system, attacker


@pytest.mark.parametrize("vault", ["lst", "market"])
def test_many_tiny_round_trips_lose_or_break_even(world, vault: str) -> None:
    system, attacker = world
    token = system.lst if vault == "lst" else system.market
    x = system.x
    with system.chain.anchor():
        start = x.balanceOf(attacker)
        trips = 0
        for size in range(1, ROUNDS + 1):
            # deposit -> withdraw exact assets -> redeem what is left, each rounding against the caller.
            try:
                token.deposit(size, sender=attacker)
            except REVERTED:
                continue  # too small to mint a share: refused, nothing moved
            # Wei-sized withdrawals are where a share rounded the wrong way would be free money.
            for wei in (1, 2, 3):
                if token.maxWithdraw(attacker) >= wei:
                    token.withdraw(wei, sender=attacker)
            held = token.balanceOf(attacker)
            if held and token.previewRedeem(held) > 0:
                token.redeem(held, sender=attacker)
            trips += 1
        assert trips > ROUNDS // 2, f"only {trips} of {ROUNDS} deposits went through"
        assert x.balanceOf(attacker) <= start
        # Whatever shares are left are worth less than what the attacker lost.
        assert token.convertToAssets(token.balanceOf(attacker)) + x.balanceOf(attacker) <= start
