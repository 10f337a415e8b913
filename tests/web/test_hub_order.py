"""
The hub's pushes go forward in blocks for each page: a page's first payload is read at the head it saw when it
subscribed, and a block that came meanwhile was refreshed and offered first; the older payload offered after
it took the page a block back (its figures stale until the next block, which a test may never mine).
"""

from __future__ import annotations

import asyncio
import json
import threading

from levstake.rpc import Block
from levstake.web.hub import Hub, Topic


class SlowFirstRead:
    """A chain whose first `latest` (the new page's) is read at block 1 and answers only once let go."""

    def __init__(self) -> None:
        self.generation = 0
        self.head = Block(1, 0)
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.first = True

    def latest(self) -> Block:
        if self.first:
            self.first = False
            head = self.head
            self.entered.set()
            assert self.gate.wait(10)
            return head
        return self.head

    def set_head(self, block: Block) -> None:
        self.head = block

    def snapshots(self, accounts: object, block: Block | None = None) -> None:
        return None


def test_a_first_payload_read_before_a_new_block_is_not_pushed_after_it() -> None:
    async def scenario() -> list[int]:
        chain = SlowFirstRead()
        hub = Hub(chain, lambda topic, head: {"live-head": f"block {head.number}"}, None)  # type: ignore[arg-type]
        refresher = asyncio.create_task(hub._refresher())
        client = hub.subscribe(Topic("market", None))
        assert await asyncio.to_thread(chain.entered.wait, 10)  # the first read is under way, at block 1
        hub.advance(Block(2, 12))
        pushed = [json.loads(await asyncio.wait_for(client.queue.get(), 10))["block"]]
        chain.gate.set()  # the first read answers: block 1, after block 2 was pushed
        others = [task for task in asyncio.all_tasks() if task not in (refresher, asyncio.current_task())]
        await asyncio.gather(*others)
        while not client.queue.empty():
            pushed.append(json.loads(client.queue.get_nowait())["block"])
        refresher.cancel()
        await hub.stop()
        return pushed

    assert asyncio.run(scenario()) == [2]
