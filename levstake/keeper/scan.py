"""
What the keeper reads each block, in batches, and the decisions it takes from them (plain functions of the
reads, no Ape, no key):

- `EventIndex`: the borrowers (from the market's `SupplyCollateral` logs) and the guarded users (the guard's
  `GuardSet` / `GuardRevoked` logs), read once from the deployment block at start-up and then only the new
  blocks; a chain that went back (a devnet restarted from an older state) is indexed again from scratch.
- `read_positions`: every indexed position at one block with `PositionLens.positions_of` (2,000 positions per
  `eth_call`, all the calls in one JSON-RPC batch) and the market's totals and oracle in the same batch;
  health is the market's own `position()` math (`MarketSnapshot.health_wad`).
- `liquidation_plans`: `Liquidator.quote` (at exit value) for every position below health 1, one batch, and
  parts of those the LST's buffer cannot pay whole (`PART_BPS`) in a second; `worth_liquidating` says whether
  the profit covers the gas.
- `guard_statuses`: `LeverageGuard.status` of every guarded user, one batch; `protect_due` says whether a
  trigger holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import eth_abi
from eth_utils import keccak, to_checksum_address

from levstake.model import WAD, MarketSnapshot
from levstake.reads import Reader
from levstake.rpc import Block

# PositionLens.MAX_USERS: about 12M gas of a view call each.
LENS_CHUNK = 2_000
# eth_getLogs ranges: nodes refuse large ones (10,000 blocks is a common limit).
LOG_RANGE = 10_000
LENS_SELECTOR = keccak(text="positions_of(address,address[])")[:4]
# A position whose whole liquidation the LST's buffer cannot pay at once (the capital-free liquidator
# unstakes what it seizes), or whose instant fee climbs past the incentive as the buffer drains, is
# liquidated in parts, one per block: these parts (bps) of what the buffer pays now are quoted, the most
# profitable sent (a keeper that only quoted the whole skipped such a position every block for good).
PART_BPS = (10_000, 5_000, 2_500, 1_000, 250)
PARTS_FOR = frozenset({"liquidator: buffer too small", "liquidator: would lose money"})


@dataclass(frozen=True)
class ScannedPosition:
    user: str
    collateral: int
    borrow_shares: int
    debt: int
    health: int  # WAD, max uint without debt


@dataclass(frozen=True)
class LiquidationPlan:
    """`Liquidator.quote(market, user, 0, 0, keep_lst)`: the largest liquidation and what it pays at exit."""

    user: str
    seized_assets: int  # the sizes to pass to `liquidate` (one is 0)
    repaid_shares: int
    seized: int
    repaid: int
    exit_assets: int
    profit: int  # X, negative when the seized LST does not cover the repaid X at exit value
    reason: str  # why `liquidate` would revert now; empty when it would not


@dataclass(frozen=True)
class GuardStatus:
    """`LeverageGuard.status(market, user)`."""

    user: str
    guarded: bool
    authorized: bool
    health: int
    leverage: int
    carry_run: int
    health_trigger: bool
    carry_trigger: bool


# ---------------------------------------------------------------- the index


class EventIndex:
    """Borrowers and guarded users of one market, from the logs (one `eth_getLogs` per event and range)."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.market = reader.addresses["market"]
        self.guard = reader.addresses.get("guard")
        self.start = reader.deployment.block
        self.reset()

    def reset(self) -> None:
        self.borrowers: dict[str, None] = {}
        self.guarded: dict[str, None] = {}
        self.scanned = self.start  # the first block not read yet

    def update(self, height: int) -> bool:
        """Read the logs up to `height`; True when the chain went back and everything was read again."""
        went_back = height + 1 < self.scanned
        if went_back:
            self.reset()
        while self.scanned <= height:
            last = min(height, self.scanned + LOG_RANGE - 1)
            self._read(self.scanned, last)
            self.scanned = last + 1
        return went_back

    def _read(self, first: int, last: int) -> None:
        market_abi = self.reader.deployment.abi("market")
        supplied = market_abi.event("SupplyCollateral")
        requests = [_logs(self.market, [supplied.topic], first, last)]
        guard_events = []
        if self.guard is not None:
            guard_abi = self.reader.deployment.abi("guard")
            guard_events = [guard_abi.event("GuardSet"), guard_abi.event("GuardRevoked")]
            # One request for both: their order in the chain decides whether a user is guarded.
            requests.append(_logs(self.guard, [event.topic for event in guard_events], first, last))
        answers = self.reader.transport.request_many(requests)
        for answer in answers:
            if isinstance(answer, Exception):
                raise answer
        for log in answers[0]:
            # `on_behalf` is the second indexed field: the last 20 bytes of topic 2 (decoding every log
            # with the ABI was most of a 10,000-position start-up).
            self.borrowers[to_checksum_address(_bytes(log["topics"][2])[12:])] = None
        if guard_events:
            set_event, revoked = guard_events
            for log in sorted(answers[1], key=_log_order):
                topics = [_bytes(topic) for topic in log["topics"]]
                fields = (set_event if topics[0] == set_event.topic else revoked).decode(
                    topics, _bytes(log["data"])
                )
                if fields["market"] != self.market:
                    continue
                if topics[0] == set_event.topic:
                    self.guarded[fields["user"]] = None
                else:
                    self.guarded.pop(fields["user"], None)


def _logs(address: str, events: list[bytes], first: int, last: int) -> tuple[str, list[Any]]:
    """`eth_getLogs` of `address` for any of `events` (topic 0) from block `first` to `last`."""
    topics = [["0x" + topic.hex() for topic in events]]
    return (
        "eth_getLogs",
        [{"address": address, "topics": topics, "fromBlock": hex(first), "toBlock": hex(last)}],
    )


def _log_order(log: dict[str, Any]) -> tuple[int, int]:
    return _int(log["blockNumber"]), _int(log["logIndex"])


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value[2:] if value.startswith("0x") else value)
    return bytes(value)


# ---------------------------------------------------------------- reads


def read_positions(
    reader: Reader, users: Sequence[str], block: Block, chunk: int = LENS_CHUNK
) -> list[ScannedPosition]:
    """Every user's position at `block`: one JSON-RPC batch of `len(users) / chunk` lens calls and four market
    reads. Health and debt as `LendingMarket.position` computes them."""
    market = reader.addresses["market"]
    chunks = [list(users[index : index + chunk]) for index in range(0, len(users), chunk)]
    calls = [
        ("market", "market_state", ()),
        ("market", "total_borrow_shares", ()),
        ("oracle", "price", ()),
        ("oracle", "rate", ()),
    ]
    lens, tag = reader.addresses["lens"], hex(block.number)
    extra = [
        ("eth_call", [{"to": lens, "data": _lens_calldata(market, tuple(part))}, tag]) for part in chunks
    ]
    (state, shares, price, rate, *raw) = reader.call_many(calls, block, extra=extra)
    snapshot = MarketSnapshot(state[1], shares, price, reader.info.max_ltv, reader.info.lltv, state[0], rate)
    result = []
    for part, answer in zip(chunks, raw, strict=True):
        if isinstance(answer, Exception):
            raise answer
        for user, (collateral, borrow_shares) in zip(part, _pairs(answer), strict=True):
            debt = snapshot.debt_up(borrow_shares) if borrow_shares else 0
            result.append(
                ScannedPosition(user, collateral, borrow_shares, debt, snapshot.health_wad(collateral, debt))
            )
    return result


@lru_cache(maxsize=64)
def _lens_calldata(market: str, users: tuple[str, ...]) -> str:
    """`positions_of(market, users)` calldata: the same chunks come back every block, encoded once."""
    return "0x" + (LENS_SELECTOR + eth_abi.encode(["address", "address[]"], [market, list(users)])).hex()


def _pairs(data: bytes) -> list[tuple[int, int]]:
    """An ABI-encoded dynamic array of (uint256, uint256), read directly (eth_abi took most of a scan)."""
    count = int.from_bytes(data[32:64], "big")
    return [
        (
            int.from_bytes(data[64 + 64 * i : 96 + 64 * i], "big"),
            int.from_bytes(data[96 + 64 * i : 128 + 64 * i], "big"),
        )
        for i in range(count)
    ]


def liquidatable(positions: Iterable[ScannedPosition]) -> list[str]:
    """Users whose health is below 1 (the market accepts a liquidation of them)."""
    return [position.user for position in positions if position.debt and position.health < WAD]


def liquidation_plans(
    reader: Reader, users: Sequence[str], block: Block, keep_lst: bool = False
) -> list[LiquidationPlan]:
    """The largest liquidation of each user; where it would revert on the LST's buffer or lose money, the
    most profitable of the parts in `PART_BPS` of what the buffer pays now (two batches at most)."""
    plans = _plans(reader, [(user, 0) for user in users], block, keep_lst)
    short = [plan for plan in plans if plan.reason in PARTS_FOR]
    if not short:
        return plans
    (instant,) = reader.call_many([("lst", "max_instant_redeem", ())], block)
    sizes = [(plan.user, part) for plan in short for part in part_sizes(min(plan.seized, instant))]
    best = {plan.user: plan for plan in short}
    for part in _plans(reader, sizes, block, keep_lst):
        kept = best[part.user]
        if not part.reason and part.profit > 0 and (kept.reason or part.profit > kept.profit):
            best[part.user] = part
    return [best.get(plan.user, plan) for plan in plans]


def part_sizes(most: int) -> list[int]:
    """The seized LST quoted when the whole position cannot be liquidated now: parts of `most` (what the
    LST's buffer pays at once), largest first, none zero."""
    return sorted({most * bps // 10_000 for bps in PART_BPS} - {0}, reverse=True)


def _plans(
    reader: Reader, sizes: Sequence[tuple[str, int]], block: Block, keep_lst: bool
) -> list[LiquidationPlan]:
    market = reader.addresses["market"]
    quotes = reader.call_many(
        [("liquidator", "quote", (market, user, seized, 0, keep_lst)) for user, seized in sizes], block
    )
    return [
        LiquidationPlan(user, quote[0], quote[1], quote[2], quote[3], quote[4], quote[6], quote[7])
        for (user, _), quote in zip(sizes, quotes, strict=True)
    ]


def worth_liquidating(plan: LiquidationPlan, gas_cost: int) -> str | None:
    """Why to skip a liquidation (None: send it): it would revert, or its profit at exit value (X) does not
    cover `gas_cost` (X)."""
    if plan.reason:
        return plan.reason
    if plan.profit < gas_cost:
        return f"profit {plan.profit} below the gas cost {gas_cost}"
    return None


def guard_statuses(reader: Reader, users: Sequence[str], block: Block) -> list[GuardStatus]:
    market = reader.addresses["market"]
    answers = reader.call_many([("guard", "status", (market, user)) for user in users], block)
    return [GuardStatus(user, *answer) for user, answer in zip(users, answers, strict=True)]


def protect_due(status: GuardStatus) -> str | None:
    """The trigger `protect` would act on, or None."""
    triggers = [
        name for name, holds in (("health", status.health_trigger), ("carry", status.carry_trigger)) if holds
    ]
    return " and ".join(triggers) or None


def guard_settings(
    reader: Reader, users: Sequence[str], block: Block
) -> dict[str, tuple[int, int, int, int]]:
    """(health floor, target leverage, max tip bps, carry hours) of each user."""
    market = reader.addresses["market"]
    answers = reader.call_many([("guard", "settings", (market, user)) for user in users], block)
    return {user: tuple(answer) for user, answer in zip(users, answers, strict=True)}


def protect_tip(position: ScannedPosition, price: int, target: int, tip_bps: int) -> int:
    """The tip `LeverageGuard.protect` pays at `tip_bps` (X): of the equity, or of the collateral value the
    step moves, (leverage - target) x equity, when that is less (0 when it would not step)."""
    value = position.collateral * price // 10**36
    if value <= position.debt:
        return 0
    equity = value - position.debt
    leverage = value * WAD // equity
    moved = max(leverage - target, 0) * equity // WAD
    return min(equity, moved) * tip_bps // 10_000
