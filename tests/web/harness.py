"""
What the browser tests and `make bench` share: a devnet of their own (`python -m levstake.devnet up` on a free
port, with its own state file and deployment folder, never 8545), the web server over it, and an injected
EIP-1193 wallet for Playwright's Chromium.

The wallet is announced through EIP-6963 by an init script; its `request` goes through `expose_function` to
Python, which answers the wallet-only methods itself (accounts, chain switching, EIP-5792 batches when asked
to emulate them) and forwards everything else to anvil, which signs `eth_signTypedData_v4` and sends
`eth_sendTransaction` for its unlocked dev accounts. So the page's own signing path runs end to end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from levstake.devnet import free_port

ROOT = Path(__file__).resolve().parents[2]
CHAIN_ID = 31337
DAY = 86_400
# The devnet's dev accounts (anvil's mnemonic): the keys are public, devnet only.
DEV_KEYS = {
    3: "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    4: "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    5: "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    6: "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
}
BROWSER = "/usr/bin/chromium"


def rpc(url: str, method: str, params: list[Any] | None = None) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


def rpc_raw(url: str, payload: dict[str, Any]) -> dict[str, Any]:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, **payload}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def wait_receipt(url: str, tx_hash: str, timeout: float = 30) -> dict[str, Any]:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        receipt = rpc(url, "eth_getTransactionReceipt", [tx_hash])
        if receipt:
            assert int(receipt["status"], 16) == 1, receipt
            return receipt
        time.sleep(0.05)
    raise AssertionError(f"no receipt for {tx_hash}")


class Devnet:
    """`python -m levstake.devnet up` on a free port, state and deployments in `folder`; no automatic blocks
    (the tests mine when they mean to), the devnet's upkeep still running."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.deployments = folder / "deployments"
        self.deployment_path = self.deployments / "ethereum-local.json"
        self.env = {
            **os.environ,
            "LEVSTAKE_DEPLOYMENTS": str(self.deployments),
            "APE_FOUNDRY_HOST": self.url,
            "APE_DATA_FOLDER": os.environ.get("APE_DATA_FOLDER", str(ROOT / ".cache" / "ape")),
        }
        self.process: subprocess.Popen | None = None
        self.log = folder / "devnet.log"

    def start(self, timeout: float = 300) -> float:
        started = time.monotonic()
        # Into a file, not a pipe: nobody reads a pipe once the devnet is ready, and a full one stalls its
        # upkeep; the file is also what a failing test shows (`tail`).
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "levstake.devnet", "up", "--port", str(self.port), "--state",
                 str(self.folder / "anvil-state.json"), "--block-time", "100000"],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
        while not any(line.startswith("ready") for line in self.lines()):
            if self.process.poll() is not None:
                raise AssertionError("the devnet stopped before it was ready:\n" + self.tail())
            assert time.monotonic() - started < timeout, self.tail()
            time.sleep(0.2)
        return time.monotonic() - started

    def lines(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def tail(self, count: int = 60) -> str:
        return "\n".join(self.lines()[-count:])

    def assert_running(self) -> None:
        """The devnet (and so its anvil) is still up; if not, its last lines say why."""
        assert self.process is not None and self.process.poll() is None, (
            f"the devnet stopped (code {self.process and self.process.returncode}):\n{self.tail()}"
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)

    def call(self, method: str, *params: Any) -> Any:
        return rpc(self.url, method, list(params))

    def mine(self) -> int:
        self.call("evm_mine")
        return int(self.call("eth_blockNumber"), 16)

    def advance(self, seconds: int) -> None:
        self.call("evm_increaseTime", seconds)
        self.mine()

    def send(self, sender: str, to: str, data: bytes, value: int = 0) -> dict[str, Any]:
        # A fixed gas limit, as the test wallet has: anvil estimates before the devnet's keeper may land
        # a transaction of its own, and the path run then costs more (a rebalance ran out at 110,180 of
        # 110,637 gas).
        tx = {"from": sender, "to": to, "data": "0x" + data.hex(), "value": hex(value), "gas": hex(3_000_000)}
        return wait_receipt(self.url, self.call("eth_sendTransaction", tx))

    def start_rewards(self, deployment: Any) -> None:
        """Two days pass and the LST counts them, so a reward stream runs (a new devnet measures ~0%)."""
        self.advance(2 * DAY)
        keeper = self.call("eth_accounts")[9]
        self.send(keeper, deployment.contracts["lst"], deployment.abi("lst").encode("sync_rewards"))


class WebServer:
    """`python -m levstake.web` over the devnet on a free port."""

    def __init__(self, devnet: Devnet, extra: list[str] | None = None) -> None:
        self.devnet = devnet
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra = extra or []
        self.process: subprocess.Popen | None = None
        self.log = devnet.folder / f"web-{self.port}.log"

    def start(self, timeout: float = 60) -> float:
        started = time.monotonic()
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "levstake.web", "--rpc", self.devnet.url, "--deployment",
                 str(self.devnet.deployment_path), "--port", str(self.port), *self.extra],
                cwd=ROOT, env=self.devnet.env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        while time.monotonic() - started < timeout:
            assert self.process.poll() is None, self.log.read_text()
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2) as response:
                    if json.loads(response.read()).get("chain_subscriptions") == 1:
                        return time.monotonic() - started
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("the web server did not start:\n" + self.log.read_text())

    def get(self, path: str) -> tuple[int, Any]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def post(self, path: str, body: Any, raw: bytes | None = None) -> tuple[int, Any]:
        data = raw if raw is not None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data, {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


# The page's side of the injected wallet: an EIP-1193 provider announced through EIP-6963 (and not as
# window.ethereum, so the page's discovery is what finds it). `__WALLET__` is replaced by its options.
WALLET_SCRIPT = """
(() => {
  const options = __WALLET__;
  const listeners = {};
  const emit = (name, value) => (listeners[name] || []).forEach((listener) => listener(value));
  const provider = {
    isLevstakeTestWallet: true,
    async request({ method, params }) {
      const answer = await window.levstakeWallet(JSON.stringify({ method, params: params || [] }));
      const parsed = JSON.parse(answer);
      if (parsed.error) {
        const error = new Error(parsed.error.message);
        error.code = parsed.error.code;
        error.data = parsed.error.data;
        throw error;
      }
      if (method === "wallet_switchEthereumChain") emit("chainChanged", parsed.chainId);
      return parsed.result;
    },
    on(name, listener) { (listeners[name] = listeners[name] || []).push(listener); },
    removeListener(name, listener) {
      listeners[name] = (listeners[name] || []).filter((l) => l !== listener);
    },
  };
  const icon = "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'/>";
  const info = { uuid: options.uuid, name: options.name, icon, rdns: options.rdns };
  const detail = Object.freeze({ info, provider });
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
"""


@dataclass
class Wallet:
    """The Python side of the injected wallet: one dev account of the devnet's anvil."""

    devnet_url: str
    account: str
    chain_id: int = CHAIN_ID
    batch: bool = False  # emulate EIP-5792 (anvil has no wallet_* methods)
    name: str = "Test Wallet"
    known_chains: set[int] = field(default_factory=lambda: {1})
    calls: list[tuple[str, Any]] = field(default_factory=list)
    before_send: Callable[[dict[str, Any]], None] | None = None
    batches: dict[str, list[str]] = field(default_factory=dict)

    def install(self, context: Any) -> None:
        options = {
            "uuid": f"test-{self.account}-{self.chain_id}",
            "name": self.name,
            "rdns": "org.levstake.test",
        }
        context.expose_function("levstakeWallet", self.handle)
        context.add_init_script(WALLET_SCRIPT.replace("__WALLET__", json.dumps(options)))

    def sent(self, method: str) -> list[Any]:
        return [params for name, params in self.calls if name == method]

    def handle(self, payload: str) -> str:
        request = json.loads(payload)
        method, params = request["method"], request.get("params") or []
        self.calls.append((method, params))
        try:
            return json.dumps(self._answer(method, params))
        except Exception as error:  # noqa: BLE001 - the page sees what a wallet would answer
            return json.dumps({"error": {"code": -32603, "message": str(error)}})

    def _answer(self, method: str, params: list[Any]) -> dict[str, Any]:
        if method in ("eth_requestAccounts", "eth_accounts"):
            return {"result": [self.account]}
        if method == "eth_chainId":
            return {"result": hex(self.chain_id)}
        if method == "wallet_switchEthereumChain":
            target = int(params[0]["chainId"], 16)
            if target not in self.known_chains:
                return {
                    "error": {"code": 4902, "message": "Unrecognized chain ID. Try adding the chain first."}
                }
            self.chain_id = target
            return {"result": None, "chainId": hex(target)}
        if method == "wallet_addEthereumChain":
            self.known_chains.add(int(params[0]["chainId"], 16))
            return {"result": None}
        if self.batch and method == "wallet_getCapabilities":
            return {"result": {hex(CHAIN_ID): {"atomic": {"status": "unsupported"}}}}
        if self.batch and method == "wallet_sendCalls":
            hashes = [self._send({"from": self.account, **call}) for call in params[0]["calls"]]
            batch_id = "0x" + os.urandom(32).hex()
            self.batches[batch_id] = hashes
            return {"result": {"id": batch_id}}
        if self.batch and method == "wallet_getCallsStatus":
            receipts = [
                rpc(self.devnet_url, "eth_getTransactionReceipt", [h]) for h in self.batches[params[0]]
            ]
            # Anvil mines an automined transaction just after answering its hash: until every call has a
            # receipt the batch is pending (100), as EIP-5792 says, and its receipts are the ones mined.
            mined = [r for r in receipts if r is not None]
            failed = any(int(r["status"], 16) != 1 for r in mined)
            code = 100 if len(mined) < len(receipts) else 500 if failed else 200
            return {"result": {"version": "2.0.0", "id": params[0], "chainId": hex(CHAIN_ID), "atomic": False,
                               "status": code, "receipts": mined}}  # fmt: skip
        if method.startswith("wallet_"):
            pass  # anvil answers "method not found", as a wallet without EIP-5792 would
        elif self.chain_id != CHAIN_ID and method in ("eth_sendTransaction", "eth_signTypedData_v4"):
            return {"error": {"code": 4100, "message": f"the test wallet is on chain {self.chain_id}"}}
        if method == "eth_sendTransaction":
            return {"result": self._send(params[0])}
        answer = rpc_raw(self.devnet_url, {"method": method, "params": params})
        return {"error": answer["error"]} if "error" in answer else {"result": answer["result"]}

    def _send(self, tx: dict[str, Any]) -> str:
        # Like a wallet the user told to send anyway: a fixed gas limit, so a transaction that reverts is
        # mined (and the page shows the reason) instead of failing at the wallet's estimate.
        tx = {"gas": hex(3_000_000), **tx}
        if self.before_send is not None:
            hook, self.before_send = self.before_send, None
            hook(tx)
        return rpc(self.devnet_url, "eth_sendTransaction", [tx])


def launch_browser(playwright: Any) -> Any:
    return playwright.chromium.launch(
        executable_path=BROWSER,
        args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
    )
