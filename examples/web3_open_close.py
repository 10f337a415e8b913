"""
A client without Ape: plain web3.py and eth-account over the deployment file (every address and ABI), with
levstake's key-free modules (`reads`, `previews`, `txs`) for the figures and the calldata. It reads the
account's position (an account that has one is refused: the example closes what it opens), wraps X when the
account has too little, signs the market's authorization of the router and the EIP-2612 permit with a local
key (no transaction for either), opens at 10x in one transaction, shows the position, and closes it.

    python examples/web3_open_close.py --rpc http://127.0.0.1:8545 \
        --deployment deployments/ethereum-local.json --key 0x...   # or LEVSTAKE_KEY in the environment

The devnet's dev keys are public (anvil's mnemonic): use them on the devnet only.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from eth_account import Account
from eth_account.messages import encode_typed_data
from web3 import Web3

from levstake import fmt
from levstake.deployment import Deployment
from levstake.model import WAD
from levstake.previews import PreviewError, position_figures, preview_close, preview_open
from levstake.reads import Reader
from levstake.txs import Builder, Signature, TxRequest, min_after_slippage

LEVERAGE = 10 * WAD
SLIPPAGE_BPS = 50


def sign(account: Account, typed_data: dict) -> Signature:
    signed = account.sign_message(encode_typed_data(full_message=typed_data))
    return Signature(signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big"))


def send(w3: Web3, account: Account, tx: TxRequest) -> dict:
    """Sign `tx` with the local key and wait for its receipt; a revert raises with its label."""
    call = {**tx.as_rpc(account.address), "chainId": w3.eth.chain_id}
    call["value"] = tx.value
    call["nonce"] = w3.eth.get_transaction_count(account.address, "pending")
    call["gas"] = int(w3.eth.estimate_gas(call) * 1.2)
    fees = w3.eth.fee_history(1, "latest", [50])
    call["maxFeePerGas"] = 2 * fees["baseFeePerGas"][-1] + w3.to_wei(1, "gwei")
    call["maxPriorityFeePerGas"] = w3.to_wei(1, "gwei")
    raw = account.sign_transaction(call).raw_transaction
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(raw), timeout=60)
    if receipt["status"] != 1:
        raise SystemExit(f"{tx.label} reverted in block {receipt['blockNumber']}")
    print(f"sent     {tx.label}: block {receipt['blockNumber']}, {receipt['gasUsed']:,} gas")
    return receipt


def show(reader: Reader, address: str, when: str) -> None:
    snapshot = reader.snapshot(address)
    figures = position_figures(reader.info, snapshot)
    if figures is None:
        print(f"position {when}: none")
        return
    d, symbol = reader.info.decimals, reader.info.symbol
    debt, equity = fmt.amount(figures.debt, d, symbol), fmt.amount(figures.equity_exit or 0, d, symbol)
    print(
        f"position {when}: {fmt.leverage(figures.leverage)}, debt {debt}, equity at exit {equity}, "
        f"health {fmt.health(figures.health)}, net APR {fmt.percent(figures.net_apr or 0.0)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rpc", default="http://127.0.0.1:8545")
    parser.add_argument("--deployment", type=Path, default=Path("deployments/ethereum-local.json"))
    parser.add_argument("--key", default=os.environ.get("LEVSTAKE_KEY"))
    parser.add_argument("--amount", default="10", help="X to put in")
    arguments = parser.parse_args(argv)
    if not arguments.key:
        parser.error("--key or LEVSTAKE_KEY is needed")
    w3 = Web3(Web3.HTTPProvider(arguments.rpc))
    reader = Reader.from_web3(w3, Deployment.load(arguments.deployment))
    info, account = reader.info, Account.from_key(arguments.key)
    builder = Builder(reader.deployment, info)
    assets = fmt.parse_amount(arguments.amount, info.decimals, info.symbol)
    show(reader, account.address, "before")

    snapshot = reader.snapshot(account.address)
    assert snapshot.account is not None
    # The router levers a whole position and the close below closes all of it: an example opens its own.
    if position_figures(info, snapshot) is not None:
        print("Error: this account has a position; the example opens and closes its own: use another key",
              file=sys.stderr)  # fmt: skip
        return 1
    if snapshot.account.x_balance < assets:
        send(w3, account, builder.wrap(assets - snapshot.account.x_balance))
        snapshot = reader.snapshot(account.address)
    try:
        preview = preview_open(info, snapshot, assets, LEVERAGE)
    except PreviewError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    deadline = reader.block("pending").timestamp + 600
    authorization = builder.authorization_request(snapshot, deadline)
    permit = builder.permit_request(snapshot, assets, deadline)
    print(f"signed   {'authorization ' if authorization else ''}{'permit' if permit else ''}".rstrip())
    assert snapshot.account is not None
    opened = builder.open(
        assets,
        LEVERAGE,
        min_after_slippage(preview.collateral_added, SLIPPAGE_BPS),
        deadline,
        permit=None if permit is None else sign(account, permit),
        authorization=None if authorization is None else sign(account, authorization),
        authorization_nonce=snapshot.account.authorization_nonce,
    )
    send(w3, account, opened)
    show(reader, account.address, "opened ")

    closing = preview_close(info, reader.snapshot(account.address))
    deadline = reader.block("pending").timestamp + 600
    send(w3, account, builder.close(min_after_slippage(closing.value, SLIPPAGE_BPS), deadline, closing.mode))
    show(reader, account.address, "closed ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
