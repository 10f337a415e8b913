"""A claim clears its request's storage in the LST (the refunds pay for the claim): `requests(id)` then
answers `claimed` and zeros, and `Reader` fills in whose the request was, when it was due and what it paid
from its `UnstakeRequested` and `UnstakeClaimed` events. Where the node returns no such event, the read
says so rather than showing a claimed request as paying nothing to nobody."""

from __future__ import annotations

from typing import Any

import pytest
from boa_system import RevmChain, deploy_system, stake
from revm_reads import reader_of

from levstake.reads import RequestView
from levstake.rpc import ZERO_ADDRESS, ReadError


class Logs:
    """An `EventLog` stand-in: the logs the node returned."""

    def __init__(self, logs: list[dict[str, Any]]) -> None:
        self.logs = logs

    def read(self, height: int) -> list[dict[str, Any]]:
        return self.logs


def test_a_claimed_request_reads_whose_it_was_and_what_it_paid(decimals) -> None:
    system = deploy_system(decimals, RevmChain())
    lst, chain = system.lst, system.chain
    owner = stake(system, "owner", 100)
    receiver = chain.generate_address("receiver")
    request_id = lst.request_unstake(lst.balanceOf(owner), receiver, owner, sender=owner)
    reader = reader_of(system)
    filed = reader.request(request_id)
    assert (filed.owner, filed.receiver, filed.claimed) == (owner, receiver, False) and filed.value > 0
    chain.time_travel(filed.ready_at - chain.timestamp)
    paid = lst.claim(request_id, sender=receiver)
    assert paid == filed.value
    assert tuple(lst.requests(request_id)) == (ZERO_ADDRESS, ZERO_ADDRESS, 0, 0, 0, True)

    filing = {"request_id": request_id, "owner": owner, "receiver": receiver, "ready_at": filed.ready_at}
    claim = {"request_id": request_id, "owner": owner, "receiver": receiver, "amount": paid}
    other = {**claim, "request_id": request_id + 1}
    reader._filings, reader._claims = Logs([filing]), Logs([other, claim])
    assert reader.request(request_id) == RequestView(
        request_id, owner, receiver, paid, filed.ready_at, True, True, True
    )
    reader._claims = Logs([other])
    with pytest.raises(ReadError, match="no UnstakeClaimed event"):
        reader.request(request_id)
    reader._filings, reader._claims = Logs([]), Logs([claim])
    with pytest.raises(ReadError, match="no UnstakeRequested event"):
        reader.request(request_id)
