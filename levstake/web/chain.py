"""
The web server's view of the chain: one `Reader` and `Builder` over the deployment, the latest block the
block subscription announced, and caches keyed by block so that a slider moving between two blocks never asks
the chain again (a snapshot is read once per block and account, and previews are pure functions of it).

Everything here is synchronous (web3.py over HTTP); the server calls it from worker threads.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from web3 import Web3

from levstake import previews
from levstake.deployment import Deployment
from levstake.history import PositionEvent, position_history
from levstake.previews import PositionFigures
from levstake.projections import OracleAndQueue, oracle_and_queue
from levstake.reads import Reader, RequestView, Snapshot
from levstake.rpc import Block, ReadError
from levstake.txs import Builder

T = TypeVar("T")
# Points of the equity-over-time picture at most (older blocks are sampled on a power-of-two grid so that a
# point read once stays on the grid as the chain grows).
EQUITY_POINTS = 48


class Cache:
    """A small thread-safe LRU map."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        self.put(key, value)
        return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def peek(self, key: Hashable) -> Any:
        with self._lock:
            return self._items.get(key)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@dataclass(frozen=True)
class RiskRow:
    account: str
    figures: PositionFigures
    near_liquidation: bool


@dataclass(frozen=True)
class EquityPoint:
    block: int
    timestamp: int
    equity_exit: int | None
    equity_book: int


class Chain:
    """One deployment on one chain, read through web3.py."""

    def __init__(self, url: str, deployment: Deployment, timeout: float = 10.0) -> None:
        self.url = url
        self.deployment = deployment
        self.w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}))
        self.reader = Reader.from_web3(self.w3, deployment)
        self.info = self.reader.info
        self.builder = Builder(deployment, self.info)
        self.head: Block | None = None
        # The chain's first block, and how many times it changed: a new devnet under the running server.
        self.genesis: Block | None = None
        self.generation = 0
        self.native_symbol: str | None = None  # the chain's coin (ETH) where the server knows it
        self._snapshots = Cache(512)
        self._history = Cache(256)
        self._requests = Cache(256)
        self._equity = Cache(20_000)
        self._risk = Cache(8)
        self._extras = Cache(8)
        self._fees = Cache(8)
        self._caches = (
            self._snapshots,
            self._history,
            self._requests,
            self._equity,
            self._risk,
            self._extras,
            self._fees,
        )
        self._lock = threading.Lock()
        # `Reader.borrowers` keeps what it scanned: one caller at a time.
        self._borrowers_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(4, thread_name_prefix="levstake-history")

    # ------------------------------------------------------------ blocks and snapshots

    def follow(self, block: Block) -> bool:
        """Called with each block the subscription announces, before it is announced: True when the node now
        serves another chain than before (its first block differs: a devnet recreated without its state). Then
        every cache keyed by block number is dropped, the event logs are read again and the head starts over
        at `block`: the new chain's numbers repeat the old one's, so nothing read before may answer for them.
        A first block the node does not give leaves the one known as it is."""
        genesis = self.reader.block("0x0")
        if not isinstance(genesis, Block):
            return False
        with self._lock:
            known, self.genesis = self.genesis, genesis
            if known is None or (known.timestamp, known.hash) == (genesis.timestamp, genesis.hash):
                return False
            self.head = block
            self.generation += 1
        # Keys carry the generation (a read of the old chain still under way stores under the old one);
        # what the old chain left is dropped here.
        for cache in self._caches:
            cache.clear()
        with self._borrowers_lock:
            self.reader.forget_logs()
        return True

    def set_head(self, block: Block) -> None:
        with self._lock:
            if self.head is None or block.number >= self.head.number:
                self.head = block

    def latest(self) -> Block:
        """The block the subscription last announced (the chain's latest before any arrived)."""
        with self._lock:
            head = self.head
        if head is None:
            head = self.reader.block()
            self.set_head(head)
        return head

    def snapshots(
        self, accounts: Sequence[str | None], block: Block | None = None
    ) -> dict[str | None, Snapshot]:
        """Snapshots of the market with each account at `block` (the latest announced): each read once per
        block (one batched round trip each), whatever the number of pages showing it."""
        block = block or self.latest()
        wanted = [Web3.to_checksum_address(a) if a else None for a in accounts]
        return {
            a: self._snapshots.get(
                (self.generation, block.number, a), lambda a=a: self.reader.snapshot(a, block)
            )
            for a in wanted
        }

    def snapshot(self, account: str | None = None, block: Block | None = None) -> Snapshot:
        return self.snapshots([account], block)[Web3.to_checksum_address(account) if account else None]

    def fresh_snapshot(self, account: str) -> Snapshot:
        """The chain's latest state, not the cached one: what a transaction is built from."""
        return self.reader.snapshot(account)

    def fee_cap(self, block: Block | None = None) -> int:
        """The most a wallet is expected to pay per gas now (twice the node's gas price: a wallet's fee cap is
        about twice the base fee plus its tip), read once per block."""
        block = block or self.latest()
        return self._fees.get((self.generation, block.number), lambda: 2 * int(self.w3.eth.gas_price))

    def pending_time(self) -> int:
        """The time the next block will have (a devnet's clock may run ahead of the last block's)."""
        return self.reader.block("pending").timestamp

    # ------------------------------------------------------------ per-account reads

    def history(self, account: str, block: Block) -> list[PositionEvent]:
        return self._history.get(
            (self.generation, account, block.number), lambda: position_history(self.reader, account, block)
        )

    def oracle_and_queue(self, block: Block) -> OracleAndQueue:
        return self._extras.get(
            (self.generation, block.number),
            lambda: oracle_and_queue(self.reader, self.snapshot(None, block), block),
        )

    def requests(self, account: str, block: Block) -> list[RequestView]:
        return self._requests.get(
            (self.generation, account, block.number), lambda: self.reader.requests_of(account, block)
        )

    def risk(self, block: Block) -> list[RiskRow]:
        """Every borrower's position at `block`, lowest health first."""

        def read() -> list[RiskRow]:
            from levstake.report import NEAR_LIQUIDATION

            with self._borrowers_lock:
                users = self.reader.borrowers()
            snapshot = self.snapshot(None, block)
            rows = []
            for user, position in self.reader.positions(users, block).items():
                figures = previews.figures_of(self.info, snapshot, user, position)
                if figures is not None:
                    rows.append(RiskRow(user, figures, figures.health < NEAR_LIQUIDATION))
            return sorted(rows, key=lambda row: row.figures.health)

        return self._risk.get((self.generation, block.number), read)

    def equity_series(self, account: str, block: Block, since: int) -> list[EquityPoint]:
        """The position's equity (at exit and at book value) from block `since` to `block`: at most
        `EQUITY_POINTS` blocks on a power-of-two grid, each read once (blocks whose state the node no longer
        keeps are left out)."""
        span = max(block.number - since, 1)
        step = 1
        while span // step > EQUITY_POINTS:
            step *= 2
        numbers = sorted({since, *range(since - since % step + step, block.number, step), block.number})
        numbers = [n for n in numbers if n >= since]
        return [p for p in self._pool.map(lambda n: self._equity_at(account, n, block), numbers) if p]

    def _equity_at(self, account: str, number: int, head: Block) -> EquityPoint | None:
        def read() -> EquityPoint | None:
            try:
                at = head if number == head.number else self.reader.block(hex(number))
                snapshot = self.snapshot(account, at)
            except ReadError:
                return None
            figures = previews.position_figures(self.info, snapshot)
            if figures is None:
                return None
            return EquityPoint(number, at.timestamp, figures.equity_exit, figures.equity_book)

        return self._equity.get((self.generation, account, number), read)
