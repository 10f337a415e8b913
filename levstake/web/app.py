"""
The FastAPI app: server-rendered pages, their live fragments pushed at every block (server-sent events from
the hub's one block subscription), previews as JSON + HTML fragments, and transactions built, simulated from
the user's address and handed to the browser's wallet to sign. The server holds no key and offers only what a
public page may: reads, previews, unsigned transactions of the user's own actions, and receipts.
"""

from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from markupsafe import Markup, escape
from requests.exceptions import RequestException
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from levstake.deployment import Deployment, DeploymentError
from levstake.reads import first_refusal
from levstake.rpc import ReadError, revert_reason_of
from levstake.web import actions, params
from levstake.web.chain import Chain
from levstake.web.hub import Hub, Topic, node_failure
from levstake.web.views import HERE, PAGES, Renderer, environment, preview_context

log = logging.getLogger("levstake.web")
# Signatures and transactions stay valid this long after they are prepared.
DEADLINE_SECONDS = 600
MAX_BODY = 16_384
MAX_CLIENTS = 1_000
TX_HASH = r"^0x[0-9a-fA-F]{64}$"
# The native coin's ticker on chains whose coin is well known (anvil's and Hardhat's devnets count in ETH, as
# wallets show them); elsewhere `--native-symbol` names it, or the page says "native coin".
NATIVE_SYMBOLS = {
    1: "ETH",
    17000: "ETH",
    11155111: "ETH",
    31337: "ETH",
    14: "FLR",
    19: "SGB",
    16: "CFLR",
    114: "C2FLR",
}


@dataclass(frozen=True)
class Config:
    rpc_url: str
    deployment_path: Path
    # What a wallet is told to add for this chain (`wallet_addEthereumChain`): the node as browsers see it.
    public_rpc_url: str
    chain_name: str = "LevStake devnet"
    subscribe: bool = True
    # The chain's own coin (gas, and what X wraps where X is the router's wrapped native), by its ticker:
    # None names it from the chain id where that is well known (NATIVE_SYMBOLS), else "native coin".
    native_symbol: str | None = None

    @property
    def ws_url(self) -> str | None:
        if not self.subscribe:
            return None
        return self.rpc_url.replace("https://", "wss://").replace("http://", "ws://")


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


# The paths a browser opens as pages (the rest are read by the page's scripts or as images: JSON errors).
PAGE_PATHS = frozenset({"/", *(f"/{page}" for page in PAGES if page != "market")})


def _page_or_error(request: Request, status: int, message: str) -> Response:
    """The JSON error; for a page a browser asked for, the same reason as a page that reloads itself (so it
    comes back on its own once the chain answers again)."""
    if request.url.path not in PAGE_PATHS:
        return _error(status, message)
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">'
        f"<title>LevStake: {status}</title></head><body><h1>LevStake</h1><p>{escape(message)}</p>"
        "<p>This page reloads itself every 10 seconds.</p></body></html>"
    )
    return HTMLResponse(body, status_code=status)


def create_app(config: Config) -> FastAPI:
    deployment = Deployment.load(config.deployment_path)
    chain = Chain(config.rpc_url, deployment)
    native = config.native_symbol or NATIVE_SYMBOLS.get(chain.info.chain_id)
    chain.native_symbol = native
    env = environment(chain, native)
    renderer = Renderer(chain, env)
    hub = Hub(chain, renderer.fragments, config.ws_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        hub.start()
        try:
            yield
        finally:
            await hub.stop()

    app = FastAPI(title="LevStake", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.chain, app.state.hub, app.state.renderer = chain, hub, renderer
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    # ------------------------------------------------------------ errors: one line, never a trace

    @app.exception_handler(params.BadRequest)
    async def bad_request(_: Request, error: params.BadRequest) -> JSONResponse:
        return _error(400, str(error))

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("query", "body"))
        return _error(422, f"{where or 'request'}: {first.get('msg', 'invalid')}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return _error(error.status_code, str(error.detail))

    @app.exception_handler(ReadError)
    @app.exception_handler(DeploymentError)
    async def chain_error(request: Request, error: Exception) -> Response:
        reason = str(error).splitlines()[0]
        return _page_or_error(request, 503, f"the chain did not answer as expected: {reason}")

    @app.exception_handler(RequestException)
    async def chain_down(request: Request, error: RequestException) -> Response:
        # The node is down, slow or refusing (a devnet stopped, a rate limit): one line, no trace per request.
        # Neither the line nor the answer names the node's URL: `--rpc` may carry an API key.
        status = error.response.status_code if error.response is not None else None
        reason = node_failure(error)
        log.warning("node read failed: %s%s", type(error).__name__, f" (HTTP {status})" if status else "")
        return _page_or_error(request, 503, reason)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        log.exception("unexpected error")
        return _page_or_error(request, 500, "internal error (the server's log has the details)")

    @app.middleware("http")
    async def limits(request: Request, call_next):
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
            return _error(413, f"request body above {MAX_BODY} bytes")
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    # ------------------------------------------------------------ pages

    def page_context(name: str, account: str | None) -> dict[str, Any]:
        info = chain.info
        block = chain.latest()
        fragments = renderer.fragments(Topic(name, account), block)
        return {
            "page": name,
            "account": account,
            "block": block,
            "node_down": hub.node_down is not None,
            "live": {key: Markup(value) for key, value in fragments.items()},
            "market": renderer.market_context(block)["market"],
            "has_position": name == "position" and renderer.has_position(account, block),
            "page_config": json.dumps(
                {
                    "page": name,
                    "chainId": info.chain_id,
                    "chainName": config.chain_name,
                    "nativeSymbol": native,
                    "rpcUrl": config.public_rpc_url,
                    "symbol": info.symbol,
                    "lstSymbol": info.lst_symbol,
                    "decimals": info.decimals,
                    "maxLeverage": info.max_leverage / 10**18,
                    "account": account,
                }
            ),
        }

    async def render_page(request: Request, name: str) -> HTMLResponse:
        account = params.optional_address(request.query_params.get("account"))
        context = await run_in_threadpool(page_context, name, account)
        html = env.get_template(f"{name}.html").render(**context)
        return HTMLResponse(html)

    @app.get("/", response_class=HTMLResponse)
    async def market_page(request: Request) -> HTMLResponse:
        return await render_page(request, "market")

    @app.get("/open", response_class=HTMLResponse)
    async def open_page(request: Request) -> HTMLResponse:
        return await render_page(request, "open")

    @app.get("/position", response_class=HTMLResponse)
    async def position_page(request: Request) -> HTMLResponse:
        return await render_page(request, "position")

    @app.get("/lend", response_class=HTMLResponse)
    async def lend_page(request: Request) -> HTMLResponse:
        return await render_page(request, "lend")

    @app.get("/risk", response_class=HTMLResponse)
    async def risk_page(request: Request) -> HTMLResponse:
        return await render_page(request, "risk")

    # ------------------------------------------------------------ live parts

    @app.get("/events")
    async def events(request: Request) -> EventSourceResponse:
        page = params.choice(request.query_params.get("page"), PAGES, "page")
        account = params.optional_address(request.query_params.get("account"))
        if len(hub.clients) >= MAX_CLIENTS:
            raise StarletteHTTPException(503, "too many open pages")
        client = hub.subscribe(Topic(page, account))

        async def stream():
            try:
                while True:
                    payload = await client.queue.get()
                    yield {"event": "block", "data": payload}
            finally:
                hub.unsubscribe(client)

        return EventSourceResponse(stream(), ping=15, headers={"Cache-Control": "no-store"})

    @app.get("/api/fragments")
    async def fragments(request: Request) -> JSONResponse:
        page = params.choice(request.query_params.get("page"), PAGES, "page")
        account = params.optional_address(request.query_params.get("account"))
        block = await run_in_threadpool(chain.latest)
        html = await run_in_threadpool(renderer.fragments, Topic(page, account), block)
        return JSONResponse({"block": block.number, "html": html})

    @app.get("/charts/equity.svg")
    async def equity_svg(request: Request) -> Response:
        account = params.address(request.query_params.get("account"))
        block = await run_in_threadpool(chain.latest)
        svg = await run_in_threadpool(renderer.equity_svg, account, block)
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})

    @app.get("/api/status")
    async def status() -> JSONResponse:
        head = chain.head
        return JSONResponse(
            {
                "chain_id": chain.info.chain_id,
                "block": None if head is None else head.number,
                "chain_subscriptions": hub.chain_subscriptions,
                "subscription": hub.mode,
                "open_pages": len(hub.clients),
                "blocks_seen": hub.blocks_seen,
                "refreshes": hub.refreshes,
                "chain_changes": hub.chain_changes,
                "last_refresh_ms": round(hub.last_refresh_seconds * 1000, 1),
            }
        )

    # ------------------------------------------------------------ previews and transactions

    def request_of(source: dict[str, Any], action: str, deadline: int, need_account: bool) -> actions.Request:
        if action not in actions.PLANNERS:
            raise StarletteHTTPException(404, f"no action {action!r}")
        account = (params.address if need_account else params.optional_address)(source.get("account"))
        return actions.Request(
            account=account,
            chain=params.chain_id(source.get("chain"), chain.info.chain_id),
            form=actions.parse_form(chain, action, source),
            slippage_bps=params.integer(source.get("slippage"), "slippage", 0, 2_000, 50),
            deadline=deadline,
        )

    @app.get("/api/preview/{action}")
    async def preview(action: str, request: Request) -> JSONResponse:
        parsed = request_of(dict(request.query_params), action, 0, need_account=False)

        def work() -> dict[str, Any]:
            snapshot = chain.snapshot(parsed.account)
            plan = actions.plan(chain, action, snapshot, parsed)
            context = preview_context(plan)
            html = env.get_template(plan.template).render(plan=plan, snapshot=snapshot, **context)
            return {
                "ok": plan.ok,
                "errors": plan.errors,
                "warnings": plan.warnings,
                "html": html,
                "block": snapshot.block,
                **plan.extra,
            }

        return JSONResponse(await run_in_threadpool(work))

    @app.post("/api/tx/{action}")
    async def transaction(action: str, request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            raise params.BadRequest("the body must be JSON") from None
        if not isinstance(body, dict):
            raise params.BadRequest("the body must be a JSON object")
        deadline = params.integer(body.get("deadline"), "deadline", 0, 2**40, 0)
        parsed = request_of(body, action, deadline, need_account=True)
        signed = params.signatures(body.get("signatures"))

        def work() -> JSONResponse:
            now = chain.pending_time()
            if parsed.deadline and not now < parsed.deadline <= now + 2 * DEADLINE_SECONDS:
                return _error(409, "the signatures expired (deadline passed): start again")
            request_ = parsed if parsed.deadline else _with_deadline(parsed, now + DEADLINE_SECONDS)
            assert request_.account is not None
            snapshot = chain.fresh_snapshot(request_.account)
            plan = actions.plan(chain, action, snapshot, request_)
            if plan.errors:
                return _error(409, plan.errors[0], errors=plan.errors)
            if plan.warnings:
                return _error(
                    409,
                    "accept the risk first: " + plan.warnings[0],
                    warnings=plan.warnings,
                    needs_accept=True,
                )
            missing = [(kind, message) for kind, message in plan.signatures if kind not in signed]
            if missing:
                pending = actions.Plan(action, plan.template, signatures=missing)
                return JSONResponse({"sign": pending.sign_requests(), "deadline": request_.deadline})
            assert plan.build is not None
            txs = plan.build(signed)
            outcomes = chain.reader.simulate(txs, request_.account)
            refused = first_refusal(outcomes)
            if refused is not None:
                return _error(409, f"{refused.label} would revert: {refused.reason}")
            return JSONResponse(
                {
                    "calls": [{**tx.as_rpc(), "label": tx.label} for tx in txs],
                    "deadline": request_.deadline,
                    "simulated": all(outcome.checked for outcome in outcomes),
                }
            )

        return await run_in_threadpool(work)

    @app.get("/api/tx/status")
    async def tx_status(request: Request) -> JSONResponse:
        import re

        tx_hash = request.query_params.get("hash", "")
        if not re.match(TX_HASH, tx_hash):
            raise params.BadRequest("hash must be a transaction hash (0x and 64 hex digits)")

        def work() -> dict[str, Any]:
            transport = chain.reader.transport
            (receipt,) = transport.request_many([("eth_getTransactionReceipt", [tx_hash])])
            if isinstance(receipt, ReadError):
                raise receipt
            if not receipt:
                return {"status": "pending"}
            block, gas = int(receipt["blockNumber"], 16), int(receipt["gasUsed"], 16)
            if chain.latest().number < block:
                # The receipt can come before the block subscription's announcement: the page refreshes
                # its previews as soon as it reads "confirmed", and they must read this block, not the one
                # before (an unwrap right after a withdraw was refused on the old balance).
                hub.advance(chain.reader.block(hex(block)))
            if int(receipt["status"], 16) == 1:
                return {"status": "confirmed", "block": block, "gas_used": gas}
            (tx,) = transport.request_many([("eth_getTransactionByHash", [tx_hash])])
            return {
                "status": "reverted",
                "block": block,
                "gas_used": gas,
                "reason": revert_reason_of(transport, tx, block),
            }

        return JSONResponse(await run_in_threadpool(work))

    return app


def _with_deadline(request: actions.Request, deadline: int) -> actions.Request:
    return actions.Request(request.account, request.chain, request.form, request.slippage_bps, deadline)
