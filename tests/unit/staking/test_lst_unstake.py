"""Instant unstake (withdraw / redeem from the buffer) at a rate above 1: previews, rounding, owners."""

import ape
import pytest
from lst_math import exit_fee, exit_rule, to_assets, to_shares

DAY = 86_400
ZERO = "0x0000000000000000000000000000000000000000"


# Module-scoped and used by every test here: built once per decimals (Ape's isolation undoes each test's
# changes), not once per test.
pytestmark = pytest.mark.usefixtures("fully_streamed")


@pytest.fixture(scope="module")
def fully_streamed(lst, staker, other, stake, units, warp):
    """100 X staked, 90 delegated, one gain synced and fully streamed: the rate is above 1 and constant."""
    stake(staker, units(100))
    lst.rebalance(sender=other)
    warp(DAY)
    lst.sync_rewards(sender=other)
    warp(lst.stream_end() - ape.chain.blocks.head.timestamp + 1)
    assert lst.totalAssets() > lst.totalSupply()
    return units(100)


def test_redeem_preview_equals_actual_and_fee_stays(lst, x, fully_streamed, staker, units):
    shares = units(3) + 7
    rate_before = lst.convertToAssets(units(1))
    buffer, total, supply = lst.buffer(), lst.totalAssets(), lst.totalSupply()
    gross = to_assets(shares, total, supply)
    assert lst.convertToAssets(shares) == gross
    preview = lst.previewRedeem(shares)
    assert preview == gross - exit_fee(buffer, gross, total, **exit_rule(lst))
    before = x.balanceOf(staker)
    tx = lst.redeem(shares, staker, staker, sender=staker)
    assert x.balanceOf(staker) - before == preview
    assert tx.events.filter(lst.Withdraw)[0].assets == preview
    assert tx.events.filter(lst.InstantFeePaid)[0].fee == gross - preview
    # The fee stayed in the pool: the rate went up.
    assert lst.convertToAssets(units(1)) > rate_before


def test_withdraw_preview_equals_actual_and_rounds_up(lst, x, fully_streamed, staker, units):
    assets = units(2) + 1
    buffer, total, supply = lst.buffer(), lst.totalAssets(), lst.totalSupply()
    preview = lst.previewWithdraw(assets)
    fee = exit_fee(buffer, assets, total, **exit_rule(lst))
    assert preview == to_shares(assets + fee, total, supply, up=True)
    before_shares = lst.balanceOf(staker)
    before = x.balanceOf(staker)
    tx = lst.withdraw(assets, staker, staker, sender=staker)
    assert x.balanceOf(staker) - before == assets
    assert before_shares - lst.balanceOf(staker) == preview
    assert tx.events.filter(lst.InstantFeePaid)[0].fee == fee
    # Burnt shares are worth at least what was paid plus the fee.
    assert to_assets(preview, total, supply) >= assets + fee


def test_withdraw_for_owner_needs_allowance(lst, x, fully_streamed, staker, other, units):
    with ape.reverts("erc20: insufficient allowance"):
        lst.withdraw(units(1), other, staker, sender=other)
    shares = lst.previewWithdraw(units(1))
    lst.approve(other, units(2), sender=staker)
    before = x.balanceOf(other)
    lst.withdraw(units(1), other, staker, sender=other)
    assert lst.allowance(staker, other) == units(2) - shares
    assert x.balanceOf(other) - before == units(1)


def test_redeem_for_owner_needs_allowance(lst, fully_streamed, staker, other, units):
    with ape.reverts("erc20: insufficient allowance"):
        lst.redeem(units(1), other, staker, sender=other)
    lst.approve(other, units(1), sender=staker)
    lst.redeem(units(1), other, staker, sender=other)
    assert lst.allowance(staker, other) == 0


def test_redeem_of_dust_reverts_instead_of_paying_nothing(lst, fully_streamed, staker):
    # One share is worth one wei: the fee rounds up to all of it.
    with ape.reverts("lst: zero assets"):
        lst.redeem(1, staker, staker, sender=staker)


def test_unstake_bad_input(lst, x, fully_streamed, staker):
    with ape.reverts("lst: zero assets"):
        lst.withdraw(0, staker, staker, sender=staker)
    with ape.reverts("lst: zero shares"):
        lst.redeem(0, staker, staker, sender=staker)
    with ape.reverts("lst: zero receiver"):
        lst.withdraw(1, ZERO, staker, sender=staker)
    with ape.reverts("lst: zero receiver"):
        lst.redeem(1, ZERO, staker, sender=staker)
    with ape.reverts("lst: zero shares"):
        lst.request_unstake(0, staker, staker, sender=staker)
    with ape.reverts("lst: zero receiver"):
        lst.request_unstake(1, ZERO, staker, sender=staker)
    assert lst.balanceOf(staker) == fully_streamed


def test_dust_withdrawals_cannot_dodge_the_fee(lst, fully_streamed, staker):
    # The fee rounds up to at least one wei, and the shares up again: a 1-wei withdrawal burns at
    # least two wei of value, so repeating it drains nothing.
    for _ in range(3):
        total, supply = lst.totalAssets(), lst.totalSupply()
        tx = lst.withdraw(1, staker, staker, sender=staker)
        fee = tx.events.filter(lst.InstantFeePaid)[0].fee
        burnt = tx.events.filter(lst.Withdraw)[0].shares
        assert fee >= 1
        assert burnt == to_shares(1 + fee, total, supply, up=True) >= 2
