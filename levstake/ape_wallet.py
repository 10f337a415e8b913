"""
Signing and sending with Ape accounts (test, keyfile, hardware): what the CLI and an Ape-based keeper use.
Everything else (reads, previews, transaction data) is in the Ape-free modules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from levstake.abi import ContractAbi
from levstake.signing import sign_with_account
from levstake.txs import Signature, TxRequest


def sign(account: Any, typed_data: dict[str, Any]) -> Signature:
    """EIP-712 typed data signed by the account (the key never leaves it)."""
    return Signature(*sign_with_account(account, typed_data))


def send(account: Any, tx: TxRequest) -> Any:
    """Sign and send one transaction from `account`; returns Ape's receipt. A transaction that would revert
    raises Ape's `ContractLogicError` with the reason (Ape estimates gas first, so nothing is sent)."""
    from ape import networks

    provider = networks.provider
    transaction = provider.network.ecosystem.create_transaction(
        receiver=tx.to, data=tx.data, value=tx.value, sender=account.address
    )
    return account.call(transaction)


def passphrase_variable(alias: str) -> str:
    """Where a keyfile account's passphrase is read from without a prompt (Ape's own variable)."""
    return f"APE_ACCOUNTS_{alias}_PASSPHRASE"


def missing_passphrase(alias: str, environ: Mapping[str, str], interactive: bool) -> str | None:
    """Why keyfile account `alias` cannot be unlocked here, or None: no passphrase in its variable and no
    terminal to ask on (Ape's prompt then ended in "Aborted!")."""
    variable = passphrase_variable(alias)
    if variable in environ or interactive:
        return None
    return f"set {variable}: no terminal to ask for {alias}'s passphrase"


def gas_reserve(account: Any, tx: TxRequest) -> int:
    """The most the gas of `tx` can cost `account`, as Ape will send it: its gas limit (the network's setting:
    the block's on a local network) times its fee cap. The balance must hold this beside what `tx` sends."""
    from ape import networks

    provider = networks.provider
    transaction = provider.network.ecosystem.create_transaction(
        receiver=tx.to, data=tx.data, value=tx.value, sender=account.address
    )
    prepared = provider.prepare_transaction(transaction)
    fee = getattr(prepared, "max_fee", None) or getattr(prepared, "gas_price", None) or 0
    return int(prepared.gas_limit) * int(fee)


def events(receipt: Any, abi: ContractAbi, name: str, address: str) -> list[dict[str, Any]]:
    """The `name` events `address` emitted in the receipt, decoded with `abi`."""
    event = abi.event(name)
    found = []
    for log in receipt.logs:
        topics = [_as_bytes(topic) for topic in log["topics"]]
        if topics and topics[0] == event.topic and str(log["address"]).lower() == address.lower():
            found.append(event.decode(topics, _as_bytes(log["data"])))
    return found


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value[2:] if value.startswith("0x") else value)
    return bytes(value)


def sender(account: Any) -> Callable[[TxRequest], Any]:
    """`send` bound to one account: what `levstake.keeper.jobs` takes to perform a job."""
    return lambda tx: send(account, tx)
