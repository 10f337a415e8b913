"""
Transactions of every user action as plain data (to, calldata, value), and the EIP-712 messages a new wallet
signs so that `open` is one transaction: the market authorization of the router and an EIP-2612 permit of X.
A browser wallet (`eth_sendTransaction`, `eth_signTypedData_v4`), a local key (`levstake.signing`) or an Ape
account (`levstake.ape_wallet`) signs and sends them; nothing here holds a key or talks to a chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import eth_abi

from levstake.deployment import Deployment
from levstake.model import BPS, CLOSE_TO_X
from levstake.reads import ProtocolInfo, Snapshot
from levstake.signing import authorization_message, permit_message

EMPTY_SIGNATURE = (0, 0, 0, b"\x00" * 32, b"\x00" * 32)


class TxError(ValueError):
    """An input no transaction should be built for, as one line."""


@dataclass(frozen=True)
class Signature:
    v: int
    r: bytes
    s: bytes

    @classmethod
    def from_hex(cls, signature: str) -> Signature:
        """A 65-byte `eth_signTypedData_v4` answer (r, s, v)."""
        raw = bytes.fromhex(signature[2:] if signature.startswith("0x") else signature)
        if len(raw) != 65:
            raise TxError("a signature is 65 bytes")
        v = raw[64] if raw[64] >= 27 else raw[64] + 27
        return cls(v, raw[:32], raw[32:64])


@dataclass(frozen=True)
class TxRequest:
    """One transaction to sign and send; `label` names it in logs and prompts; `returns` are the ABI types of
    what the function returns (to read a simulation's answer with `decode`)."""

    to: str
    data: bytes
    value: int = 0
    label: str = ""
    returns: tuple[str, ...] = ()

    def decode(self, output: bytes) -> Any:
        """The function's return value from a simulation's output: one value, a tuple for several, None
        without outputs."""
        if not self.returns:
            return None
        values = eth_abi.decode(list(self.returns), output)
        return values[0] if len(values) == 1 else tuple(values)

    def as_rpc(self, sender: str | None = None) -> dict[str, Any]:
        """The `eth_sendTransaction` / `eth_call` parameter object."""
        tx: dict[str, Any] = {"to": self.to, "data": "0x" + self.data.hex(), "value": hex(self.value)}
        if sender:
            tx["from"] = sender
        return tx


class Builder:
    """Builds the transactions and typed data of one deployment (on the market `info` names)."""

    def __init__(self, deployment: Deployment, info: ProtocolInfo) -> None:
        self.deployment = deployment
        self.info = info
        self.address = info.contracts

    def _tx(self, key: str, function: str, *args: Any, value: int = 0, label: str = "") -> TxRequest:
        abi = self.deployment.abi(key).function(function, len(args))
        return TxRequest(self.address[key], abi.encode(*args), value, label or function, abi.outputs)

    # ------------------------------------------------------------ signatures a new wallet needs

    def authorization_request(self, snapshot: Snapshot, deadline: int) -> dict[str, Any] | None:
        """The EIP-712 typed data authorizing the router on the market for the snapshot's account, or None
        when it is already authorized."""
        account = _account(snapshot)
        if account.authorized:
            return None
        return authorization_message(
            self.info.chain_id,
            self.address["market"],
            account.address,
            self.address["router"],
            True,
            account.authorization_nonce,
            deadline,
        )

    def permit_request(
        self, snapshot: Snapshot, amount: int, deadline: int, token: str = "x"
    ) -> dict[str, Any] | None:
        """The EIP-2612 permit of `amount` of X (or the LST) for the router, or None when the allowance is
        enough."""
        account = _account(snapshot)
        allowance, nonce = (
            (account.x_allowance, account.x_nonce)
            if token == "x"
            else (account.lst_allowance, account.lst_nonce)
        )
        if allowance >= amount:
            return None
        name = self.info.x_name if token == "x" else self.info.lst_name
        return permit_message(
            name,
            self.info.chain_id,
            self.address[token],
            account.address,
            self.address["router"],
            amount,
            nonce,
            deadline,
        )

    # ------------------------------------------------------------ the router

    def open(
        self,
        assets: int,
        leverage: int,
        min_collateral: int,
        deadline: int,
        native: bool = False,
        permit: Signature | None = None,
        authorization: Signature | None = None,
        authorization_nonce: int = 0,
    ) -> TxRequest:
        """`open` (or `open_native` paying `assets` of the native coin): the signatures given ride along."""
        market = self.address["market"]
        auth = _authorization(authorization, authorization_nonce, deadline)
        if native:
            if not self.info.native:
                raise TxError(f"{self.info.symbol} is not this network's wrapped native token; drop --native")
            return self._tx(
                "router",
                "open_native",
                market,
                leverage,
                min_collateral,
                deadline,
                auth,
                value=assets,
                label="open",
            )
        signed = EMPTY_SIGNATURE if permit is None else (assets, deadline, permit.v, permit.r, permit.s)
        return self._tx("router", "open", market, assets, leverage, min_collateral, deadline, signed, auth)

    def adjust(
        self,
        leverage: int,
        min_equity: int,
        deadline: int,
        partial: bool = False,
        authorization: Signature | None = None,
        authorization_nonce: int = 0,
    ) -> TxRequest:
        auth = _authorization(authorization, authorization_nonce, deadline)
        return self._tx(
            "router", "adjust", self.address["market"], leverage, min_equity, deadline, auth, partial
        )

    def close(self, min_out: int, deadline: int, mode: int = CLOSE_TO_X) -> TxRequest:
        return self._tx("router", "close", self.address["market"], min_out, deadline, mode)

    # ------------------------------------------------------------ tokens, staking, lending

    def approve(self, token: str, spender: str, amount: int) -> TxRequest:
        return self._tx(
            token, "approve", self.address.get(spender, spender), amount, label=f"approve {token}"
        )

    def wrap(self, amount: int) -> TxRequest:
        if not self.info.native:
            raise TxError(f"{self.info.symbol} is not a wrapped native token")
        return self._tx("x", "deposit", value=amount, label="wrap")

    def stake(self, amount: int, receiver: str) -> TxRequest:
        return self._tx("lst", "deposit", amount, receiver, label="stake")

    def lend(self, amount: int, receiver: str) -> TxRequest:
        return self._tx("market", "deposit", amount, receiver, label="lend")

    def claim(self, request_id: int) -> TxRequest:
        return self._tx("lst", "claim", request_id)

    def unwrap(self, amount: int) -> TxRequest:
        if not self.info.native:
            raise TxError(f"{self.info.symbol} is not a wrapped native token")
        return self._tx("x", "withdraw", amount, label="unwrap")

    def unstake(self, shares: int, owner: str, receiver: str | None = None) -> TxRequest:
        """Instant unstake of exactly `shares` (the LST's `redeem`: the fee stays with the stakers)."""
        return self._tx("lst", "redeem", shares, receiver or owner, owner, label="unstake")

    def request_unstake(self, shares: int, owner: str, receiver: str | None = None) -> TxRequest:
        """Queued unstake of `shares`: no fee, paid once the backend's unbonding delay has passed."""
        return self._tx("lst", "request_unstake", shares, receiver or owner, owner, label="queue unstake")

    def lender_withdraw(self, assets: int, owner: str, receiver: str | None = None) -> TxRequest:
        """A lender takes exactly `assets` of X out of the market."""
        return self._tx("market", "withdraw", assets, receiver or owner, owner, label="withdraw")

    def lender_redeem(self, shares: int, owner: str, receiver: str | None = None) -> TxRequest:
        """A lender redeems exactly `shares` (all of them: nothing left behind)."""
        return self._tx("market", "redeem", shares, receiver or owner, owner, label="withdraw")

    def repay(self, on_behalf: str, assets: int = 0, shares: int = 0) -> TxRequest:
        """`market.repay` from the wallet by exact `assets` or exact `shares` (all the debt: no dust)."""
        if (assets == 0) == (shares == 0):
            raise TxError("repay by assets or by shares, not both")
        return self._tx("market", "repay", assets, shares, on_behalf, label="repay")

    def withdraw_collateral(self, assets: int, on_behalf: str, receiver: str | None = None) -> TxRequest:
        to = receiver or on_behalf
        return self._tx("market", "withdraw_collateral", assets, on_behalf, to, label="withdraw collateral")

    def set_authorization(self, authorized: str, is_authorized: bool) -> TxRequest:
        """`market.set_authorization` sent by the user: what a signed authorization does, as a transaction."""
        return self._tx(
            "market", "set_authorization", self.address.get(authorized, authorized), is_authorized,
            label="authorize" if is_authorized else "revoke",
        )  # fmt: skip

    def process_queue(self) -> TxRequest:
        return self._tx("lst", "process_queue", label="process queue")

    # ------------------------------------------------------------ upkeep (permissionless)

    def sync_rewards(self) -> TxRequest:
        return self._tx("lst", "sync_rewards")

    def rebalance(self) -> TxRequest:
        return self._tx("lst", "rebalance")

    def update_snapshot(self) -> TxRequest:
        return self._tx("oracle", "update_snapshot", label="oracle snapshot")

    def accrue_interest(self) -> TxRequest:
        return self._tx("market", "accrue_interest", label="accrue interest")

    # ------------------------------------------------------------ liquidator and guard (deployment keys
    # "liquidator", "guard"; `Deployment.require` says when a file predates them)

    def liquidate(
        self,
        borrower: str,
        seized_assets: int,
        repaid_shares: int,
        min_profit: int,
        deadline: int,
        keep_lst: bool = False,
    ) -> TxRequest:
        """A capital-free liquidation through the Liquidator (the caller pays gas only)."""
        return self._tx(
            "liquidator",
            "liquidate",
            self.address["market"],
            borrower,
            seized_assets,
            repaid_shares,
            min_profit,
            deadline,
            keep_lst,
        )

    def protect(self, user: str, tip_bps: int) -> TxRequest:
        return self._tx("guard", "protect", self.address["market"], user, tip_bps)

    def guard_checkpoint(self) -> TxRequest:
        return self._tx("guard", "checkpoint", self.address["market"], label="carry checkpoint")

    def set_guard(
        self, health_floor: int, target_leverage: int, max_tip_bps: int, carry_hours: int
    ) -> TxRequest:
        market = self.address["market"]
        return self._tx("guard", "set_guard", market, health_floor, target_leverage, max_tip_bps, carry_hours)

    def revoke_guard(self) -> TxRequest:
        return self._tx("guard", "revoke", self.address["market"], label="revoke guard")

    def authorize_guard(self, allowed: bool = True) -> TxRequest:
        """The market authorization `protect` needs (False withdraws it, which stops the guard as well)."""
        return self._tx(
            "market",
            "set_authorization",
            self.address["guard"],
            allowed,
            label="authorize guard" if allowed else "deauthorize guard",
        )


def _account(snapshot: Snapshot):
    if snapshot.account is None:
        raise TxError("the snapshot was read without an account")
    return snapshot.account


def _authorization(signature: Signature | None, nonce: int, deadline: int) -> tuple:
    if signature is None:
        return EMPTY_SIGNATURE
    return (nonce, deadline, signature.v, signature.r, signature.s)


def min_after_slippage(amount: int, slippage_bps: int) -> int:
    """`amount` less `slippage_bps`, rounded down: the least a transaction may give before it reverts."""
    if not 0 <= slippage_bps < BPS:
        raise TxError("slippage must be between 0 and 10000 bps")
    return amount * (BPS - slippage_bps) // BPS
