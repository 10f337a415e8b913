"""The devnet staking backend."""

import ape
import pytest

YEAR = 365 * 86_400


@pytest.fixture
def delegator(other, validator, fund, units):
    fund(other, units(1_000), spender=validator)
    validator.invoke_transaction("delegate", units(1_000), sender=other)
    return other


def test_rewards_accrue_at_apr(validator, delegator, units, warp):
    start = validator.last_index_update()
    warp(YEAR // 10)
    elapsed = ape.chain.blocks.head.timestamp - start
    expected = units(1_000) + units(1_000) * 800 * elapsed // (10_000 * YEAR)
    assert abs(validator.staked_balance(delegator) - expected) <= 1


def test_rewards_capped_by_reserve(project, owner, x, other, fund, units, warp):
    validator = owner.deploy(project.SimulatedValidator, x, 10_000)
    fund(owner, units(1), spender=validator)
    validator.fund_rewards(units(1), sender=owner)
    fund(other, units(100), spender=validator)
    validator.invoke_transaction("delegate", units(100), sender=other)
    warp(YEAR)
    assert validator.staked_balance(other) <= units(101)
    validator.invoke_transaction("request_undelegate", units(101) - 1, sender=other)
    assert validator.reward_reserve() == 0


def test_undelegate_waits_for_delay(validator, x, delegator, units, warp):
    tx = validator.request_undelegate(units(100), sender=delegator)
    event = tx.events.filter(validator.UndelegateRequested)[0]
    assert event.ready_at == tx.timestamp + 7 * 86_400
    assert validator.unbonding_balance(delegator) == units(100)
    assert validator.withdrawable(delegator) == 0
    before = x.balanceOf(delegator)
    validator.withdraw_unbonded(sender=delegator)
    assert x.balanceOf(delegator) == before
    warp(7 * 86_400)
    assert validator.withdrawable(delegator) == units(100)
    validator.withdraw_unbonded(sender=delegator)
    assert x.balanceOf(delegator) == before + units(100)
    assert validator.unbonding_balance(delegator) == 0


def test_bad_input(validator, delegator, owner, attacker, units):
    with ape.reverts("validator: zero amount"):
        validator.invoke_transaction("delegate", 0, sender=delegator)
    with ape.reverts("validator: amount exceeds stake"):
        validator.request_undelegate(units(2_000), sender=delegator)
    with ape.reverts("validator: zero amount"):
        validator.fund_rewards(0, sender=delegator)
    with ape.reverts("ownable: caller is not the owner"):
        validator.slash(delegator, 100, sender=attacker)
    with ape.reverts("validator: bad slash bps"):
        validator.slash(delegator, 10_001, sender=owner)
    with ape.reverts("validator: apr too high"):
        validator.set_apr(10_001, sender=owner)
    with ape.reverts("validator: delay too long"):
        validator.set_unbonding_delay(61 * 86_400, sender=owner)
    with ape.reverts("ownable: caller is not the owner"):
        validator.set_apr(100, sender=attacker)


def test_slash_keeps_funds_locked(validator, delegator, owner, units):
    validator.set_apr(0, sender=owner)
    balance = validator.staked_balance(delegator)
    tx = validator.slash(delegator, 2_000, sender=owner)
    loss = tx.events.filter(validator.Slashed)[0].amount
    assert abs(loss - balance // 5) <= 1
    assert validator.slashed_total() == loss
    assert abs(validator.staked_balance(delegator) - (balance - loss)) <= 1


def test_apr_change_applies_from_now(validator, delegator, owner, warp):
    warp(YEAR // 4)
    before = validator.staked_balance(delegator)
    validator.set_apr(0, sender=owner)
    assert validator.staked_balance(delegator) >= before
    warp(YEAR // 4)
    assert validator.staked_balance(delegator) == validator.staked_balance(delegator)
    frozen = validator.staked_balance(delegator)
    warp(YEAR // 4)
    assert validator.staked_balance(delegator) == frozen
    tx = validator.set_unbonding_delay(86_400, sender=owner)
    assert validator.unbonding_delay() == 86_400
    assert tx.events.filter(validator.UnbondingDelaySet)[0].delay == 86_400


def test_slash_cuts_every_unbonding_entry(validator, x, delegator, owner, units, warp):
    validator.set_apr(0, sender=owner)
    validator.request_undelegate(units(100), sender=delegator)
    validator.request_undelegate(units(50) + 3, sender=delegator)
    stake = validator.staked_balance(delegator)
    tx = validator.slash(delegator, 1_000, sender=owner)
    head = validator.unbonding_head(delegator)
    amounts = [validator.unbondings(delegator, head + i).amount for i in range(2)]
    # Each entry loses its own 10% (rounded down, so the delegator keeps the odd wei).
    assert amounts == [units(90), units(50) + 3 - (units(50) + 3) // 10]
    assert validator.unbonding_balance(delegator) == sum(amounts)
    slashed = tx.events.filter(validator.Slashed)[0].amount
    stake_loss = stake - validator.staked_balance(delegator)
    assert abs(stake_loss - stake // 10) <= 1
    assert slashed == stake_loss + units(150) + 3 - sum(amounts) == validator.slashed_total()
    # What matures is what is left.
    warp(7 * 86_400)
    assert validator.withdrawable(delegator) == sum(amounts)
    before = x.balanceOf(delegator)
    validator.withdraw_unbonded(sender=delegator)
    assert x.balanceOf(delegator) - before == sum(amounts)


def test_slash_pushes_the_new_balance_to_the_lst(validator, lst, owner, staker, other, stake, units):
    stake(staker, units(100))
    lst.rebalance(sender=other)
    lst.request_unstake(units(20), staker, staker, sender=staker)  # 20 X unbonding, 70 X staked
    accounted = lst.backend_accounted()
    tx = validator.slash(lst, 500, sender=owner)
    slashed = tx.events.filter(validator.Slashed)[0].amount
    # The LST booked the loss in the same transaction: no keeper call needed.
    applied = tx.events.filter(lst.LossApplied)
    assert len(applied) == 1
    assert lst.backend_accounted() == validator.total_balance(lst)
    assert applied[0].loss == accounted - lst.backend_accounted() <= slashed
    assert validator.unbonding_balance(lst) == units(20) - units(20) * 500 // 10_000


def test_slash_of_a_contract_that_takes_no_reports_still_works(validator, x, owner):
    # The report is a raw call whose failure is ignored: the token has no on_backend_report.
    tx = validator.slash(x, 100, sender=owner)
    assert tx.events.filter(validator.Slashed)[0].amount == 0


def test_slash_without_report_leaves_the_loss_to_the_lst_views(
    validator, lst, owner, no_backend_rewards, staker, other, stake, units
):
    stake(staker, units(100))
    lst.rebalance(sender=other)
    accounted = lst.backend_accounted()
    tx = validator.slash(lst, 500, False, sender=owner)
    assert len(tx.events.filter(lst.LossApplied)) == 0
    assert lst.backend_accounted() == accounted > validator.total_balance(lst)
    # The LST's views already count it; the next call books it.
    current = validator.total_balance(lst)
    assert lst.totalAssets() == units(10) + current
    tx = lst.rebalance(sender=other)
    assert tx.events.filter(lst.LossApplied)[0].loss == accounted - current


def test_amounts_past_the_packed_halves_are_refused(project, owner, x, other, attacker, fund, warp):
    # An account's stake units share a slot with its unbonding balance (128 bits each): a value past its half
    # is refused rather than spilling into its neighbour. The total stake units (144 bits) have room for
    # several delegators at an account's most, and a reserve past its 112 bits is kept whole in a slot of its
    # own.
    validator = owner.deploy(project.SimulatedValidator, x, 0)  # no rewards yet: units stay X
    fund(owner, 2**131, spender=validator)
    validator.fund_rewards(2**112 - 2, sender=owner)
    assert validator.reward_reserve() == 2**112 - 2
    validator.fund_rewards(2**130, sender=owner)
    assert validator.reward_reserve() == 2**130 + 2**112 - 2 and validator.total_stake_units() == 0
    fund(other, 2**130, spender=validator)
    with ape.reverts("validator: amount too large"):
        validator.invoke_transaction("delegate", 2**128, sender=other)
    validator.invoke_transaction("delegate", 2**128 - 1, sender=other)
    assert validator.stake_units(other) == validator.total_stake_units() == 2**128 - 1
    assert validator.unbonding_balance(other) == 0
    fund(attacker, 2**130, spender=validator)
    validator.invoke_transaction("delegate", 2**128 - 1, sender=attacker)
    assert validator.total_stake_units() == 2**129 - 2
    validator.request_undelegate(2**127, sender=other)
    assert validator.unbonding_balance(other) == 2**127
    assert validator.stake_units(other) == 2**127 - 1 and validator.total_stake_units() == 2**129 - 2 - 2**127
    assert validator.apr_bps() == 0 and validator.unbonding_tail(other) == 1
    assert validator.unbondings(other, 0).amount == 2**127
    # Rewards paid from the reserve past 112 bits, down through saturation, exactly.
    validator.set_apr(10_000, sender=owner)
    reserve, staked = validator.reward_reserve(), validator.staked_balance(attacker)
    warp(365 * 86_400)
    validator.request_undelegate(1, sender=attacker)
    paid = reserve - validator.reward_reserve()
    assert paid > 2**120 and validator.reward_reserve() > 2**112
    # The attacker's share of what was paid (the index's 1e27 precision: ~1e-27 of the stake).
    share = paid * staked // (staked + 2**127 - 1)
    assert abs(validator.staked_balance(attacker) + 1 - staked - share) < staked // 10**20
    warp(3 * 365 * 86_400)
    total = validator.total_balance(attacker) + validator.total_balance(other)
    validator.request_undelegate(1, sender=other)
    assert validator.reward_reserve() == 0, "three more years at 100% use up the reserve"
    assert validator.total_balance(attacker) + validator.total_balance(other) <= total, "nothing beyond it"
