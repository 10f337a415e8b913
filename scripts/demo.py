"""The user story so far, on a devnet: stake, rewards, instant and queued unstake.

ape run demo --network ethereum:local:foundry
"""

from __future__ import annotations

from ape import accounts, chain, project

from levstake import fmt
from levstake.deploy import deploy_lending, deploy_staking

DAY = 86_400


def say(text: str) -> None:
    print(f"\n== {text}")


def main() -> None:
    deployer, treasury, staker = accounts.test_accounts[0:3]
    say("Deploying WrappedNative, SimulatedValidator (8% APR) and the LST")
    system = deploy_staking(project, deployer, treasury.address)
    x, validator, lst = system.x, system.validator, system.lst
    units, d = system.units, system.decimals

    def show(label: str) -> None:
        print(
            f"   {label}: 1 stX = {fmt.rate(lst.convertToAssets(units(1)), d)} X | total assets "
            f"{fmt.amount(lst.totalAssets(), d, 'X')} | buffer {fmt.amount(lst.buffer(), d, 'X')}"
        )

    x.deposit(sender=deployer, value=units(1_000))
    x.approve(validator, units(1_000), sender=deployer)
    validator.fund_rewards(units(1_000), sender=deployer)
    print(f"   X {x.address}\n   validator {validator.address}\n   LST {lst.address}")
    print(f"   reward reserve funded: {fmt.amount(validator.reward_reserve(), d, 'X')}")

    say("Staker wraps 100 native and stakes 100 X")
    x.deposit(sender=staker, value=units(100))
    x.approve(lst, units(100), sender=staker)
    lst.deposit(units(100), staker, sender=staker)
    print(f"   staker holds {fmt.amount(lst.balanceOf(staker), d, 'stX')}")
    lst.rebalance(sender=staker)
    print(f"   rebalance delegated {fmt.amount(lst.backend_accounted(), d, 'X')} to the validator")
    show("after staking")

    say("One day passes; anyone syncs rewards")
    chain.mine(deltatime=DAY)
    tx = lst.sync_rewards(sender=staker)
    event = tx.events.filter(lst.RewardsSynced)[0]
    print(
        f"   counted gain {fmt.amount(event.counted_gain, d, 'X')}, streaming "
        f"{fmt.amount(event.stream_amount, d, 'X')} over {fmt.duration(lst.reward_cycle())}, "
        f"fee {fmt.amount(event.fee_shares, d, 'stX')} to the treasury"
    )
    show("right after the sync (no jump)")
    chain.mine(deltatime=DAY // 2)
    show("half a cycle later")
    chain.mine(deltatime=DAY)
    show("cycle fully streamed")

    say("Instant unstake of 5 X from the buffer (0.1% fee stays with stakers)")
    shares = lst.previewWithdraw(units(5))
    lst.withdraw(units(5), staker, staker, sender=staker)
    print(f"   burnt {fmt.amount(shares, d, 'stX')} for 5 X")
    show("after instant unstake")

    say("Queued unstake of 20 stX: shares burnt now, amount fixed, claim after unbonding")
    tx = lst.request_unstake(units(20), staker, staker, sender=staker)
    request = tx.events.filter(lst.UnstakeRequested)[0]
    print(f"   request #{request.request_id} for {fmt.amount(request.amount, d, 'X')}")
    delay = validator.unbonding_delay()
    print(
        f"   backend unbonding: {fmt.amount(validator.unbonding_balance(lst), d, 'X')}, {fmt.duration(delay)}"
    )
    chain.mine(deltatime=delay + 1)
    before = x.balanceOf(staker)
    lst.claim(request.request_id, sender=staker)
    print(f"   claimed {fmt.amount(x.balanceOf(staker) - before, d, 'X')} after {fmt.duration(delay)}")
    show("end")
    print(
        f"\n   staker: {fmt.amount(lst.balanceOf(staker), d, 'stX')} "
        f"worth {fmt.amount(lst.convertToAssets(lst.balanceOf(staker)), d, 'X')}"
    )

    lender, borrower = accounts.test_accounts[3:5]
    say("Lending market: LST/X priced at the LST's exchange rate, max LTV 98%, LLTV 99%")
    market = deploy_lending(project, deployer, system, treasury.address, deployer.address).market
    print(f"   market {market.address}, max leverage {market.max_leverage() / 1e18:.0f}x")
    x.deposit(sender=lender, value=units(500))
    x.approve(market, units(500), sender=lender)
    market.deposit(units(500), lender, sender=lender)
    print(f"   lender supplied 500 X for {fmt.amount(market.balanceOf(lender), d + 6, 'lsX')}")
    x.deposit(sender=borrower, value=units(50))
    x.approve(lst, units(50), sender=borrower)
    lst.deposit(units(50), borrower, sender=borrower)
    collateral = lst.balanceOf(borrower)
    lst.approve(market, collateral, sender=borrower)
    market.supply_collateral(collateral, borrower, sender=borrower)
    market.borrow(units(40), 0, borrower, borrower, sender=borrower)
    coll, debt, ltv, health = market.position(borrower)
    print(
        f"   borrower: {fmt.amount(coll, d, 'stX')} collateral, {fmt.amount(debt, d, 'X')} debt, "
        f"LTV {ltv / 1e16:.2f}%, health {health / 1e18:.4f}"
    )
    chain.mine(deltatime=30 * DAY)
    _, _, utilization, borrow_apr, supply_apr = market.market_state()
    coll, debt, ltv, health = market.position(borrower)
    print(
        f"   30 days later: debt {fmt.amount(debt, d, 'X')}, borrow APR {borrow_apr / 1e16:.2f}%, "
        f"supply APR {supply_apr / 1e16:.3f}%, utilization {utilization / 1e16:.1f}%, "
        f"health {health / 1e18:.4f}"
    )
