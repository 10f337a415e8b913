"""
Set, see and revoke a LeverageGuard on the account's position (`ape run guard ...`, each command takes
`--network` as the leverage commands do).

    guard set    --floor 1.005 --target 20 --tip-bps 50 [--carry-hours 24] --account <alias> [--yes]
    guard see    --account <alias>
    guard revoke --account <alias> [--keep-authorization] [--yes]

`set` authorizes the guard on the market when it is not yet (a second transaction) and says what a keeper may
then do: step the position down to the target once its health falls below the floor (or the carry has been
negative for the hours given), taking at most the tip. `see` prints what `status()` says a keeper would find.
`revoke` deletes the settings and withdraws the market authorization too (unless `--keep-authorization`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from levstake.cli import (
    ClientError,
    ProviderCommand,
    Session,
    account_option,
    address_of,
    deployment_option,
    ensure_keystore,
    load_protocol,
    one_line_errors,
    require_account,
    yes_option,
)
from levstake.keeper import scan
from levstake.model import WAD
from levstake.reads import first_refusal

ensure_keystore()


def _settings(session: Session, user: str) -> tuple[tuple[int, int, int, int], bool, scan.GuardStatus]:
    session.deployment.require("guard")
    market, guard = session.info.contracts["market"], session.info.contracts["guard"]
    block = session.reader.block()
    settings, authorized = session.reader.call_many(
        [("guard", "settings", (market, user)), ("market", "is_authorized", (user, guard))], block
    )
    (status,) = scan.guard_statuses(session.reader, [user], block)
    return tuple(settings), bool(authorized), status


def protect_refusal(
    session: Session, user: str, settings: tuple[int, int, int, int], status: scan.GuardStatus
) -> str | None:
    """Why a keeper's `protect` of `user` would revert now although a trigger holds (the buffer too small for
    the step, the guard not authorized); None when no trigger holds or it would land. Any caller may protect:
    simulated from the user's own address, which holds the native coin a node's call may ask the gas of."""
    if not settings[1] or not scan.protect_due(status):
        return None
    tx = session.builder.protect(user, settings[2])
    refused = first_refusal(session.reader.simulate([tx], user))
    return None if refused is None else refused.reason


def guard_lines(
    settings: tuple[int, int, int, int],
    authorized: bool,
    status: scan.GuardStatus,
    refusal: str | None = None,
) -> list[str]:
    floor, target, tip_bps, carry_hours = settings
    if not target:
        return ["guard    none on this market"]
    carry = f", or after {carry_hours} h of negative carry" if carry_hours else ""
    lines = [
        f"guard    step down to {target / WAD:.2f}x when health < {floor / WAD:.4f}{carry}; "
        f"tip at most {tip_bps / 100:.2f}% of the equity (of what a step moves, when less)",
        # status() reports max uint health for a position without debt: no figure a user should read
        "now      no debt: nothing to protect until the position borrows"
        if status.health >= 2**255
        else f"now      health {status.health / WAD:.4f}, leverage "
        + ("insolvent" if status.leverage >= 2**255 else f"{status.leverage / WAD:.2f}x")
        + f", carry run {status.carry_run / 3_600:.1f} h",
    ]
    if not authorized:
        lines.append(
            "WARNING  the guard is not authorized on the market: it cannot act (run `guard set` again)"
        )
    trigger = scan.protect_due(status)
    if not trigger:
        lines.append("trigger  none holds")
    elif refusal is not None:
        # A walk read "any keeper may protect now" while every protect reverted ("guard: buffer too small").
        lines.append(
            f"trigger  {trigger} holds, but a keeper's protect would revert now ({refusal}): nothing steps "
            "the position down until that changes"
        )
    else:
        lines.append(f"trigger  {trigger} holds: any keeper may protect now")
    return lines


def set_warnings(settings: tuple[int, int, int, int], status: scan.GuardStatus) -> list[str]:
    """What a guard with these settings will do that its owner may not expect, said before it is signed."""
    floor, _, tip_bps, _ = settings
    lines = []
    if tip_bps == 0:
        lines.append(
            "WARNING  tip 0: keepers that act for profit never protect it (only one run with "
            "LEVSTAKE_KEEPER_ALTRUIST=1 does)"
        )
    if status.health < 2**255 and status.health < floor:
        lines.append(
            f"WARNING  health is {status.health / WAD:.4f} now, below the floor: a keeper steps it down "
            "as soon as the guard is set and the LST's buffer pays the step, and takes its tip"
        )
    return lines


def _finite(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    # click's float ranges let NaN through (it compares False to both bounds), and `min=1` lets infinity by.
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a finite number", ctx, param)
    return value


# Far above any market's max leverage (1 / (1 - max LTV)): the guard's own check refuses a target past it;
# this only keeps an absurd one (1e60) from overflowing its 256-bit argument.
MAX_TARGET = 10_000


@click.group()
def cli() -> None:
    """A LeverageGuard on the account's position: set, see, revoke."""


@cli.command(name="set", cls=ProviderCommand)
@account_option()
@click.option(
    "--floor",
    type=click.FloatRange(1, 2, min_open=True),
    required=True,
    callback=_finite,
    help="Health floor, e.g. 1.005.",
)
@click.option(
    "--target",
    type=click.FloatRange(min=1, max=MAX_TARGET),
    required=True,
    callback=_finite,
    help="Leverage to step down to, e.g. 20.",
)
@click.option(
    "--tip-bps", type=click.IntRange(0, 100), default=50, show_default=True, help="Most a keeper takes."
)
@click.option(
    "--carry-hours", type=click.IntRange(0, 720), default=0, show_default=True, help="0: health only."
)
@yes_option
@deployment_option
@one_line_errors
def set_(
    account: Any,
    floor: float,
    target: float,
    tip_bps: int,
    carry_hours: int,
    yes: bool,
    deployment_path: Path | None,
) -> None:
    """Guard the position (replacing an earlier guard) and authorize the guard on the market if needed."""
    account = require_account(account)
    session = load_protocol(deployment_path)
    settings = (int(round(floor * 10**6)) * 10**12, int(round(target * 10**6)) * 10**12, tip_bps, carry_hours)
    if settings[0] <= WAD:
        # The guard keeps 6 decimals: 1.0000000001 is 1.000000, which the guard refuses as no floor at all.
        raise ClientError(
            f"--floor {floor!r} is 1.000000 to the 6 decimals the guard keeps: use 1.000001 or more"
        )
    current, authorized, status = _settings(session, account.address)
    if current == settings and authorized:
        raise ClientError("the guard already has these settings: nothing to send")
    for line in guard_lines(settings, True, status)[:1] + set_warnings(settings, status):
        click.echo(line)
    if not authorized:
        click.echo("         and authorize the guard on the market (a second transaction)")
    txs = [session.builder.set_guard(*settings)]
    if not authorized:
        txs.append(session.builder.authorize_guard(True))
    session.execute(account, txs, yes)
    for line in _guard_lines_now(session, account.address):
        click.echo(line)


@cli.command(cls=ProviderCommand)
@account_option(read_only=True)
@deployment_option
@one_line_errors
def see(account: Any, deployment_path: Path | None) -> None:
    """The guard's settings and what a keeper would find now."""
    session = load_protocol(deployment_path)
    for line in _guard_lines_now(session, address_of(require_account(account))):
        click.echo(line)


def _guard_lines_now(session: Session, user: str) -> list[str]:
    settings, authorized, status = _settings(session, user)
    return guard_lines(settings, authorized, status, protect_refusal(session, user, settings, status))


@cli.command(cls=ProviderCommand)
@account_option()
@click.option("--keep-authorization", is_flag=True, help="Leave the guard authorized on the market.")
@yes_option
@deployment_option
@one_line_errors
def revoke(account: Any, keep_authorization: bool, yes: bool, deployment_path: Path | None) -> None:
    """Delete the guard's settings (and its market authorization)."""
    account = require_account(account)
    session = load_protocol(deployment_path)
    settings, authorized, _ = _settings(session, account.address)
    if not settings[1]:
        raise click.ClickException("no guard on this market")
    txs = [session.builder.revoke_guard()]
    if authorized and not keep_authorization:
        txs.append(session.builder.authorize_guard(False))
    # Said before "Sign and send?", as `set` says its plan (a walk was asked with nothing above the question).
    deauthorize = " and withdraw its market authorization (a second transaction)" if len(txs) > 1 else ""
    click.echo(f"revoke   delete the guard's settings{deauthorize}")
    session.execute(account, txs, yes)
    click.echo("guard    revoked: no keeper can protect this position")
