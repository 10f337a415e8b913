"""A `Keeper` on Ape's connected network: reads through a retried web3 transport of the provider's HTTP
endpoint, sends with an Ape account (a Silverback bot's signer), the deployment file of that network."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

from levstake.deployment import Deployment, default_path
from levstake.keeper.jobs import mined_revert
from levstake.keeper.keeper import Keeper
from levstake.keeper.retry import RetryTransport, with_retries
from levstake.keeper.settings import (
    ALTRUIST_ENV,
    DRY_RUN_ENV,
    KEEP_LST_ENV,
    X_PER_NATIVE_ENV,
    check_all,
    flag,
    positive,
)
from levstake.reads import Reader
from levstake.rpc import ReadError, Web3Transport, one_line
from levstake.txs import Builder, TxRequest

RPC_TIMEOUT = 10
# A devnet mines every few seconds, a real chain every 12 s: two minutes without its block is a stuck send.
RECEIPT_TIMEOUT = 120


def make_keeper(provider: Any, signer: Any | None, log: Callable[[str], None]) -> Keeper:
    """The keeper of Ape's connected `provider`. Without a signer it runs dry (reads and decides, sends
    nothing), as with LEVSTAKE_KEEPER_DRY_RUN=1."""
    from web3 import Web3

    check_all()
    network = provider.network
    deployment = Deployment.load(default_path(network.ecosystem.name, network.name))
    w3 = Web3(Web3.HTTPProvider(provider.http_uri, request_kwargs={"timeout": RPC_TIMEOUT}))

    def on_retry(error: BaseException, delay: float) -> None:
        log(f"rpc      {one_line(error, 140)}; retrying in {delay:g} s")

    transport = RetryTransport(Web3Transport(w3), on_retry=on_retry)
    reader = Reader(transport, deployment)
    builder = Builder(deployment, reader.info)
    dry_run = signer is None or flag(DRY_RUN_ENV)
    if not dry_run and signer.balance == 0:
        log(f"warning  signer {signer.address} holds no native coin: every send fails until it is funded")
    sender = signer.address if signer is not None else reader.addresses["router"]
    if not reader.info.native and X_PER_NATIVE_ENV not in os.environ:
        raise SystemExit(
            f"{reader.info.symbol} is not the native coin: set {X_PER_NATIVE_ENV} (X per native coin) so gas "
            "can be priced in X"
        )
    x_per_native = positive(X_PER_NATIVE_ENV, "1")

    def estimate(tx: TxRequest) -> tuple[int, int]:
        gas, price = transport.request_many([("eth_estimateGas", [tx.as_rpc(sender)]), ("eth_gasPrice", [])])
        for answer in (gas, price):
            if isinstance(answer, ReadError):
                raise answer
        return int(gas, 16), int(price, 16)

    def submit(tx: TxRequest, gas_limit: int) -> Any:
        transaction = network.ecosystem.create_transaction(
            receiver=tx.to, data=tx.data, value=tx.value, sender=signer.address, gas_limit=gas_limit
        )
        # Signed by the Ape account, sent and awaited through web3: a transaction another keeper beat to the
        # job reverts, and Ape's own send printed its call trace for every revert before the bot's one line.
        signed = signer.sign_transaction(signer.prepare_transaction(transaction))
        return w3.eth.send_raw_transaction(signed.serialize_transaction())

    def send(tx: TxRequest, gas_limit: int) -> Any:
        # A send is retried only when it never reached the node (connection refused): a time-out after the
        # node took it could otherwise send it twice; the next block decides again from the chain.
        try:
            tx_hash = with_retries(lambda: submit(tx, gas_limit), fault=_never_reached)
        except Exception as error:
            # Ape says "Transfer value meets or exceeds account balance" for a send of 0 value the gas
            # makes unaffordable; a node says "insufficient funds".
            if not re.search(r"exceeds account balance|insufficient funds", str(error), re.I):
                raise
            held = signer.balance / 10**18
            raise RuntimeError(
                f"signer {signer.address} holds {held:.6f} native: too little for the gas"
            ) from None
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.2)
        if receipt["status"] != 1:
            raise mined_revert(transport, tx, tx_hash.to_0x_hex(), signer.address, receipt)
        return receipt

    return Keeper(
        reader,
        builder,
        send,
        estimate,
        dry_run=dry_run,
        altruist=flag(ALTRUIST_ENV),
        keep_lst=flag(KEEP_LST_ENV),
        x_per_native=x_per_native,
        log=log,
    )


def _never_reached(error: BaseException) -> bool:
    import requests

    return isinstance(error, (requests.exceptions.ConnectionError, ConnectionRefusedError))
