"""RPC faults the keeper rides out: a transport that retries a failed round trip (connection refused,
time-out, a refused batch) with exponential back-off, and the test of whether an error is such a fault."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from levstake.rpc import ReadError, Transport, one_line

T = TypeVar("T")

# 0.25 s, 0.5 s, 1 s, 2 s, 4 s: about 8 s in all before the error reaches the caller (the next block retries).
ATTEMPTS = 6
FIRST_DELAY = 0.25


def is_rpc_fault(error: BaseException) -> bool:
    """A fault of the connection or the node, not an answer: worth retrying."""
    import requests
    from ape.exceptions import ProviderNotConnectedError, RPCTimeoutError
    from web3.exceptions import ProviderConnectionError, TimeExhausted, Web3RPCError

    if isinstance(error, (requests.RequestException, ConnectionError, TimeoutError, OSError)):
        return True
    if isinstance(error, (ProviderConnectionError, TimeExhausted)):
        return True
    if isinstance(error, Web3RPCError) and "revert" not in str(error).lower():
        return True
    return isinstance(error, (ProviderNotConnectedError, RPCTimeoutError))


def with_retries(
    action: Callable[[], Any],
    attempts: int = ATTEMPTS,
    first_delay: float = FIRST_DELAY,
    on_retry: Callable[[BaseException, float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    fault: Callable[[BaseException], bool] = is_rpc_fault,
) -> Any:
    """`action()`, again after each RPC fault with the delay doubled, up to `attempts` times; any other error
    (a revert, a bug) at once."""
    delay = first_delay
    for attempt in range(attempts):
        try:
            return action()
        except Exception as error:  # noqa: BLE001 - classified just below
            if not fault(error) or attempt == attempts - 1:
                raise
            if on_retry is not None:
                on_retry(error, delay)
            sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover


def _transport_fault(error: BaseException) -> bool:
    # A transport raises a ReadError only for a whole batch refused (a node restarting, a rate limit); a
    # call's revert is an item of the answer, never raised.
    return is_rpc_fault(error) or isinstance(error, ReadError)


class RetryTransport:
    """A `Transport` whose round trips are retried with back-off (each result that is a contract's revert is
    an answer, not a fault: it is returned as it is)."""

    def __init__(
        self, inner: Transport, on_retry: Callable[[BaseException, float], None] | None = None, **kwargs: Any
    ):
        self.inner = inner
        self.on_retry = on_retry
        self.kwargs = kwargs

    def request_many(self, requests: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        return with_retries(
            lambda: self.inner.request_many(requests),
            on_retry=self.on_retry,
            fault=_transport_fault,
            **self.kwargs,
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def round_or_skip(what: str, run: Callable[[], T], log: Callable[[str], None], skipped: T) -> T:
    """`run()`, or `skipped` with a line when the node does not answer (after the reads' own retries). A
    bot's task that fails counts towards the three after which Silverback stops it: an outage of a quarter of
    an hour (three 5-minute rounds) stopped every running bot for good."""
    try:
        return run()
    except Exception as error:
        if not is_rpc_fault(error):
            raise
        log(f"rpc      {what} skipped, no answer from the node ({one_line(error, 150)}): next round retries")
        return skipped
