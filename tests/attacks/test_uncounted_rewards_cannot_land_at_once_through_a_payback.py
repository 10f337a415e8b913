"""Rewards the LST has not counted (above the APR cap, or accrued while a stream runs) sit in the backend's
stake. Were a filing to unbond them too (it asked up to the whole stake), the backend's payback would bring
back more than the accounted balance, and `_process_queue`, which takes only the accounted part off that
balance, would land the rest in `totalAssets` at once: no stream, no APR cap, no protocol fee (README,
Rewards: "the rate grows at most `max_apr_bps` a year, nothing can be sandwiched"). An outsider depositing
just before the payback and redeeming right after it (one block) took most of it: ~28.7 X on 1,000 X, the
rate ~2.6x in one call.

Found by the fifteenth session's outside review of the books' packing (Medium, older than the packing: branch
attack-books2, `scratch/uncounted_payback_sandwich.py`). Ruled out by `_request_unbonding` asking at most the
stake the LST counts (accounted less expected unbonding): the uncounted rewards stay staked until a sync
counts them.
"""

from __future__ import annotations

import pytest
from boa_system import MAX_UINT, deploy_lst
from revm_chain import RevmChain

DAY = 86_400


@pytest.mark.parametrize("decimals", [6, 18])
def test_a_payback_of_uncounted_rewards_cannot_be_sandwiched(decimals: int) -> None:
    chain = RevmChain()
    alone = deploy_lst(chain, decimals, "staking/SimulatedValidator.vy", 10_000)
    owner, treasury, x, validator, lst = alone.owner, alone.treasury, alone.x, alone.backend, alone.lst
    unit = 10**decimals
    x.mint(owner, 10**7 * unit, sender=owner)
    x.approve(validator, MAX_UINT, sender=owner)
    validator.fund_rewards(10**7 * unit, sender=owner)
    alice, bob = chain.generate_address("alice"), chain.generate_address("bob")
    for who in (alice, bob):
        x.mint(who, 10**6 * unit, sender=owner)
        x.approve(lst, MAX_UINT, sender=who)
    lst.deposit(1_000 * unit, sender=alice)
    lst.rebalance()
    # 60 days at the devnet backend's highest APR (100%): the sync counts 20% a year of it, the rest waits.
    chain.time_travel(60 * DAY)
    lst.sync_rewards()
    assert validator.total_balance(lst) - lst.backend_accounted() > 100 * unit, (
        "uncounted rewards in the stake"
    )
    request = lst.request_unstake(lst.balanceOf(alice) * 99 // 100, sender=alice)
    assert lst.unbonding_expected() <= lst.backend_accounted(), "the filing unbonds uncounted rewards too"
    chain.time_travel(lst.requests(request).ready_at - chain.timestamp)
    # Bob: deposit, let the payback land, redeem; one block.
    start = x.balanceOf(bob)
    fee_shares = lst.balanceOf(treasury)
    shares = lst.deposit(1_000 * unit, sender=bob)
    rate = lst.convertToAssets(unit)
    lst.process_queue(sender=bob)
    jumped = lst.convertToAssets(unit)
    lst.redeem(shares, sender=bob)
    profit = x.balanceOf(bob) - start
    assert lst.claim(request, sender=alice) > 0
    assert jumped <= rate, f"the payback moved the rate {rate} -> {jumped} in one call"
    assert lst.balanceOf(treasury) == fee_shares, "no fee is due on a rate that did not move"
    assert profit <= 0, f"a one-block deposit and redeem around the payback earned {profit / unit} X"
