"""Shared plumbing of the `ape run` scripts: network handling, options, one-line errors, quiet output, exact
amounts, and the session (reads through the connected provider; transactions simulated first, then signed and
sent by Ape accounts, one line each)."""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
from ape.cli import ConnectedProviderCommand
from ape.exceptions import ApeException, ContractLogicError
from eth_utils import is_checksum_address

from levstake import ape_wallet, fmt
from levstake.deployment import Deployment, DeploymentError, default_path, is_local
from levstake.model import ModelError
from levstake.previews import PreviewError
from levstake.reads import Outcome, Reader, ReadError, Snapshot, first_refusal
from levstake.rpc import ADDRESS
from levstake.txs import Builder, TxError, TxRequest

# Ape's settings models warn about a forward reference at every start; nothing a user can act on.
warnings.filterwarnings("ignore", module="pydantic_settings")
warnings.filterwarnings("ignore", message=".*IncompleteFieldDefinition.*")


class ClientError(Exception):
    """Bad input caught before anything is signed, with a message fit for one line."""


def quiet_ape() -> None:
    """
    Ape's own lines a user cannot act on ("Using cached key", "Danger! This account will now sign ...",
    "Confirmed 0x... (total fees paid = 0)", "Submitted ...") are dropped: each command prints one line per
    transaction itself. Errors stay, and so does everything at `-v DEBUG`.
    """
    ape_logger = logging.getLogger("ape")
    if not any(isinstance(existing, _Quiet) for existing in ape_logger.filters):
        ape_logger.addFilter(_Quiet())


class _Quiet(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or logging.getLogger("ape").level <= logging.DEBUG


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
        quiet_ape()
        if _connected() is not None and "--network" not in args:
            ape_options = ("network", "provider_settings")
            self.params = [param for param in self.params if param.name not in ape_options]
            return click.Command.parse_args(self, ctx, args)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        from ape.exceptions import ProviderError
        from requests.exceptions import ConnectionError as RequestsConnectionError

        active = _connected()
        if active is not None and ctx.params.get("network") is None:
            return self._invoke(ctx, provider=active)
        try:
            return super().invoke(ctx)
        except (ProviderError, RequestsConnectionError) as error:
            # A network Ape cannot connect to (no URI for it, a node that does not answer, `local:node` with
            # no node to start: ape-node raises a requests ConnectionError): one line, as every other refusal,
            # not Ape's traceback of this frame.
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise click.ClickException(f"cannot use that network: {first}") from None


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
        except (
            ClientError,
            DeploymentError,
            ModelError,
            PermissionError,
            PreviewError,
            ReadError,
            TxError,
            fmt.AmountError,
        ) as error:
            raise click.ClickException(str(error) + _exactly(error)) from None
        except ContractLogicError as error:
            raise click.ClickException(f"transaction reverted: {error.message}") from None
        except ApeException as error:
            raise click.ClickException(str(error).splitlines()[0]) from None

    return run


def _exactly(error: Exception) -> str:
    """The exact amounts a refusal invites the user to pass instead (its text rounds them for reading, as
    the web page does), as the `--amount` to copy: "all" is left out, the text says it already."""
    values = [fill.value for fill in getattr(error, "fills", ()) if fill.value != "all"]
    return "".join(f"; exactly: --amount {value}" for value in values)


# ---------------------------------------------------------------- options

MARKET_KEY = "levstake.market"
JSON_KEY = "levstake.json"


def _remember_market(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    # Kept in the context rather than passed to every command: only `load_protocol` needs it.
    if value is not None:
        if not ADDRESS.match(value):
            raise click.BadParameter(f"{value!r} is not an address (0x and 40 hex digits)", ctx, param)
        # Mixed case is a checksum (EIP-55): a typo in it is caught rather than sent to another address.
        if value[2:] not in (value[2:].lower(), value[2:].upper()) and not is_checksum_address(value):
            raise click.BadParameter(f"{value!r} has a wrong checksum: a typo?", ctx, param)
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


def _remember_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    ctx.meta[JSON_KEY] = value
    return value


json_option = click.option(
    "--json",
    "as_json",
    is_flag=True,
    callback=_remember_json,
    help="Print JSON (schema in the README's CLI reference): amounts as base-unit integer strings and exact "
    "decimal strings.",
)


def json_mode() -> bool:
    context = click.get_current_context(silent=True)
    return bool(context is not None and context.meta.get(JSON_KEY))


def emit_json(value: Any) -> None:
    """One JSON document on one line (`watch` prints one a block: JSON lines)."""
    click.echo(json.dumps(value, separators=(",", ":")))


def resolve_account(value: str, read_only: bool = False) -> Any:
    """
    An Ape account from `TEST::n` (the devnet's dev accounts) or a keyfile alias (`ape accounts import`); for
    a read-only command also a plain 0x address (returned as the checksummed string).
    """
    from ape import accounts
    from eth_utils import is_address, to_checksum_address

    text = value.strip()
    if read_only and is_address(text):
        return to_checksum_address(text)
    if text.upper().startswith("TEST::"):
        index = text[6:]
        count = len(accounts.test_accounts)
        if not index.isdigit() or int(index) >= count:
            raise ClientError(
                f"unknown account {value!r}: the devnet's accounts are TEST::0 to TEST::{count - 1}"
            )
        return accounts.test_accounts[int(index)]
    try:
        return accounts.load(text)
    except Exception:  # noqa: BLE001 - Ape raises several kinds for an unknown alias
        known = ", ".join(sorted(account.alias for account in accounts if getattr(account, "alias", None)))
        listing = f" (yours: {known})" if known else " (none imported yet: `ape accounts import ALIAS`)"
        raise ClientError(f"unknown account {value!r}{listing}; TEST::0 to TEST::9 on a devnet") from None


def account_option(read_only: bool = False) -> Callable:
    """`--account ALIAS` (or TEST::n; a 0x address for read-only commands). Without it a signing command
    stops with a one-line error (never a prompt); a read-only one shows the market alone."""

    def callback(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
        if value is None:
            return None
        try:
            return resolve_account(value, read_only)
        except ClientError as error:
            raise click.ClickException(str(error)) from None

    what = (
        "Keyfile alias, TEST::n on a devnet, or any 0x address" if read_only else "Keyfile alias or TEST::n"
    )
    return click.option("--account", "account", default=None, metavar="ACCOUNT", callback=callback, help=what)


def require_account(account: Any) -> Any:
    if account is None:
        raise ClientError(
            "pass --account ALIAS (a keyfile account: `ape accounts import ALIAS`), or TEST::n on a devnet"
        )
    return account


def address_of(account: Any) -> str:
    return account if isinstance(account, str) else account.address


yes_option = click.option("--yes", is_flag=True, help="Sign and send without asking.")
SLIPPAGE_BPS = 50
slippage_option = click.option(
    "--slippage",
    "slippage_bps",
    type=click.IntRange(0, 9_999),
    default=SLIPPAGE_BPS,
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


def amount_option(
    help_text: str, required: bool = True, allow_all: bool = False, default: str | None = None
) -> Callable:
    """`--amount` as text, parsed exactly in the token's units once the token is known (`Session.amount`)."""
    suffix = " or 'all'" if allow_all else ""
    return click.option(
        "--amount",
        "amount_text",
        type=str,
        required=required and default is None,
        default=default,
        metavar="AMOUNT",
        help=f"{help_text} (a decimal in the token's units{suffix}).",
    )


def trade_options(function: Callable) -> Callable:
    """The tail every position-changing command shares: --slippage, --deadline, --yes, --deployment, and
    one-line errors."""
    for option in (one_line_errors, deployment_option, yes_option, deadline_option, slippage_option):
        function = option(function)
    return function


def deployment_file(path: Path | None, provider: Any) -> Path:
    return path or default_path(provider.network.ecosystem.name, provider.network.name)


# ---------------------------------------------------------------- the session


class Session:
    """One deployment on the connected network: reads and previews through the provider's web3 (the same
    modules a web page or a plain web3.py script uses), transactions built by `levstake.txs`, simulated with
    `Reader.simulate`, signed and sent by Ape accounts."""

    def __init__(self, web3: Any, deployment: Deployment, market: str | None = None) -> None:
        self.deployment = deployment
        self.reader = Reader.from_web3(web3, deployment, market)
        self.info = self.reader.info
        self.builder = Builder(deployment, self.info)

    def snapshot(self, user: str | None = None) -> Snapshot:
        return self.reader.snapshot(user)

    def amount(self, text: str, token: str = "x") -> int:
        """What the user typed, exactly in base units of X (or the LST); a one-line error otherwise."""
        symbol = self.info.symbol if token == "x" else self.info.lst_symbol
        return fmt.parse_amount(text, self.info.decimals, symbol)

    def units(self, value: str | int | float) -> int:
        """`value` X in base units (tests and scripts pass numbers; `str` keeps what was written exact)."""
        return self.amount(str(value))

    def exact(self, units: int, token: str = "x") -> str:
        """Base units as the exact decimal and the symbol: what a user copies."""
        symbol = self.info.symbol if token == "x" else self.info.lst_symbol if token == "lst" else token
        return f"{fmt.exact(units, self.info.decimals)} {symbol}"

    def deadline(self, seconds: int) -> int:
        """`seconds` after the time the next block will have (a devnet's clock may run ahead of the last
        block's)."""
        return self.reader.block("pending").timestamp + seconds

    def refuse(
        self, txs: Sequence[TxRequest], sender: str, stand_ins: Sequence[TxRequest] = ()
    ) -> list[Outcome]:
        """
        Simulate `stand_ins` then `txs` from `sender` at the pending block (`Reader.simulate`); a one-line
        `ClientError` with the decoded reason when one would revert. `stand_ins` are transactions that the
        signatures the command will ask for stand for (an authorization, a permit), simulated, never sent.
        Returns the outcomes of `txs`.
        """
        outcomes = self.reader.simulate([*stand_ins, *txs], sender)
        refused = first_refusal(outcomes)
        if refused is not None:
            # The price moves between the preview and the block (a reward stream unlocks every second): a
            # minimum of the preview's figure exactly cannot land.
            slipped = "slippage" in refused.reason
            hint = f"; allow some loss with --slippage ({SLIPPAGE_BPS} bps by default)" if slipped else ""
            raise ClientError(f"{refused.label} would revert ({refused.reason}); nothing was sent{hint}")
        return outcomes[len(stand_ins) :]

    def check_gas_room(self, account: Any, tx: TxRequest) -> None:
        """Refuse, before asking, a transaction the account cannot pay the gas of beside what it sends: the
        node would refuse it after the question ("insufficient funds for gas * price + value")."""
        reserve, balance = ape_wallet.gas_reserve(account, tx), account.balance
        if tx.value + reserve <= balance:
            return
        gas = f"its gas may cost up to {self.exact(reserve, 'native')} (gas limit times fee cap)"
        if tx.value == 0:
            raise ClientError(
                f"{tx.label}: {gas}, more than your native balance {self.exact(balance, 'native')}; "
                "nothing was signed (on a devnet, `ape run devnet fund` adds native coin)"
            )
        most = self.exact(max(balance - reserve, 0), "native")
        raise ClientError(
            f"{tx.label} sends {self.exact(tx.value, 'native')} and {gas}, more than your native balance "
            f"{self.exact(balance, 'native')}: send at most {most}; nothing was signed"
        )

    def execute(
        self,
        account: Any,
        txs: Sequence[TxRequest],
        yes: bool,
        stand_ins: Sequence[TxRequest] = (),
        finish: Callable[[], Sequence[TxRequest]] | None = None,
    ) -> list[Any]:
        """
        The one way a command sends: simulate everything first (refusing with the reason before any question),
        ask (unless `yes`), let `finish` sign what it needs and give the final transactions, then before each
        transaction simulate it again alone on the chain as it is then (the ones before it have landed) and
        send it; one line per transaction. Returns the receipts.
        """
        outcomes = self.refuse(txs, account.address, stand_ins)
        for tx in txs:
            self.check_gas_room(account, tx)
        confirm(yes, account)
        if finish is not None:
            txs = list(finish())
        receipts = []
        for index, tx in enumerate(txs):
            resimulate = index > 0 or finish is not None or not outcomes[index].checked
            if resimulate:
                try:
                    self.refuse([tx], account.address)
                except ClientError as error:
                    if index == 0:
                        raise
                    raise ClientError(f"{error} (the {index} transaction(s) before it were sent)") from None
            try:
                receipts.append(send(tx.label, lambda tx=tx: ape_wallet.send(account, tx)))
            except ApeException as error:
                # The fee moved between the check and the send: Ape or the node refuse it unsent.
                text = str(error).lower()
                if tx.value == 0 or ("account balance" not in text and "insufficient funds" not in text):
                    raise
                sent = f" (the {index} transaction(s) before it were sent)" if index else ""
                raise ClientError(
                    f"{tx.label} sends {self.exact(tx.value, 'native')}, and its gas is paid from the same "
                    f"balance ({self.exact(account.balance, 'native')}): leave some for gas (a smaller "
                    f"--amount); it was not sent{sent}"
                ) from None
        return receipts


def load_protocol(path: Path | None) -> Session:
    """
    The deployment on the connected network (on the market `--market` names, if given); a one-line error
    when there is none. Warns, before anything else is printed, when the market is not an official one
    (on stderr with --json, so that stdout stays JSON).
    """
    from ape import chain

    context = click.get_current_context(silent=True)
    market = context.meta.get(MARKET_KEY) if context is not None else None
    provider = chain.provider
    session = Session(provider.web3, Deployment.load(deployment_file(path, provider)), market)
    for warning in session.info.warnings:
        click.echo(click.style(f"WARNING  {warning}", fg="red", bold=True), err=json_mode())
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

    if not isinstance(account, KeyfileAccount):
        return
    missing = ape_wallet.missing_passphrase(account.alias, os.environ, sys.stdin.isatty())
    if missing:
        raise ClientError(missing)
    variable = ape_wallet.passphrase_variable(account.alias)
    try:
        account.set_autosign(True)
    except Exception as error:
        # Ape's InvalidPasswordError: it printed its error, a GetPassWarning and "Aborted!" (a user's walk).
        if type(error).__name__ != "InvalidPasswordError":
            raise
        given = f"the passphrase in {variable}" if variable in os.environ else "the passphrase typed"
        raise ClientError(f"{given} does not unlock {account.alias}; nothing was signed") from None


def send(label: str, action: Callable[[], Any]) -> Any:
    """Run one transaction; one line once it landed."""
    receipt = action()
    click.echo(f"ok  {label}: block {receipt.block_number}, {receipt.gas_used:,} gas, tx {receipt.txn_hash}")
    return receipt
