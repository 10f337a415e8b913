"""Markets liquidate at the LST's book value (rewards still streaming included), so a late reward sync cannot
make a borrower liquidatable. The outside review after the hardening found the hole in that promise: deposits
were priced at `convertToAssets` (stream excluded), so a large deposit spread the locked rewards over its new
shares and pulled the book value per share down to `convertToAssets` in the same transaction. Its run (X with
18 decimals): the LST holds 1,000 X, a 10 X position opened at 50x, nobody syncs for 100 days, then the
borrower syncs; convertToAssets 1.000000, book value 1.011820, health at book value 1.00852 (liquidation
refused). The attacker deposits 20,000 X: book value 1.000826, health 0.99756, the whole debt liquidated
(497.70 LST seized for 496.62 X), the borrower's equity 9.29 -> 2.32 X, and the deposit queued back at exactly
20,000 X. Now deposits and mints are priced at the book value: a new share pays for its part of the stream.
"""

from __future__ import annotations

import pytest
from boa_system import (
    MAX_UINT,
    ORACLE_SCALE,
    WAD,
    RevmChain,
    attempt,
    deploy_system,
    lend,
    router_user,
)
from boa_system import stake as staker

DAY = 86_400
DEADLINE = 2**64


@pytest.fixture
def after_late_sync(decimals):
    """The review's state: a 50x borrower right after syncing 100 days of rewards himself."""
    system = deploy_system(decimals, RevmChain())
    with system.chain.anchor():
        staker(system, "staker", 1_000)
        system.lst.rebalance()
        lend(system, 557)
        borrower = router_user(system, "borrower", 10)
        system.router.open(system.market, system.units(10), 50 * WAD, 0, DEADLINE, sender=borrower)
        system.chain.time_travel(100 * DAY)
        system.lst.sync_rewards(sender=borrower)
        system.market.accrue_interest()
        attacker = system.chain.generate_address("attacker")
        system.mint_x(attacker, system.units(10_000_000))
        system.x.approve(system.market, MAX_UINT, sender=attacker)
        system.x.approve(system.lst, MAX_UINT, sender=attacker)
        yield system, borrower, attacker


def test_a_big_deposit_cannot_push_a_healthy_position_into_liquidation(after_late_sync):
    system, borrower, attacker = after_late_sync
    lst, market = system.lst, system.market
    book = lst.book_value(ORACLE_SCALE)
    # The review's gap: healthy at book value, not at convertToAssets.
    assert book > lst.convertToAssets(ORACLE_SCALE)
    health = market.position(borrower)[3]
    assert health >= WAD
    assert attempt(market.liquidate, borrower, 0, 1, sender=attacker)[1] == "market: position is healthy"

    shares = lst.deposit(system.units(20_000), sender=attacker)

    # The deposit bought its shares at the book value: the book value per share did not move (to rounding).
    assert abs(lst.book_value(ORACLE_SCALE) - book) <= ORACLE_SCALE // 10**9
    assert market.position(borrower)[3] >= health - 1
    debt_shares = market.positions(borrower)[1]
    assert attempt(market.liquidate, borrower, 0, debt_shares, sender=attacker)[1] == (
        "market: position is healthy"
    )
    # And taking the deposit back through the queue costs the part of the stream it paid for.
    request_id = lst.request_unstake(shares, sender=attacker)
    assert lst.request_value(request_id) < system.units(20_000)


def test_deposit_and_mint_previews_price_at_book_value(after_late_sync):
    system, _, attacker = after_late_sync
    lst = system.lst
    assets = system.units(1_000)
    # Fewer shares than the stream-free rate would give: the stream is paid for.
    assert lst.previewDeposit(assets) < lst.convertToShares(assets)
    assert lst.previewMint(lst.previewDeposit(assets)) <= assets
    shares = lst.previewDeposit(assets)
    with system.chain.anchor():
        assert lst.deposit(assets, sender=attacker) == shares
    cost = lst.previewMint(shares)
    with system.chain.anchor():
        assert lst.mint(shares, sender=attacker) == cost
    # A deposit followed by an instant exit in the same block never gains.
    before = system.x.balanceOf(attacker)
    with system.chain.anchor():
        minted = lst.deposit(assets, sender=attacker)
        lst.redeem(min(minted, lst.maxRedeem(attacker)), sender=attacker)
        assert system.x.balanceOf(attacker) < before
