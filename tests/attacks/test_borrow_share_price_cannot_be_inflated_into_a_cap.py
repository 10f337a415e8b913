"""Borrow-share price inflation into a permanent cap (the gas review's Medium finding). On a market with no
debt, an attacker borrows 1 wei (the shares rounded up: 10^6 of them) and repays 1 share (the X owed rounded
up to 1 wei), each time from a new position. Morpho's rule took the 1 wei charged off the total borrow assets,
leaving 0 X behind shares that remain: every cycle doubled the shares per wei for a wei. With total borrow
shares held in 128 bits, 40 cycles (5.6M gas, one transaction) made any borrow of size refuse ("market: amount
too large") with 999,960 X idle, and only a full exit of every borrower undid it; 166 cycles did on 256 bits.

The defence: a burn of borrow shares takes off the total borrow assets only the shares' value rounded down
(the payer is still charged it rounded up), so no repay or liquidation lowers the share price; the last share
takes the rest. Here, 40 and 200 cycles leave the price within a factor 2 of an empty market's, and an honest
10,000 X open at 5x still goes through. On revm: 200 cycles are ~1,000 calls."""

from __future__ import annotations

import pytest
from boa_system import MAX_UINT, REVERTED, WAD, RevmChain, deploy_system, lend, router_user

VIRTUAL_SHARES = 10**6


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    lend(system, 1_000_000)
    attacker = system.chain.generate_address("attacker")
    system.mint_x(attacker, system.units(2))
    system.x.approve(system.lst, MAX_UINT, sender=attacker)
    system.lst.deposit(system.units(1), attacker, sender=attacker)
    system.lst.approve(system.market, MAX_UINT, sender=attacker)
    system.x.approve(system.market, MAX_UINT, sender=attacker)
    return system, attacker


def inflate(system, attacker: str, cycles: int) -> list[str]:
    """Borrow 1 wei and repay 1 borrow share on `cycles` fresh positions; stops where a borrow is refused
    (the shares already past 128 bits). Returns the positions."""
    market = system.market
    minions = []
    for i in range(cycles):
        minion = system.chain.generate_address(f"minion{i}")
        market.set_authorization(attacker, True, sender=minion)
        market.supply_collateral(1_000, minion, sender=attacker)
        try:
            market.borrow(1, 0, minion, attacker, sender=attacker)
        except REVERTED:
            break
        market.repay(0, 1, minion, sender=attacker)
        minions.append(minion)
    return minions


@pytest.mark.parametrize("cycles", [40, 200])
def test_repaying_one_share_cycles_cannot_inflate_the_borrow_share_price(world, cycles: int) -> None:
    system, attacker = world
    market = system.market
    with system.chain.anchor():
        minions = inflate(system, attacker, cycles)
        assert len(minions) == cycles, f"the shares passed 128 bits after {len(minions)} cycles"
        assets, shares = market.total_borrow_assets(), market.total_borrow_shares()
        # An empty market mints 10^6 shares per wei: the attack must not even double that.
        assert shares + VIRTUAL_SHARES <= 2 * VIRTUAL_SHARES * (assets + 1), (
            f"{cycles} cycles: {shares} borrow shares for {assets} wei"
        )
        # Each position still owes its wei: no debt vanished.
        assert all(market.position(minion)[1] >= 1 for minion in minions)

        first = router_user(system, "first", 10)
        system.router.open(market, system.units(10), 5 * WAD, 0, 2**64, sender=first)
        for minion in minions:
            market.repay(0, market.positions(minion)[1], minion, sender=attacker)
        borrower = router_user(system, "borrower", 10_000)
        system.router.open(market, system.units(10_000), 5 * WAD, 0, 2**64, sender=borrower)
        assert market.position(borrower)[1] >= system.units(40_000)
