"""
`make bench`'s web figures, measured on a devnet and a web server of their own (tests/web/harness.py):

1. a preview request (`GET /api/preview/open`, 10 X at 50x for a funded account): median and 90th percentile
   of 50, at one block (the slider moving between two blocks: the block's snapshot is cached) and with a new
   block before each request (the snapshot read from the chain first);
2. a new block reaching an open page (Chromium, the Position page of an account with a position): from
   `evm_mine` returning to the page's block number changing, without a reload; median and max of 10;
3. 50 open pages (server-sent-event clients) served from one chain subscription: the server's own count of
   subscriptions and pages, and how long after `evm_mine` the last of the 50 had the new block.

    python tests/web/bench_web.py
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from eth_account import Account

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import DEV_KEYS, Devnet, WebServer, launch_browser  # noqa: E402

from levstake.deployment import Deployment  # noqa: E402

ACCOUNT = Account.from_key(DEV_KEYS[3]).address
PAGES = 50


def timed_get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        assert response.status == 200
    return time.perf_counter() - started


def previews(devnet: Devnet, server: WebServer) -> None:
    url = f"{server.url}/api/preview/open?amount=10&leverage=50&account={ACCOUNT}&chain=31337"
    timed_get(url)
    warm = [timed_get(url) for _ in range(50)]
    cold = []
    for _ in range(50):
        devnet.mine()
        time.sleep(0.05)  # the subscription announces it; the snapshot is not read yet
        cold.append(timed_get(url))
    for name, times in (("same block", warm), ("new block each", cold)):
        ms = sorted(t * 1000 for t in times)
        print(
            f"preview  {name:14}: median {statistics.median(ms):6.1f} ms, p90 {ms[44]:6.1f} ms, "
            f"max {ms[-1]:6.1f} ms"
        )


def open_position(devnet: Devnet, deployment: Deployment) -> None:
    """10 X at 20x for ACCOUNT through the server's own endpoints, anvil signing (as the page would)."""
    from harness import rpc, wait_receipt

    body = {"account": ACCOUNT, "chain": "31337", "amount": "10", "leverage": "20", "accept": "1"}
    answer = _post(f"{SERVER.url}/api/tx/open", body)
    if "sign" in answer:
        signatures = {
            w["kind"]: rpc(devnet.url, "eth_signTypedData_v4", [ACCOUNT, w["typed_data"]])
            for w in answer["sign"]
        }
        answer = _post(
            f"{SERVER.url}/api/tx/open", {**body, "signatures": signatures, "deadline": answer["deadline"]}
        )
    assert "calls" in answer, answer
    for call in answer["calls"]:
        tx = {"from": ACCOUNT, "to": call["to"], "data": call["data"], "value": call["value"]}
        wait_receipt(devnet.url, rpc(devnet.url, "eth_sendTransaction", [tx]))


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())


def block_to_page(devnet: Devnet, server: WebServer) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        page = browser.new_page()
        page.goto(f"{server.url}/position?account={ACCOUNT}")
        page.wait_for_selector("[data-position]")
        page.wait_for_timeout(500)
        times = []
        for _ in range(10):
            number = devnet.mine()
            mined = time.perf_counter()
            page.wait_for_function(
                "(n) => document.querySelector('[data-position]')?.dataset.block === n",
                arg=str(number),
                timeout=10_000,
            )
            times.append(time.perf_counter() - mined)
            page.wait_for_timeout(200)
        browser.close()
    ms = sorted(t * 1000 for t in times)
    print(
        f"block -> open page (position re-rendered): median {statistics.median(ms):6.1f} ms, "
        f"max {ms[-1]:6.1f} ms"
    )


def many_pages(devnet: Devnet, server: WebServer) -> None:
    latest: dict[int, int] = {}
    arrived: dict[int, float] = {}
    lock = threading.Lock()
    target = {"block": -1}

    def listen(index: int) -> None:
        with urllib.request.urlopen(f"{server.url}/events?page=market", timeout=60) as stream:
            for raw in stream:
                line = raw.decode().strip()
                if line.startswith("data:"):
                    block = json.loads(line[5:])["block"]
                    with lock:
                        latest[index] = block
                        if block == target["block"] and index not in arrived:
                            arrived[index] = time.perf_counter()

    for index in range(PAGES):
        threading.Thread(target=listen, args=(index,), daemon=True).start()
    deadline = time.monotonic() + 30
    while len(latest) < PAGES and time.monotonic() < deadline:
        time.sleep(0.1)
    with urllib.request.urlopen(f"{server.url}/api/status") as response:
        status = json.loads(response.read())
    target["block"] = int(devnet.call("eth_blockNumber"), 16) + 1
    devnet.mine()
    mined = time.perf_counter()
    while len(arrived) < PAGES and time.monotonic() < deadline + 10:
        time.sleep(0.01)
    last = max(arrived.values()) - mined if arrived else float("nan")
    print(
        f"{PAGES} pages: server counts {status['open_pages']} open pages on "
        f"{status['chain_subscriptions']} chain subscription ({status['subscription']}); "
        f"{len(arrived)}/{PAGES} had the next block, the last "
        f"{last * 1000:.0f} ms after evm_mine"
    )


SERVER: WebServer


def main() -> int:
    global SERVER
    with tempfile.TemporaryDirectory() as folder:
        devnet = Devnet(Path(folder))
        devnet.start()
        try:
            deployment = Deployment.load(devnet.deployment_path)
            devnet.start_rewards(deployment)
            SERVER = WebServer(devnet)
            SERVER.start()
            try:
                open_position(devnet, deployment)
                previews(devnet, SERVER)
                block_to_page(devnet, SERVER)
                many_pages(devnet, SERVER)
            finally:
                SERVER.stop()
        finally:
            devnet.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
