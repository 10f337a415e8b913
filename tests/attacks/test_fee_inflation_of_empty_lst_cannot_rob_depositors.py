"""The instant-unstake fee stays in the LST, so it raises the rate of whatever shares remain. With one virtual
share, at deployment (the deploy script does not seed the LST) an attacker deposited 10,000 X and redeemed all
but 1 wei of shares (net cost 9.99 X): that 1-wei share was then worth about 5 X, five later stakers
depositing 5-39.9 X lost 7.20 X together (up to 11.64% of one deposit), and deposits below about 5 X reverted
with `lst: zero shares`.

The defence: 10^6 virtual shares and 10^6 virtual assets. The fee the attacker leaves behind is shared with
the virtual position, so the share price moves by (fee + 10^6) / (1 + 10^6): a depositor loses at most one
share's worth to rounding, and pushing that to 1 X costs the attacker at least 10^6 X given away. Stated
bound, tested at 18 and 6 decimals, at deployment and after the LST empties later in its life: a deposit of d
loses at most (totalAssets + 10^6) / (totalSupply + 10^6) + 1 units of X.
"""

from __future__ import annotations

from boa_system import MAX_UINT, RevmChain, deploy_system

from levstake.model import LST_VIRTUAL

DEPOSITS = (5, 7.5, 12, 20, 39.9)


def funded(system, name: str, amount: int) -> str:
    account = system.chain.generate_address(name)
    system.mint_x(account, amount)
    system.x.approve(system.lst, MAX_UINT, sender=account)
    return account


def inflate(system, attacker: str, amount: int) -> int:
    """Deposit, then redeem all but 1 wei of shares: the fee stays behind. Returns the attacker's cost."""
    lst, x = system.lst, system.x
    before = x.balanceOf(attacker)
    shares = lst.deposit(amount, sender=attacker)
    while lst.balanceOf(attacker) > 1:
        part = min(lst.balanceOf(attacker) - 1, lst.maxRedeem(attacker))
        if part == 0 or lst.previewRedeem(part) == 0:
            break
        lst.redeem(part, sender=attacker)
    assert shares > 1
    return before - x.balanceOf(attacker)


def victims_lose_at_most_one_share_each(system) -> None:
    lst = system.lst
    one_share = (lst.totalAssets() + LST_VIRTUAL) // (lst.totalSupply() + LST_VIRTUAL) + 1
    for index, amount in enumerate(DEPOSITS):
        assets = system.units(amount)
        victim = funded(system, f"victim{index}", assets)
        shares = lst.deposit(assets, sender=victim)
        # What the deposit is worth right after it, against what was paid.
        loss = assets - lst.convertToAssets(shares)
        assert loss <= one_share, f"lost {loss} units for a {amount} X deposit"
        # The review's victims lost up to 11.64% of a deposit; here at most 0.0001 X whatever its size.
        assert loss <= system.units(1) // 10**4


def test_inflating_a_fresh_lst_costs_the_attacker_and_not_the_next_depositors(decimals) -> None:
    system = deploy_system(decimals, RevmChain())
    attacker = funded(system, "attacker", system.units(10_000))
    cost = inflate(system, attacker, system.units(10_000))
    assert cost > 0
    price = system.lst.convertToAssets(1)
    # The fee left behind is shared by the attacker's 1 wei and the 10^6 virtual shares.
    assert price <= cost // 10**6 + 2
    # A tiny deposit still mints shares.
    tiny = funded(system, "tiny", system.units(0.001))
    assert system.lst.deposit(system.units(0.001), sender=tiny) > 0
    victims_lose_at_most_one_share_each(system)


def test_the_same_when_the_lst_empties_later_in_its_life(decimals) -> None:
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    stakers = [funded(system, f"staker{i}", system.units(50_000)) for i in range(3)]
    for staker in stakers:
        lst.deposit(system.units(50_000), sender=staker)
    lst.rebalance()
    system.chain.time_travel(3 * 86_400)
    lst.sync_rewards()
    system.chain.time_travel(3 * 86_400)
    # Everybody leaves through the queue, the treasury too; what is left is rewards still unlocking,
    # owned by no share. Then an attacker plays the inflation game on the empty LST.
    leavers = [*stakers, system.treasury]
    requests = [lst.request_unstake(lst.balanceOf(leaver), sender=leaver) for leaver in leavers]
    system.chain.time_travel(system.validator.unbonding_delay())
    for leaver, request in zip(leavers, requests, strict=True):
        assert lst.claim(request, sender=leaver) > 0
    assert lst.totalSupply() == 0 and lst.totalAssets() > 0, "no share left, some rewards still unlocking"
    attacker = funded(system, "attacker", system.units(10_000))
    inflate(system, attacker, system.units(10_000))
    victims_lose_at_most_one_share_each(system)
