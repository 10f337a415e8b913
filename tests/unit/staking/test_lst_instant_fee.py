"""
The dynamic instant fee: the base rate (default 0.1%) on everything, plus more that grows linearly from 0
at the target buffer to the ceiling (default 0.5%) at an empty buffer, integrated over the range of buffer
an exit drains, against the target of the LST as it is after the exit. Expected values come from `lst_math`
(the rule written out in Python, rounded up where the contract rounds up).
"""

import ape
import pytest
from lst_math import (
    BPS,
    div_up,
    exit_fee,
    exit_rule,
    fee_rates,
    instant_fee,
    instant_fee_exact,
    target,
    to_assets,
    to_shares,
)

from levstake import lst_lens


def fee_inputs(lst) -> tuple[int, int, int]:
    """(buffer, totalAssets, totalSupply) as the next exit sees them."""
    total = lst.totalAssets()
    assert lst_lens.target_buffer(lst) == target(total, lst.target_buffer_bps())
    return lst.buffer(), total, lst.totalSupply()


def fee_paid(tx, lst) -> int:
    return tx.events.filter(lst.InstantFeePaid)[0].fee


@pytest.fixture
def full_buffer(lst, staker, stake, units):
    """100 X staked and not delegated: the buffer (100 X) is far above its target (10 X)."""
    stake(staker, units(100))
    return units(100)


# ---------------------------------------------------------------- the rule


def test_fee_above_target_is_the_base_rate(lst, x, full_buffer, staker, units):
    # Undelegated, the buffer is all of the LST: it never ends below 10% of what is left.
    amount = units(90) + 7
    expected = div_up(amount * 10, BPS)
    assert lst_lens.instant_fee(lst, amount) == expected
    before = x.balanceOf(staker)
    tx = lst.withdraw(amount, staker, staker, sender=staker)
    assert fee_paid(tx, lst) == expected
    assert tx.events.filter(lst.InstantFeePaid)[0].owner == staker
    assert x.balanceOf(staker) - before == amount


def test_extra_fee_starts_where_the_exit_ends_below_the_target(lst, delegated, other, stake, units):
    stake(other, units(50))
    # Buffer 60 X of 150 X: an exit of 50 X leaves 10 X, the target of the 100 X left, and pays the base only.
    buffer, total, _ = fee_inputs(lst)
    assert (buffer, total) == (units(60), units(150))
    assert lst_lens.instant_fee(lst, units(50)) == div_up(units(50) * 10, BPS)
    # Ten wei further the buffer ends below the target (9.9999... X rounds down one wei): the extra starts.
    past = units(50) + 10
    assert exit_fee(buffer, past, total, **exit_rule(lst)) > div_up(past * 10, BPS)
    assert lst_lens.instant_fee(lst, past) == exit_fee(buffer, past, total, **exit_rule(lst))


def test_fee_rises_as_the_buffer_falls_below_target(lst, delegated, staker, units):
    base = div_up(units(1) * 10, BPS)
    ceiling = units(1) * lst.max_instant_fee_bps() // BPS
    marginal = []
    for _ in range(5):
        marginal.append(lst_lens.instant_fee(lst, units(1)))
        lst.withdraw(units(2), staker, staker, sender=staker)
    # Every step below the target costs more than the last, and always less than the ceiling.
    assert base < marginal[0]
    assert all(a < b for a, b in zip(marginal, marginal[1:], strict=False))
    assert marginal[-1] < ceiling
    # At an empty buffer the margin is the ceiling itself (what a view quotes beyond the buffer).
    assert lst.buffer() == 0
    assert lst_lens.instant_fee(lst, units(1)) == ceiling


@pytest.mark.parametrize("amount", [1, 4.5, 10], ids=["1", "4.5", "whole-buffer"])
def test_withdraw_fee_equals_the_view_and_the_integral(lst, x, delegated, staker, units, amount):
    amount = units(amount) + (7 if amount != 10 else 0)
    buffer, total, supply = fee_inputs(lst)
    expected = exit_fee(buffer, amount, total, **exit_rule(lst))
    # The contract's rounding only ever adds, and at most one wei, to the exact integral.
    exact = instant_fee_exact(buffer, amount, target(total - amount), **fee_rates(lst))
    exact_up = div_up(exact.numerator, exact.denominator)
    assert exact_up <= expected <= exact_up + 1
    assert lst_lens.instant_fee(lst, amount) == expected
    shares = to_shares(amount + expected, total, supply, up=True)
    assert lst.previewWithdraw(amount) == shares
    shares_before, x_before = lst.balanceOf(staker), x.balanceOf(staker)
    tx = lst.withdraw(amount, staker, staker, sender=staker)
    assert fee_paid(tx, lst) == expected
    assert shares_before - lst.balanceOf(staker) == shares
    assert x.balanceOf(staker) - x_before == amount
    # Only the net amount leaves the buffer.
    assert lst.buffer() == buffer - amount


def test_redeem_fee_is_integrated_over_the_gross_value(lst, x, delegated, staker, units):
    shares = units(3) + 11
    buffer, total, supply = fee_inputs(lst)
    gross = to_assets(shares, total, supply)
    fee = exit_fee(buffer, gross, total, **exit_rule(lst))
    assert lst.previewRedeem(shares) == gross - fee
    before = x.balanceOf(staker)
    tx = lst.redeem(shares, staker, staker, sender=staker)
    assert x.balanceOf(staker) - before == gross - fee
    assert fee_paid(tx, lst) == fee
    event = tx.events.filter(lst.Withdraw)[0]
    assert (event.assets, event.shares) == (gross - fee, shares)
    assert lst.buffer() == buffer - (gross - fee)
    # The fee over the gross value is a little more than over what left: never cheaper than a withdraw.
    assert fee >= exit_fee(buffer, gross - fee, total, **exit_rule(lst))


def test_draining_the_buffer_costs_more_than_the_base_rate(lst, delegated, staker, units):
    # The base rate on all of it + the extra rate times the mean deficit against the 9 X target of the
    # 90 X left (4.5 X of deficit over the 10 X drained, 45%): 0.28% on average at the defaults.
    base, ceiling = lst.instant_fee_bps(), lst.max_instant_fee_bps()
    average_in_bps_x100 = base * 100 + (ceiling - base) * 45
    expected = units(10) * average_in_bps_x100 // (100 * BPS)
    assert instant_fee(units(10), units(10), units(9), **fee_rates(lst)) == expected
    tx = lst.withdraw(units(10), staker, staker, sender=staker)
    assert fee_paid(tx, lst) == expected
    assert fee_paid(tx, lst) * BPS > units(10) * 10
    assert lst.buffer() == 0
    assert lst.maxWithdraw(staker) == 0 and lst.maxRedeem(staker) == 0
    with ape.reverts("lst: withdraw exceeds max"):
        lst.withdraw(1, staker, staker, sender=staker)
    with ape.reverts("lst: redeem exceeds max"):
        lst.redeem(1, staker, staker, sender=staker)


def test_fee_stays_with_the_stakers(lst, delegated, staker, other, stake, units):
    stake(other, units(10))
    other_value = lst.convertToAssets(lst.balanceOf(other))
    total, supply = lst.totalAssets(), lst.totalSupply()
    tx = lst.withdraw(units(5), staker, staker, sender=staker)
    burnt = supply - lst.totalSupply()
    # Total assets fall by what was paid out, supply by shares worth that plus the fee: the rate rises.
    assert lst.totalAssets() == total - units(5)
    assert burnt == to_shares(units(5) + fee_paid(tx, lst), total, supply, up=True)
    assert lst.convertToAssets(units(1)) > units(1)
    assert lst.convertToAssets(lst.balanceOf(other)) > other_value


# ---------------------------------------------------------------- splitting an exit


def test_split_withdraw_above_target_pays_the_one_shot_fee(lst, full_buffer, staker, units):
    pieces = [units(10) + 3] * 5
    one_shot = lst_lens.instant_fee(lst, sum(pieces))
    paid = sum(fee_paid(lst.withdraw(piece, staker, staker, sender=staker), lst) for piece in pieces)
    # Each piece rounds its fee up: at most one wei more per piece, never less.
    assert one_shot <= paid <= one_shot + len(pieces)


def test_each_piece_of_a_split_withdraw_pays_its_own_integral(lst, delegated, staker, units):
    for _ in range(4):
        buffer, total, _ = fee_inputs(lst)
        tx = lst.withdraw(units(2) + 1, staker, staker, sender=staker)
        assert fee_paid(tx, lst) == exit_fee(buffer, units(2) + 1, total, **exit_rule(lst))


@pytest.mark.parametrize("target_bps", [1_000, 5_000])
def test_split_withdraw_below_target_pays_at_least_the_one_shot_fee(
    lst, delegated, staker, set_lst_parameter, units, target_bps
):
    if target_bps != 1_000:
        set_lst_parameter("target_buffer_bps", target_bps)
    # From the target (10%) or far below it (50%), drain the whole buffer at once or in ten pieces.
    buffer, total, _ = fee_inputs(lst)
    assert buffer <= lst_lens.target_buffer(lst)
    one_shot = lst_lens.instant_fee(lst, buffer)
    assert one_shot == exit_fee(buffer, buffer, total, **exit_rule(lst))
    pieces = [buffer // 10] * 9 + [buffer - 9 * (buffer // 10)]
    paid = sum(fee_paid(lst.withdraw(piece, staker, staker, sender=staker), lst) for piece in pieces)
    assert lst.buffer() == 0
    assert paid >= one_shot


def test_split_redeem_pays_at_least_the_one_shot_fee(lst, delegated, staker, units):
    shares = lst.max_instant_redeem()
    total, supply = lst.totalAssets(), lst.totalSupply()
    gross = to_assets(shares, total, supply)
    one_shot = exit_fee(lst.buffer(), gross, total, **exit_rule(lst))
    paid = 0
    for piece in [shares // 4] * 3 + [shares - 3 * (shares // 4)]:
        paid += fee_paid(lst.redeem(piece, staker, staker, sender=staker), lst)
    assert paid >= one_shot


# ---------------------------------------------------------------- maxWithdraw / maxRedeem


def test_max_withdraw_when_the_buffer_limits(lst, x, delegated, staker, units):
    buffer = lst.buffer()
    assert lst.maxWithdraw(staker) == buffer
    with ape.reverts("lst: withdraw exceeds max"):
        lst.withdraw(buffer + 1, staker, staker, sender=staker)
    before = x.balanceOf(staker)
    lst.withdraw(lst.maxWithdraw(staker), staker, staker, sender=staker)
    assert x.balanceOf(staker) - before == buffer
    assert lst.buffer() == 0


def test_max_redeem_when_the_buffer_limits(lst, delegated, staker, units):
    buffer, total, supply = fee_inputs(lst)
    limit = lst.maxRedeem(staker)
    assert limit == lst.max_instant_redeem() == to_shares(buffer, total, supply)
    assert limit < lst.balanceOf(staker)
    with ape.reverts("lst: redeem exceeds max"):
        lst.redeem(limit + 1, staker, staker, sender=staker)
    paid = lst.previewRedeem(limit)
    tx = lst.redeem(limit, staker, staker, sender=staker)
    assert tx.events.filter(lst.Withdraw)[0].assets == paid
    # The fee stays in the buffer.
    assert lst.buffer() == buffer - paid > 0


def expected_max_withdraw(lst, owner) -> int:
    """maxWithdraw as the contract computes it: gross less the exit fee on min(gross, buffer) when that
    withdrawal (with its own fee) fits in gross, else the bound priced against the pre-exit target."""
    buffer, total, supply = lst.buffer(), lst.totalAssets(), lst.totalSupply()
    gross = to_assets(lst.balanceOf(owner), total, supply)
    reach = min(gross, buffer)
    fee = exit_fee(buffer, reach, total, **exit_rule(lst))
    if fee < gross:
        candidate = min(buffer, gross - fee)
        if candidate + exit_fee(buffer, candidate, total, **exit_rule(lst)) <= gross:
            return candidate
    fee = instant_fee(buffer, reach, target(total, lst.target_buffer_bps()), **fee_rates(lst))
    return 0 if fee >= gross else min(buffer, gross - fee)


def test_max_withdraw_and_redeem_when_the_balance_limits(lst, chain, delegated, other, stake, units):
    stake(other, units(2))
    buffer, total, supply = fee_inputs(lst)
    balance = lst.balanceOf(other)
    gross = to_assets(balance, total, supply)
    assert gross <= buffer
    assets = lst.maxWithdraw(other)
    assert assets == expected_max_withdraw(lst, other)
    assert assets == gross - exit_fee(buffer, gross, total, **exit_rule(lst))
    assert lst.maxRedeem(other) == balance
    snapshot = chain.snapshot()
    lst.withdraw(assets, other, other, sender=other)
    # At rate 1 what is left is exact: the fee on the whole balance less the fee the withdrawal paid.
    left = gross - assets - exit_fee(buffer, assets, total, **exit_rule(lst))
    assert lst.balanceOf(other) == left < lst.min_request()
    chain.restore(snapshot)
    lst.redeem(lst.maxRedeem(other), other, other, sender=other)
    assert lst.balanceOf(other) == 0


def test_max_views_never_overstate(lst, accounts, delegated, staker, stake, units):
    holders = {accounts[5]: 1, accounts[6]: units(1) // 3, accounts[7]: units(5) + 1, accounts[8]: units(9)}
    for holder, amount in holders.items():
        stake(holder, amount)
    # At several buffer levels, from above the target down to almost empty.
    for _ in range(4):
        buffer = lst.buffer()
        for holder in [staker, *holders]:
            balance = lst.balanceOf(holder)
            max_withdraw, max_redeem = lst.maxWithdraw(holder), lst.maxRedeem(holder)
            assert max_withdraw == expected_max_withdraw(lst, holder)
            assert max_withdraw <= buffer and max_redeem <= balance
            if max_withdraw:
                assert lst.previewWithdraw(max_withdraw) <= balance
            assert lst.previewRedeem(max_redeem) <= buffer
        lst.withdraw(buffer // 2, staker, staker, sender=staker)


# ---------------------------------------------------------------- parameters


def test_ceiling_equal_to_the_base_makes_the_fee_flat(lst, delegated, set_lst_parameter, units):
    set_lst_parameter("max_instant_fee_bps", 10)
    assert lst_lens.instant_fee(lst, units(10)) == units(10) * 10 // BPS


def test_no_fee_at_all_when_both_rates_are_zero(lst, delegated, staker, set_lst_parameter, units):
    set_lst_parameter("instant_fee_bps", 0)
    set_lst_parameter("max_instant_fee_bps", 0)
    tx = lst.withdraw(units(10), staker, staker, sender=staker)
    assert fee_paid(tx, lst) == 0


def test_a_higher_target_raises_the_fee_on_the_same_buffer(lst, delegated, set_lst_parameter, units):
    before = lst_lens.instant_fee(lst, units(1))
    set_lst_parameter("target_buffer_bps", 5_000)
    buffer, total, _ = fee_inputs(lst)
    assert lst_lens.target_buffer(lst) == units(50)
    assert lst_lens.instant_fee(lst, units(1)) == exit_fee(buffer, units(1), total, **exit_rule(lst)) > before
