"""Gas of every user-facing action, measured on a devnet; prints a Markdown table and writes bench/gas.md.

    ape run bench --network ethereum:local:foundry

A benchmark, not a test: it measures and asserts nothing about the numbers.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ape import accounts, chain, project

from levstake.deploy import deploy_staking

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


def render(sections: dict[str, list[tuple[str, int]]]) -> str:
    lines = [f"# Gas per action (anvil, commit {commit()})", ""]
    for title, rows in sections.items():
        lines += [f"## {title}", "", "| action | gas |", "| --- | ---: |"]
        lines += [f"| {name} | {gas:,} |" for name, gas in rows]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    sections = {"Staking": staking_rows()}
    table = render(sections)
    print(table)
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(table)
    print(f"written to {OUTPUT}")
