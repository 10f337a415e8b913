"""JSON-RPC transports the reads go through: a web3.py `Web3` (one batch per round trip where the provider
takes batches), or anything else that answers the same few methods (the tests' revm chain)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from levstake.abi import revert_reason

ZERO_ADDRESS = "0x" + "00" * 20
# An address as typed: 0x and 40 hex digits (the CLI's `--market`, the page's parameters).
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
# Methods whose failures are the node's, not a transaction's: they raise rather than come back as a ReadError.
READ_METHODS = ("eth_getBalance", "eth_getCode", "eth_getBlockByNumber", "eth_chainId", "eth_getLogs")


def one_line(error: BaseException, width: int = 300) -> str:
    """An error as its kind and its first line, at most `width` characters: what a log line can carry."""
    first = (str(error).splitlines() or [""])[0]
    return f"{type(error).__name__}: {first}"[:width]


class ReadError(Exception):
    """A read that failed: the RPC's error, or the contract's revert reason."""


@dataclass(frozen=True)
class Block:
    number: int
    timestamp: int
    hash: str = field(default="", compare=False)  # when the node gave it; not part of equality


class Transport(Protocol):
    """Sends JSON-RPC requests, as many as it can at once; each result is decoded (`eth_call`: bytes,
    quantities: int, blocks: `Block`) or a `ReadError`."""

    def request_many(self, requests: Sequence[tuple[str, list[Any]]]) -> list[Any]: ...


def _decode(method: str, result: Any) -> Any:
    if method == "eth_call" or method == "eth_getCode":
        return bytes.fromhex(result[2:]) if isinstance(result, str) else bytes(result)
    if method in ("eth_getBalance", "eth_chainId", "eth_blockNumber"):
        return int(result, 16) if isinstance(result, str) else int(result)
    if method == "eth_getBlockByNumber":
        if result is None:  # a block the node does not have (past the head, pruned, a chain that went back)
            return None
        number, timestamp = result["number"], result["timestamp"]
        block_hash = result.get("hash") or ""
        return Block(
            int(number, 16) if isinstance(number, str) else int(number),
            int(timestamp, 16) if isinstance(timestamp, str) else int(timestamp),
            block_hash if isinstance(block_hash, str) else "0x" + bytes(block_hash).hex(),
        )
    return result


def _error(error: Any) -> ReadError:
    data = error.get("data") if isinstance(error, dict) else None
    if isinstance(data, str) and data.startswith("0x"):
        return ReadError(revert_reason(bytes.fromhex(data[2:])))
    return ReadError(error.get("message", str(error)) if isinstance(error, dict) else str(error))


class Web3Transport:
    """JSON-RPC through a web3.py `Web3`: one batch (one round trip) when the provider takes batches,
    else web3's own methods one at a time."""

    def __init__(self, w3: Any) -> None:
        self.w3 = w3
        self.batches = hasattr(w3.provider, "make_batch_request")
        self._from: str | None = None

    def request_many(self, requests: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        if self.batches and len(requests) > 1:
            try:
                responses = self.w3.provider.make_batch_request(list(requests))
            except NotImplementedError:
                self.batches = False
            else:
                if isinstance(responses, dict):  # the whole batch was refused
                    raise _error(responses.get("error", responses))
                return [
                    _error(response["error"]) if "error" in response else _decode(method, response["result"])
                    for (method, _), response in zip(requests, responses, strict=True)
                ]
        return [self._one(method, params) for method, params in requests]

    def _sender(self) -> str:
        # Without a sender, web3's eth-tester middleware lists the accounts to pick one, at every call (40% of
        # a snapshot's time on Ape's in-process chain); the chain's first account once is enough.
        if self._from is None:
            accounts = self.w3.eth.accounts
            self._from = accounts[0] if accounts else ZERO_ADDRESS
        return self._from

    def _one(self, method: str, params: list[Any]) -> Any:
        from web3.exceptions import BlockNotFound, ContractLogicError, Web3Exception

        eth = self.w3.eth
        try:
            if method == "eth_call":
                call = {"from": self._sender(), **params[0]}
                if isinstance(call.get("value"), str):
                    call["value"] = int(call["value"], 16)
                return bytes(eth.call(call, block_identifier=_block_id(params[1])))
            if method == "eth_getBalance":
                return int(eth.get_balance(params[0], block_identifier=_block_id(params[1])))
            if method == "eth_getCode":
                return bytes(eth.get_code(params[0], block_identifier=_block_id(params[1])))
            if method == "eth_getBlockByNumber":
                try:
                    block = eth.get_block(_block_id(params[0]))
                except BlockNotFound:
                    return None
                return Block(int(block["number"]), int(block["timestamp"]), "0x" + bytes(block["hash"]).hex())
            if method == "eth_chainId":
                return int(eth.chain_id)
            if method == "eth_getLogs":
                return [dict(log) for log in eth.get_logs(params[0])]
            # Anything else (eth_simulateV1, ...) as the provider answers it.
            response = self.w3.provider.make_request(method, params)
        except ContractLogicError as error:
            data = error.data if isinstance(error.data, str) else None
            if data and data.startswith("0x"):
                return ReadError(revert_reason(bytes.fromhex(data[2:])))
            return ReadError(str(error.message or error))
        except (ValueError, Web3Exception) as error:
            if method in READ_METHODS:
                raise
            # A call the node refuses before running it (funds for the value, a bad request): its message.
            message = error.args[0] if error.args else error
            if isinstance(message, dict):
                return _error(message)
            return ReadError(str(message))
        except Exception as error:
            # eth-tester (Ape's in-process chain) raises its own TransactionFailed for a call that reverts,
            # with the decoded reason in the message.
            if method != "eth_call" or type(error).__name__ != "TransactionFailed":
                raise
            text = str(error.args[0] if error.args else error)
            return ReadError(text.removeprefix("execution reverted: "))
        if "error" in response:
            return _error(response["error"])
        return _decode(method, response["result"])


def _block_id(tag: Any) -> Any:
    return int(tag, 16) if isinstance(tag, str) and tag.startswith("0x") else tag


def revert_reason_of(transport: Transport, tx: dict[str, Any], block: int) -> str:
    """Why a mined transaction reverted: the node's call trace of it (`debug_traceTransaction`, anvil / geth /
    reth) decoded, else a replay with `eth_call` on the state before its block (same sender, target, data and
    value; earlier transactions of its block and its block's time are not replayed)."""
    (trace,) = transport.request_many([("debug_traceTransaction", [tx["hash"], {"tracer": "callTracer"}])])
    output = trace.get("output") if isinstance(trace, dict) else None
    if isinstance(output, str) and len(output) > 2:
        return revert_reason(bytes.fromhex(output[2:]))
    call = {key: tx[key] for key in ("from", "to", "value") if tx.get(key) is not None}
    call["data"] = tx.get("input") or tx.get("data") or "0x"
    (answer,) = transport.request_many([("eth_call", [call, hex(max(block - 1, 0))])])
    if isinstance(answer, ReadError):
        return str(answer)
    return (
        "reverted (a replay before its block succeeds: a transaction earlier in the block changed the state)"
    )
