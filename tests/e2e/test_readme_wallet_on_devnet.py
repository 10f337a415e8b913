"""
The README's "From a wallet" section, command by command, as written: `make devnet` in one terminal (here on a
port and with a state file of the test's own: a developer's devnet on 8545 is never touched), then each line
of the second block in a shell with the first line's `export`, answering the prompts a user answers. Then the
devnet lifecycle: `make devnet` again says it is running and exits 0, `make devnet-stop` keeps the state file,
and a new `make devnet` resumes the same chain with the protocol and the wallet's X where they were.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from levstake import fmt, previews
from levstake.deployment import Deployment
from levstake.devnet import free_port
from levstake.reads import Reader

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "readme-Passphrase-1!"
SECTION = "## From a wallet"


def readme_blocks() -> list[list[str]]:
    """The bash blocks of the README's wallet section, as lists of lines."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n## ", 1)]
    return [block.strip().splitlines() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


class Devnet:
    """`make devnet` on the test's own port, state file and deployment folder."""

    def __init__(self, env: dict[str, str], port: int, state: Path) -> None:
        self.env, self.port, self.state = env, port, state
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None
        self.log: list[str] = []

    def make(self, target: str, *, wait: bool = True, timeout: float = 120) -> subprocess.Popen:
        command = [
            "make",
            "--no-print-directory",
            target,
            f"DEVNET_PORT={self.port}",
            f"DEVNET_STATE={self.state}",
        ]
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        if wait:
            process.wait(timeout=timeout)
        return process

    def up(self) -> list[str]:
        """Start it and read its lines until it is ready."""
        self.process = self.make("devnet", wait=False)
        started, lines = time.monotonic(), []
        assert self.process.stdout is not None
        for line in self.process.stdout:
            lines.append(line.rstrip())
            if line.startswith("ready"):
                break
            assert time.monotonic() - started < 180, lines
        else:
            raise AssertionError(f"the devnet stopped before it was ready:\n{chr(10).join(lines)}")
        self.log += lines
        return lines

    def stop(self) -> str:
        stopped = self.make("devnet-stop")
        assert stopped.returncode == 0
        if self.process is not None:
            self.process.wait(timeout=60)
            self.process = None
        assert stopped.stdout is not None
        return stopped.stdout.read()


@pytest.fixture(scope="module")
def devnet(tmp_path_factory) -> Iterator[Devnet]:
    home = tmp_path_factory.mktemp("readme")
    env = {
        **os.environ,
        # The README's `--network ethereum:local:foundry` reaches the test's devnet, not one on 8545.
        "APE_FOUNDRY_HOST": "",
        # Below a folder that does not exist yet, as `.cache/ape` in a fresh clone: `make devnet` must make it
        # (Ape makes only the last level; the README's `ape accounts import` failed there).
        "APE_DATA_FOLDER": str(home / "cache" / "ape"),
        "LEVSTAKE_DEPLOYMENTS": str(home / "deployments"),
        "APE_ACCOUNTS_mywallet_PASSPHRASE": PASSPHRASE,
    }
    port = free_port()
    env["APE_FOUNDRY_HOST"] = f"http://127.0.0.1:{port}"
    chain = Devnet(env, port, home / "devnet" / "anvil-state.json")
    yield chain
    if chain.process is not None:
        chain.stop()


@pytest.fixture(scope="module")
def shell(devnet) -> Callable[..., subprocess.CompletedProcess]:
    """Run one README line in bash after the block's `export` line, as a terminal session would."""
    second = readme_blocks()[1]
    assert second[0].startswith("export ")

    def run(line: str, answer: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-c", f"{second[0]}\n{line}"],
            cwd=ROOT,
            env=devnet.env,
            input=answer,
            capture_output=True,
            text=True,
            timeout=300,
        )

    return run


def test_the_readme_wallet_section_works_as_written(devnet, shell) -> None:
    first, second = readme_blocks()
    assert first == ["make devnet"], "the section starts the devnet with `make devnet`"
    started = time.monotonic()
    lines = devnet.up()
    assert any(line.startswith("deployed router") for line in lines), lines
    print(f"devnet up (new chain, deployed) in {time.monotonic() - started:.1f} s")
    web3 = Web3(Web3.HTTPProvider(devnet.url))
    key = Account.create(secrets.token_hex(16))
    answers = {
        "ape accounts import": f"{key.key.hex()}\n{PASSPHRASE}\n{PASSPHRASE}\n",
        "ape run leverage open": "y\n",
        "ape run leverage close": "y\n",
    }
    outputs: dict[str, str] = {}
    for line in second[1:]:
        answer = next((text for prefix, text in answers.items() if line.startswith(prefix)), None)
        begun = time.monotonic()
        result = shell(line, answer)
        print(f"{time.monotonic() - begun:5.1f} s  {line}")
        assert result.returncode == 0, f"{line}\n{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stdout + result.stderr
        outputs[line.split(" --")[0]] = result.stdout
        if line.startswith("ape run leverage status"):
            # Any web3.py script reads the same position with the deployment file alone (addresses, ABIs).
            deployment = Deployment.load(Path(devnet.env["LEVSTAKE_DEPLOYMENTS"]) / "ethereum-local.json")
            reader = Reader.from_web3(web3, deployment)
            figures = previews.position_figures(reader.info, reader.snapshot(key.address))
            assert figures is not None
            assert f"collateral {fmt.amount(figures.collateral, 18, 'stX')}" in result.stdout
        if line.startswith("ape run leverage open"):
            assert web3.eth.get_transaction_count(key.address) == 1, (
                "open_native + signed authorization: one tx"
            )
    opened = outputs["ape run leverage open"]
    assert "Sign and send?" in opened and "entry    costs" in opened
    # 50x asked; the devnet's first reward stream runs from the start, so the new LST costs its book value
    # (the stream premium) while the oracle prices it lower: the position lands a little under 50x.
    landed = re.findall(r"leverage ([\d.]+)x, LTV", opened.split("ok  open")[1])
    assert landed and 49.9 <= float(landed[0]) <= 50.0, opened
    status = outputs["ape run leverage status"]
    assert f"leverage {landed[0]}x" in status and "if closed now" in status
    assert key.address in outputs["ape run leverage watch"]
    closed = outputs["ape run leverage close"]
    expected = re.search(r"you receive about ([\d.]+) WNAT", closed)
    received = re.search(r"received ([\d.]+) WNAT", closed)
    assert expected and received, closed
    # What the close said it pays, to the 4 digits printed (a few seconds of interest on 490 X move less).
    assert abs(float(received.group(1)) - float(expected.group(1))) <= 0.0001
    # 10 X in at 50x, closed a few blocks later: the instant-unstake fee on 500 X (0.1% while the LST's buffer
    # stays above its target, up to 0.5% at the margin as it empties: the devnet's keeper delegates what the
    # open added to the buffer) and a few seconds of interest are the only costs.
    assert 10 * (1 - 0.005 * 50) < float(received.group(1)) < 10 * (1 - 0.001 * 50)
    assert web3.eth.get_transaction_count(key.address) == 2
    devnet.wallet = key.address  # type: ignore[attr-defined]


def test_a_wrong_or_missing_passphrase_is_one_line_and_signs_nothing(devnet) -> None:
    # A new user's walk: a wrong APE_ACCOUNTS_<alias>_PASSPHRASE printed Ape's "ERROR: Invalid password", a
    # GetPassWarning and "Aborted!"; with none and no terminal, the prompt ended in "Aborted!".
    command = ["ape", "run", "leverage", "wrap", "--amount", "1", "--account", "mywallet", "--yes"]
    command += ["--network", "ethereum:local:foundry"]
    web3 = Web3(Web3.HTTPProvider(devnet.url))
    sent = web3.eth.get_transaction_count(devnet.wallet)  # type: ignore[attr-defined]
    wrong = {**devnet.env, "APE_ACCOUNTS_mywallet_PASSPHRASE": "not-the-passphrase"}
    missing = {key: value for key, value in devnet.env.items() if key != "APE_ACCOUNTS_mywallet_PASSPHRASE"}
    variable = "APE_ACCOUNTS_mywallet_PASSPHRASE"
    said = {
        "wrong": f"Error: the passphrase in {variable} does not unlock mywallet; nothing was signed",
        "missing": f"Error: set {variable}: no terminal to ask for mywallet's passphrase",
    }
    for case, env in (("wrong", wrong), ("missing", missing)):
        done = subprocess.run(
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300
        )
        output = done.stdout + done.stderr
        assert done.returncode == 1, output
        assert said[case] in output, output
        assert not [word for word in ("Aborted", "Traceback", "GetPassWarning") if word in output], output
    assert web3.eth.get_transaction_count(devnet.wallet) == sent  # type: ignore[attr-defined]


def test_make_devnet_again_says_it_runs_and_exits_0(devnet) -> None:
    again = devnet.make("devnet", timeout=60)
    assert again.returncode == 0
    assert again.stdout is not None and "already running" in again.stdout.read()


def test_a_stopped_devnet_keeps_its_state_and_resumes_the_same_chain(devnet) -> None:
    web3 = Web3(Web3.HTTPProvider(devnet.url))
    block = web3.eth.block_number
    deployment = (Path(devnet.env["LEVSTAKE_DEPLOYMENTS"]) / "ethereum-local.json").read_text()
    wallet = getattr(devnet, "wallet", None)
    balance = None if wallet is None else web3.eth.get_balance(wallet)
    assert "stopped" in devnet.stop()
    assert devnet.state.exists()
    started = time.monotonic()
    lines = devnet.up()
    print(f"devnet resumed in {time.monotonic() - started:.1f} s")
    resumed = next(line for line in lines if line.startswith("devnet"))
    assert int(re.search(r"resumed at block (\d+)", resumed).group(1)) >= block, resumed
    assert any("matches this chain" in line for line in lines), lines
    assert (Path(devnet.env["LEVSTAKE_DEPLOYMENTS"]) / "ethereum-local.json").read_text() == deployment
    if wallet is not None:
        assert web3.eth.get_balance(wallet) == balance
    # The clock never runs backwards across a restart.
    web3.provider.make_request("evm_mine", [])
    blocks = [web3.eth.get_block(number)["timestamp"] for number in (block, web3.eth.block_number)]
    assert blocks[1] > blocks[0]
