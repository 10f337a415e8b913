"""Gas of every user-facing action, measured on a devnet; prints a Markdown table and writes bench/gas.md.

    ape run bench --network ethereum:local:foundry

A benchmark, not a test: it measures and asserts nothing about the numbers.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ape import accounts, chain, project

from levstake.deploy import deploy_lending, deploy_router, deploy_staking
from levstake.model import CLOSE_TO_LST, ORACLE_SCALE

DAY = 86_400
OUTPUT = Path("bench/gas.md")


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def staking_rows() -> list[tuple[str, int]]:
    deployer, treasury, staker, second = accounts.test_accounts[0:4]
    system = deploy_staking(project, deployer, treasury.address)
    x, validator, lst, units = system.x, system.validator, system.lst, system.units
    x.deposit(sender=deployer, value=units(1_000))
    x.approve(validator, units(1_000), sender=deployer)
    validator.fund_rewards(units(1_000), sender=deployer)
    for account in (staker, second):
        x.deposit(sender=account, value=units(200))
        x.approve(lst, 2**256 - 1, sender=account)

    rows: list[tuple[str, int]] = []
    rows.append(
        ("LST: stake (deposit), first staker", lst.deposit(units(100), staker, sender=staker).gas_used)
    )
    rows.append(
        ("LST: stake (deposit), later staker", lst.deposit(units(100), second, sender=second).gas_used)
    )
    rows.append(("LST: mint exact shares", lst.mint(units(10), second, sender=second).gas_used))
    rows.append(("LST: rebalance (delegate excess buffer)", lst.rebalance(sender=staker).gas_used))
    chain.mine(deltatime=DAY)
    rows.append(("LST: sync_rewards (new cycle, fee minted)", lst.sync_rewards(sender=staker).gas_used))
    rows.append(("LST: sync_rewards (mid-cycle, nothing to do)", lst.sync_rewards(sender=staker).gas_used))
    rows.append(("Backend: report pushed to the LST", validator.report(lst, sender=staker).gas_used))
    chain.mine(deltatime=DAY // 2)
    rows.append(
        (
            "LST: instant unstake (withdraw assets)",
            lst.withdraw(units(5), staker, staker, sender=staker).gas_used,
        )
    )
    rows.append(
        ("LST: instant unstake (redeem shares)", lst.redeem(units(5), staker, staker, sender=staker).gas_used)
    )
    tx = lst.request_unstake(units(20), staker, staker, sender=staker)
    rows.append(("LST: request queued unstake (asks backend to unbond)", tx.gas_used))
    request_id = tx.events.filter(lst.UnstakeRequested)[0].request_id
    chain.mine(deltatime=validator.unbonding_delay() + 1)
    rows.append(
        ("LST: claim (pulls backend payback, funds queue)", lst.claim(request_id, sender=staker).gas_used)
    )
    rows.append(("LST: transfer", lst.transfer(second, units(1), sender=staker).gas_used))
    return rows


def market_rows() -> list[tuple[str, int]]:
    deployer, treasury, lender, borrower, liquidator = accounts.test_accounts[0:5]
    system = deploy_staking(project, deployer, treasury.address)
    x, validator, lst, units = system.x, system.validator, system.lst, system.units
    market = deploy_lending(project, deployer, system, treasury.address, deployer.address).market
    validator.set_apr(0, sender=deployer)
    for account in (lender, borrower, liquidator):
        x.deposit(sender=account, value=units(500))
        x.approve(market, 2**256 - 1, sender=account)
    x.approve(lst, 2**256 - 1, sender=borrower)
    lst.approve(market, 2**256 - 1, sender=borrower)
    lst.deposit(units(100), borrower, sender=borrower)
    lst.rebalance(sender=borrower)
    flash = deployer.deploy(project.MockFlashBorrower, market)

    rows: list[tuple[str, int]] = []
    rows.append(
        ("Market: lender deposit (first)", market.deposit(units(300), lender, sender=lender).gas_used)
    )
    rows.append(("Market: lender mint", market.mint(10**6 * units(1), lender, sender=lender).gas_used))
    collateral = lst.balanceOf(borrower)
    tx = market.supply_collateral(collateral, borrower, sender=borrower)
    rows.append(("Market: supply_collateral", tx.gas_used))
    rows.append(("Market: borrow", market.borrow(units(90), 0, borrower, borrower, sender=borrower).gas_used))
    chain.mine(deltatime=DAY)
    rows.append(("Market: accrue_interest (1 day)", market.accrue_interest(sender=lender).gas_used))
    rows.append(("Market: repay by assets", market.repay(units(10), 0, borrower, sender=borrower).gas_used))
    tx = market.withdraw_collateral(units(5), borrower, borrower, sender=borrower)
    rows.append(("Market: withdraw_collateral", tx.gas_used))
    rows.append(
        ("Market: lender withdraw", market.withdraw(units(10), lender, lender, sender=lender).gas_used)
    )
    rows.append(
        ("Market: lender redeem", market.redeem(10**6 * units(1), lender, lender, sender=lender).gas_used)
    )
    rows.append(
        ("Market: flash loan (fee 0)", market.flashLoan(flash, x, units(50), b"", sender=lender).gas_used)
    )
    rows.append(
        ("Market: set_authorization", market.set_authorization(lender, True, sender=borrower).gas_used)
    )
    value = market.positions(borrower).collateral * lst.convertToAssets(10**36) // 10**36
    debt = market.position(borrower)[1]
    market.borrow(value * 98 // 100 - debt - units(1) // 100, 0, borrower, borrower, sender=borrower)
    validator.slash(lst, 300, sender=deployer)
    shares = market.positions(borrower).borrow_shares
    tx = market.liquidate(borrower, 0, shares // 2, sender=liquidator)
    rows.append(("Market: liquidate (partial, after a 3% slash)", tx.gas_used))
    shares = market.positions(borrower).borrow_shares
    rows.append(("Market: repay all by shares", market.repay(0, shares, borrower, sender=borrower).gas_used))
    return rows


def leverage_of(market, oracle, user) -> float:
    """Collateral value / equity at the oracle's price, as `levstake.previews` computes it."""
    collateral, debt, _, _ = market.position(user)
    value = collateral * oracle.price() // ORACLE_SCALE
    return value / (value - debt)


def router_rows() -> list[tuple[str, int, str]]:
    """Open at 2x..50x (each a fresh user), adjust both ways, close, and the classic loop."""
    deployer, treasury, lender = accounts.test_accounts[0:3]
    system = deploy_staking(project, deployer, treasury.address)
    x, units = system.x, system.units
    lending = deploy_lending(project, deployer, system, treasury.address, deployer.address)
    market, oracle = lending.market, lending.oracle
    router = deploy_router(project, deployer, lending.factory, x.address)
    x.deposit(sender=lender, value=units(5_000))
    x.approve(market, 2**256 - 1, sender=lender)
    market.deposit(units(5_000), lender, sender=lender)

    def fresh_user():
        user = accounts.test_accounts.generate_test_account()
        deployer.transfer(user, units(20))
        x.deposit(sender=user, value=units(15))
        x.approve(router, 2**256 - 1, sender=user)
        market.set_authorization(router, True, sender=user)
        return user

    deadline = 2**63
    # Two warm-up opens, so one-time storage writes (the router's token approvals, the treasury's
    # first fee shares) are not charged to whichever row happens to come first.
    for _ in range(2):
        router.open(market, units(10), 3 * 10**18, 0, deadline, sender=fresh_user())
    rows: list[tuple[str, int, str]] = []
    users = {leverage: fresh_user() for leverage in (2, 5, 10, 25, 50)}
    # Every open is measured from the same chain state (snapshot), so the rows differ only by leverage.
    snapshot = chain.snapshot()
    for leverage, user in users.items():
        chain.restore(snapshot)
        snapshot = chain.snapshot()
        tx = router.open(market, units(10), leverage * 10**18, 0, deadline, sender=user)
        rows.append((f"Router: open {leverage}x", tx.gas_used, f"{leverage_of(market, oracle, user):.6f}x"))
    router.open(market, units(10), 10 * 10**18, 0, deadline, sender=users[10])
    # Loops before any unstake: instant-unstake fees raise the small devnet LST's rate past the
    # oracle's growth cap, which would distort the leverage shown.
    for steps in (5, 10, 25, 50):
        user = fresh_user()
        tx = router.loop(market, units(10), steps, 0, deadline, sender=user)
        rows.append((f"Router: loop {steps} steps", tx.gas_used, f"{leverage_of(market, oracle, user):.6f}x"))
    user = users[10]
    tx = router.adjust(market, 20 * 10**18, 0, deadline, sender=user)
    rows.append(("Router: adjust 10x -> 20x", tx.gas_used, f"{leverage_of(market, oracle, user):.6f}x"))
    tx = router.adjust(market, 5 * 10**18, 0, deadline, sender=user)
    rows.append(("Router: adjust 20x -> 5x", tx.gas_used, f"{leverage_of(market, oracle, user):.6f}x"))
    rows.append(("Router: close 5x to X", router.close(market, 0, deadline, sender=user).gas_used, ""))
    tx = router.close(market, 0, deadline, CLOSE_TO_LST, sender=users[50])
    rows.append(("Router: close 50x to LST", tx.gas_used, ""))
    return rows


def render(sections: dict[str, list[tuple]]) -> str:
    lines = [f"# Gas per action (anvil, commit {commit()})", ""]
    for title, rows in sections.items():
        lines += [f"## {title}", "", "| action | gas | leverage reached |", "| --- | ---: | ---: |"]
        lines += [f"| {row[0]} | {row[1]:,} | {row[2] if len(row) > 2 else ''} |" for row in rows]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    sections = {"Staking": staking_rows(), "Lending market": market_rows(), "Leverage router": router_rows()}
    table = render(sections)
    print(table)
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(table)
    print(f"written to {OUTPUT}")
