"""
A chain for the keeper bot's end-to-end tests: anvil on a free port with the protocol deployed as
`make devnet` deploys it (a lender supplying 100,000 X), an RPC proxy in front of it that can be told to fail
or stall, and keeper bots run as `silverback run` processes (what `make keeper` runs) whose lines the tests
read.
"""

from __future__ import annotations

import http.server
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from web3 import Web3

from levstake.deployment import Deployment
from levstake.devnet import BALANCE_ETHER, MNEMONIC, anvil_binary, free_port
from levstake.keeper.jobs import Web3Sender
from levstake.reads import Reader
from levstake.txs import Builder, TxRequest

ROOT = Path(__file__).resolve().parents[2]
WAD = 10**18


class Proxy:
    """JSON-RPC passed on to `target`; `mode` "error" answers HTTP 502, "hang" holds each request until the
    mode changes back, "pair" holds a transaction until a second one arrives (3 s at most) and then passes
    both: two bots that read the same block both send before either transaction is mined."""

    def __init__(self, target: str) -> None:
        self.target, self.mode, self.requests = target, "pass", 0
        self.pairing = threading.Condition()
        self.held, self.generation = 0, 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                proxy.requests += 1
                while proxy.mode == "hang":
                    time.sleep(0.05)
                if proxy.mode == "pair" and b"eth_sendRawTransaction" in body:
                    proxy.pair()
                if proxy.mode == "error":
                    self.send_response(502)
                    self.end_headers()
                    return
                request = urllib.request.Request(proxy.target, body, {"Content-Type": "application/json"})
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        data = answer.read()
                except (urllib.error.URLError, OSError):
                    self.send_response(502)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def pair(self) -> None:
        with self.pairing:
            generation = self.generation
            self.held += 1
            if self.held >= 2:
                self.generation, self.held = self.generation + 1, 0
                self.pairing.notify_all()
                return
            if not self.pairing.wait_for(lambda: self.generation != generation, timeout=3):
                self.held = 0  # nobody came: it goes alone

    def close(self) -> None:
        self.mode = "pass"
        self.server.shutdown()


class Bot:
    """`silverback run levstake.keeper.bot:bot` against `url` with a test account; its output is collected."""

    def __init__(self, url: str, deployments: Path, signer: int, home: Path, name: str) -> None:
        env = {
            **os.environ,
            "APE_FOUNDRY_HOST": url,
            "LEVSTAKE_DEPLOYMENTS": str(deployments),
            "SILVERBACK_SIGNER_ALIAS": f"TEST::{signer}",
            "SILVERBACK_BOT_NAME": name,
            "LEVSTAKE_KEEPER_POLL": "0.2",
            "PYTHONUNBUFFERED": "1",
        }
        self.lines: list[str] = []
        # LEVSTAKE_KEEPER_TEST_LOG=DIR keeps each bot's output there (to read what a failing test saw).
        folder = os.environ.get("LEVSTAKE_KEEPER_TEST_LOG")
        self.log_path = Path(folder) / f"{name}.log" if folder else None
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "silverback"),
                "run",
                "levstake.keeper.bot:bot",
                "--network",
                "ethereum:local:foundry",
                "--runner",
                "levstake.keeper.runner:KeeperRunner",
            ],
            cwd=home,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip())
            if self.log_path is not None:
                with open(self.log_path, "a") as log:
                    log.write(line)

    def wait_for(self, text: str, timeout: float = 60, start: int = 0) -> str:
        """The first line from `start` on containing `text`."""
        ends = time.monotonic() + timeout
        while time.monotonic() < ends:
            for line in self.lines[start:]:
                if text in line:
                    return line
            assert self.process.poll() is None, "the bot stopped:\n" + "\n".join(self.lines[-40:])
            time.sleep(0.05)
        raise AssertionError(f"no line with {text!r} within {timeout} s:\n" + "\n".join(self.lines[-40:]))

    def handled(self, block_hash: str) -> bool:
        """Whether the block handler finished the block with this hash (Silverback's completion line, which
        gives the time taken: "on_block[block=0x...] - 0.123s")."""
        done = re.compile(re.escape(f"on_block[block={block_hash}] - ") + r"[\d.]+s")
        return any(done.search(line) for line in self.lines[-300:])

    def text(self) -> str:
        return "\n".join(self.lines)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class World:
    """Anvil with the protocol on it, a proxy in front, web3 access with anvil's unlocked dev accounts."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.anvil = subprocess.Popen(
            # The devnet's accounts and balances, but gas is priced (1 gwei base fee) so the keeper's
            # "profit covers the gas" rule has a cost to cover.
            [
                anvil_binary(),
                "--port",
                str(self.port),
                "--host",
                "127.0.0.1",
                "--silent",
                "--balance",
                str(BALANCE_ETHER),
                "--mnemonic",
                MNEMONIC,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 30}))
        for _ in range(100):
            if self.w3.is_connected():
                break
            time.sleep(0.1)
        self.deployments = home / "deployments"
        path = self.deployments / "ethereum-local.json"
        env = {**os.environ, "LEVSTAKE_DEPLOYMENTS": str(self.deployments)}
        deployed = subprocess.run(
            [sys.executable, "-c", f"from pathlib import Path; from levstake.devnet import deploy; "
             f"deploy({self.url!r}, Path({str(path)!r}))"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )  # fmt: skip
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        self.deployment = Deployment.load(path)
        self.reader = Reader.from_web3(self.w3, self.deployment)
        self.builder = Builder(self.deployment, self.reader.info)
        self.accounts = self.w3.eth.accounts
        self.proxy = Proxy(self.url)
        self.bots: list[Bot] = []

    def send(self, account: int, tx: TxRequest) -> Any:
        return Web3Sender(self.w3, self.accounts[account])(tx)

    def call(self, key: str, function: str, *args: Any) -> Any:
        return self.reader.call_many([(key, function, args)])[0]

    def mine(self, seconds: int = 0) -> str:
        """A block `seconds` later; its hash."""
        if seconds:
            self.w3.provider.make_request("evm_increaseTime", [seconds])
        self.w3.provider.make_request("evm_mine", [])
        return "0x" + bytes(self.w3.eth.get_block("latest")["hash"]).hex()

    def settle(self, *bots: Bot, timeout: float = 30) -> None:
        """Wait until every bot has handled the head and the head stays (a bot's own transaction mines a
        block, which it handles next; the runner hands over only the newest block of several)."""
        ends = time.monotonic() + timeout
        while time.monotonic() < ends:
            head = "0x" + bytes(self.w3.eth.get_block("latest")["hash"]).hex()
            if all(bot.handled(head) for bot in bots):
                time.sleep(0.3)
                if "0x" + bytes(self.w3.eth.get_block("latest")["hash"]).hex() == head:
                    return
            for bot in bots:
                assert bot.process.poll() is None, "a bot stopped:\n" + "\n".join(bot.lines[-40:])
            time.sleep(0.05)
        raise AssertionError("the bots did not settle:\n" + "\n".join(bots[0].lines[-40:]))

    def bot(self, signer: int, name: str = "keeper") -> Bot:
        started = Bot(self.proxy.url, self.deployments, signer, ROOT, name)
        self.bots.append(started)
        return started

    def close(self) -> None:
        for bot in self.bots:
            bot.stop()
        self.proxy.close()
        self.anvil.terminate()
        self.anvil.wait(timeout=20)
