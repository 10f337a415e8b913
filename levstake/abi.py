"""Calldata and results of the protocol's contracts from their JSON ABIs (eth_abi only: no web3 contract
objects, no Ape), shared by the reads and the transaction builders."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import eth_abi
from eth_utils import keccak, to_checksum_address

ERROR_SELECTOR = bytes.fromhex("08c379a0")


def abi_type(entry: dict[str, Any]) -> str:
    """An ABI entry's type as eth_abi spells it (structs are tuples of their components)."""
    kind = entry["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(abi_type(component) for component in entry["components"]) + ")" + kind[5:]
    return kind


def _normalize(kind: str, value: Any) -> Any:
    """Addresses come back checksummed, tuples and arrays item by item."""
    if kind == "address":
        return to_checksum_address(value)
    if kind.endswith("]"):
        inner = kind[: kind.rindex("[")]
        return [_normalize(inner, item) for item in value]
    if kind.startswith("("):
        return tuple(_normalize(inner, item) for inner, item in zip(_split(kind[1:-1]), value, strict=True))
    return value


def _split(types: str) -> list[str]:
    """Top-level components of a tuple type's inside: "uint256,(address,bool)" -> two items."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(types):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(types[start:index])
            start = index + 1
    if types:
        parts.append(types[start:])
    return parts


@dataclass(frozen=True)
class Function:
    name: str
    selector: bytes
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    def encode(self, *args: Any) -> bytes:
        return self.selector + eth_abi.encode(list(self.inputs), list(args))

    def decode(self, data: bytes) -> Any:
        """The result: one value, a tuple for several outputs, None without outputs."""
        if not self.outputs:
            return None
        values = tuple(
            _normalize(kind, value)
            for kind, value in zip(self.outputs, eth_abi.decode(list(self.outputs), data), strict=True)
        )
        return values[0] if len(values) == 1 else values


@dataclass(frozen=True)
class Event:
    name: str
    topic: bytes
    fields: tuple[tuple[str, str, bool], ...]  # (name, type, indexed)

    def decode(self, topics: list[bytes], data: bytes) -> dict[str, Any]:
        indexed = [field for field in self.fields if field[2]]
        plain = [field for field in self.fields if not field[2]]
        values: dict[str, Any] = {}
        for (name, kind, _), topic in zip(indexed, topics[1:], strict=True):
            values[name] = _normalize(kind, eth_abi.decode([kind], topic)[0])
        for (name, kind, _), value in zip(plain, eth_abi.decode([f[1] for f in plain], data), strict=True):
            values[name] = _normalize(kind, value)
        return values


class ContractAbi:
    """One contract's functions (by name and number of arguments: Vyper emits an overload per default
    argument) and events."""

    def __init__(self, abi: list[dict[str, Any]]) -> None:
        self.abi = abi
        self._functions: dict[tuple[str, int], Function] = {}
        self._events: dict[str, Event] = {}
        for entry in abi:
            if entry["type"] == "function":
                inputs = tuple(abi_type(item) for item in entry["inputs"])
                signature = f"{entry['name']}({','.join(inputs)})"
                outputs = tuple(abi_type(item) for item in entry.get("outputs", []))
                function = Function(entry["name"], keccak(text=signature)[:4], inputs, outputs)
                self._functions[(entry["name"], len(inputs))] = function
            elif entry["type"] == "event":
                fields = tuple(
                    (item["name"], abi_type(item), bool(item.get("indexed"))) for item in entry["inputs"]
                )
                signature = f"{entry['name']}({','.join(field[1] for field in fields)})"
                self._events[entry["name"]] = Event(entry["name"], keccak(text=signature), fields)

    def function(self, name: str, arity: int) -> Function:
        try:
            return self._functions[(name, arity)]
        except KeyError:
            raise KeyError(f"the ABI has no function {name} with {arity} arguments") from None

    def encode(self, name: str, *args: Any) -> bytes:
        return self.function(name, len(args)).encode(*args)

    def event(self, name: str) -> Event:
        return self._events[name]


def revert_reason(data: bytes) -> str:
    """The string of a Vyper/Solidity `Error(string)` revert, or a short description of other revert data."""
    if data[:4] == ERROR_SELECTOR:
        with contextlib.suppress(Exception):  # malformed revert data: say what it is instead, below
            return eth_abi.decode(["string"], data[4:])[0]
    return f"reverted without a reason (0x{data.hex()[:64]})" if data else "reverted without a reason"
