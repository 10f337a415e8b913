"""
`make devnet`: one anvil whose state survives restarts, the protocol deployed on it when the deployment file
does not match the chain, and the devnet's upkeep in the same process.

    python -m levstake.devnet up [--port 8545] [--state .devnet/anvil-state.json] [--speed N] [--block-time S]
    python -m levstake.devnet stop [--state ...]

- anvil keeps its state in the state file (dumped every minute and when it stops); a new `up` resumes the
  same chain, with its clock put back where it was (anvil forgets the time it was moved by).
- The deployment file (`deployments/ethereum-local.json`, or under `LEVSTAKE_DEPLOYMENTS`) is reused when
  every contract it names is on the chain; otherwise the protocol is deployed (Ape, the deployer is TEST::0),
  the validator's reward reserve funded and a lender (TEST::8) supplies enough X for 50x.
- Upkeep (the keeper bot's round, `levstake.keeper.keeper`: jobs, protects, liquidations; sent by TEST::9): a
  block every `--block-time` seconds, each followed by a round. `--speed N` runs N days of chain time per real
  hour.
- `up` when a devnet already answers on the port says so and exits 0; Ctrl-C (or `stop`) stops anvil, which
  writes the state file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from levstake.deployment import LEVERAGE_KEYS, Deployment, DeploymentError, default_path
from levstake.rpc import one_line

HOST = "127.0.0.1"
DEFAULT_PORT = 8545
DEFAULT_STATE = Path(".devnet") / "anvil-state.json"
CHAIN_ID = 31337
SAID_KEPT = 1_000  # upkeep lines remembered so that a round repeating one does not print it again
# Ape's test accounts (TEST::0..9) come from this mnemonic; anvil's dev accounts are the same keys.
MNEMONIC = "test test test test test test test test test test test junk"
ACCOUNTS = 10
BALANCE_ETHER = 1_000_000
DEPLOYER, LENDER, KEEPER = 0, 8, 9
LENDER_SUPPLY = 100_000
# The lender also stakes, so the LST has stake to delegate and a reward stream to measure from the first days.
LENDER_STAKE = 10_000
REWARD_RESERVE = 100_000
DAY, HOUR = 86_400, 3_600


class DevnetError(Exception):
    """Why the devnet cannot start, as one line."""


def anvil_binary() -> str:
    """The anvil executable itself (npm's `node_modules/.bin/anvil` is a Node wrapper that exits on a signal
    before anvil has written its state)."""
    root = Path(__file__).resolve().parents[1] / "node_modules" / "@foundry-rs"
    for candidate in sorted(root.glob("anvil-*/bin/anvil")):
        return str(candidate)
    wrapper = Path(__file__).resolve().parents[1] / "node_modules" / ".bin" / "anvil"
    if wrapper.exists():
        return str(wrapper)
    raise DevnetError("anvil is not installed: run `make setup` (npm install)")


def rpc(url: str, method: str, params: list[Any] | None = None, timeout: float = 5.0) -> Any:
    """One JSON-RPC request (urllib: nothing to import before the devnet is known to be needed)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise DevnetError(f"{method}: {answer['error'].get('message', answer['error'])}")
    return answer["result"]


def answering(url: str) -> str | None:
    """The client version of a node answering at `url`, or None."""
    try:
        return str(rpc(url, "web3_clientVersion", timeout=1.0))
    except (OSError, ValueError, DevnetError):
        return None


def free_port(host: str = HOST) -> int:
    """A port nothing listens on, for a server started next (a test's anvil or web server). Chosen below the
    kernel's ephemeral range: a port bound as port 0 comes from the range the kernel also numbers outgoing
    connections from, and one opened before the server binds can take it (anvil then exits "Address already in
    use", npm's wrapper with code 0, and Ape waits 20 s for nothing). Below the range only another explicit
    choice can collide, and the probe rules out listeners."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32_768
    for _ in range(200):
        port = random.randint(10_000, low - 1) if low > 11_000 else 0
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise DevnetError(f"no free port below {low} on {host}")


def pid_file(state: Path) -> Path:
    return state.with_name(state.name + ".pid")


def port_file(port: int) -> Path:
    """Names the state file of the devnet serving `port`: what the stop command for it must be given."""
    return DEFAULT_STATE.parent / f"port-{port}"


def _alive(pids: Path) -> bool:
    """Whether the devnet whose pid file this is still runs (a `kill -9` leaves its files behind)."""
    try:
        os.kill(int(pids.read_text().split()[0]), 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


def stop_command(state: Path | str) -> str:
    same = Path(state).resolve() == DEFAULT_STATE.resolve()
    return "make devnet-stop" + ("" if same else f" DEVNET_STATE={state}")


# ---------------------------------------------------------------- anvil


def start_anvil(port: int, state: Path) -> subprocess.Popen:
    state.parent.mkdir(parents=True, exist_ok=True)
    command = [
        anvil_binary(),
        "--host", HOST,
        "--port", str(port),
        "--chain-id", str(CHAIN_ID),
        "--mnemonic", MNEMONIC,
        "--accounts", str(ACCOUNTS),
        "--balance", str(BALANCE_ETHER),
        # No gas costs, as the anvil Ape starts itself: amounts on the devnet stay round.
        "--block-base-fee-per-gas", "0",
        "--gas-price", "0",
        "--state", str(state),
        "--state-interval", "60",
        "--silent",
    ]  # fmt: skip
    # Its own process group: a Ctrl-C in the terminal reaches this process, which stops anvil itself.
    process = subprocess.Popen(command, start_new_session=True)
    url = f"http://{HOST}:{port}"
    for _ in range(200):
        if process.poll() is not None:
            raise DevnetError(
                f"anvil exited at start (code {process.returncode}); if {state} is damaged or from another "
                "anvil version, move it away to start a new chain"
            )
        if answering(url):
            return process
        time.sleep(0.05)
    process.terminate()
    raise DevnetError("anvil did not answer within 10 s")


def stop_anvil(process: subprocess.Popen) -> None:
    """SIGINT makes anvil write its state file before it exits."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def restore_clock(url: str) -> int:
    """anvil resumes with the wall clock: if the chain's last block is later (the devnet ran fast), move the
    clock there so that time never runs backwards. Returns the chain's time."""
    latest = int(rpc(url, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    now = int(time.time())
    if latest >= now:
        rpc(url, "evm_setTime", [latest + 1])
        return latest + 1
    return now


# ---------------------------------------------------------------- the protocol


def matching_deployment(url: str, path: Path) -> Deployment | None:
    """The deployment file when every contract it names has code on this chain."""
    try:
        deployment = Deployment.load(path)
    except DeploymentError:
        return None
    if deployment.chain_id != CHAIN_ID or not set(LEVERAGE_KEYS) <= set(deployment.contracts):
        return None
    for address in deployment.contracts.values():
        if rpc(url, "eth_getCode", [address, "latest"]) in ("0x", "0x0", None):
            return None
    return deployment


def deploy(url: str, path: Path) -> Deployment:
    """The protocol on the devnet with Ape (its compiled contracts), a funded reward reserve and a lender."""
    os.environ["APE_FOUNDRY_HOST"] = url  # whatever the caller's environment says
    warnings.filterwarnings("ignore", module="pydantic_settings")
    from ape import accounts, networks, project
    from ape.logging import logger

    from levstake import ape_wallet
    from levstake.deploy import deploy_protocol
    from levstake.keeper import jobs
    from levstake.reads import Reader
    from levstake.txs import Builder

    logger.set_level("WARNING")  # one line per contract would drown the devnet's own lines
    with networks.parse_network_choice("ethereum:local:foundry") as provider:
        test_accounts = accounts.test_accounts
        deployment = deploy_protocol(
            project, test_accounts[DEPLOYER], provider.network, reward_reserve=REWARD_RESERVE
        )
        deployment.save(path, force=True)
        lender = test_accounts[LENDER]
        reader = Reader.from_web3(provider.web3, deployment)
        builder = Builder(deployment, reader.info)
        unit = 10**reader.info.decimals
        lent, staked = LENDER_SUPPLY * unit, LENDER_STAKE * unit
        for tx in (
            builder.wrap(lent + staked),
            builder.approve("x", "market", lent),
            builder.lend(lent, lender.address),
            builder.approve("x", "lst", staked),
            builder.stake(staked, lender.address),
        ):
            ape_wallet.send(lender, tx)
        # A day of rewards before anybody comes: the first stream then measures the backend's APR. Synced
        # minutes after the stake, it would spread minutes of rewards over a day, and previews would show a
        # staking APR near 0 (every open at negative carry) for the devnet's whole first day. The stake is
        # delegated first (the rebalance): while it sits in the LST's buffer it earns nothing.
        keeper = ape_wallet.sender(test_accounts[KEEPER])
        jobs.run_upkeep(reader, builder, keeper)
        provider.make_request("evm_increaseTime", [DAY])
        provider.make_request("evm_mine", [])
        jobs.run_upkeep(reader, builder, keeper)
    return deployment


# ---------------------------------------------------------------- upkeep


@dataclass
class Clock:
    """Chain time runs `speed` days per real hour (0: as the wall clock): every block moves it on by what the
    real time since the last block is worth, less what the wall clock already added."""

    speed: float
    last: float

    def advance(self, now: float) -> int:
        """Seconds to add to the chain's clock before the next block."""
        elapsed, self.last = now - self.last, now
        factor = self.speed * DAY / HOUR
        return max(int(elapsed * (factor - 1)), 0) if factor > 1 else 0


class Upkeep:
    """The devnet's keeper: mines a block every `block_time` seconds and runs every due job after it."""

    def __init__(self, url: str, deployment: Deployment, speed: float, block_time: float) -> None:
        from web3 import Web3

        from levstake.keeper import jobs
        from levstake.reads import Reader
        from levstake.txs import Builder

        self.w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
        self.reader = Reader.from_web3(self.w3, deployment)
        self.builder = Builder(deployment, self.reader.info)
        self.send = jobs.Web3Sender(self.w3, self.w3.eth.accounts[KEEPER])
        self.jobs = jobs
        # The keeper bot's round (levstake.keeper.keeper): upkeep, guard protects and liquidations.
        self.lines: list[str] = []
        self.keeper = keeper_round(
            self.w3, self.reader, self.builder, self.send, self.send.address, self.lines.append
        )
        self.clock = Clock(speed, time.monotonic())
        self.block_time = block_time
        self.next_block = time.monotonic() + block_time
        self.last_failure: str | None = None
        self.said: dict[str, None] = {}  # lines already printed, oldest first (at most SAID_KEPT)

    def tick(self) -> list[str]:
        """One round: a block when it is time (the clock moved on first), then the due jobs; returns what was
        done, one line each."""
        now = time.monotonic()
        if now >= self.next_block:
            seconds = self.clock.advance(now)
            if seconds:
                self.w3.provider.make_request("evm_increaseTime", [seconds])
            self.w3.provider.make_request("evm_mine", [])
            self.next_block = now + self.block_time
        from levstake.keeper.keeper import KeeperFailure

        try:
            self.keeper.on_block(self.reader.block())
        except KeeperFailure as error:
            self.lines.append(f"failed   {error}")
        lines, self.lines[:] = list(self.lines), []
        return lines

    def round(self) -> list[str]:
        """`tick`, whatever it raises: one failed round (a read that timed out on a busy machine, a block the
        node has not served yet) is a line, and the chain stays up for the next round. A failure repeated
        round after round is printed once until something else is printed."""
        try:
            lines = self.tick()
        except Exception as error:  # noqa: BLE001 - the devnet outlives its upkeep's failures
            lines = [f"failed   upkeep round: {one_line(error)}"]
        fresh = [line for line in lines if line != self.last_failure and line not in self.said]
        if lines:
            self.last_failure = lines[-1] if lines[-1].startswith("failed") else None
        # A round runs every half second, several per block: a line naming its block ("skip     block 287:
        # ...") is said once, not 15 to 23 times (an operator's walkthrough found upkeep lines buried).
        # Failures keep their own rule above: said again once something else was.
        self.said.update(dict.fromkeys(line for line in fresh if not line.startswith("failed")))
        for line in list(self.said)[: max(0, len(self.said) - SAID_KEPT)]:
            del self.said[line]
        return fresh


def keeper_round(w3: Any, reader: Any, builder: Any, send: Any, address: str, log: Any) -> Any:
    """The keeper of `levstake.keeper.keeper` sending with `send(tx)` from `address` (the devnet's unlocked
    keeper account, or an Ape account's sender), its gas estimated through `w3`."""
    from levstake.keeper.keeper import Keeper

    def estimate(tx: Any) -> tuple[int, int]:
        return int(w3.eth.estimate_gas(tx.as_rpc(address))), int(w3.eth.gas_price)

    keeper = Keeper(reader, builder, lambda tx, _gas: send(tx), estimate, log=log)
    keeper.start()
    return keeper


# ---------------------------------------------------------------- commands


def attach_hint(url: str) -> str:
    """How `ape run ... --network ethereum:local:foundry` reaches this devnet: ape-config.yaml names
    127.0.0.1:8545, and `APE_FOUNDRY_HOST` moves it."""
    configured = os.environ.get("APE_FOUNDRY_HOST") or f"http://{HOST}:{DEFAULT_PORT}"
    if configured.rstrip("/") == url:
        return "`ape run ... --network ethereum:local:foundry` attaches here"
    return (
        f"`--network ethereum:local:foundry` attaches here once `export APE_FOUNDRY_HOST={url}` is set in "
        "the shell that runs `ape` (ape-config.yaml names 127.0.0.1:8545)"
    )


def up(port: int, state: Path, speed: float, block_time: float) -> int:
    url = f"http://{HOST}:{port}"
    hint = attach_hint(url)  # before `deploy` points APE_FOUNDRY_HOST here for its own Ape session
    version = answering(url)
    if version is not None:
        if "anvil" in version.lower() and int(rpc(url, "eth_chainId"), 16) == CHAIN_ID:
            # The command that stops it names the state file it was started with (the default's stop
            # answered "not running" for a devnet started with another).
            marker = port_file(port)
            stop = stop_command(marker.read_text().strip()) if marker.exists() else "make devnet-stop"
            print(f"devnet   already running at {url}: {hint}; `{stop}` (or Ctrl-C where it runs) stops it")
            return 0
        raise DevnetError(f"{url} answers but is not a devnet ({version}): choose another --port")
    started = time.monotonic()
    resumed = state.exists()
    anvil = start_anvil(port, state)
    stopping = False

    def request_stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    # This process, then anvil: `stop` signals the first, and the second if the first is gone.
    pid_file(state).write_text(f"{os.getpid()} {anvil.pid}\n")
    port_file(port).parent.mkdir(parents=True, exist_ok=True)
    port_file(port).write_text(f"{state}\n")
    try:
        chain_time = restore_clock(url)
        block = int(rpc(url, "eth_blockNumber"), 16)
        print(
            f"devnet   anvil at {url} (chain {CHAIN_ID}), state {state}: "
            f"{'resumed at block ' + str(block) if resumed else 'new chain'}, chain time "
            f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime(chain_time))} UTC",
            flush=True,
        )
        path = default_path("ethereum", "local")
        deployment = matching_deployment(url, path)
        if deployment is None:
            print(
                f"deploy   the protocol is not on this chain: deploying, then writing {path} (a fresh clone "
                "compiles the contracts first: about a minute)",
                flush=True,
            )
            deployment = deploy(url, path)
            print(
                f"deployed router {deployment.contracts['router']}, market {deployment.contracts['market']}; "
                f"reward reserve {REWARD_RESERVE:,} X; TEST::{LENDER} lends {LENDER_SUPPLY:,} X and stakes "
                f"{LENDER_STAKE:,} X; the clock moved a day on so the first reward stream measures the APR",
                flush=True,
            )
        else:
            print(f"deployed {path} matches this chain (router {deployment.contracts['router']})", flush=True)
        upkeep = Upkeep(url, deployment, speed, block_time)
        pace = f"{speed:g} days of chain time per hour" if speed else "chain time as the wall clock"
        print(
            f"ready    in {time.monotonic() - started:.1f} s; {pace}, a block every {block_time:g} s, upkeep "
            f"by TEST::{KEEPER}. {hint}; Ctrl-C or `{stop_command(state)}` stops it (the state stays)",
            flush=True,
        )
        while not stopping:
            for line in upkeep.round():
                print(line, flush=True)
            if anvil.poll() is not None:
                raise DevnetError(f"anvil exited (code {anvil.returncode})")
            time.sleep(0.5)
    finally:
        stop_anvil(anvil)
        pid_file(state).unlink(missing_ok=True)
        port_file(port).unlink(missing_ok=True)
    print(f"stopped  state kept in {state}: `make devnet` resumes the same chain", flush=True)
    return 0


def stop(state: Path) -> int:
    path = pid_file(state)
    if not path.exists():
        running = {
            marker.name.removeprefix("port-"): Path(marker.read_text().strip())
            for marker in sorted(port_file(0).parent.glob("port-*"))
        }
        others = [
            f"port {port}: `{stop_command(started)}`"
            for port, started in running.items()
            # not this state file, and not one killed without its clean-up
            if started.resolve() != state.resolve() and _alive(pid_file(started))
        ]
        if not others:
            print("devnet   not running")
            return 0
        print(f"devnet   none runs with the state file {state}; running: {'; '.join(others)}")
        return 1
    devnet, anvil = (int(pid) for pid in path.read_text().split())
    try:
        os.kill(devnet, signal.SIGTERM)
    except ProcessLookupError:
        # The devnet process died without stopping its anvil: stop that one (it writes the state file).
        with contextlib.suppress(ProcessLookupError):  # gone too: nothing left to stop
            os.kill(anvil, signal.SIGINT)
        path.unlink(missing_ok=True)
        print("devnet   its process was gone; its anvil was asked to stop")
        return 0
    for _ in range(600):
        if not path.exists():
            print("devnet   stopped; the state file stays")
            return 0
        time.sleep(0.1)
    raise DevnetError(f"the devnet (pid {devnet}) did not stop within a minute")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m levstake.devnet", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up", help="start (or resume) the devnet")
    start.add_argument("--port", type=int, default=DEFAULT_PORT)
    start.add_argument("--state", type=Path, default=DEFAULT_STATE)
    start.add_argument(
        "--speed", type=float, default=0.0, help="days of chain time per real hour (0: real time)"
    )
    start.add_argument("--block-time", type=float, default=12.0, help="real seconds between empty blocks")
    halt = commands.add_parser("stop", help="stop a devnet started with `up` (its state stays)")
    halt.add_argument("--state", type=Path, default=DEFAULT_STATE)
    arguments = parser.parse_args(argv)
    try:
        if arguments.command == "up":
            return up(arguments.port, arguments.state, arguments.speed, arguments.block_time)
        return stop(arguments.state)
    except DevnetError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
