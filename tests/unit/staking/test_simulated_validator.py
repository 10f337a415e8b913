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
