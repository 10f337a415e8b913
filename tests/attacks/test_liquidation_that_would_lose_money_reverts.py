"""A keeper is led into a liquidation that loses money at exit value, or pays less than it counted on.

1. Book value ahead of exit value (issue 29, from the fifth review): after 60 days without a reward sync the
   LST counts the backlog into its book value at once but streams it over the next 60 days, and a 3% slash
   then takes a position below a health of 1. The market seizes collateral at the book value: worth the
   repaid debt plus 0.3%, but worth less than the debt through an instant exit (or a queued one).
2. A sandwich: just before the keeper's liquidation, somebody drains part of the LST's buffer, so the instant
   fee rises and the keeper's profit shrinks.

The defences: the liquidator reverts "liquidator: would lose money" when what the seized LST pays on exit does
not cover the repaid X (it never pulls anything from its caller, so the caller risks its gas only), and
"liquidator: profit below minimum" when the caller gets less than its `min_profit`. `quote` says both before.
"""

from __future__ import annotations

import pytest
from boa_leverage import deploy_leverage, maxed_borrower, stake_and_delegate
from boa_system import MAX_UINT, RevmChain, deploy_system, lend, reverts

DAY = 86_400


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    lend(system, 1_000_000)
    leverage = deploy_leverage(system)
    borrower = maxed_borrower(system, "borrower", 1_000)
    staker = stake_and_delegate(system, 100_000)
    keeper = system.chain.generate_address("keeper")
    # The keeper holds X and has approved the liquidator for all of it: none of it may ever be used.
    system.mint_x(keeper, system.units(10_000))
    system.x.approve(leverage.liquidator, MAX_UINT, sender=keeper)
    return leverage, borrower, staker, keeper


def lagged_then_slashed(system) -> None:
    system.chain.time_travel(60 * DAY)
    system.lst.sync_rewards()
    system.validator.slash(system.lst, 300, sender=system.owner)


@pytest.mark.parametrize("keep_lst", [False, True], ids=["to-x", "keep-lst"])
def test_a_liquidation_losing_money_at_exit_value_reverts(world, keep_lst: bool) -> None:
    leverage, borrower, _, keeper = world
    system, market, liquidator = leverage.system, leverage.system.market, leverage.liquidator
    with system.chain.anchor():
        lagged_then_slashed(system)
        assert market.position(borrower)[3] < 10**18, "liquidatable at book value"
        quote = liquidator.quote(market, borrower, 0, 0, keep_lst)
        assert quote.reason == "liquidator: would lose money" and quote.profit < 0
        balance, position = system.x.balanceOf(keeper), market.positions(borrower)
        with reverts("liquidator: would lose money"):
            liquidator.liquidate(
                market, borrower, quote.seized_assets, quote.repaid_shares, 0, 2**64, keep_lst, sender=keeper
            )
        assert system.x.balanceOf(keeper) == balance and market.positions(borrower) == position
        assert system.x.balanceOf(liquidator) == 0 and system.lst.balanceOf(liquidator) == 0


def test_the_loss_is_real_for_a_direct_liquidator(world) -> None:
    """The control: the market does allow it, and a keeper paying with its own X ends with less X."""
    leverage, borrower, _, keeper = world
    system, market, lst = leverage.system, leverage.system.market, leverage.system.lst
    with system.chain.anchor():
        lagged_then_slashed(system)
        quote = leverage.liquidator.quote(market, borrower, 0, 0)
        system.x.approve(market, MAX_UINT, sender=keeper)
        balance = system.x.balanceOf(keeper)
        seized, repaid = market.liquidate(borrower, quote.seized_assets, quote.repaid_shares, sender=keeper)
        assert (seized, repaid) == (quote.seized, quote.repaid)
        received = lst.redeem(seized, keeper, keeper, sender=keeper)
        assert system.x.balanceOf(keeper) - balance == received - repaid == quote.profit < 0


def test_a_sandwich_cannot_take_the_keepers_profit_below_its_minimum(world) -> None:
    leverage, borrower, staker, keeper = world
    system, liquidator = leverage.system, leverage.liquidator
    market, lst = system.market, system.lst
    with system.chain.anchor():
        system.validator.slash(lst, 150, sender=system.owner)
        quote = liquidator.quote(market, borrower, 0, 0)
        assert quote.reason == "" and quote.profit > 0
        # The keeper asks for what the quote says. A staker redeems most of the buffer in front of it.
        lst.redeem(lst.max_instant_redeem() * 3 // 10, staker, staker, sender=staker)
        assert 0 < liquidator.quote(market, borrower, 0, 0).profit < quote.profit
        balance = system.x.balanceOf(keeper)
        with reverts("liquidator: profit below minimum"):
            liquidator.liquidate(market, borrower, 0, quote.repaid_shares, quote.profit, 2**64, sender=keeper)
        assert system.x.balanceOf(keeper) == balance
