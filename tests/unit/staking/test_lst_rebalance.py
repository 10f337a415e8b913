"""
`rebalance`: permissionless upkeep that delegates the buffer above its target, asks the backend to unbond what
the queue and the target still need (so a drained buffer refills), and delegates nothing while a due request
waits. Amounts below `min_request` are neither delegated nor requested.
"""

from lst_math import request_id

DAY = 86_400


def events(tx, event) -> list:
    return list(tx.events.filter(event))


def test_rebalance_delegates_the_excess_above_target(lst, validator, staker, attacker, stake, units):
    stake(staker, units(50))
    tx = lst.rebalance(sender=attacker)
    assert events(tx, lst.Delegated)[0].amount == units(45)
    assert lst.buffer() == lst.target_buffer() == units(5)
    assert lst.backend_accounted() == validator.staked_balance(lst) == units(45)
    assert lst.totalAssets() == units(50)
    # At the target there is nothing left to do.
    tx = lst.rebalance(sender=attacker)
    assert not events(tx, lst.Delegated) and not events(tx, lst.UnbondingRequested)


def test_drained_buffer_is_refilled_after_the_unbonding_delay(
    lst, validator, delegated, staker, other, units, warp
):
    lst.withdraw(units(10), staker, staker, sender=staker)
    assert lst.buffer() == 0 and lst.totalAssets() == units(90)
    tx = lst.rebalance(sender=other)
    requested = events(tx, lst.UnbondingRequested)[0]
    # The whole shortfall against the 9 X target of the 90 X left.
    assert requested.amount == units(9)
    assert requested.ready_at == tx.timestamp + validator.unbonding_delay()
    assert validator.unbonding_balance(lst) == units(9)
    # Asked once: what is unbonding counts as on its way.
    tx = lst.rebalance(sender=other)
    assert not events(tx, lst.UnbondingRequested) and not events(tx, lst.Delegated)
    warp(validator.unbonding_delay())
    tx = lst.rebalance(sender=other)
    assert events(tx, lst.BackendPaidBack)[0].amount == units(9)
    assert not events(tx, lst.Delegated) and not events(tx, lst.UnbondingRequested)
    assert lst.buffer() == lst.target_buffer() == units(9)
    assert lst.backend_accounted() == units(81)
    assert lst.totalAssets() == units(90)
    # The buffer takes instant exits again.
    assert lst.maxWithdraw(staker) == units(9)


def test_nothing_is_delegated_while_a_due_request_waits(
    lst, validator, delegated, staker, other, stake, units, warp
):
    rid = request_id(lst.request_unstake(units(20), staker, staker, sender=staker))  # unbonds 18 X
    warp(DAY)
    lst.withdraw(units(10), staker, staker, sender=staker)
    tx = lst.rebalance(sender=other)
    assert events(tx, lst.UnbondingRequested)[0].amount == units(9)  # 20 owed + 7 target - 18 on the way
    warp(validator.unbonding_delay() - DAY)
    stake(other, units(1))
    # The request is due; the first payback (18 X) and the new deposit (1 X) do not cover it.
    tx = lst.rebalance(sender=other)
    assert events(tx, lst.BackendPaidBack)[0].amount == units(18)
    assert not events(tx, lst.RequestFunded)
    assert not events(tx, lst.Delegated) and not events(tx, lst.UnbondingRequested)
    assert lst.buffer() == units(19)
    # Without the due request the rule would delegate 0.9 X: buffer 19 > target 7.1 and
    # buffer + unbonding 28 > owed + target 27.1.
    target = lst.target_buffer()
    assert target == units(7.1)
    have, need = units(19) + validator.unbonding_balance(lst), units(20) + target
    assert min(units(19) - target, have - need) == units(0.9) >= lst.min_request()
    # Once the second payback lands the request is funded, and only then is the excess delegated.
    warp(DAY)
    tx = lst.rebalance(sender=other)
    assert [(e.request_id, e.amount) for e in events(tx, lst.RequestFunded)] == [(rid, units(20))]
    assert events(tx, lst.Delegated)[0].amount == units(0.9)
    assert lst.buffer() == lst.target_buffer() == units(7.1)


def test_delegation_keeps_what_the_queue_needs(lst, validator, delegated, staker, other, stake, units, warp):
    rid = request_id(lst.request_unstake(units(20), staker, staker, sender=staker))  # unbonds 18 X
    stake(other, units(30))
    # Buffer 40 X, target 11 X: the excess is 29 X, but 20 X are owed and only 18 X are on the way.
    tx = lst.rebalance(sender=other)
    assert events(tx, lst.Delegated)[0].amount == units(27)
    assert lst.buffer() == units(13)
    warp(validator.unbonding_delay())
    tx = lst.rebalance(sender=other)
    assert [(e.request_id, e.amount) for e in events(tx, lst.RequestFunded)] == [(rid, units(20))]
    assert not events(tx, lst.Delegated) and not events(tx, lst.UnbondingRequested)
    assert lst.buffer() == lst.target_buffer() == units(11)


def test_amounts_below_min_request_wait(lst, validator, delegated, staker, other, stake, units):
    minimum = lst.min_request()
    # Withdrawing 0.01 X leaves the buffer 0.009 X under the new target: not worth a backend entry.
    lst.withdraw(minimum, staker, staker, sender=staker)
    assert lst.target_buffer() - lst.buffer() == minimum * 9 // 10
    tx = lst.rebalance(sender=other)
    assert not events(tx, lst.UnbondingRequested)
    # Another 0.01 X and the shortfall (0.018 X) is requested.
    lst.withdraw(minimum, staker, staker, sender=staker)
    tx = lst.rebalance(sender=other)
    assert events(tx, lst.UnbondingRequested)[0].amount == minimum * 18 // 10
    # Likewise an excess below the minimum stays in the buffer.
    buffer = lst.buffer()
    stake(other, minimum * 2 + minimum // 2)
    assert 0 < lst.buffer() - lst.target_buffer() < minimum
    tx = lst.rebalance(sender=other)
    assert not events(tx, lst.Delegated)
    assert lst.buffer() == buffer + minimum * 2 + minimum // 2
