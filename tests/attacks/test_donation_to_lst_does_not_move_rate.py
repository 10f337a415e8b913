"""A plain transfer of X or LST to the LST contract changes nothing: internal accounting only."""


def test_donation_of_x_does_not_move_rate(lst, x, staker, attacker, stake, fund, units):
    stake(staker, units(10))
    rate = lst.convertToAssets(units(1))
    total = lst.totalAssets()
    fund(attacker, units(1_000))
    x.transfer(lst, units(1_000), sender=attacker)
    assert lst.totalAssets() == total
    assert lst.convertToAssets(units(1)) == rate
    assert lst.maxWithdraw(staker) == lst.previewRedeem(lst.balanceOf(staker))


def test_donation_of_lst_does_not_move_rate(lst, staker, attacker, stake, units):
    stake(staker, units(10))
    stake(attacker, units(5))
    rate = lst.convertToAssets(units(1))
    lst.transfer(lst, units(5), sender=attacker)
    assert lst.convertToAssets(units(1)) == rate
    assert lst.totalAssets() == units(15)


def test_donation_to_backend_is_capped_by_max_apr(
    lst, x, validator, staker, attacker, other, stake, fund, units
):
    """Gifting X to the backend (reserve or plain transfer) does not move the rate at the sync."""
    stake(staker, units(10))
    lst.rebalance(sender=other)
    fund(attacker, units(2_000), spender=validator)
    validator.fund_rewards(units(1_000), sender=attacker)
    x.transfer(validator, units(1_000), sender=attacker)
    rate = lst.convertToAssets(units(1))
    lst.sync_rewards(sender=other)
    assert lst.convertToAssets(units(1)) <= rate + 1
