"""The protocol's contracts on revm (pyrevm), for the fuzz machines and the tests making thousands of calls.

titanoboa runs py-evm, an interpreter in Python: a profile of `system_machine.py` on it spent 94% of its time
executing opcodes (the 512-bit `mul_div`, `e^x` and the router's solvers make a step ~9,000 opcodes), so no
harness change could make it fast. revm executes the same bytecode natively. This module gives it the small
surface the machines, `boa_system.deploy_system` and those tests use: `generate_address`, `deploy`,
`blueprint`, `at`, `anchor`, `time_travel`, `timestamp`, and contract objects called as
`contract.fn(*args, sender=...)` (struct results as named tuples, as titanoboa gives them).

The bytecode is the one titanoboa (and so the rest of the suite) compiles: `deployer(name).compiler_data`.
A call that reverts raises `Reverted` with the revert string (or the raw revert data), which is all the
machine needs from a failure; nothing here builds a stack trace.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import eth_abi
import pyrevm
from eth_utils import keccak, to_checksum_address

ERROR_SELECTOR = bytes.fromhex("08c379a0")
START_TIMESTAMP = 1_700_000_000
BLOCK_SECONDS = 12
ETHER = 10**18


class Reverted(Exception):
    """A call or deployment that reverted or halted; `reason` is its revert string if it gave one."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _reason(error: RuntimeError) -> str:
    # pyrevm reports "Revert { gas_used: N, output: 0x... }" or "Halt { reason: ..., gas_used: N }".
    text = str(error)
    if not text.startswith("Revert"):
        return text
    output = bytes.fromhex(text.split("output: 0x", 1)[1].split(" ", 1)[0].rstrip("}"))
    if output[:4] == ERROR_SELECTOR:
        return eth_abi.decode(["string"], output[4:])[0]
    return f"Revert({output!r})"


def _type(entry: dict[str, Any]) -> str:
    """An ABI entry's type as eth_abi spells it (structs are tuples of their components)."""
    kind = entry["type"]
    if kind.startswith("tuple"):
        return "(" + ",".join(_type(component) for component in entry["components"]) + ")" + kind[5:]
    return kind


def _word_encoder(kind: str) -> Any:
    """A one-word type's encoder (a contract passed for an address is its address)."""
    if kind == "address":
        return lambda value: bytes(12) + bytes.fromhex(_arg(value)[2:])
    if kind == "bool":
        return lambda value: (1 if value else 0).to_bytes(32, "big")
    if kind.startswith("bytes"):
        return lambda value: bytes(value).ljust(32, b"\x00")
    if kind.startswith("int"):
        return lambda value: value.to_bytes(32, "big", signed=True)
    return lambda value: value.to_bytes(32, "big")


@lru_cache(maxsize=65_536)
def _checksummed(raw: bytes) -> str:
    # A run meets a few dozen addresses and decodes them hundreds of thousands of times (keccak each).
    return to_checksum_address(raw)


def _word_decoder(kind: str) -> Any:
    if kind == "address":
        return lambda word: _checksummed(bytes(word[12:]))
    if kind == "bool":
        return lambda word: word[31] == 1
    if kind.startswith("bytes"):
        size = int(kind[5:])
        return lambda word: word[:size]
    if kind.startswith("int"):
        return lambda word: int.from_bytes(word, "big", signed=True)
    return lambda word: int.from_bytes(word, "big")


def _is_word(kind: str) -> bool:
    return kind in ("address", "bool") or (
        kind.startswith(("uint", "int", "bytes")) and kind not in ("bytes",) and not kind.endswith("]")
    )


def _flat_words(entry: dict[str, Any]) -> list[str] | None:
    """The one-word types an ABI entry is encoded as, inline (None if any part is dynamic or an array)."""
    kind = entry["type"]
    if kind == "tuple":
        words: list[str] = []
        for component in entry["components"]:
            inner = _flat_words(component)
            if inner is None:
                return None
            words += inner
        return words
    return [kind] if _is_word(kind) else None


def _all_words(entries: list[dict[str, Any]]) -> list[str] | None:
    flat = [_flat_words(entry) for entry in entries]
    return None if any(words is None for words in flat) else sum(flat, [])


@cache
def _struct(fields: tuple[str, ...]) -> Any:
    return namedtuple("Struct", fields)


def _as_struct(entry: dict[str, Any], items: tuple[Any, ...]) -> Any:
    """A struct result as a named tuple (`request.owner`), like titanoboa's; a plain tuple if unnamed."""
    fields = tuple(component.get("name") or "" for component in entry["components"])
    return _struct(fields)(*items) if all(fields) else items


def _regroup(entry: dict[str, Any], values: Iterator[Any]) -> Any:
    if entry["type"] == "tuple":
        return _as_struct(entry, tuple(_regroup(component, values) for component in entry["components"]))
    return next(values)


class _Overload:
    """One ABI entry's calldata encoder and result decoder. Arguments and results that are all one-word
    values are encoded here, with a codec per word chosen once (eth_abi's general codec was most of a step's
    time, and then choosing the codec by type at every call was most of what was left outside revm); anything
    dynamic goes through eth_abi."""

    def __init__(self, entry: dict[str, Any]) -> None:
        self.inputs = [_type(item) for item in entry["inputs"]]
        self.outputs = [_type(item) for item in entry["outputs"]]
        self.selector = keccak(text=f"{entry['name']}({','.join(self.inputs)})")[:4]
        self.out_entries = entry["outputs"]
        words_in, words_out = _all_words(entry["inputs"]), _all_words(entry["outputs"])
        self.encoders = None if words_in is None else [_word_encoder(kind) for kind in words_in]
        # Without struct arguments, the arguments are the words (no flattening).
        self.flat_in = all(item["type"] != "tuple" for item in entry["inputs"])
        self.decoders = None if words_out is None else [_word_decoder(kind) for kind in words_out]
        self.flat_out = all(item["type"] != "tuple" for item in entry["outputs"])
        self.spans = [(32 * i, 32 * i + 32) for i in range(len(self.decoders or ()))]

    def encode(self, args: tuple[Any, ...]) -> bytes:
        if self.encoders is None:
            return self.selector + eth_abi.encode(self.inputs, [_arg(arg) for arg in args])
        words = args if self.flat_in else _flatten([_arg(arg) for arg in args])
        return self.selector + b"".join(
            [encode(item) for encode, item in zip(self.encoders, words, strict=True)]
        )

    def decode(self, output: bytes) -> Any:
        if not self.outputs:
            return None
        if self.decoders is not None:
            values = [
                decode(output[start:end])
                for decode, (start, end) in zip(self.decoders, self.spans, strict=True)
            ]
            if self.flat_out:
                return values[0] if len(values) == 1 else tuple(values)
            items = iter(values)
            decoded = tuple(_regroup(entry, items) for entry in self.out_entries)
        else:
            decoded = tuple(
                _as_struct(entry, item) if entry["type"] == "tuple" else item
                for entry, item in zip(self.out_entries, eth_abi.decode(self.outputs, output), strict=True)
            )
        return decoded[0] if len(self.outputs) == 1 else decoded


class _Function:
    """One external function (all its overloads: Vyper emits one per default argument)."""

    def __init__(self, contract: Contract, overloads: list[dict[str, Any]]) -> None:
        self.contract = contract
        self.by_arity = {len(entry["inputs"]): _Overload(entry) for entry in overloads}

    def __call__(self, *args: Any, sender: str | None = None, value: int = 0) -> Any:
        overload = self.by_arity[len(args)]
        chain = self.contract.chain
        data = overload.encode(args)
        return overload.decode(chain.call(sender or chain.default_sender, self.contract.address, data, value))


def _flatten(values: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for item in values:
        if isinstance(item, tuple):
            flat += _flatten(list(item))
        else:
            flat.append(item)
    return flat


def _arg(value: Any) -> Any:
    if isinstance(value, Contract):
        return value.address
    if isinstance(value, tuple):
        return tuple(_arg(item) for item in value)
    return value


class Contract:
    """A deployed contract: `contract.name(*args, sender=...)` calls its external function `name`."""

    def __init__(self, chain: RevmChain, address: str, abi: list[dict[str, Any]]) -> None:
        self.chain = chain
        self.address = to_checksum_address(address)
        functions: dict[str, list[dict[str, Any]]] = {}
        for entry in abi:
            if entry["type"] == "function":
                functions.setdefault(entry["name"], []).append(entry)
        for name, overloads in functions.items():
            setattr(self, name, _Function(self, overloads))

    def __repr__(self) -> str:
        return f"<Contract {self.address}>"


ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "revm-artifacts"


def _sources_key() -> str:
    """A hash of every contract and interface (and the compiler version): artifacts are reused until one
    of them changes."""
    import vyper

    digest = hashlib.sha256(vyper.__version__.encode())
    for path in sorted([*ROOT.glob("contracts/**/*.vy"), *ROOT.glob("interfaces/**/*.vyi")]):
        digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def _artifacts(name: str) -> tuple[bytes, bytes, list[dict[str, Any]]]:
    """(initcode, blueprint initcode, ABI) of `contracts/<name>`, compiled as titanoboa compiles it (the
    front end takes seconds per contract: the result is kept under .cache/)."""
    path = CACHE / f"{name.replace('/', '_')}-{_sources_key()}.json"
    if path.exists():
        stored = json.loads(path.read_text())
        return bytes.fromhex(stored["initcode"]), bytes.fromhex(stored["blueprint"]), stored["abi"]
    from boa_system import deployer
    from vyper.compiler.output import build_abi_output

    data = deployer(name).compiler_data
    initcode, blueprint, abi = data.bytecode, data.blueprint_bytecode, build_abi_output(data)
    CACHE.mkdir(parents=True, exist_ok=True)
    # Two fuzz processes may compile at once: write aside, then rename (atomic).
    scratch = path.with_suffix(f".{os.getpid()}.tmp")
    scratch.write_text(json.dumps({"initcode": initcode.hex(), "blueprint": blueprint.hex(), "abi": abi}))
    scratch.replace(path)
    return initcode, blueprint, abi


class RevmChain:
    """One revm instance with a block clock; addresses from aliases as titanoboa derives them."""

    def __init__(self) -> None:
        self.evm = pyrevm.EVM(spec_id="CANCUN")
        self.timestamp = START_TIMESTAMP
        self.number = 1
        self._aliases: dict[str, int] = {}
        self._set_block()
        self.default_sender = self.generate_address("default sender")

    def _set_block(self) -> None:
        self.evm.set_block_env(pyrevm.BlockEnv(number=self.number, timestamp=self.timestamp))

    def generate_address(self, alias: str) -> str:
        """A funded address, new at each call (as titanoboa's): the first for an alias is keccak("revm:" +
        alias), later ones add a count."""
        uses = self._aliases.get(alias, 0)
        self._aliases[alias] = uses + 1
        label = f"revm:{alias}" if uses == 0 else f"revm:{alias}:{uses}"
        address = to_checksum_address(keccak(text=label)[-20:])
        self.evm.set_balance(address, 1_000_000 * ETHER)
        return address

    def call(self, sender: str, to: str, data: bytes, value: int = 0) -> bytes:
        try:
            return bytes(self.evm.message_call(sender, to, data, value=value))
        except RuntimeError as error:
            raise Reverted(_reason(error)) from None
        finally:
            # Each call is its own transaction: transient storage (the reentrancy locks) starts empty.
            self.evm.reset_transient_storage()

    def deploy(self, name: str, *args: Any, sender: str) -> Contract:
        initcode, _, abi = _artifacts(name)
        constructor = next((entry for entry in abi if entry["type"] == "constructor"), None)
        encoded = b""
        if constructor is not None:
            encoded = eth_abi.encode([_type(item) for item in constructor["inputs"]], [_arg(a) for a in args])
        try:
            address = self.evm.deploy(sender, initcode + encoded)
        except RuntimeError as error:
            raise Reverted(_reason(error)) from None
        return Contract(self, address, abi)

    def blueprint(self, name: str, sender: str) -> str:
        _, initcode, _ = _artifacts(name)
        return to_checksum_address(self.evm.deploy(sender, initcode))

    def at(self, name: str, address: str) -> Contract:
        return Contract(self, address, _artifacts(name)[2])

    def time_travel(self, seconds: int) -> None:
        self.timestamp += seconds
        self.number += max(seconds // BLOCK_SECONDS, 1)
        self._set_block()

    @contextmanager
    def anchor(self) -> Iterator[None]:
        """Everything done inside (state and clock) is undone on leaving."""
        checkpoint = self.evm.snapshot()
        clock = self.timestamp, self.number
        try:
            yield
        finally:
            self.evm.revert(checkpoint)
            self.timestamp, self.number = clock
            self._set_block()


def build_all() -> None:
    """Compile every contract into the artifact cache (make test runs this beside `ape compile`, so that
    neither test process compiles them again)."""
    for path in sorted((ROOT / "contracts").glob("**/*.vy")):
        _artifacts(str(path.relative_to(ROOT / "contracts")))


if __name__ == "__main__":
    build_all()
