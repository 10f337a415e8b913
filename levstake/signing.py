"""EIP-712 messages the protocol's contracts accept, built and signed off-chain."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data

EIP712_DOMAIN = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]

PERMIT = [
    {"name": "owner", "type": "address"},
    {"name": "spender", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]


def typed_data(
    primary_type: str,
    fields: list[dict[str, str]],
    domain_name: str,
    chain_id: int,
    verifying: str,
    **message: Any,
) -> dict[str, Any]:
    """EIP-712 typed data under a (name, "1", chain id, contract) domain; `message` gives the field values."""
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN, primary_type: fields},
        "primaryType": primary_type,
        "domain": {"name": domain_name, "version": "1", "chainId": chain_id, "verifyingContract": verifying},
        "message": message,
    }


def permit_message(
    token_name: str,
    chain_id: int,
    token: str,
    owner: str,
    spender: str,
    value: int,
    nonce: int,
    deadline: int,
) -> dict[str, Any]:
    """The EIP-2612 typed data for a token whose EIP-712 domain is (name, "1")."""
    return typed_data(
        "Permit",
        PERMIT,
        token_name,
        chain_id,
        token,
        owner=owner,
        spender=spender,
        value=value,
        nonce=nonce,
        deadline=deadline,
    )


def sign_typed_data(private_key: bytes | str, message: dict[str, Any]) -> tuple[int, bytes, bytes]:
    """Sign EIP-712 typed data with a raw key; returns (v, r, s)."""
    signed = Account.sign_message(encode_typed_data(full_message=message), private_key)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


AUTHORIZATION = [
    {"name": "authorizer", "type": "address"},
    {"name": "authorized", "type": "address"},
    {"name": "is_authorized", "type": "bool"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]
MARKET_DOMAIN_NAME = "LevStake Market"


def authorization_message(
    chain_id: int,
    market: str,
    authorizer: str,
    authorized: str,
    is_authorized: bool,
    nonce: int,
    deadline: int,
) -> dict[str, Any]:
    """The EIP-712 typed data a LendingMarket accepts in `set_authorization_with_sig`."""
    return typed_data(
        "Authorization",
        AUTHORIZATION,
        MARKET_DOMAIN_NAME,
        chain_id,
        market,
        authorizer=authorizer,
        authorized=authorized,
        is_authorized=is_authorized,
        nonce=nonce,
        deadline=deadline,
    )


def sign_with_account(account: Any, message: dict[str, Any]) -> tuple[int, bytes, bytes]:
    """
    Sign EIP-712 typed data with an Ape account (test, keyfile or hardware): the key never leaves the
    account. Returns (v, r, s); raises when the account declines to sign.
    """
    signature = account.sign_message(encode_typed_data(full_message=message))
    if signature is None:
        raise PermissionError(f"{account.address} did not sign the message")
    return signature.v, bytes(signature.r).rjust(32, b"\x00"), bytes(signature.s).rjust(32, b"\x00")
