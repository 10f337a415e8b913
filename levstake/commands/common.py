"""What the `leverage` commands share: printing, the leverage option, balance checks, the account's status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from levstake import previews, report
from levstake.cli import ClientError, Session, address_of
from levstake.model import WAD
from levstake.reads import Snapshot
from levstake.txs import TxRequest


def echo(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)


def leverage_option(
    required: bool = True, help_text: str = "Target leverage, e.g. 20, or 'max'."
) -> Callable:
    """`--leverage`: a number (1 to the market's max) or `max`; never implied."""
    return click.option(
        "--leverage", "leverage_text", type=str, required=required, metavar="LEVERAGE", help=help_text
    )


def leverage_wad(session: Session, text: str) -> int:
    """The leverage typed as WAD: `max` is the market's max; a one-line error for anything else."""
    if text.strip().lower() == "max":
        return session.info.max_leverage
    try:
        value = float(text)
    except ValueError:
        raise ClientError(f"leverage {text!r} is not a number (e.g. 20, or max)") from None
    return previews.check_leverage(session.info, value)


def leverage_label(wad: int) -> str:
    return f"{wad / WAD:g}x"


def check_balance(
    session: Session, snapshot: Snapshot, assets: int, native: bool, can_pay_native: bool = False
) -> None:
    """Refuse an amount above the wallet's balance, saying how to get X (`can_pay_native`: the command takes
    --native)."""
    info, account = session.info, snapshot.account
    assert account is not None
    if native and not info.native:
        raise ClientError(f"{info.symbol} is not this network's wrapped native token; drop --native")
    balance = account.native_balance if native else account.x_balance
    if assets > balance:
        what = "native balance" if native else f"{info.symbol} balance"
        hint = ""
        if not native and info.native:
            hint = " (`wrap` it first, or pay with --native)" if can_pay_native else " (`wrap` it first)"
        raise ClientError(
            f"amount {session.exact(assets, 'x').split()[0]} is above your {what} "
            f"{session.exact(balance, 'x').split()[0]}{hint}"
        )


def risk_check(risks: list[previews.Risk], accept: bool) -> list[str]:
    """Refuse without `--accept-risk`, saying why; with it, the lines that say what was accepted."""
    if not risks:
        return []
    reasons = "; ".join(risk.reason for risk in risks)
    if not accept:
        raise ClientError(f"{reasons}. Nothing was signed: pass --accept-risk to go ahead anyway")
    return [f"risk     {risk.reason} (accepted with --accept-risk)" for risk in risks]


accept_risk_option = click.option(
    "--accept-risk",
    is_flag=True,
    help="Go ahead at negative carry, with liquidation within a year at current rates, or with a stream "
    "premium above 5% of what you put in (refused otherwise, with the reason).",
)


def position_after(session: Session, account: Any) -> None:
    """The position's lines once a transaction landed."""
    snapshot = session.snapshot(address_of(account))
    echo(report.position_lines(session.info, previews.position_figures(session.info, snapshot)))


def approval(session: Session, owner: str, spender: str, amount: int) -> list[TxRequest]:
    """The approval of `amount` of X for `spender` ("market", "lst") a transaction needs first, if the
    allowance is short (none otherwise)."""
    (allowance,) = session.reader.call_many([("x", "allowance", (owner, session.info.contracts[spender]))])
    return [] if allowance >= amount else [session.builder.approve("x", spender, amount)]
