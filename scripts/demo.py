"""The user story on a devnet: stake, rewards, unstake, lend and borrow, then 50x leverage in one transaction.

ape run demo --network ethereum:local:foundry
"""

from __future__ import annotations

from ape import accounts, chain, project

from levstake import fmt
from levstake.client import read_position
from levstake.deploy import LendingSystem, StakingSystem, deploy_lending, deploy_router, deploy_staking
from levstake.signing import authorization_message, sign_typed_data

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
    lending = deploy_lending(project, deployer, system, treasury.address, deployer.address)
    market = lending.market
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

    leverage_story(system, lending, deployer)


def leverage_story(system: StakingSystem, lending: LendingSystem, deployer) -> None:
    """A fresh wallet opens 50x in one transaction, holds it for 30 days, then closes it."""
    x, lst, units, d = system.x, system.lst, system.units, system.decimals
    lender, leverager = accounts.test_accounts[5:7]
    market, oracle = lending.market, lending.oracle
    router = deploy_router(project, deployer, lending.factory, x.address)
    say("Leverage router: 50x in one transaction")
    x.deposit(sender=lender, value=units(5_000))
    x.approve(market, units(5_000), sender=lender)
    market.deposit(units(5_000), lender, sender=lender)
    print(f"   a second lender adds 5,000 X; market max leverage {market.max_leverage() / 1e18:.0f}x")
    deadline = chain.pending_timestamp + 600
    message = authorization_message(
        chain.chain_id, market.address, leverager.address, router.address, True, 0, deadline
    )
    v, r, s = sign_typed_data(leverager.private_key, message)
    tx = router.open_native(
        market, market.max_leverage(), 0, deadline, (0, deadline, v, r, s), sender=leverager, value=units(10)
    )
    print(
        f"   open_native with 10 native + a signed market authorization: one transaction, {tx.gas_used:,} gas"
    )

    def status(label: str) -> tuple[int, int]:
        position = read_position(market, oracle, leverager)
        _, _, _, borrow_apr, _ = market.market_state()
        print(
            f"   {label}: collateral {fmt.amount(position.value, d, 'X')}, "
            f"debt {fmt.amount(position.debt, d, 'X')}, leverage {position.leverage:.2f}x, "
            f"LTV {position.ltv / 1e16:.3f}%, health {position.health / 1e18:.5f}, "
            f"borrow APR {borrow_apr / 1e16:.2f}%"
        )
        return position.value, position.debt

    value, debt = status("opened")
    equity_before = value - debt
    say("30 days pass; rewards are synced every day")
    for _ in range(30):
        chain.mine(deltatime=DAY)
        lst.sync_rewards(sender=lender)
    chain.mine(deltatime=DAY)
    value, debt = status("after 30 days")
    equity_after = value - debt
    net_apr = (equity_after / equity_before - 1) * 365 / 31
    equity = f"{fmt.amount(equity_before, d, 'X')} -> {fmt.amount(equity_after, d, 'X')}"
    print(f"   equity {equity}: net APR {net_apr:.1%} (measured)")
    say("Close: repay everything through the repay callback, unstake instantly, return X")
    before = x.balanceOf(leverager)
    tx = router.close(market, 0, chain.pending_timestamp + 600, sender=leverager)
    print(
        f"   received {fmt.amount(x.balanceOf(leverager) - before, d, 'X')} for 10 X put in "
        f"(instant unstake fee {lst.instant_fee_bps() / 100:.1f}% of the collateral), {tx.gas_used:,} gas"
    )
