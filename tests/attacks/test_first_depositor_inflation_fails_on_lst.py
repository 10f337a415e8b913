"""The classic ERC-4626 inflation attack: deposit 1 wei, donate a lot, let the victim's deposit round to 0."""


def test_first_depositor_cannot_steal_from_next(lst, x, attacker, staker, fund, units):
    fund(attacker, units(1_000) + 1, spender=lst)
    lst.deposit(1, attacker, sender=attacker)
    # The donation is ignored by the internal accounting.
    x.transfer(lst, units(1_000), sender=attacker)
    victim_deposit = units(500)
    fund(staker, victim_deposit, spender=lst)
    lst.deposit(victim_deposit, staker, sender=staker)
    assert lst.balanceOf(staker) == victim_deposit
    # The victim can take back everything but the instant fee.
    assert lst.previewRedeem(lst.balanceOf(staker)) >= victim_deposit * 9_989 // 10_000
    # The attacker's 1 share is still worth at most what it paid.
    assert lst.convertToAssets(lst.balanceOf(attacker)) <= 1


def test_first_depositor_cannot_inflate_with_rewards(
    lst, validator, owner, attacker, staker, other, fund, units, warp
):
    """Even a backend paying 100% APR is counted at the 20% cap and streamed."""
    validator.set_apr(10_000, sender=owner)
    # A deposit large enough to be delegated (rebalance leaves amounts below 0.01 X in the buffer).
    fund(attacker, units(1), spender=lst)
    lst.deposit(units(1), attacker, sender=attacker)
    lst.rebalance(sender=other)
    warp(86_400)
    lst.sync_rewards(sender=other)
    warp(86_400)
    fund(staker, units(1), spender=lst)
    lst.deposit(units(1), staker, sender=staker)
    assert lst.balanceOf(staker) >= units(1) // 2
