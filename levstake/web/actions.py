"""
Every action a page offers, as a `Plan`: what its preview shows (figures from `levstake.previews`), the
one-line reasons it cannot be done (nothing may be signed), the risks the user must accept first, the EIP-712
messages the wallet must sign first, and the transactions it sends (from `levstake.txs.Builder`). The preview
endpoint renders a plan of the cached snapshot; the transaction endpoint plans again on the chain's latest
state, builds the transactions and simulates them from the user's address before the wallet sees them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from levstake import fmt, previews, projections
from levstake.model import CLOSE_TO_LST, CLOSE_TO_QUEUE, CLOSE_TO_X, WAD, ModelError
from levstake.previews import PreviewError
from levstake.reads import Snapshot
from levstake.rpc import ReadError
from levstake.txs import Signature, TxRequest, min_after_slippage
from levstake.web import params
from levstake.web.chain import Chain

CLOSE_MODES = {"x": CLOSE_TO_X, "lst": CLOSE_TO_LST, "queue": CLOSE_TO_QUEUE}
# Gas limits a wallet may set for what an action paid in the native coin sends, together (bench/gas.md's
# rows with room: an open from a fresh wallet is ~313k; wrap + approve + deposit ~250k): the balance keeps
# this times the fee cap beside the amount, or the last transaction of a batch cannot pay its gas.
NATIVE_GAS_BOUND = {"open": 600_000, "lend": 450_000, "stake": 450_000, "wrap": 100_000}
# Points of the net-APR-against-leverage picture.
APR_CURVE_POINTS = 25


def wallet_typed_data(message: dict[str, Any]) -> str:
    """EIP-712 typed data as the JSON string `eth_signTypedData_v4` takes, the message's integers written as
    decimal strings (a browser's JSON numbers lose digits past 2^53)."""
    values = {
        key: str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        for key, value in message["message"].items()
    }
    return json.dumps({**message, "message": values})


@dataclass
class Plan:
    action: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # Exact amounts the errors invite the user to use instead: buttons that fill the amount field.
    fills: list[previews.Fill] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # (kind, typed data) the wallet signs before the transactions can be built.
    signatures: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    build: Callable[[dict[str, Signature]], list[TxRequest]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def sign_requests(self) -> list[dict[str, str]]:
        return [{"kind": kind, "typed_data": wallet_typed_data(message)} for kind, message in self.signatures]


@dataclass(frozen=True)
class Request:
    """A validated request: the account (None without a wallet), its wallet's chain, and the action's form."""

    account: str | None
    chain: int | None
    form: dict[str, Any]
    slippage_bps: int
    deadline: int  # 0 for a preview: no signature is prepared


def _x(chain: Chain, value: int) -> str:
    return fmt.readable(value, chain.info.decimals, chain.info.symbol)


def _lst(chain: Chain, value: int) -> str:
    return fmt.readable(value, chain.info.decimals, chain.info.lst_symbol)


def _common(chain: Chain, request: Request, plan: Plan) -> None:
    if request.chain is not None and request.chain != chain.info.chain_id:
        plan.errors.append(
            f"your wallet is on chain {request.chain}; this page's protocol is on chain "
            f"{chain.info.chain_id}: switch the wallet's network"
        )
    if request.account is None:
        plan.errors.append("connect a wallet to sign (the preview needs none)")


def _check_balance(
    chain: Chain, plan: Plan, snapshot: Snapshot, assets: int, native: bool, spends: bool = True
) -> None:
    """`projections.check_balance`, keeping the gas of what the action sends when it is paid in the native
    coin."""
    reserve = NATIVE_GAS_BOUND[plan.action] * chain.fee_cap() if native else 0
    # The coin as the page's balance bar names it (a walk saw "799,979.9992 ETH" above "... native").
    unit = chain.native_symbol or projections.NATIVE_UNIT
    _guard(
        plan, lambda: projections.check_balance(chain.info, snapshot, assets, native, spends, reserve, unit)
    )


def _guard(plan: Plan, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except (PreviewError, ModelError) as error:
        plan.errors.append(str(error))
        plan.fills += getattr(error, "fills", ())
        return None


# ---------------------------------------------------------------- forms (parsed from the page's fields)


def parse_form(chain: Chain, action: str, raw: dict[str, Any]) -> dict[str, Any]:
    info = chain.info
    d = info.decimals
    if action == "open":
        return {
            "assets": params.amount(raw.get("amount"), d, info.symbol),
            "leverage": params.leverage(raw.get("leverage")),
            "pay": params.choice(raw.get("pay"), ("native", "x"), "pay", "native" if info.native else "x"),
            "accept": params.flag(raw.get("accept"), "accept"),
        }
    if action == "adjust":
        return {
            "leverage": params.leverage(raw.get("leverage")),
            "partial": params.flag(raw.get("partial"), "partial"),
            "accept": params.flag(raw.get("accept"), "accept"),
        }
    if action == "close":
        return {"mode": params.choice(raw.get("mode"), tuple(CLOSE_MODES), "mode", "x")}
    # "all" (any case) where the CLI's `--amount` takes it: the whole debt, supply, LST or X balance.
    everything = str(raw.get("amount", "")).strip().lower() == "all"
    if action == "repay":
        return {"assets": None if everything else params.amount(raw.get("amount"), d, info.symbol)}
    if action == "withdraw" and everything:
        # Every share redeemed, as the CLI's `lend withdraw all`: an amount typed from the rounded figure
        # shown can be a unit above what the shares are worth.
        return {"assets": None}
    if action == "unwrap" and everything:
        return {"assets": None}
    if action in ("lend", "withdraw", "stake", "wrap", "unwrap"):
        form: dict[str, Any] = {"assets": params.amount(raw.get("amount"), d, info.symbol)}
        if action in ("lend", "stake"):
            form["pay"] = params.choice(raw.get("pay"), ("native", "x"), "pay", "x")
        return form
    if action == "unstake":
        return {
            "shares": None if everything else params.amount(raw.get("amount"), d, info.lst_symbol),
            "mode": params.choice(raw.get("mode"), ("instant", "queue"), "mode", "instant"),
        }
    if action == "claim":
        return {"request_id": params.integer(raw.get("request"), "request", 0, 2**64)}
    raise params.BadRequest(f"unknown action {action!r}")


# ---------------------------------------------------------------- leverage


def _leverage_grid(top: float) -> list[float]:
    return [1 + (top - 1) * index / (APR_CURVE_POINTS - 1) for index in range(APR_CURVE_POINTS)]


def plan_open(chain: Chain, snapshot: Snapshot, request: Request) -> Plan:
    info, form = chain.info, request.form
    plan = Plan("open", "preview_open.html")
    assets, leverage, native = form["assets"], form["leverage"], form["pay"] == "native"
    plan.extra["max_leverage"] = previews.max_leverage_for(info, snapshot, assets)
    if leverage > info.max_leverage:
        plan.errors.append(
            f"leverage {leverage / WAD:g}x is above the market's max {info.max_leverage / WAD:.2f}x"
        )
        leverage = info.max_leverage
    preview = _guard(plan, lambda: previews.preview_open(info, snapshot, assets, leverage))
    _common(chain, request, plan)
    if preview is None:
        return plan
    if snapshot.account is not None:
        _check_balance(chain, plan, snapshot, assets, native)
    liquidity = projections.liquidity_error(info, snapshot, preview)
    if liquidity:
        plan.errors.append(liquidity)
        return plan  # figures of a borrow the market cannot lend would only mislead
    risks = [risk.reason for risk in previews.open_risks(preview)]
    if not form["accept"]:
        plan.warnings += risks
    plan.context = {
        "preview": preview,
        "curve": projections.net_apr_by_leverage(
            info, snapshot, assets, _leverage_grid(info.max_leverage / WAD)
        ),
        "health": projections.health_path(preview.after),
        "risks": risks,
    }
    account = snapshot.account
    if account is None or not request.deadline:
        return plan
    builder = chain.builder
    authorization = builder.authorization_request(snapshot, request.deadline)
    permit = None if native else builder.permit_request(snapshot, assets, request.deadline)
    plan.signatures = [(k, m) for k, m in (("authorization", authorization), ("permit", permit)) if m]

    def build(signed: dict[str, Signature]) -> list[TxRequest]:
        return [
            builder.open(
                assets,
                leverage,
                min_after_slippage(preview.collateral_added, request.slippage_bps),
                request.deadline,
                native=native,
                permit=signed.get("permit"),
                authorization=signed.get("authorization"),
                authorization_nonce=account.authorization_nonce,
            )
        ]

    plan.build = build
    return plan


def plan_adjust(chain: Chain, snapshot: Snapshot, request: Request) -> Plan:
    info, form = chain.info, request.form
    plan = Plan("adjust", "preview_adjust.html")
    preview = _guard(plan, lambda: previews.preview_adjust(info, snapshot, form["leverage"], form["partial"]))
    _common(chain, request, plan)
    if preview is None:
        return plan
    going_up = preview.borrowed > 0
    liquidity = projections.liquidity_error(info, snapshot, preview)
    if liquidity:
        plan.errors.append(liquidity)
        return plan  # figures of a borrow the market cannot lend would only mislead (as an open's)
    if going_up and not form["accept"]:
        plan.warnings += [risk.reason for risk in previews.position_risks(preview.after)]
    plan.context = {"preview": preview, "health": projections.health_path(preview.after)}
    account = snapshot.account
    if account is None or not request.deadline:
        return plan
    builder = chain.builder
    authorization = builder.authorization_request(snapshot, request.deadline)
    plan.signatures = [("authorization", authorization)] if authorization else []

    def build(signed: dict[str, Signature]) -> list[TxRequest]:
        return [
            builder.adjust(
                form["leverage"],
                min_after_slippage(preview.after.equity, request.slippage_bps),
                request.deadline,
                form["partial"],
                authorization=signed.get("authorization"),
                authorization_nonce=account.authorization_nonce,
            )
        ]

    plan.build = build
    return plan


def close_options(chain: Chain, snapshot: Snapshot) -> list[dict[str, Any]]:
    """What each close mode would do now: which the LST's buffer allows, and why not."""
    options = []
    for name, mode in CLOSE_MODES.items():
        try:
            preview = previews.preview_close(chain.info, snapshot, mode)
        except (PreviewError, ModelError) as error:
            options.append({"mode": name, "ok": False, "reason": str(error), "preview": None})
            continue
        note = ""
        if mode == CLOSE_TO_X and preview.mode == CLOSE_TO_LST:
            note = "the LST's buffer cannot redeem the whole collateral: you get LST"
        if mode == CLOSE_TO_QUEUE and preview.mode == CLOSE_TO_LST:
            note = "too little is left to queue: you get LST"
        options.append({"mode": name, "ok": True, "reason": note, "preview": preview})
    return options


def plan_close(chain: Chain, snapshot: Snapshot, request: Request) -> Plan:
    info = chain.info
    plan = Plan("close", "preview_close.html")
    mode = CLOSE_MODES[request.form["mode"]]
    preview = _guard(plan, lambda: previews.preview_close(info, snapshot, mode))
    _common(chain, request, plan)
    if preview is None:
        return plan
    plan.context = {"preview": preview, "asked": request.form["mode"]}
    account = snapshot.account
    if account is None or not request.deadline:
        return plan
    builder = chain.builder

    def build(_: dict[str, Signature]) -> list[TxRequest]:
        close = builder.close(
            min_after_slippage(preview.value, request.slippage_bps), request.deadline, preview.mode
        )
        # `close` takes no signature: a position whose router authorization was revoked grants it first.
        return [close] if account.authorized else [builder.set_authorization("router", True), close]

    plan.build = build
    return plan


# ---------------------------------------------------------------- from the wallet


def _allowance(chain: Chain, owner: str, spender: str) -> int:
    (allowance,) = chain.reader.call_many([("x", "allowance", (owner, chain.info.contracts[spender]))])
    return allowance


def _funded(chain: Chain, owner: str, spender: str, assets: int, native: bool) -> list[TxRequest]:
    """Wrap the native coin first when paying with it, and approve `spender` when the allowance is short."""
    txs = [chain.builder.wrap(assets)] if native else []
    if _allowance(chain, owner, spender) < assets:
        txs.append(chain.builder.approve("x", spender, assets))
    return txs


def plan_repay(chain: Chain, snapshot: Snapshot, request: Request) -> Plan:
    info, form = chain.info, request.form
    plan = Plan("repay", "preview_repay.html")
    preview = _guard(plan, lambda: previews.preview_repay(info, snapshot, form["assets"]))
    _common(chain, request, plan)
    plan.context = {"fills": _repay_fills(chain, snapshot, form["assets"])}
    if preview is None:
        return plan
    plan.context["preview"] = preview
    account = snapshot.account
    if account is None or not request.deadline:
        return plan
    builder = chain.builder
    position = account.position

    def build(_: dict[str, Signature]) -> list[TxRequest]:
        # Interest runs until the transaction lands: a full repay (by shares) may pull a little more than
        # previewed, so its approval leaves 0.1% of room.
        needed = preview.repaid + preview.repaid // 1000 + 1 if preview.full else preview.repaid
        txs = []
        if preview.repaid and _allowance(chain, account.address, "market") < needed:
            txs.append(builder.approve("x", "market", needed))
        if not preview.full:
            return [*txs, builder.repay(account.address, assets=preview.repaid)]
        if position.borrow_shares:
            txs.append(builder.repay(account.address, shares=position.borrow_shares))
        return [*txs, builder.withdraw_collateral(position.collateral, account.address)]

    plan.build = build
    return plan


def _repay_fills(chain: Chain, snapshot: Snapshot, assets: int | None) -> list[tuple[str, str]]:
    """Buttons that fill the repay amount exactly, (label, value): the text shows figures rounded for
    reading, so a user never has to copy one back. "all" is the whole debt by shares (it grows every block;
    a typed amount of it would be refused); the wallet's X balance, exact, when it covers only part of it."""
    account = snapshot.account
    if account is None or account.position.borrow_shares == 0:
        return []
    position = account.position
    fills = []
    if assets is not None:
        fills.append((f"Repay all ({_x(chain, position.debt)})", "all"))
    balance = account.x_balance
    if 0 < balance < position.debt and balance != assets:
        fills.append((f"Repay what you hold ({_x(chain, balance)})", fmt.exact(balance, chain.info.decimals)))
    return fills


def plan_lend(chain: Chain, snapshot: Snapshot, request: Request) -> Plan:
    info, form = chain.info, request.form
    if form["action"] == "withdraw":
        return _plan_withdraw(chain, snapshot, request)
    plan = Plan("lend", "preview_lines.html")
    assets = form["assets"]
    native = form.get("pay") == "native"
    preview = None
    account = snapshot.account
    quote = None
    if account is not None and assets > 0:
        quote = chain.reader.lend_quote(assets, account.address, hex(snapshot.block))
    if native:
        _check_balance(chain, plan, snapshot, assets, native=True)
        if not plan.errors:
            x_held = _as_x(snapshot, assets)
            preview = _guard(plan, lambda: projections.preview_lend(info, x_held, assets, quote))
    elif account is not None:
        preview = _guard(plan, lambda: projections.preview_lend(info, snapshot, assets, quote))
    _common(chain, request, plan)
    if preview is None:
        return plan
    plan.context["lines"] = [
        f"supply {_x(chain, assets)}" + (" (wrapped from the native coin first)" if native else ""),
        f"supply APR after it {fmt.percent(preview.supply_apr_after)}, borrow APR "
        f"{fmt.percent(preview.borrow_apr_after)}",
    ]
    if account is None or not request.deadline:
        return plan

    def build(_: dict[str, Signature]) -> list[TxRequest]:
        funding = _funded(chain, account.address, "market", assets, native)
        return [*funding, chain.builder.lend(assets, account.address)]

    plan.build = build
    return plan


def _plan_withdraw(chain: Chain, snapshot: Snapshot, request: Request) -> Plan:
    plan = Plan("withdraw", "preview_lines.html")
    assets = request.form["assets"]
    preview = None
    if snapshot.account is not None:
        preview = _guard(plan, lambda: previews.preview_lender_withdraw(chain.info, snapshot, assets))
    _common(chain, request, plan)
    if preview is None:
        return plan
    left = "all of your supply" if preview.everything else f"{_x(chain, preview.left)} stays supplied"
    plan.context["lines"] = [f"withdraw {_x(chain, preview.assets)}; {left}"]
    account = snapshot.account
    if account is None or not request.deadline:
        return plan
    if preview.everything:
        plan.build = lambda _: [chain.builder.lender_redeem(preview.shares, account.address)]
    else:
        plan.build = lambda _: [chain.builder.lender_withdraw(preview.assets, account.address)]
    return plan


def _as_x(snapshot: Snapshot, assets: int) -> Snapshot:
    """The snapshot as if `assets` of the native coin were wrapped (for checks of a wrap-then-act batch)."""
    account = snapshot.account
    assert account is not None
    return replace(snapshot, account=replace(account, x_balance=account.x_balance + assets))


def plan_stake(chain: Chain, snapshot: Snapshot, request: Request) -> Plan:
    info, form = chain.info, request.form
    plan = Plan("stake", "preview_lines.html")
    assets, native = form["assets"], form["pay"] == "native"
    if snapshot.account is not None:
        _check_balance(chain, plan, snapshot, assets, native)
    # No figures under a refusal: a walk read "stake 100.0000 WNAT for about 99.6480 stX" beneath "amount
    # 100 WNAT is above your WNAT balance" (without a wallet, the figures are the preview asked for).
    preview = None if plan.errors else _guard(plan, lambda: previews.preview_stake(info, snapshot, assets))
    _common(chain, request, plan)
    if preview is None:
        return plan
    plan.context["lines"] = [
        f"stake {_x(chain, assets)} for about {_lst(chain, preview.shares)}"
        + (" (wrapped from the native coin first)" if native else ""),
        f"worth {_x(chain, preview.worth)} at the exit rate right after: new shares are priced at the book "
        "value (rewards still streaming included), the difference comes back as the stream unlocks",
    ]
    account = snapshot.account
    if account is None or not request.deadline:
        return plan

    def build(_: dict[str, Signature]) -> list[TxRequest]:
        funding = _funded(chain, account.address, "lst", assets, native)
        return [*funding, chain.builder.stake(assets, account.address)]

    plan.build = build
    return plan


def plan_unstake(chain: Chain, snapshot: Snapshot, request: Request) -> Plan:
    form = request.form
    queued = form["mode"] == "queue"
    plan = Plan("unstake", "preview_lines.html")
    preview = None
    account = snapshot.account
    shares = form["shares"]
    if account is not None and shares is None:
        shares = account.lst_balance
        if shares == 0:
            plan.errors.append(f"you hold no {chain.info.lst_symbol}")
    if account is not None and shares:
        preview = _guard(plan, lambda: previews.preview_unstake(chain.info, snapshot, shares, queued))
    _common(chain, request, plan)
    if preview is None:
        return plan
    if queued:
        assert preview.ready_at is not None
        plan.context["lines"] = [
            f"queue {_lst(chain, preview.shares)}: {_x(chain, preview.gross)} fixed now, no fee",
            f"claimable in about {fmt.duration(preview.ready_at - snapshot.timestamp)} (requests are paid in "
            "order; it earns nothing while it waits)",
        ]
    else:
        plan.context["lines"] = [
            f"unstake {_lst(chain, preview.shares)} now: you receive {_x(chain, preview.x_out)}",
            f"instant fee {_x(chain, preview.fee)} ({fmt.percent(preview.fee / max(preview.gross, 1))}; it "
            "rises as the LST's buffer empties and stays with the stakers)",
        ]
    account = snapshot.account
    if account is None or not request.deadline:
        return plan

    def build(_: dict[str, Signature]) -> list[TxRequest]:
        builder = chain.builder
        if queued:
            return [builder.request_unstake(preview.shares, account.address)]
        return [builder.unstake(preview.shares, account.address)]

    plan.build = build
    return plan


def plan_claim(chain: Chain, snapshot: Snapshot, request: Request) -> Plan:
    plan = Plan("claim", "preview_lines.html")
    _common(chain, request, plan)
    request_id = request.form["request_id"]
    account = snapshot.account
    try:
        view = chain.reader.request(request_id)
    except ReadError as error:
        plan.errors.append(str(error))
        return plan
    if account is not None:
        refusal = previews.claim_refusal(view, account.address, snapshot.timestamp)
        if refusal:
            plan.errors.append(refusal)
    plan.context["lines"] = [f"claim request {request_id}: {_x(chain, view.value)} to {view.receiver}"]
    if account is None or not request.deadline or plan.errors:
        return plan
    plan.build = lambda _: [chain.builder.claim(request_id)]
    return plan


def plan_wrap(chain: Chain, snapshot: Snapshot, request: Request) -> Plan:
    info = chain.info
    unwrap = request.form["action"] == "unwrap"
    plan = Plan("unwrap" if unwrap else "wrap", "preview_lines.html")
    assets = request.form["assets"]
    if assets is None:  # unwrap "all"
        assets = snapshot.account.x_balance if snapshot.account is not None else 0
        if snapshot.account is not None and assets == 0:
            plan.errors.append(f"you hold no {info.symbol}")
    if not info.native:
        plan.errors.append(f"{info.symbol} is not a wrapped native token")
    elif snapshot.account is not None:
        _check_balance(chain, plan, snapshot, assets, not unwrap, spends=False)
    if not plan.errors:  # "you hold no WNAT" stood above "unwrap 0.0000 WNAT"
        plan.context["lines"] = [f"{'unwrap' if unwrap else 'wrap'} {_x(chain, assets)}"]
    _common(chain, request, plan)
    if snapshot.account is None or not request.deadline or plan.errors:
        return plan
    plan.build = lambda _: [chain.builder.unwrap(assets) if unwrap else chain.builder.wrap(assets)]
    return plan


PLANNERS: dict[str, Callable[[Chain, Snapshot, Request], Plan]] = {
    "open": plan_open,
    "adjust": plan_adjust,
    "close": plan_close,
    "repay": plan_repay,
    "lend": plan_lend,
    "withdraw": plan_lend,
    "stake": plan_stake,
    "unstake": plan_unstake,
    "claim": plan_claim,
    "wrap": plan_wrap,
    "unwrap": plan_wrap,
}


def plan(chain: Chain, action: str, snapshot: Snapshot, request: Request) -> Plan:
    """The action's plan on `snapshot` (the form was parsed by `parse_form`)."""
    form = {**request.form, "action": action}
    request = Request(request.account, request.chain, form, request.slippage_bps, request.deadline)
    return PLANNERS[action](chain, snapshot, request)
