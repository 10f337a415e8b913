"""
One block subscription for every open page. The hub subscribes to new heads once (`eth_subscribe` over the
node's websocket, or polling `eth_blockNumber` where the node has none), and at each new block reads what the
open pages show (every connected account's snapshot in one batch), renders each page's live fragments once per
(page, account) and pushes them to every page that shows them (server-sent events). Pages never poll.

Blocks that arrive while a refresh runs are coalesced: the next refresh reads the newest.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from requests.exceptions import Timeout

from levstake.rpc import Block
from levstake.web.chain import Chain

log = logging.getLogger("levstake.web")
POLL_SECONDS = 0.25


def node_failure(error: BaseException) -> str:
    """What a page may be told of a failed read of the node: its kind, never the node's URL (`--rpc` may
    carry an API key)."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None)
    if status is not None:
        return f"the chain's node refused the read (HTTP {status})"
    if isinstance(error, Timeout | TimeoutError):
        return "the chain's node did not answer in time"
    return "the chain's node does not answer (on a devnet: is it running?)"


@dataclass(frozen=True)
class Topic:
    """What a page shows live: its name and the account it is for (None: no wallet)."""

    page: str
    account: str | None


class Client:
    """One open page: it only ever needs the newest payload, so an unread older one is replaced, and one of a
    block older than one offered already is dropped (a first payload read at the head just before a new block
    came, offered after that block's refresh, took the page a block back until the next block)."""

    def __init__(self, topic: Topic) -> None:
        self.topic = topic
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1)
        self.block = -1

    def offer(self, payload: str, block: int) -> None:
        if block < self.block:
            return
        self.block = block
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(payload)


Render = Callable[[Topic, Block], dict[str, str]]


class Hub:
    def __init__(self, chain: Chain, render: Render, ws_url: str | None) -> None:
        self.chain = chain
        self.render = render
        self.ws_url = ws_url
        self.clients: set[Client] = set()
        # Chain subscriptions open now (1 while the hub runs: every page is served from it).
        self.chain_subscriptions = 0
        self.mode = "starting"
        self.blocks_seen = 0
        self.refreshes = 0
        self.last_refresh_seconds = 0.0
        self.chain_changes = 0
        # Why the node does not answer, while it does not (None when it does): pushed to every page.
        self.node_down: str | None = None
        self._payloads: dict[Topic, tuple[tuple[int, int], str]] = {}  # (generation, block), payload
        self._wake = asyncio.Event()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="levstake-hub")
        self._tasks: list[asyncio.Task] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._tasks = [asyncio.create_task(self._subscription()), asyncio.create_task(self._refresher())]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------ pages

    def subscribe(self, topic: Topic) -> Client:
        client = Client(topic)
        self.clients.add(client)
        asyncio.create_task(self._first_payload(client))
        return client

    def unsubscribe(self, client: Client) -> None:
        self.clients.discard(client)

    async def _first_payload(self, client: Client) -> None:
        generation = self.chain.generation
        if self.node_down is not None:
            self._tell_down([client])
            return
        head = await asyncio.to_thread(self.chain.latest)
        cached = self._payloads.get(client.topic)
        if cached is not None and cached[0] == (generation, head.number):
            client.offer(cached[1], head.number)
            return
        loop = asyncio.get_running_loop()
        topics = {client.topic}
        payloads = await loop.run_in_executor(self._executor, self._payloads_for, topics, head, generation)
        if client.topic in payloads and self.chain.generation == generation:
            client.offer(payloads[client.topic], head.number)

    # ------------------------------------------------------------ the one subscription

    async def _subscription(self) -> None:
        while True:
            try:
                if self.ws_url:
                    await self._websocket()
                else:
                    await self._poll()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the node went away: say so, poll until it is back
                if self.node_down is None:  # once an outage, not once a second while it lasts
                    log.warning("block subscription lost (%s); polling", error)
                self.chain_subscriptions = 0
                try:
                    await asyncio.wait_for(self._poll(), timeout=5.0)
                except TimeoutError:
                    continue  # the node answered polls for 5 s: try its subscription again
                except asyncio.CancelledError:
                    raise
                except Exception as polled:  # noqa: BLE001 - polling fails too: the node is down
                    self._lost(polled)
                    await asyncio.sleep(1.0)

    async def _websocket(self) -> None:
        from websockets.asyncio.client import connect

        async with connect(self.ws_url, open_timeout=5, max_size=2**22) as socket:
            request = {"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}
            await socket.send(json.dumps(request))
            answer = json.loads(await socket.recv())
            if "error" in answer:
                raise OSError(f"eth_subscribe: {answer['error']}")
            self.chain_subscriptions, self.mode = 1, "eth_subscribe newHeads"
            await self._announce(await asyncio.to_thread(self.chain.reader.block))
            try:
                async for message in socket:
                    head = json.loads(message).get("params", {}).get("result")
                    if head:
                        await self._announce(Block(int(head["number"], 16), int(head["timestamp"], 16)))
            finally:
                self.chain_subscriptions = 0

    async def _poll(self) -> None:
        self.chain_subscriptions, self.mode = 1, "polling eth_getBlockByNumber"
        try:
            last = -1
            while True:
                block = await asyncio.to_thread(self.chain.reader.block)
                if block.number != last:
                    last = block.number
                    await self._announce(block)
                await asyncio.sleep(POLL_SECONDS)
        finally:
            self.chain_subscriptions = 0

    def _lost(self, error: BaseException) -> None:
        """The node does not answer: every open page is told at once (its figures stay the last block's and
        it sends nothing), and again only after a block came in between."""
        if self.node_down is not None:
            return
        self.node_down = node_failure(error)
        log.warning("%s: pages are told, and greyed until a block comes", self.node_down)
        self._tell_down(list(self.clients))

    def _tell_down(self, clients: list[Client]) -> None:
        """Offer `clients` the node's absence, at the last block read."""
        block = self.chain.head.number if self.chain.head else 0
        body = {"block": block, "chain": self.chain.generation, "node": "down", "error": self.node_down}
        payload = json.dumps(body)
        for client in clients:
            client.offer(payload, block)

    async def _announce(self, block: Block) -> None:
        self.blocks_seen += 1
        self.node_down = None
        if await asyncio.to_thread(self.chain.follow, block):
            # Another chain: its block numbers start over, so no payload of the old one may stand for them.
            log.warning("another chain (a new first block, at block %s): pages start over", block.number)
            self.chain_changes += 1
            self._payloads.clear()
            for client in self.clients:
                client.block = -1
        self.advance(block)

    def advance(self, block: Block) -> None:
        """`block` is the newest (the subscription's, or one a receipt named first): previews read it from
        now on and the pages get its fragments. Thread-safe: the refresher is woken from the event loop."""
        self.chain.set_head(block)
        if self._loop is None:
            self._wake.set()
        else:
            self._loop.call_soon_threadsafe(self._wake.set)

    # ------------------------------------------------------------ refreshes

    async def _refresher(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            generation = self.chain.generation
            head = self.chain.latest()
            topics = {client.topic for client in self.clients}
            if not topics:
                continue
            started = time.perf_counter()
            try:
                payloads = await loop.run_in_executor(
                    self._executor, self._payloads_for, topics, head, generation
                )
            except Exception as error:  # noqa: BLE001 - one bad block must not stop the pushes
                log.exception("refresh at block %s failed", head.number)
                body = {"block": head.number, "chain": generation, "error": str(error)}
                payloads = {t: json.dumps(body) for t in topics}
            self.last_refresh_seconds = time.perf_counter() - started
            self.refreshes += 1
            if self.chain.generation != generation:
                continue  # read on the chain the node served before: the new chain's refresh is due already
            for client in list(self.clients):
                payload = payloads.get(client.topic)
                if payload is not None:
                    client.offer(payload, head.number)
            shown = {client.topic for client in self.clients}
            for topic in [topic for topic in self._payloads if topic not in shown]:
                self._payloads.pop(topic, None)

    def _payloads_for(self, topics: set[Topic], head: Block, generation: int) -> dict[Topic, str]:
        """Each topic's fragments at `head` of the chain's `generation`, every account's snapshot read in one
        batch first."""
        self.chain.snapshots([None, *{topic.account for topic in topics if topic.account}], head)
        payloads = {}
        for topic in topics:
            cached = self._payloads.get(topic)
            if cached is not None and cached[0] == (generation, head.number):
                payloads[topic] = cached[1]
                continue
            try:
                body = {"block": head.number, "chain": generation, "html": self.render(topic, head)}
            except Exception as error:  # noqa: BLE001 - shown on that page, the others go on
                log.exception("rendering %s at block %s failed", topic, head.number)
                body = {"block": head.number, "chain": generation, "error": str(error)}
            payloads[topic] = json.dumps(body)
            self._payloads[topic] = ((generation, head.number), payloads[topic])
        return payloads
