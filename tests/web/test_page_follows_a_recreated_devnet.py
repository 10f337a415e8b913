"""
A devnet stopped, then recreated without its state, under a running page server and an open page.

While the node does not answer, the page must not look live: the server pushes that it is down, the live dot
greys, a notice says the figures are the last block's, and nothing can be sent. A recreated chain's block
numbers start over, so a server whose head only went forward, with caches keyed by block number, kept showing
the old chain until the new one passed the old height, and the page dropped every push of a lower block (a
Known gap until the twenty-eighth session). The server now notices another chain by its first block: its head,
its caches and the pages it pushes to start over on the new chain.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from harness import ROOT, Devnet, WebServer, launch_browser

playwright_api = pytest.importorskip("playwright.sync_api")
SHOTS = Path(os.environ.get("LEVSTAKE_WEB_SHOTS", ROOT / ".cache" / "web-shots"))
OLD_CHAIN_BLOCKS = 40


def wait_for(what: str, check: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_page_greys_while_the_node_is_down_and_follows_a_devnet_recreated_without_its_state(
    tmp_path: Path,
) -> None:
    devnet = Devnet(tmp_path)
    devnet.start()
    server = WebServer(devnet)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as playwright:
        browser = launch_browser(playwright)
        try:
            server.start()
            deployment = json.loads(devnet.deployment_path.read_text())
            for _ in range(OLD_CHAIN_BLOCKS):
                old_height = devnet.mine()
            wait_for("the old chain's head", lambda: server.get("/api/status")[1]["block"] == old_height)
            page = browser.new_page()
            page.goto(f"{server.url}/open")
            body = page.locator("body")
            playwright_api.expect(body).to_have_attribute("data-block", str(old_height))
            playwright_api.expect(body).not_to_have_attribute("data-node", "down")

            devnet.stop()
            playwright_api.expect(body).to_have_attribute("data-node", "down", timeout=30_000)
            notice = page.locator("#notice")
            playwright_api.expect(notice).to_contain_text("The chain's node does not answer")
            playwright_api.expect(notice).to_contain_text(f"as of block {old_height}")
            assert str(devnet.port) not in notice.inner_text()  # never the node's URL: it may carry a key
            playwright_api.expect(page.locator(".dot-live")).to_have_attribute(
                "title", "not live: the chain's node does not answer"
            )
            playwright_api.expect(page.locator("#open-form [data-submit]")).to_be_disabled()
            page.screenshot(path=str(SHOTS / "node-down.png"), full_page=True)

            (tmp_path / "anvil-state.json").unlink()
            devnet.start()  # the same port, a new chain: deployed again by the same accounts
            new_height = int(devnet.call("eth_blockNumber"), 16)
            assert new_height < old_height
            assert json.loads(devnet.deployment_path.read_text())["contracts"] == deployment["contracts"]
            status = wait_for(
                "the server on the new chain",
                lambda: (found := server.get("/api/status")[1])["block"] <= new_height + 1 and found,
            )
            assert status["chain_changes"] == 1
            code, fragments = server.get("/api/fragments?page=market")
            assert code == 200 and fragments["block"] <= new_height + 1
            # The page that stayed open is live again, on the new chain's blocks (lower numbers).
            later = devnet.mine()
            playwright_api.expect(body).to_have_attribute("data-block", str(later), timeout=30_000)
            playwright_api.expect(body).not_to_have_attribute("data-node", "down")
            playwright_api.expect(notice).to_be_hidden()
            # The slider follows the typed leverage again (a max of 1x while the new chain had no liquidity
            # clamped it).
            typed = page.locator("#open-form [data-leverage-input]").input_value()
            playwright_api.expect(page.locator("#open-form [data-leverage-slider]")).to_have_value(typed)
            page.screenshot(path=str(SHOTS / "node-back-on-a-new-chain.png"), full_page=True)
        finally:
            browser.close()
            server.stop()
            devnet.stop()
