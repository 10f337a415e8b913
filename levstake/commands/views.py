"""What can be read without signing: status (everything an account holds in the protocol), watch, max."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from levstake import fmt, previews, report
from levstake.cli import (
    ProviderCommand,
    Session,
    account_option,
    address_of,
    amount_option,
    deployment_option,
    emit_json,
    json_option,
    load_protocol,
    one_line_errors,
)
from levstake.commands.common import echo
from levstake.model import WAD


@click.command(cls=ProviderCommand)
@account_option(read_only=True)
@json_option
@deployment_option
@one_line_errors
def status(account: Any, as_json: bool, deployment_path: Path | None) -> None:
    """The market and, with --account, everything the account holds in the protocol: X, the LST, lender
    supply and its APR, the position, queued unstakes."""
    session = load_protocol(deployment_path)
    info = session.info
    user = None if account is None else address_of(account)
    snapshot = session.snapshot(user)
    market = previews.market_figures(info, snapshot)
    wallet = lender = position = requests = None
    if user is not None:
        wallet = previews.wallet_figures(snapshot)
        lender = previews.lender_figures(snapshot)
        position = previews.position_figures(info, snapshot)
        requests = session.reader.requests_of(user)
    if as_json:
        emit_json(
            report.status_json(
                info,
                snapshot.block,
                snapshot.timestamp,
                market,
                snapshot.pending,
                user,
                wallet,
                lender,
                position,
                requests,
            )  # fmt: skip
        )
        return
    if user is not None:
        assert wallet is not None and requests is not None
        echo(report.wallet_lines(info, user, wallet))
    echo(report.market_lines(info, market))
    if user is None:
        click.echo("account  none given: --account ALIAS (or TEST::n, or any 0x address) shows what it holds")
    else:
        echo(report.lender_lines(info, lender))
        echo(report.position_lines(info, position))
        echo(report.request_lines(info, requests or [], snapshot.timestamp, user))
    echo(report.pending_lines(snapshot.pending, snapshot.timestamp))


def watch_rows(session: Session) -> tuple[Any, Any, list[tuple[str, previews.PositionFigures]]]:
    """One refresh: one snapshot and every borrower's position in one batch."""
    reader, info = session.reader, session.info
    block = reader.block()
    snapshot = reader.snapshot(block=block)
    rows = []
    for user, position in reader.positions(reader.borrowers(), block).items():
        figures = previews.figures_of(info, snapshot, user, position)
        if figures is not None:
            rows.append((user, figures))
    return block, snapshot, rows


def watch_lines(session: Session) -> list[str]:
    info = session.info
    block, snapshot, rows = watch_rows(session)
    return report.watch_table(
        info,
        block.number,
        previews.market_figures(info, snapshot),
        report.pending_lines(snapshot.pending, snapshot.timestamp),
        rows,
    )


def watch_json(session: Session) -> dict[str, Any]:
    info = session.info
    block, snapshot, rows = watch_rows(session)
    return {
        "kind": "watch",
        **report.snapshot_json(info, block.number, block.timestamp),
        "market": report.market_json(info, previews.market_figures(info, snapshot)),
        "pending": report.pending_json(snapshot.pending),
        "positions": [
            {
                "account": user,
                "near_liquidation": figures.health < report.NEAR_LIQUIDATION,
                **(report.position_json(info, figures) or {}),
            }
            for user, figures in rows
        ],
    }


@click.command(cls=ProviderCommand)
@click.option(
    "--blocks", type=click.IntRange(0), default=0, help="Stop after this many refreshes (0: never)."
)
@click.option(
    "--interval",
    type=click.FloatRange(0.05),
    default=1.0,
    show_default=True,
    help="Seconds between checks for a new block.",
)
@json_option
@deployment_option
@one_line_errors
def watch(blocks: int, interval: float, as_json: bool, deployment_path: Path | None) -> None:
    """A live table refreshed at every new block: rates, max leverage, every position's health (--json: one
    JSON object a block, JSON lines)."""
    session = load_protocol(deployment_path)
    shown, last = 0, -1
    while blocks == 0 or shown < blocks:
        height = session.reader.block().number
        if height != last:
            if as_json:
                emit_json(watch_json(session))
            else:
                if click.get_text_stream("stdout").isatty():
                    click.clear()
                echo(watch_lines(session))
            last, shown = height, shown + 1
            continue
        time.sleep(interval)


@click.command(name="max", cls=ProviderCommand)
@amount_option("X you would put in", default="1")
@json_option
@deployment_option
@one_line_errors
def max_(amount_text: str, as_json: bool, deployment_path: Path | None) -> None:
    """The highest leverage available now for AMOUNT, given the market's idle liquidity."""
    session = load_protocol(deployment_path)
    info = session.info
    snapshot = session.snapshot()
    view = previews.market_figures(info, snapshot)
    assets = session.amount(amount_text)
    # An amount no open can take (dust the router would add no collateral for) gets the open's reason, not
    # "up to 1.00x" (`max_leverage_for` answers 1.0 when nothing fits).
    previews.preview_open(info, snapshot, assets, WAD)
    available = previews.max_leverage_for(info, snapshot, assets)
    if as_json:
        emit_json(
            {
                "kind": "max",
                **report.snapshot_json(info, snapshot.block, snapshot.timestamp),
                "amount": report.amount_json(assets, info.decimals),
                "max_leverage": view.max_leverage,
                "max_ltv": view.max_ltv,
                "idle": report.amount_json(view.idle, info.decimals),
                "available_leverage": available,
            }
        )
        return
    click.echo(f"max leverage {fmt.leverage(view.max_leverage)} (max LTV {fmt.percent(view.max_ltv, 0)})")
    click.echo(
        f"idle liquidity {fmt.amount(view.idle, info.decimals, info.symbol)}: with {session.exact(assets)} "
        f"you can open up to {fmt.leverage(available)} now"
    )
