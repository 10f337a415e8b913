"""The oracle price comes only from the LST's exchange rate, with a cap on its growth."""

import ape

ORACLE_SCALE = 10**36
YEAR = 365 * 86_400


def test_price_is_lst_rate(oracle, lst, staker, stake, units):
    stake(staker, units(10))
    assert oracle.price() == lst.convertToAssets(ORACLE_SCALE)
    assert oracle.price() == ORACLE_SCALE


def test_donations_do_not_move_price(oracle, lst, market, x, staker, attacker, stake, fund, units):
    stake(staker, units(10))
    price = oracle.price()
    fund(attacker, units(1_000))
    x.transfer(lst, units(500), sender=attacker)
    x.transfer(market, units(500), sender=attacker)
    assert oracle.price() == price


def test_growth_is_capped(project, owner, lst, validator, staker, other, stake, units, warp):
    stake(staker, units(10))
    tight = owner.deploy(project.ExchangeRateOracle, lst, 10**18 // 10_000)  # 0.01% a year
    lst.rebalance(sender=other)
    warp(86_400)
    lst.sync_rewards(sender=other)
    warp(86_400)
    assert tight.rate() > tight.price()
    assert tight.price() <= ORACLE_SCALE + ORACLE_SCALE // 10_000


def test_snapshot_update(oracle, other, warp):
    with ape.reverts("oracle: snapshot too recent"):
        oracle.update_snapshot(sender=other)
    warp(86_400)
    tx = oracle.update_snapshot(sender=other)
    assert oracle.snapshot_time() == tx.timestamp


def test_bad_growth_bound(project, owner, lst):
    with ape.reverts("oracle: growth out of bounds"):
        owner.deploy(project.ExchangeRateOracle, lst, 0)
