"""
`rebalance`: permissionless upkeep that delegates the buffer above its target, asks the backend to unbond what
the queue and the target still need (so a drained buffer refills), and delegates nothing while a due request
waits. Amounts below `min_request` are neither delegated nor requested.
"""

from lst_math import request_id

from levstake import lst_lens

DAY = 86_400
# Matured entries the backend pays back per `withdraw_unbonded` call (its MAX_PAYOUTS_PER_CALL).
PAYOUTS = 32


def events(tx, event) -> list:
    return list(tx.events.filter(event))


def test_rebalance_delegates_the_excess_above_target(lst, validator, staker, attacker, stake, units):
    stake(staker, units(50))
    tx = lst.rebalance(sender=attacker)
    assert events(tx, lst.Delegated)[0].amount == units(45)
    assert lst.buffer() == lst_lens.target_buffer(lst) == units(5)
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
    assert lst.buffer() == lst_lens.target_buffer(lst) == units(9)
    assert lst.backend_accounted() == units(81)
    assert lst.totalAssets() == units(90)
    # The buffer takes instant exits again.
    assert lst.maxWithdraw(staker) == units(9)


def test_nothing_is_delegated_while_a_due_request_waits(
    lst, validator, delegated_without_rewards, staker, other, units, warp
):
    minimum = lst.min_request()
    # 32 minimum requests ahead, each unbonded whole at filing (one backend entry each), then a 50 X one.
    for _ in range(PAYOUTS):
        lst.request_unstake(minimum, staker, staker, sender=staker)
    tx = lst.request_unstake(units(50), staker, staker, sender=staker)
    rid = request_id(tx)
    assert rid == PAYOUTS
    assert events(tx, lst.UnbondingRequested)[0].amount == units(50)
    assert validator.unbonding_tail(lst) == PAYOUTS + 1
    assert lst.buffer() == units(10)
    warp(validator.unbonding_delay())
    # Every entry has matured, but the backend pays back 32 per call: the request is due and waits, its
    # 50 X still at the backend and the 10 X buffer short of it.
    tx = lst.rebalance(sender=other)
    assert events(tx, lst.BackendPaidBack)[0].amount == PAYOUTS * minimum
    assert [e.request_id for e in events(tx, lst.RequestFunded)] == list(range(PAYOUTS))
    assert lst.queue_head() == rid and lst.requests(rid).ready_at <= tx.timestamp
    assert validator.withdrawable(lst) == validator.unbonding_balance(lst) == units(50)
    assert lst.buffer() == units(10) < lst.request_value(rid) == units(50)
    # Nothing is delegated, and nothing more unbonded: the 50 X owed are all unbonding.
    assert not events(tx, lst.Delegated) and not events(tx, lst.UnbondingRequested)
    assert lst.backend_accounted() == units(50) + validator.staked_balance(lst)
    # Without the due request the rule would delegate 5.032 X: buffer 10 > target 4.968 and
    # buffer + unbonding 60 > owed + target 54.968.
    target = lst_lens.target_buffer(lst)
    assert target == units(4.968)
    have, need = units(10) + validator.unbonding_balance(lst), lst_lens.queue_liability(lst) + target
    assert min(units(10) - target, have - need) == units(5.032) >= minimum
    # The next call pulls the last entry and funds the request, and only then is the excess delegated.
    tx = lst.rebalance(sender=other)
    assert events(tx, lst.BackendPaidBack)[0].amount == units(50)
    assert [(e.request_id, e.amount) for e in events(tx, lst.RequestFunded)] == [(rid, units(50))]
    assert events(tx, lst.Delegated)[0].amount == units(5.032)
    assert not events(tx, lst.UnbondingRequested)
    assert lst.buffer() == lst_lens.target_buffer(lst) == units(4.968)
    assert lst_lens.queue_liability(lst) == 0 and validator.unbonding_balance(lst) == 0


def test_delegation_keeps_what_the_queue_needs(
    lst, validator, delegated_without_rewards, staker, other, stake, units, warp
):
    # 95 X asked, but only 90 X are staked: the backend unbonds 90 X.
    tx = lst.request_unstake(units(95), staker, staker, sender=staker)
    rid = request_id(tx)
    assert events(tx, lst.UnbondingRequested)[0].amount == units(90)
    stake(other, units(30))
    # Buffer 35 X (the 5 X set aside for the request apart), target 3.5 X: 31.5 X are delegated.
    tx = lst.rebalance(sender=other)
    assert events(tx, lst.Delegated)[0].amount == units(31.5)
    assert not events(tx, lst.UnbondingRequested)
    # The 5 X the stake could not cover were set aside for the request at filing.
    assert lst.buffer() == units(3.5) and lst.requests(rid).paid == lst.queue_reserve() == units(5)
    warp(validator.unbonding_delay())
    tx = lst.rebalance(sender=other)
    assert [(e.request_id, e.amount) for e in events(tx, lst.RequestFunded)] == [(rid, units(95))]
    assert not events(tx, lst.Delegated) and not events(tx, lst.UnbondingRequested)
    assert lst.buffer() == lst_lens.target_buffer(lst) == units(3.5)


def test_amounts_below_min_request_wait(lst, validator, delegated, staker, other, stake, units):
    minimum = lst.min_request()
    # Withdrawing 0.01 X leaves the buffer 0.009 X under the new target: not worth a backend entry.
    lst.withdraw(minimum, staker, staker, sender=staker)
    assert lst_lens.target_buffer(lst) - lst.buffer() == minimum * 9 // 10
    tx = lst.rebalance(sender=other)
    assert not events(tx, lst.UnbondingRequested)
    # Another 0.01 X and the shortfall (0.018 X) is requested.
    lst.withdraw(minimum, staker, staker, sender=staker)
    tx = lst.rebalance(sender=other)
    assert events(tx, lst.UnbondingRequested)[0].amount == minimum * 18 // 10
    # Likewise an excess below the minimum stays in the buffer.
    buffer = lst.buffer()
    stake(other, minimum * 2 + minimum // 2)
    assert 0 < lst.buffer() - lst_lens.target_buffer(lst) < minimum
    tx = lst.rebalance(sender=other)
    assert not events(tx, lst.Delegated)
    assert lst.buffer() == buffer + minimum * 2 + minimum // 2
