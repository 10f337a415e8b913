"""
End to end on anvil, the way a user works: `ape accounts import` a keyfile wallet into a temporary Ape data
folder, `ape run deploy`, then open 50x, watch a block and close with `ape run leverage`, the wallet unlocked
by APE_ACCOUNTS_<alias>_PASSPHRASE. Each command is its own `ape run` process attached to one anvil.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

ROOT = Path(__file__).resolve().parents[2]
ANVIL = ROOT / "node_modules" / ".bin" / "anvil"
APE = Path(sys.executable).parent / "ape"
ALIAS = "levstake-e2e"
PASSPHRASE = "e2e-Passphrase-1!"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def anvil_url() -> Iterator[str]:
    assert ANVIL.exists(), "run `make setup` (npm install) to get anvil"
    port = free_port()
    process = subprocess.Popen([str(ANVIL), "--port", str(port), "--silent"])
    url = f"http://127.0.0.1:{port}"
    web3 = Web3(Web3.HTTPProvider(url))
    for _ in range(100):
        if web3.is_connected():
            break
        time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def ape_run(anvil_url, tmp_path_factory) -> Callable[..., subprocess.CompletedProcess]:
    """Run an `ape` command in a fresh data folder (its own keystore) against the module's anvil."""
    data = tmp_path_factory.mktemp("ape-data")
    env = {**os.environ, "APE_DATA_FOLDER": str(data), f"APE_ACCOUNTS_{ALIAS}_PASSPHRASE": PASSPHRASE}
    env["PATH"] = f"{ANVIL.parent}{os.pathsep}{APE.parent}{os.pathsep}{env.get('PATH', '')}"

    def run(*args: str, answer: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(APE), *args], cwd=ROOT, env=env, input=answer, capture_output=True, text=True, timeout=300
        )

    return run


def network_args(url: str) -> list[str]:
    return ["--network", "ethereum:local:foundry", "--provider-settings", json.dumps({"host": url})]


def test_keyfile_wallet_opens_50x_watches_and_closes(ape_run, anvil_url, tmp_path) -> None:
    key = Account.create(secrets.token_hex(16))
    imported = ape_run("accounts", "import", ALIAS, answer=f"{key.key.hex()}\n{PASSPHRASE}\n{PASSPHRASE}\n")
    assert imported.returncode == 0, imported.stderr
    web3 = Web3(Web3.HTTPProvider(anvil_url))
    web3.eth.send_transaction({"from": web3.eth.accounts[0], "to": key.address, "value": 20 * 10**18})

    deployment = str(tmp_path / "ethereum-local.json")
    net = [*network_args(anvil_url), "--deployment", deployment]
    deployed = ape_run("run", "deploy", "--account", "TEST::0", *net)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    for command in ("wrap", "lend"):
        lent = ape_run("run", "leverage", command, "--amount", "1000", "--account", "TEST::1", "--yes", *net)
        assert lent.returncode == 0, lent.stdout + lent.stderr

    opened = ape_run(
        "run",
        "leverage",
        "open",
        "--amount",
        "10",
        "--leverage",
        "50",
        "--native",
        "--account",
        ALIAS,
        "--yes",
        *net,
    )
    assert opened.returncode == 0, opened.stdout + opened.stderr
    assert "leverage 50.00x" in opened.stdout
    assert web3.eth.get_transaction_count(key.address) == 1, "open_native + signed authorization: one tx"

    watched = ape_run("run", "leverage", "watch", "--blocks", "1", *net)
    assert watched.returncode == 0, watched.stdout + watched.stderr
    assert key.address in watched.stdout and "50.00x" in watched.stdout

    contracts = json.loads(Path(deployment).read_text())["contracts"]
    x = web3.eth.contract(address=contracts["x"], abi=[_balance_of_abi()])
    closed = ape_run("run", "leverage", "close", "--account", ALIAS, "--yes", *net)
    assert closed.returncode == 0, closed.stdout + closed.stderr
    received = x.functions.balanceOf(key.address).call()
    # 10 X in at 50x, closed a few blocks later: the collateral's instant-unstake fee and a few seconds of
    # interest are the only costs. The position is the LST's only stake, so the close empties it: the LST
    # left behind needs no buffer (its target after the exit is 0), so only the base 0.1% of 500 X applies.
    assert 9.45 * 10**18 < received < 9.5 * 10**18
    assert web3.eth.get_transaction_count(key.address) == 2


def _balance_of_abi() -> dict:
    return {
        "name": "balanceOf",
        "type": "function",
        "stateMutability": "view",
        "inputs": [{"name": "owner", "type": "address"}],
        "outputs": [{"name": "", "type": "uint256"}],
    }
