"""
`KeeperRunner`: Silverback's polling runner with the faults a keeper must survive handled (`silverback run ...
--runner levstake.keeper.runner:KeeperRunner`). Silverback 0.7.38's `PollingRunner` polls through Ape's
`poll_blocks`, which on a local network asks for the head in a loop without pause (block time 0), stops the
bot when no block comes for 10 s (a devnet mines one every 12 s) and ends on the first RPC error. This one:

- asks for the head every `LEVSTAKE_KEEPER_POLL` seconds (1 by default);
- hands over only the newest block when several arrived between polls (the keeper reads the state at a block,
  and the newest state is the one to act on), one block handler at a time, each block once;
- on an RPC error or time-out waits with exponential back-off (up to 30 s) and goes on;
- when the head goes back (a devnet restarted from an older state) says so and goes on from the new head.
"""

from __future__ import annotations

import asyncio

from ape import chain
from ape.logging import logger
from silverback.exceptions import Halt
from silverback.main import TaskData
from silverback.runner import PollingRunner

from levstake.keeper.settings import poll_interval
from levstake.rpc import one_line

MAX_BACKOFF = 30.0


async def _back_off(what: str, error: Exception, backoff: float) -> float:
    """Logs an RPC fault, waits `backoff` seconds and returns the next wait (doubled, at most MAX_BACKOFF)."""
    logger.warning(f"rpc      {what} ({one_line(error, 120)}); next try in {backoff:g} s")
    await asyncio.sleep(backoff)
    return min(backoff * 2, MAX_BACKOFF)


class KeeperRunner(PollingRunner):
    async def _block_task(self, task_data: TaskData) -> None:
        interval = poll_interval()
        last: int | None = None
        backoff = interval
        while not self.shutdown_event.is_set():
            try:
                head = await asyncio.to_thread(lambda: chain.provider.get_block("latest"))
            except Exception as error:  # noqa: BLE001 - any RPC failure: wait and ask again
                backoff = await _back_off("head unavailable", error, backoff)
                continue
            backoff = interval
            number = int(head.number)
            if last is not None and number < last:
                logger.warning(f"restart  head went back from block {last} to {number} (a restarted devnet?)")
            if last is None or number != last:
                try:
                    # Awaited: one block handler at a time, so a slow round never overlaps the next one.
                    await self.run_task(task_data, head)
                except Halt:
                    raise
                except Exception as error:  # noqa: BLE001 - handing the block over re-reads it by hash
                    # An RPC fault while the block is handed to the worker is not the handler's failure:
                    # without this it ended the bot (the runner's task died); the same block is tried again.
                    backoff = await _back_off(f"block {number} not handed over", error, backoff)
                    continue
                last = number
            await asyncio.sleep(interval)
