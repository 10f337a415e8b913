"""
Upkeep jobs, each a plain pair: `check_<job>(state)` says why the job is due (None when running it would
change nothing) and `perform_<job>(builder, send)` sends its transaction. `state` is an `UpkeepState` read in
one batch (`read_upkeep`); `send` is any callable that signs and sends a `levstake.txs.TxRequest` (an Ape
account through `levstake.ape_wallet.sender`, an unlocked devnet account through `Web3Sender`). The devnet's
loop and a keeper bot wrap exactly these functions.

- `sync_rewards`: once the LST's reward stream has ended and the backend holds gains it has not counted (or a
  loss it has not applied).
- `rebalance`: when matured unbonding waits at the backend, a due queued request can be funded, the buffer is
  short of its target beyond what is already unbonding, or above it with nothing waiting (mirrors
  `LiquidStaking.rebalance`'s decisions).
- `oracle_snapshot`: once a day (the oracle's minimum delay), so the growth cap compounds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from levstake.model import LST_BOOKS_MAX, LstSnapshot, queue_liability
from levstake.reads import Reader
from levstake.rpc import Block, Transport, Web3Transport, revert_reason_of
from levstake.txs import Builder, TxRequest

Send = Callable[[TxRequest], Any]
# `ExchangeRateOracle.MIN_SNAPSHOT_DELAY`.
SNAPSHOT_DELAY = 86_400
# The buffer is refilled or trimmed only once it is off its target by this much (1%), so that rewards raising
# the target a little at every sync do not file a tiny unbonding request each time.
BUFFER_TOLERANCE_BPS = 100


@dataclass(frozen=True)
class UpkeepState:
    block: int
    timestamp: int
    stream_end: int
    backend_balance: int
    backend_accounted: int
    buffer: int
    target: int
    liability: int
    # The LST's `queue_cover()`: the part of the queue's liability the buffer must hold, and the unbonding
    # the queue does not count on.
    held: int
    free: int
    staked: int  # what `_request_unbonding` may unbond: the backend stake, at most the stake the LST counts
    withdrawable: int
    min_request: int
    head_due: int | None  # what the oldest unfunded request still needs set aside, when it is due now
    oracle_snapshot_time: int
    # What the LST's books may still grow by (`LiquidStaking._room`): a sync counts no gain beyond it.
    room: int


def read_upkeep(reader: Reader, block: Block | None = None) -> UpkeepState:
    """What the checks read, at one block (a second round only when a queued request waits)."""
    block = block or reader.block()
    lst = reader.info.contracts["lst"]
    (
        stream_end, balance, accounted, buffer, total_assets, target_bps, cover, staked, expected,
        withdrawable, head, end, snapshot_time, reserve,
    ) = reader.call_many(
        [
            ("lst", "stream_end", ()),
            ("validator", "total_balance", (lst,)),
            ("lst", "backend_accounted", ()),
            ("lst", "buffer", ()),
            ("lst", "totalAssets", ()),
            ("lst", "target_buffer_bps", ()),
            ("lst", "queue_cover", ()),
            ("validator", "staked_balance", (lst,)),
            ("lst", "unbonding_expected", ()),
            ("validator", "withdrawable", (lst,)),
            ("lst", "queue_head", ()),
            ("lst", "next_request_id", ()),
            ("oracle", "snapshot_time", ()),
            ("lst", "queue_reserve", ()),
        ],
        block,
    )  # fmt: skip
    head_due = None
    if head < end:
        request, value = reader.call_many(
            [("lst", "requests", (head,)), ("lst", "request_value", (head,))], block
        )
        _, _, _, ready_at, paid, _ = request
        if ready_at <= block.timestamp:  # funding takes what is not set aside yet (`paid`)
            head_due = value - paid
    # What the LST's `target_buffer()` and `queue_liability()` answered before they left it (bytecode room).
    target = LstSnapshot(total_assets, 0, target_buffer_bps=target_bps).target_buffer()
    liability = queue_liability(tuple(cover))
    # `_request_unbonding` unbonds at most the stake the LST counts: rewards it has not counted stay staked.
    staked = min(staked, accounted - min(expected, accounted))
    return UpkeepState(
        block.number, block.timestamp, stream_end, balance, accounted, buffer, target, liability, cover[1],
        cover[2], staked, withdrawable, reader.info.min_request, head_due, snapshot_time,
        LST_BOOKS_MAX - buffer - accounted - reserve,
    )  # fmt: skip


# ---------------------------------------------------------------- sync_rewards


def check_sync_rewards(state: UpkeepState) -> str | None:
    if state.backend_balance < state.backend_accounted:
        return "the backend reports a loss the LST has not applied"
    # `_sync` counts at most the books' room: at their bound it would change nothing, round after round.
    if state.timestamp >= state.stream_end and state.backend_balance > state.backend_accounted and state.room:
        return "the reward stream has ended and the backend holds uncounted rewards"
    return None


def perform_sync_rewards(builder: Builder, send: Send) -> Any:
    return send(builder.sync_rewards())


# ---------------------------------------------------------------- rebalance


def check_rebalance(state: UpkeepState, tolerance_bps: int = BUFFER_TOLERANCE_BPS) -> str | None:
    if state.withdrawable:
        return "matured unbonding waits at the backend"
    if state.head_due is not None and state.head_due <= state.buffer:
        return "a due queued request can be funded"
    buffer, target, held, free, staked = state.buffer, state.target, state.held, state.free, state.staked
    least = max(state.min_request, target * tolerance_bps // 10_000)
    # `LiquidStaking._request_unbonding`: the queue's part the buffer lacks is taken from the free unbonding
    # first, then unbonded at once whatever its size; the buffer's shortfall beyond the free unbonding waits
    # for `min_request` (here: the tolerance).
    short = held - min(held, buffer)
    taken = min(short, free)
    if min(short - taken, staked) > 0:
        return "the queue needs unbonding"
    room = buffer - min(buffer, held - taken)
    if min(target - min(target, room + free - taken), staked) >= least:
        return "the buffer needs unbonding"
    # Delegation: only what the buffer holds beyond the queue's part and its target, with nothing due.
    if state.head_due is None and room > target and room - target >= least:
        return "the buffer holds more than its target"
    return None


def perform_rebalance(builder: Builder, send: Send) -> Any:
    return send(builder.rebalance())


# ---------------------------------------------------------------- oracle snapshot


def check_oracle_snapshot(state: UpkeepState) -> str | None:
    if state.timestamp >= state.oracle_snapshot_time + SNAPSHOT_DELAY:
        return "a day since the oracle's last snapshot"
    return None


def perform_oracle_snapshot(builder: Builder, send: Send) -> Any:
    return send(builder.update_snapshot())


JOBS: dict[str, tuple[Callable[[UpkeepState], str | None], Callable[[Builder, Send], Any]]] = {
    "sync_rewards": (check_sync_rewards, perform_sync_rewards),
    "rebalance": (check_rebalance, perform_rebalance),
    "oracle_snapshot": (check_oracle_snapshot, perform_oracle_snapshot),
}


def run_upkeep(
    reader: Reader, builder: Builder, send: Send, only: Sequence[str] | None = None
) -> dict[str, str]:
    """Every due job once, in order (a sync before the rebalance it may call for), the state read again after
    each one that ran; returns the jobs run and why."""
    done: dict[str, str] = {}
    state = read_upkeep(reader)
    for name, (check, perform) in JOBS.items():
        if only is not None and name not in only:
            continue
        reason = check(state)
        if reason is None:
            continue
        perform(builder, send)
        done[name] = reason
        state = read_upkeep(reader)
    return done


class Web3Sender:
    """Sends from an account the node holds unlocked (a devnet's dev accounts): `eth_sendTransaction`, then
    waits for the receipt; a reverted transaction raises."""

    def __init__(self, w3: Any, address: str) -> None:
        self.w3 = w3
        self.address = address

    def __call__(self, tx: TxRequest) -> Any:
        params = tx.as_rpc(self.address)
        params["value"] = tx.value
        tx_hash = self.w3.eth.send_transaction(params)
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
        if receipt["status"] != 1:
            raise mined_revert(Web3Transport(self.w3), tx, tx_hash.to_0x_hex(), self.address, receipt)
        return receipt


def mined_revert(
    transport: Transport, tx: TxRequest, tx_hash: str, sender: str, receipt: Any
) -> RuntimeError:
    """The error of `tx` mined and reverted, with its reason read from the node: a keeper tells a race it lost
    (another keeper's job landed first, "oracle: snapshot too recent") from a failure only by that reason."""
    sent = {
        "hash": tx_hash,
        "from": sender,
        "to": tx.to,
        "value": hex(tx.value),
        "data": "0x" + tx.data.hex(),
    }
    reason = revert_reason_of(transport, sent, receipt["blockNumber"])
    return RuntimeError(f"execution reverted: {reason}")
