"""
Run transactions against the chain before anybody signs them, and say in one line why one would revert.

    outcomes = simulate(reader.transport, sender, [approve, deposit])  # in order, each on the state left
    require_success(outcomes)  # or SimulationError("deposit would revert: ...")

Several transactions run in order in one `eth_simulateV1` request (anvil, geth, reth, Nethermind answer it),
so a deposit after its approval is simulated with the allowance in place. A node without `eth_simulateV1` gets
one `eth_call` per transaction, which is exact for the first only: the others are marked `checked=False`.
Used by the web page before it hands a transaction to the wallet; nothing here signs or sends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from levstake.abi import revert_reason
from levstake.rpc import ReadError, Transport
from levstake.txs import TxRequest

# JSON-RPC's "method not found" and the texts nodes answer an unknown method with.
METHOD_NOT_FOUND = ("method not found", "not supported", "does not exist", "unsupported method")


@dataclass(frozen=True)
class Outcome:
    """One simulated transaction: `reason` is the decoded revert reason ("" when it succeeds)."""

    label: str
    ok: bool
    reason: str = ""
    gas_used: int = 0
    return_data: bytes = b""
    checked: bool = True


class SimulationError(Exception):
    """A transaction that would revert, as one line: what it is and the contract's reason."""


def _call_object(sender: str, tx: TxRequest) -> dict[str, Any]:
    return tx.as_rpc(sender)


def simulate(
    transport: Transport, sender: str, txs: Sequence[TxRequest], block: str = "latest"
) -> list[Outcome]:
    """`txs` run from `sender` in order on top of `block`, nothing signed or sent."""
    if not txs:
        return []
    if len(txs) > 1:
        request = {"blockStateCalls": [{"calls": [_call_object(sender, tx) for tx in txs]}]}
        (answer,) = transport.request_many([("eth_simulateV1", [request, block])])
        if not isinstance(answer, ReadError):
            return [_outcome(tx, call) for tx, call in zip(txs, answer[0]["calls"], strict=True)]
        if not any(text in str(answer).lower() for text in METHOD_NOT_FOUND):
            raise SimulationError(f"the node could not simulate the transactions: {answer}")
    (first,) = transport.request_many([("eth_call", [_call_object(sender, txs[0]), block])])
    outcomes = [
        Outcome(txs[0].label, False, str(first))
        if isinstance(first, ReadError)
        else Outcome(txs[0].label, True, return_data=bytes(first))
    ]
    return outcomes + [Outcome(tx.label, True, checked=False) for tx in txs[1:]]


def _outcome(tx: TxRequest, call: dict[str, Any]) -> Outcome:
    data = bytes.fromhex(call.get("returnData", "0x")[2:])
    gas = int(call.get("gasUsed", "0x0"), 16)
    if int(call.get("status", "0x1"), 16) == 1:
        return Outcome(tx.label, True, gas_used=gas, return_data=data)
    reason = revert_reason(data) if data else call.get("error", {}).get("message", "reverted")
    return Outcome(tx.label, False, reason, gas, data)


def require_success(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """The outcomes, or a `SimulationError` naming the first transaction that would revert."""
    for outcome in outcomes:
        if not outcome.ok:
            raise SimulationError(f"{outcome.label} would revert: {outcome.reason}")
    return list(outcomes)


def revert_reason_of(transport: Transport, tx: dict[str, Any], block: int) -> str:
    """
    Why a mined transaction reverted: replayed with `eth_call` on the state before its block (the same
    sender, target, data and value). Transactions earlier in the same block are not replayed, so this is the
    reason it would give there; a replay that succeeds says so.
    """
    call = {key: tx[key] for key in ("from", "to", "value") if tx.get(key) is not None}
    call["data"] = tx.get("input") or tx.get("data") or "0x"
    (answer,) = transport.request_many([("eth_call", [call, hex(max(block - 1, 0))])])
    if isinstance(answer, ReadError):
        return str(answer)
    return (
        "reverted (a replay before its block succeeds: a transaction earlier in the block changed the state)"
    )


__all__ = ["Outcome", "SimulationError", "require_success", "revert_reason_of", "simulate"]
