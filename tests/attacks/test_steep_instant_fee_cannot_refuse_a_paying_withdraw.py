"""
The LST's `withdraw` refused any amount above `maxWithdraw`, and `maxWithdraw` is a lower bound: it charges
the instant fee on the owner's whole value, more than on the amount withdrawn, so where the fee is steep (a
buffer drained below its target) it sits below the largest withdraw the owner's shares pay for by the fee's
slope times the fee. What `previewWithdraw` priced within the balance then reverted "lst: withdraw exceeds
max", and the Liquidator, which unstakes only the repaid X when the caller keeps the LST, reverted
"liquidator: would lose money" on a liquidation its own quote said paid (found by the whole-system fuzz, x6:
a quote of +12,612 units). A keeper trusting the quote paid gas for nothing, and the position stayed
unliquidated in that mode.

Now `withdraw` checks the two limits themselves (the buffer beyond the queue's part, the shares the amount
costs), the Liquidator and the router check the same ones, and the quote agrees with the call.
"""

import ape
import pytest
from boa_system import largest_paid_withdraw, largest_where

WAD = 10**18


@pytest.fixture
def keeper_liquidator(project, owner, factory):
    return owner.deploy(project.Liquidator, factory)


@pytest.fixture
def below_the_target(lst, staker, other, stake, units) -> tuple[int, int]:
    """The buffer drained to about half its target, so the other holder's exit goes down the fee's slope:
    (its balance, the largest withdraw the balance pays for)."""
    stake(staker, units(100))
    stake(other, units(5))
    lst.rebalance(sender=staker)
    lst.withdraw(units(5), staker, staker, sender=staker)
    balance = lst.balanceOf(other)
    return balance, largest_paid_withdraw(lst, balance, lst.convertToAssets(balance))


def test_withdraw_of_what_the_balance_pays_goes_through_below_the_target(lst, other, below_the_target):
    balance, assets = below_the_target
    assert lst.convertToAssets(balance) < lst.buffer()
    assert assets > lst.maxWithdraw(other), "maxWithdraw is a lower bound where the fee is steep"
    burnt = lst.previewWithdraw(assets)
    tx = lst.withdraw(assets, other, other, sender=other)
    assert tx.events.filter(lst.Withdraw)[0].shares == burnt <= balance
    assert lst.balanceOf(other) == balance - burnt


def test_withdraw_beyond_the_balance_or_the_buffer_is_still_refused(lst, staker, other, below_the_target):
    _, assets = below_the_target
    with ape.reverts("lst: withdraw exceeds max"):
        lst.withdraw(assets + 1, other, other, sender=other)
    # Beyond the buffer nothing is priced: the reason, not an overflow, even for the largest amount.
    for assets in (lst.buffer() + 1, 2**255, 2**256 - 1):
        with ape.reverts("lst: withdraw exceeds max"):
            lst.withdraw(assets, staker, staker, sender=staker)


def keep_lst_profit(keeper_liquidator, market, borrower, seized: int) -> int:
    quote = keeper_liquidator.quote(market, borrower, seized, 0, True)
    return quote.profit if quote.reason == "" else -1


def test_liquidation_keeping_the_lst_pays_what_its_quote_says(
    keeper_liquidator, market, lst, validator, owner, borrower, liquidator, chain, set_lst_parameter, maxed
):
    # The owner's highest instant-fee ceiling: draining the buffer costs more than the liquidation incentive.
    set_lst_parameter("max_instant_fee_bps", 100)
    validator.slash(lst, 300, sender=owner)
    assert market.position(borrower)[3] < WAD
    # The largest seizure the quote says pays when the caller keeps the LST (its repaid X drains the buffer
    # down the fee's slope), and the smallest whose seized LST no longer pays the repaid X when redeemed: the
    # old Liquidator refused everything in between.
    collateral = market.positions(borrower).collateral
    paying = largest_where(
        lambda seized: keep_lst_profit(keeper_liquidator, market, borrower, seized) > 0, 1, collateral
    )
    redeem_short = 1 + largest_where(
        lambda seized: keeper_liquidator.quote(market, borrower, seized, 0, False).profit >= 0, 0, paying - 1
    )
    assert redeem_short < paying, "a window where the seized LST pays by withdraw but not by redeem"
    seized = (redeem_short + paying) // 2
    redeemed = keeper_liquidator.quote(market, borrower, seized, 0, False)
    assert redeemed.reason == "liquidator: would lose money" and redeemed.profit < 0
    quote = keeper_liquidator.quote(market, borrower, seized, 0, True)
    assert quote.reason == "" and quote.profit > 0
    tx = keeper_liquidator.liquidate(
        market, borrower, seized, 0, 0, chain.pending_timestamp + 3_600, True, sender=liquidator
    )
    own = tx.events.filter(keeper_liquidator.Liquidated)[0]
    assert own.seized == seized and own.assets_out == 0
    # A block of interest later the repaid X is a little more, so a few shares fewer are kept.
    assert 0 < own.shares_out <= quote.kept_shares
    assert quote.kept_shares - own.shares_out <= quote.kept_shares // 100
    assert lst.balanceOf(liquidator) == own.shares_out
