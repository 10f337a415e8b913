"""Shared plumbing of the `ape run` scripts: network handling, options, one-line errors, the session (reads
through the connected provider, transactions signed and sent by Ape accounts), status lines."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from ape.cli import ConnectedProviderCommand
from ape.exceptions import ApeException, ContractLogicError

from levstake import ape_wallet, model
from levstake.deployment import Deployment, DeploymentError, default_path, is_local
from levstake.previews import PreviewError
from levstake.reads import Reader, ReadError, Snapshot
from levstake.txs import Builder, TxError, TxRequest


class ClientError(Exception):
    """Bad input caught before anything is signed, with a message fit for one line."""


def ensure_keystore() -> None:
    """Ape lists its keyfile folder to resolve `--account`; on a fresh data folder it does not exist yet, and
    an unknown alias would crash with FileNotFoundError instead of saying the alias is unknown."""
    from ape import config

    (Path(config.DATA_FOLDER) / "accounts").mkdir(parents=True, exist_ok=True)


class ProviderCommand(ConnectedProviderCommand):
    """
    Ape's connected-provider command that also runs inside a process already connected to a network (the
    tests and the demo call the commands in-process): without `--network` it uses the connected provider
    as it is. Resolving the default network would build a second provider object, which on the in-process
    chain breaks the test isolation snapshots, and on a devnet would start a second devnet.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if _connected() is not None and "--network" not in args:
            ape_options = ("network", "provider_settings")
            self.params = [param for param in self.params if param.name not in ape_options]
            return click.Command.parse_args(self, ctx, args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        active = _connected()
        if active is not None and ctx.params.get("network") is None:
            return self._invoke(ctx, provider=active)
        return super().invoke(ctx)


def _connected() -> Any:
    from ape import networks

    active = networks.active_provider
    return active if active is not None and active.is_connected else None


def one_line_errors(function: Callable) -> Callable:
    """Turn the errors a user can cause into click's one-line `Error: ...` (exit code 1), no stack trace."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (ClientError, DeploymentError, PermissionError, PreviewError, ReadError, TxError) as error:
            raise click.ClickException(str(error)) from None
        except ContractLogicError as error:
            raise click.ClickException(f"transaction reverted: {error.message}") from None
        except ApeException as error:
            raise click.ClickException(str(error).splitlines()[0]) from None

    return run


MARKET_KEY = "levstake.market"


def _remember_market(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    # Kept in the context rather than passed to every command: only `load_protocol` needs it.
    ctx.meta[MARKET_KEY] = value


_deployment_path_option = click.option(
    "--deployment",
    "deployment_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Deployment file (default: deployments/<ecosystem>-<network>.json).",
)
_market_option = click.option(
    "--market",
    type=str,
    default=None,
    expose_value=False,
    callback=_remember_market,
    help="Another lending market of the same X and LST (default: the deployment's market).",
)


def deployment_option(function: Callable) -> Callable:
    """--deployment (the deployment file) and --market (a market other than the deployment's)."""
    return _deployment_path_option(_market_option(function))


yes_option = click.option("--yes", is_flag=True, help="Sign and send without asking.")
slippage_option = click.option(
    "--slippage",
    "slippage_bps",
    type=click.IntRange(0, 9_999),
    default=50,
    show_default=True,
    help="Largest loss accepted against the preview, in basis points.",
)
deadline_option = click.option(
    "--deadline",
    "deadline_seconds",
    type=click.IntRange(1),
    default=600,
    show_default=True,
    help="Seconds the transaction and its signatures stay valid.",
)


def trade_options(function: Callable) -> Callable:
    """The tail every position-changing command shares: --slippage, --deadline, --yes, --deployment, and
    one-line errors."""
    for option in (one_line_errors, deployment_option, yes_option, deadline_option, slippage_option):
        function = option(function)
    return function


def deployment_file(path: Path | None, provider: Any) -> Path:
    return path or default_path(provider.network.ecosystem.name, provider.network.name)


class Session:
    """One deployment on the connected network: reads and previews through the provider's web3 (the same
    modules a web page or a plain web3.py script uses), transactions built by `levstake.txs` and signed and
    sent by Ape accounts."""

    def __init__(self, web3: Any, deployment: Deployment, market: str | None = None) -> None:
        self.deployment = deployment
        self.reader = Reader.from_web3(web3, deployment, market)
        self.info = self.reader.info
        self.builder = Builder(deployment, self.info)

    def snapshot(self, user: str | None = None) -> Snapshot:
        return self.reader.snapshot(user)

    def units(self, amount: float | str) -> int:
        """A human amount of X (or LST) in integer units."""
        return model.to_units(amount, self.info.decimals)

    def deadline(self, seconds: int) -> int:
        """`seconds` after the time the next block will have (a devnet's clock may run ahead of the last
        block's)."""
        return self.reader.block("pending").timestamp + seconds

    def send(self, account: Any, tx: TxRequest, label: str | None = None) -> Any:
        return send(label or tx.label, lambda: ape_wallet.send(account, tx))


def load_protocol(path: Path | None) -> Session:
    """
    The deployment on the connected network (on the market `--market` names, if given); a one-line error
    when there is none. Warns, before anything else is printed, when the market is not an official one.
    """
    from ape import chain

    context = click.get_current_context(silent=True)
    market = context.meta.get(MARKET_KEY) if context is not None else None
    provider = chain.provider
    session = Session(provider.web3, Deployment.load(deployment_file(path, provider)), market)
    for warning in session.info.warnings:
        click.echo(click.style(f"WARNING  {warning}", fg="red", bold=True))
    return session


def require_local(provider: Any) -> None:
    if not is_local(provider.network.name):
        raise ClientError(
            f"{provider.network.ecosystem.name}:{provider.network.name} is not a local network; "
            "this command only runs on a devnet"
        )


def confirm(yes: bool, account: Any) -> None:
    """
    Ask before signing unless `--yes` (a "no" stops the command), then let the account sign this command's
    messages and transactions.
    """
    if not yes and not click.confirm("Sign and send?", default=False):
        raise click.ClickException("cancelled, nothing was signed")
    unlock(account)


def unlock(account: Any) -> None:
    """After the user confirmed, let a keyfile account sign this command's messages and transactions
    without asking again (its passphrase comes from APE_ACCOUNTS_<alias>_PASSPHRASE or a prompt)."""
    from ape_accounts import KeyfileAccount

    if isinstance(account, KeyfileAccount):
        account.set_autosign(True)


def send(label: str, action: Callable[[], Any]) -> Any:
    """Run one transaction with a status line before and after it."""
    click.echo(f"... {label}: waiting for the transaction", nl=True)
    receipt = action()
    click.echo(f"ok  {label}: block {receipt.block_number}, {receipt.gas_used:,} gas, tx {receipt.txn_hash}")
    return receipt
