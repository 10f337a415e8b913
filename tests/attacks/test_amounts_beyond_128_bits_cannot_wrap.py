"""Issue 30's pass packs the market's storage: a position's collateral and borrow shares share one slot (128
bits each), and the total borrow shares share one with the borrow cap and pause flag. A part wider than its
bits would spill into its neighbour or be cut off: collateral past 2^128 - 1 would turn into a borrow share,
and total borrow shares past it would lose their high bits, so every position's debt (its shares times the
borrow assets over the total shares) would jump: borrowers liquidated, or the wrapped borrow written off.

The defence: every store refuses a part wider than its bits ("market: amount too large"), on the position and
on the total. Two borrowers, each under 2^128 borrow shares, whose shares together pass it: the second borrow
is refused.
"""

from __future__ import annotations

import boa
import pytest
from boa_system import MAX_UINT, deploy_system

MAX_128 = 2**128 - 1


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals)
    market, lst = system.market, system.lst
    # Raw amounts: borrow shares start at 10^6 per unit of X, so 2^108 units borrowed are 2^128 shares.
    lender, first, second = (boa.env.generate_address(name) for name in ("lender", "first", "second"))
    system.mint_x(lender, 2**110)
    with boa.env.prank(lender):
        system.x.approve(market, MAX_UINT)
        market.deposit(2**110, lender)
    for borrower in (first, second):
        system.mint_x(borrower, 2**108)
        with boa.env.prank(borrower):
            system.x.approve(lst, MAX_UINT)
            lst.deposit(2**108, borrower)
            lst.approve(market, MAX_UINT)
            market.supply_collateral(lst.balanceOf(borrower), borrower)
    return system, first, second


def test_collateral_past_128_bits_is_refused_not_turned_into_debt(world) -> None:
    system, first, _ = world
    market, lst = system.market, system.lst
    whale = boa.env.generate_address("whale")
    system.mint_x(whale, 2**128)
    with boa.env.anchor():
        # The LST's books hold at most 2^128 - 1 X (a deposit past it is refused): shares past 2^128 - 1 exist
        # only below a rate of 1, so 90% of the stake is slashed before the whale's second deposit.
        with boa.env.prank(whale):
            system.x.approve(lst, MAX_UINT)
            lst.deposit(2**126, whale)
        lst.rebalance()
        system.validator.slash(lst, 9_000, True, sender=system.owner)
        with boa.env.prank(whale):
            lst.deposit(2**127, whale)
            assert lst.balanceOf(whale) > MAX_128 + 1
            lst.approve(market, MAX_UINT)
            with boa.reverts("market: amount too large"):
                market.supply_collateral(MAX_128 + 1, whale)
            market.supply_collateral(MAX_128, whale)
            assert tuple(market.positions(whale)) == (MAX_128, 0)


def test_total_borrow_shares_past_128_bits_are_refused(world) -> None:
    system, first, second = world
    market = system.market
    # 2^107.6 units each: each position stays under 2^128 borrow shares, the two together pass it.
    amount = 2**107 + 2**106
    with boa.env.anchor():
        with boa.env.prank(first):
            market.borrow(amount, 0, first, first)
        shares = market.positions(first)[1]
        assert shares < MAX_128 < 2 * shares
        debt = market.position(first)[1]
        with boa.env.prank(second), boa.reverts("market: amount too large"):
            market.borrow(amount, 0, second, second)
        assert market.total_borrow_shares() == shares
        assert market.position(first)[1] == debt
