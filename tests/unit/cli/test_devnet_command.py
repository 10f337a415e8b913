"""`ape run devnet advance | fund`: time passes with the devnet's upkeep; a wallet gets native coins."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from levstake import fmt
from levstake.cli import ClientError, require_local


def test_advance_grows_the_lst_and_measures_the_staking_apr(
    run, deployment, session, contracts, lev, liquid_market, chain
) -> None:
    rate = contracts.lst.convertToAssets(10**18)
    assert session.snapshot().staking_apr == 0
    result = run("devnet", "advance", "--days", "3", "--deployment", deployment)
    assert result.exit_code == 0, result.output
    # A sync counts gains only once the stream before it has ended: each stream lasts as long as its gains
    # took to accrue, a little over a day here (the setup's blocks took wall-clock seconds), so one day's
    # sync can find the stream still running and wait for the next.
    syncs = re.search(r"with (\d) reward syncs", result.output)
    assert syncs and int(syncs.group(1)) in (2, 3), result.output
    assert contracts.lst.convertToAssets(10**18) > rate
    # The validator pays 8% on the delegated part; the protocol keeps 10% of it; the buffer earns nothing.
    delegated = contracts.lst.backend_accounted() / contracts.lst.totalAssets()
    assert session.snapshot().staking_apr == pytest.approx(0.08 * 0.9 * delegated, rel=0.02)
    assert "staking APR 0.00%" not in lev("preview", "--amount", "1").output
    # The oracle's growth cap was moved once a day as well.
    assert contracts.oracle.snapshot_time() >= chain.blocks.head.timestamp - 86_400


def test_fund_gives_a_wallet_native_coins(run, accounts, deployment) -> None:
    wallet = accounts[9]
    before = wallet.balance
    result = run("devnet", "fund", "--account", "TEST::9", "--amount", "12.5", "--deployment", deployment)
    assert result.exit_code == 0, result.output
    assert wallet.balance == before + 125 * 10**17
    # What was added, not only the balance it made (which read as the amount funded).
    assert f"+12.5 native (balance {fmt.exact(before + 125 * 10**17, 18)})" in result.output


def test_fund_refuses_a_chain_without_the_devnet(run, accounts, deployment, tmp_path) -> None:
    # As on a chain Ape started for the command alone (no devnet running): no router where the file says.
    moved = json.loads(Path(deployment).read_text())
    moved["contracts"]["router"] = "0x000000000000000000000000000000000000dEaD"
    elsewhere = tmp_path / "ethereum-local.json"
    elsewhere.write_text(json.dumps(moved))
    before = accounts[9].balance
    result = run("devnet", "fund", "--account", "TEST::9", "--amount", "20", "--deployment", elsewhere)
    assert result.exit_code != 0
    assert "Error: no LevStake router at 0x000000000000000000000000000000000000dEaD" in result.output
    assert accounts[9].balance == before


def test_advance_refuses_a_live_network() -> None:
    live = SimpleNamespace(
        network=SimpleNamespace(name="mainnet", ecosystem=SimpleNamespace(name="ethereum"))
    )
    with pytest.raises(ClientError, match="not a local network"):
        require_local(live)


@pytest.mark.parametrize(
    "days, step, said",
    [
        ("nan", "1", "Error: --days and --step must be numbers"),
        ("1", "nan", "Error: --days and --step must be numbers"),
        ("inf", "1", "is not in the range 0<x<=3650"),
        ("1e9", "1", "is not in the range 0<x<=3650"),
        ("1", "1e-9", "is not in the range x>=0.000694"),
        ("100", "0.01", "100 days in steps of 0.01 is 10,000 rounds of upkeep, more than 4,000"),
    ],
)
def test_advance_refuses_what_would_not_end_or_not_be_time(run, deployment, chain, days, step, said) -> None:
    # A new user's walk: `--days nan` and `inf` printed a traceback, `--days 1e9` ground the chain forward
    # until it was killed (and left it 15 months ahead).
    height = chain.blocks.height
    result = run("devnet", "advance", "--days", days, "--step", step, "--deployment", deployment)
    assert result.exit_code != 0 and said in result.output, result.output
    assert "Traceback" not in result.output
    assert chain.blocks.height == height


@pytest.mark.parametrize(
    "network, said",
    [
        ("ethereum:sepolia", "Missing URI for network 'sepolia'"),
        # ape-node's ConnectionError, not a ProviderError: a new user's walk saw its 55-line traceback.
        ("ethereum:local:node", "No node found and 'ape-node' is unable to start one."),
    ],
)
def test_a_network_ape_cannot_connect_to_is_one_line(network: str, said: str) -> None:
    # `--network ethereum:sepolia` (no URI for it) printed a fragment of Ape's traceback from the command's
    # invoke, in a process that is not connected yet (as a user's `ape run` is).
    import subprocess
    import sys

    argv = ["leverage", "preview", "--amount", "1", "--leverage", "2", "--network", network]
    code = f"import sys; from levstake.commands.leverage import cli; sys.argv = {argv!r}; cli()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert f"Error: cannot use that network: {said}" in output
    assert "File " not in output and "Traceback" not in output


def test_advance_keeps_a_carry_guard_checkpointed(
    run, deployment, contracts, accounts, chain, project
) -> None:
    # A new operator's walk: `advance` ran the reward sync, the rebalance and the oracle's snapshot only, so a
    # carry run (which needs checkpoints at most 6 hours apart) could never be reached by advancing time.
    from levstake.deployment import Deployment

    guard = project.LeverageGuard.at(Deployment.load(deployment).contracts["guard"])
    guarded, wad = accounts[6], 10**18
    guard.set_guard(contracts.market, wad * 1005 // 1000, 20 * wad, 50, 24, sender=guarded)
    result = run("devnet", "advance", "--days", "1", "--step", "0.2", "--deployment", deployment)
    assert result.exit_code == 0, result.output
    last = guard.carry(contracts.market).time
    assert chain.blocks.head.timestamp - last <= int(0.2 * 86_400)
