"""
A position's history from the router's events, and what it made since it was opened: the web page's
"profit since open" and its equity picture. Reads only (`Reader.transport`'s `eth_getLogs`), no key, no Ape.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from levstake.previews import PositionFigures
from levstake.reads import Reader, Snapshot
from levstake.rpc import Block, ReadError

EVENTS = ("Opened", "Adjusted", "Closed", "Looped")


@dataclass(frozen=True)
class PositionEvent:
    """One of the router's `Opened` / `Adjusted` / `Closed` / `Looped` events for a user, with the X and LST
    the router sent back to the user in the same transaction (refunds, dust, what a close pays)."""

    block: int
    tx: str
    kind: str
    fields: dict[str, Any]
    x_back: int
    lst_back: int


def position_history(reader: Reader, user: str, block: Block | None = None) -> list[PositionEvent]:
    """The user's position events on the reader's market since the deployment, oldest first (one batch of
    three `eth_getLogs`: the router's events and the X and LST transfers from the router to the user)."""
    block = block or reader.block()
    user = to_checksum_address(user)
    addresses, deployment = reader.addresses, reader.deployment
    abi = deployment.abi("router")
    events = {"0x" + event.topic.hex(): event for event in (abi.event(name) for name in EVENTS)}
    transfer = "0x" + deployment.abi("x").event("Transfer").topic.hex()
    span = {"fromBlock": hex(deployment.block), "toBlock": hex(block.number)}
    sent = [transfer, _topic(addresses["router"]), _topic(user)]
    queries = [
        {
            "address": addresses["router"],
            "topics": [list(events), _topic(user), _topic(addresses["market"])],
            **span,
        },
        {"address": addresses["x"], "topics": sent, **span},
        {"address": addresses["lst"], "topics": sent, **span},
    ]
    answers = reader.transport.request_many([("eth_getLogs", [query]) for query in queries])
    for answer in answers:
        if isinstance(answer, ReadError):
            raise ReadError(f"eth_getLogs: {answer}")
    router_logs, x_logs, lst_logs = answers
    back: dict[str, list[int]] = {}
    for index, logs in enumerate((x_logs, lst_logs)):
        for log in logs:
            amounts = back.setdefault(_hex(log["transactionHash"]), [0, 0])
            amounts[index] += int.from_bytes(_bytes(log["data"])[:32], "big")
    found = []
    for log in router_logs:
        topics = [_bytes(topic) for topic in log["topics"]]
        event = events["0x" + topics[0].hex()]
        tx = _hex(log["transactionHash"])
        x_back, lst_back = back.get(tx, (0, 0))
        fields = event.decode(topics, _bytes(log["data"]))
        found.append(PositionEvent(_int(log["blockNumber"]), tx, event.name, fields, x_back, lst_back))
    return found


def since_last_close(history: Sequence[PositionEvent]) -> list[PositionEvent]:
    """The events of the position open now: those after the last `Closed`."""
    start = 0
    for index, event in enumerate(history):
        if event.kind == "Closed":
            start = index + 1
    return list(history[start:])


@dataclass(frozen=True)
class Profit:
    """What the position made since it was opened (its first event after the last close): equity now less
    what went in (X, and LST valued at today's exit rate) net of what the router sent back."""

    since_block: int
    put_in: int
    sent_back: int
    net_in: int
    at_exit: int | None
    at_book: int


def profit_since_open(
    snapshot: Snapshot, figures: PositionFigures | None, history: Sequence[PositionEvent]
) -> Profit | None:
    episode = since_last_close(history)
    if figures is None or not episode:
        return None
    lst = snapshot.lst
    put_in = sum(event.fields.get("assets_in", 0) for event in episode)
    put_in += lst.to_assets_down(sum(event.fields.get("shares_in", 0) for event in episode))
    back = sum(e.x_back for e in episode) + lst.to_assets_down(sum(e.lst_back for e in episode))
    net = put_in - back
    return Profit(
        since_block=episode[0].block,
        put_in=put_in,
        sent_back=back,
        net_in=net,
        at_exit=None if figures.equity_exit is None else figures.equity_exit - net,
        at_book=figures.equity_book - net,
    )


def _topic(address: str) -> str:
    return "0x" + address[2:].lower().rjust(64, "0")


def _hex(value: Any) -> str:
    return value if isinstance(value, str) else "0x" + bytes(value).hex()


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value[2:] if value.startswith("0x") else value)
    return bytes(value)


__all__ = ["PositionEvent", "Profit", "position_history", "profit_since_open", "since_last_close"]
