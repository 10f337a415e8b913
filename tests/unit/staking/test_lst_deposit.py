"""Staking into the LST: deposit and mint, virtual shares and assets, previews, deposit limits, bad input."""

import ape
import pytest
from ape.exceptions import ContractLogicError
from lst_math import MAX_UINT, VIRTUAL, pricing, to_assets, to_shares

from levstake.deploy import deploy_staking
from levstake.model import LST_BOOKS_MAX as BOOKS_MAX
from levstake.model import LST_VIRTUAL

DAY = 86_400
YEAR = 365 * DAY


@pytest.fixture
def rate_above_one(lst, staker, other, stake, units, warp):
    """100 X staked, delegated, one gain synced and fully streamed: the rate is above 1 and constant."""
    stake(staker, units(100))
    lst.rebalance(sender=other)
    warp(DAY)
    lst.sync_rewards(sender=other)
    warp(lst.stream_end() - ape.chain.blocks.head.timestamp + 1)
    assert lst.totalAssets() > lst.totalSupply()


def test_virtual_position_is_1e6_shares_and_assets():
    # The contract's constants as the off-chain model uses them.
    assert LST_VIRTUAL == VIRTUAL == 10**6


def test_first_deposit_mints_one_share_per_unit(lst, x, staker, fund, units):
    amount = units(10) + 3
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
    # With equal virtual shares and assets the rate is exactly 1 until something changes it.
    assert lst.convertToAssets(units(1)) == units(1)
    assert lst.convertToShares(units(1)) == units(1)


def test_one_wei_first_deposit_mints_one_share(lst, staker, other, fund, units):
    fund(staker, 1, spender=lst)
    lst.deposit(1, staker, sender=staker)
    assert lst.balanceOf(staker) == 1
    # The next depositor gets the same rate.
    fund(other, units(5), spender=lst)
    lst.deposit(units(5), other, sender=other)
    assert lst.balanceOf(other) == units(5)


def test_deposit_preview_equals_actual_after_rewards(lst, rate_above_one, other, fund, units):
    amount = units(7) + 3
    fund(other, amount, spender=lst)
    total, supply = lst.totalAssets(), lst.totalSupply()
    preview = lst.previewDeposit(amount)
    assert preview == to_shares(amount, total, supply)
    lst.deposit(amount, other, sender=other)
    assert lst.balanceOf(other) == preview
    # The rate is above 1 now, so shares round down below the amount.
    assert preview < amount


def test_mint_takes_preview_and_rounds_up(lst, x, rate_above_one, other, fund, units):
    shares = units(5) + 1
    fund(other, units(10), spender=lst)
    total, supply = lst.totalAssets(), lst.totalSupply()
    preview = lst.previewMint(shares)
    assert preview == to_assets(shares, total, supply, up=True)
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
    assert lst.decimals() == decimals == x.decimals()
    assert lst.symbol() == "stX"


# ---------------------------------------------------------------- deposit limits


def expected_limits(lst) -> tuple[int, int]:
    """maxDeposit and maxMint: the largest amounts the books hold (the buffer plus the accounted backend
    balance within 2^128 - 1: they share a slot) and whose share sums fit in 256 bits (virtual shares too)."""
    room_assets = BOOKS_MAX - lst.buffer() - lst.backend_accounted()
    room_shares = MAX_UINT - lst.totalSupply() - VIRTUAL
    priced_assets, priced_shares = pricing(lst.totalAssets(), lst.totalSupply())
    by_shares = min(room_shares * priced_assets // priced_shares, MAX_UINT)
    by_assets = min(room_assets * priced_shares // priced_assets, MAX_UINT)
    return min(room_assets, by_shares), min(room_shares, by_assets)


def test_max_deposit_and_mint_of_an_empty_lst(lst, x):
    # Nothing staked: the books' bound, at a rate of 1.
    assert lst.maxDeposit(x) == BOOKS_MAX
    assert lst.maxMint(x) == BOOKS_MAX


def test_max_deposit_and_mint_follow_the_rule(lst, rate_above_one, staker, units):
    lst.request_unstake(units(1), staker, staker, sender=staker)
    max_deposit, max_mint = lst.maxDeposit(staker), lst.maxMint(staker)
    assert (max_deposit, max_mint) == expected_limits(lst)
    # A deposit of maxDeposit (a mint of maxMint) fills the books exactly up to their bound, never past it.
    held = lst.buffer() + lst.backend_accounted()
    assert held + max_deposit == BOOKS_MAX
    assert held + lst.previewMint(max_mint) <= BOOKS_MAX < held + lst.previewMint(max_mint + 1)
    assert lst.totalSupply() + VIRTUAL + lst.previewDeposit(max_deposit) <= MAX_UINT


def test_deposit_of_max_deposit_into_a_fresh_lst_works(project, owner, treasury, staker, decimals):
    """At rate 1 the books' bound binds: the whole of maxDeposit goes in, one unit more is refused, and
    everything still works."""
    token = owner.deploy(project.MockToken, "Big X", "BX", decimals)
    lst = deploy_staking(project, owner, treasury.address, x=token).lst
    amount = lst.maxDeposit(staker)
    assert amount == BOOKS_MAX
    token.mint(staker, amount + 1, sender=staker)
    token.approve(lst, amount + 1, sender=staker)
    with ape.reverts("lst: amount too large"):
        lst.deposit(amount + 1, staker, sender=staker)
    lst.deposit(amount, staker, sender=staker)
    assert lst.balanceOf(staker) == amount
    assert lst.totalAssets() == amount
    assert lst.convertToAssets(amount) == amount
    assert lst.maxDeposit(staker) == 0 and lst.maxMint(staker) == 0
    with ape.reverts("lst: amount too large"):
        lst.deposit(1, staker, sender=staker)
    # Nothing overflows on the way out either (the unit refused above is still the staker's).
    assert lst.previewRedeem(10**decimals) > 0
    lst.withdraw(10**decimals, staker, staker, sender=staker)
    assert token.balanceOf(staker) == 10**decimals + 1


def test_deposit_of_max_deposit_above_rate_one_keeps_the_lst_working(
    project, owner, treasury, staker, other, decimals, warp
):
    # All X ever minted must sit in the LST for a deposit this large to exist: a reward reserve the
    # backend pays out in full and the LST counts in full (9 X on 90 X delegated: exact index math).
    unit = 10**decimals
    token = owner.deploy(project.MockToken, "Big X", "BX", decimals)
    system = deploy_staking(project, owner, treasury.address, x=token, validator_apr_bps=10_000)
    validator, lst = system.validator, system.lst
    token.mint(owner, 9 * unit, sender=owner)
    token.approve(validator, 9 * unit, sender=owner)
    validator.fund_rewards(9 * unit, sender=owner)
    token.mint(staker, 100 * unit, sender=staker)
    token.approve(lst, MAX_UINT, sender=staker)
    lst.deposit(100 * unit, staker, sender=staker)
    lst.rebalance(sender=other)
    warp(YEAR)
    lst.sync_rewards(sender=other)
    warp(lst.stream_end() - ape.chain.blocks.head.timestamp + 1)
    assert validator.total_balance(lst) == 99 * unit and lst.totalAssets() == 109 * unit
    assert lst.totalAssets() > lst.totalSupply()
    amount = min(lst.maxDeposit(other), MAX_UINT - token.totalSupply())
    token.mint(other, amount, sender=other)
    token.approve(lst, amount, sender=other)
    try:
        lst.deposit(amount, other, sender=other)
    except ContractLogicError as error:  # the deposit itself goes through: only what follows may fail
        raise AssertionError(f"deposit of maxDeposit reverted: {error}") from error
    # The depositor (and everybody else) must still be able to price and redeem shares.
    assert lst.convertToAssets(unit) > 0
    lst.redeem(unit, other, other, sender=other)
