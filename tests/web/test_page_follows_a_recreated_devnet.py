"""
A devnet recreated without its state under a running page server. The new chain's block numbers start over, so
a server whose head only goes forward, with caches keyed by block number, kept showing the old chain until the
new one passed the old height (a Known gap until the twenty-eighth session). The server now notices another
chain by its first block: its head, its caches and the pages it pushes to start over on the new chain.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import Devnet, WebServer

OLD_CHAIN_BLOCKS = 40


def wait_for(what: str, check: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def listen(url: str, pushed: queue.Queue[int]) -> None:
    """The block of every payload the page's event stream pushes, as a browser's EventSource gets them."""
    with urllib.request.urlopen(url, timeout=300) as stream:
        for raw in stream:
            line = raw.decode().strip()
            if line.startswith("data:"):
                pushed.put(json.loads(line[5:])["block"])


def test_a_page_server_follows_a_devnet_recreated_without_its_state(tmp_path: Path) -> None:
    devnet = Devnet(tmp_path)
    devnet.start()
    server = WebServer(devnet)
    try:
        server.start()
        deployment = json.loads(devnet.deployment_path.read_text())
        for _ in range(OLD_CHAIN_BLOCKS):
            old_height = devnet.mine()
        wait_for("the old chain's head", lambda: server.get("/api/status")[1]["block"] == old_height)
        pushed: queue.Queue[int] = queue.Queue()
        events = f"{server.url}/events?page=market"
        threading.Thread(target=listen, args=(events, pushed), daemon=True).start()
        wait_for("a push at the old head", lambda: pushed.get(timeout=30) == old_height)

        devnet.stop()
        (tmp_path / "anvil-state.json").unlink()
        devnet.start()  # the same port, a new chain: deployed again by the same accounts
        new_height = int(devnet.call("eth_blockNumber"), 16)
        assert new_height < old_height
        assert json.loads(devnet.deployment_path.read_text())["contracts"] == deployment["contracts"]

        status = wait_for(
            "the server on the new chain",
            lambda: (s := server.get("/api/status")[1])["block"] <= new_height + 1 and s,
        )
        assert status["chain_changes"] == 1
        code, fragments = server.get("/api/fragments?page=market")
        assert code == 200 and fragments["block"] <= new_height + 1
        # The page that stayed open gets the new chain's blocks, though their numbers are below what it had.
        later = devnet.mine()
        wait_for(f"a push of block {later} of the new chain", lambda: pushed.get(timeout=30) == later)
    finally:
        server.stop()
        devnet.stop()
