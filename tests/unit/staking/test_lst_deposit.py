"""Staking into the LST: deposit and mint, previews, rounding and bad input."""

import ape


def test_first_deposit_mints_one_share_per_unit(lst, x, staker, fund, units):
    amount = units(10)
    fund(staker, amount, spender=lst)
    assert lst.previewDeposit(amount) == amount
    tx = lst.deposit(amount, staker, sender=staker)
    assert lst.balanceOf(staker) == amount
    assert lst.totalAssets() == amount
    assert lst.buffer() == amount
    assert x.balanceOf(lst) == amount
    event = tx.events.filter(lst.Deposit)[0]
    assert event.sender == staker and event.owner == staker
    assert event.assets == amount and event.shares == amount


def test_deposit_preview_equals_actual_after_rewards(lst, validator, staker, other, stake, fund, units, warp):
    stake(staker, units(100))
    lst.rebalance(sender=other)
    warp(86_400)
    lst.sync_rewards(sender=other)
    # Past the end of the stream the rate is constant between blocks, so a preview
    # read in one block is exactly what the next block's transaction gets.
    warp(2 * 86_400)
    amount = units(7) + 3
    fund(other, amount, spender=lst)
    preview = lst.previewDeposit(amount)
    lst.deposit(amount, other, sender=other)
    assert lst.balanceOf(other) == preview
    # The rate is above 1 now, so shares round down below the amount.
    assert preview < amount


def test_mint_takes_preview_and_rounds_up(lst, x, staker, other, stake, fund, units, warp):
    stake(staker, units(100))
    lst.rebalance(sender=other)
    warp(86_400)
    lst.sync_rewards(sender=other)
    # Past the end of the stream the rate is constant between blocks, so a preview
    # read in one block is exactly what the next block's transaction gets.
    warp(2 * 86_400)
    shares = units(5) + 1
    fund(other, units(10), spender=lst)
    preview = lst.previewMint(shares)
    before = x.balanceOf(other)
    tx = lst.mint(shares, other, sender=other)
    assert before - x.balanceOf(other) == preview
    assert lst.balanceOf(other) == shares
    # Rounded up: the X paid is worth at least the shares received.
    assert lst.convertToAssets(shares) <= preview
    assert tx.events.filter(lst.Deposit)[0].assets == preview


def test_deposit_to_another_receiver(lst, staker, other, fund, units):
    fund(staker, units(1), spender=lst)
    lst.deposit(units(1), other, sender=staker)
    assert lst.balanceOf(other) == units(1)
    assert lst.balanceOf(staker) == 0


def test_zero_deposit_reverts(lst, staker, fund, units):
    fund(staker, units(1), spender=lst)
    with ape.reverts("lst: zero assets"):
        lst.deposit(0, staker, sender=staker)
    with ape.reverts("lst: zero shares"):
        lst.mint(0, staker, sender=staker)
    assert lst.totalSupply() == 0 and lst.buffer() == 0


def test_zero_receiver_reverts(lst, x, staker, fund, units):
    fund(staker, units(1), spender=lst)
    zero = "0x0000000000000000000000000000000000000000"
    with ape.reverts("lst: zero receiver"):
        lst.deposit(units(1), zero, sender=staker)
    with ape.reverts("lst: zero receiver"):
        lst.mint(units(1), zero, sender=staker)
    assert x.balanceOf(staker) == units(1)
    assert lst.totalSupply() == 0


def test_deposit_without_allowance_changes_nothing(lst, x, staker, units):
    x.mint(staker, units(1), sender=staker)
    with ape.reverts():
        lst.deposit(units(1), staker, sender=staker)
    assert x.balanceOf(staker) == units(1)
    assert lst.totalSupply() == 0 and lst.buffer() == 0


def test_metadata(lst, x, decimals):
    assert lst.asset() == x.address
    assert lst.decimals() == decimals
    assert lst.symbol() == "stX"
    assert lst.maxDeposit(x) == 2**256 - 1
    assert lst.maxMint(x) == 2**256 - 1
