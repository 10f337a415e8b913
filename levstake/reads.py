"""
Reads of a LevStake deployment from any JSON-RPC endpoint, with nothing but web3.py (no Ape, no key):

    from web3 import Web3
    from levstake.deployment import Deployment
    from levstake.reads import Reader

    reader = Reader.from_web3(Web3(Web3.HTTPProvider("http://127.0.0.1:8545")), Deployment.load(path))
    snapshot = reader.snapshot(user)          # market, LST and the user's position, all at one block

A snapshot is one batch of `eth_call`s at one pinned block (one HTTP round trip where the provider takes
JSON-RPC batches, as anvil and every node do); previews are pure functions of it (`levstake.previews`).
Where a provider takes no batches (web3's EthereumTesterProvider, under Ape's in-process chain) the calls go
one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from eth_utils import to_checksum_address

from levstake.abi import revert_reason
from levstake.deployment import Deployment, DeploymentError
from levstake.model import LST_PARAMETERS, YEAR, LstSnapshot, MarketSnapshot, RateModel
from levstake.rpc import Block, ReadError, Transport, Web3Transport

# A read: (contract key, function, arguments). Keys are the deployment's ("market", "lst", ...) plus
# "x" for the base asset; an address can stand for the key with the key's ABI as `(key, address)`.
Call = tuple[Any, str, tuple[Any, ...]]


# ---------------------------------------------------------------- what a snapshot holds


@dataclass(frozen=True)
class Stream:
    """The LST's current reward stream (net of the protocol fee)."""

    amount: int
    start: int
    end: int

    def locked(self, now: int) -> int:
        """`LiquidStaking._locked_rewards` at `now`."""
        if now >= self.end:
            return 0
        return self.amount - self.amount * (now - self.start) // (self.end - self.start)

    def apr(self, total_assets: int) -> float:
        """
        The staking APR this stream pays: its speed (X a second) over the assets it is shared by, a year.
        A stream lasts as long as its rewards took to accrue, so this is the last measured reward rate; it
        stays the measure after the stream ends, until the next sync starts another. 0 before any reward.
        """
        if total_assets == 0 or self.end <= self.start:
            return 0.0
        return self.amount * YEAR / (self.end - self.start) / total_assets


@dataclass(frozen=True)
class LendQuote:
    """`Reader.lend_quote`: the market's room for a deposit and the worth of the shares it mints."""

    room: int | None
    worth: int | None


@dataclass(frozen=True)
class Rates:
    """The market's utilization and APRs (WAD), as `market_state()` answers them."""

    utilization: int
    borrow_apr: int
    supply_apr: int


@dataclass(frozen=True)
class Position:
    """A borrower's position as `LendingMarket.position()` answers it (interest accrued up to the block)."""

    collateral: int
    borrow_shares: int
    debt: int
    ltv: int
    health: int


@dataclass(frozen=True)
class Account:
    """What one account holds and has granted, for previews and the signatures a transaction needs."""

    address: str
    position: Position
    x_balance: int
    lst_balance: int
    native_balance: int
    x_allowance: int  # to the router
    lst_allowance: int  # to the router
    authorized: bool  # the router on the market
    authorization_nonce: int
    x_nonce: int  # EIP-2612
    lst_nonce: int
    lender_shares: int
    lender_assets: int  # what the lender could withdraw now (`maxWithdraw`: limited by idle liquidity)
    lender_value: int = 0  # what the lender's shares are worth (`convertToAssets`)

    @classmethod
    def holding(cls, address: str, position: Position) -> Account:
        """An account known only by its position (balances, grants and nonces read as zero)."""
        return cls(address, position, 0, 0, 0, 0, 0, False, 0, 0, 0, 0, 0)


@dataclass(frozen=True)
class PendingChange:
    """An LST parameter change announced by its governor's owner: anybody can apply it (through the governor)
    from `eta` on."""

    name: str
    current: int
    value: int
    eta: int


@dataclass(frozen=True)
class Snapshot:
    """Everything previews and figures read, at one block."""

    block: int
    timestamp: int
    lst: LstSnapshot
    market: MarketSnapshot
    rates: Rates
    stream: Stream
    oracle_cap: int
    pending: tuple[PendingChange, ...]
    account: Account | None = None
    # The backend's unbonding delay and the latest of the LST's `last_ready_at` and `unbonding_ready_at`: a
    # request filed now is due at max(timestamp + unbonding_delay, queue_ready_at).
    unbonding_delay: int = 0
    queue_ready_at: int = 0

    @property
    def position(self) -> Position | None:
        return None if self.account is None else self.account.position

    @property
    def staking_apr(self) -> float:
        return self.stream.apr(self.lst.total_assets)


@dataclass(frozen=True)
class ProtocolInfo:
    """What does not change between blocks: addresses (with the market in use), chain, token metadata and
    the market's immutable parameters."""

    chain_id: int
    contracts: dict[str, str]
    decimals: int
    symbol: str
    lst_symbol: str
    x_name: str
    lst_name: str
    native: bool
    max_ltv: int
    lltv: int
    max_leverage: int
    rate_model: RateModel
    min_request: int
    deployment_block: int
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestView:
    """A queued unstake: what it pays (funded amount, or what is set aside plus what the rest is worth now),
    to whom, and when it is due. Funded (all of it set aside) can come before due: X that lands for the queue
    is set aside for the oldest requests at once."""

    request_id: int
    owner: str
    receiver: str
    value: int
    ready_at: int
    funded: bool
    claimed: bool
    due: bool

    @property
    def open(self) -> bool:
        """Not claimed yet."""
        return not self.claimed

    @property
    def claimable(self) -> bool:
        """`claim` pays it now: funded, due and not claimed yet."""
        return self.funded and self.due and not self.claimed


class EventLog:
    """
    Every log of one event of one contract, decoded, oldest first. Each `read` queries only the blocks no
    earlier read covered, so `watch` and the page do not re-read the whole history at every block; from the
    start again when the chain went back (a devnet restored from a snapshot).
    """

    def __init__(self, transport: Transport, address: str, abi: Any, event: str, start: int) -> None:
        self._transport, self._address, self._event = transport, address, abi.event(event)
        self._start = self.scanned = start  # the first block the next read queries
        self._logs: list[Any] = []

    def reset(self) -> None:
        """Forget every log read: the next read queries from the start again."""
        self._logs, self.scanned = [], self._start

    def read(self, height: int) -> list[Any]:
        if height + 1 < self.scanned:
            self.reset()
        if height >= self.scanned:
            query = {
                "address": self._address,
                "topics": ["0x" + self._event.topic.hex()],
                "fromBlock": hex(self.scanned),
                "toBlock": hex(height),
            }
            (logs,) = self._transport.request_many([("eth_getLogs", [query])])
            for log in logs:
                topics = [_bytes(topic) for topic in log["topics"]]
                self._logs.append(self._event.decode(topics, _bytes(log["data"])))
            self.scanned = height + 1
        return self._logs


class Reader:
    """One deployment on one chain (on the market `market` names, if given, else the deployment's)."""

    def __init__(self, transport: Transport, deployment: Deployment, market: str | None = None) -> None:
        self.transport = transport
        self.deployment = deployment
        self.addresses = dict(deployment.contracts)
        chain_id, code = transport.request_many(
            [("eth_chainId", []), ("eth_getCode", [self.addresses["router"], "latest"])]
        )
        if chain_id != deployment.chain_id:
            raise DeploymentError(
                f"the deployment file is for chain {deployment.chain_id} "
                f"({deployment.ecosystem}:{deployment.network}) but the connected chain is {chain_id}"
            )
        if not code:
            raise DeploymentError(
                f"no LevStake router at {self.addresses['router']} on this chain (a new devnet since the "
                "deployment?): start `make devnet`, which deploys when needed, or run `ape run deploy` again"
            )
        if market is not None:
            self._use_market(to_checksum_address(market))
        self.info = self._read_info(chain_id)
        self._supplies = EventLog(
            transport,
            self.addresses["market"],
            deployment.abi("market"),
            "SupplyCollateral",
            deployment.block,
        )
        self._filings = EventLog(
            transport, self.addresses["lst"], deployment.abi("lst"), "UnstakeRequested", deployment.block
        )
        # A claim clears its request's storage: what a claimed request was and paid is in these two logs.
        self._claims = EventLog(
            transport, self.addresses["lst"], deployment.abi("lst"), "UnstakeClaimed", deployment.block
        )
        self._simulate_v1: bool | None = None  # whether the node answers eth_simulateV1 (None: not asked yet)

    @classmethod
    def from_web3(cls, w3: Any, deployment: Deployment, market: str | None = None) -> Reader:
        return cls(Web3Transport(w3), deployment, market)

    def forget_logs(self) -> None:
        """Drop the event logs read so far (the node now serves another chain: a devnet recreated)."""
        for log in (self._supplies, self._filings, self._claims):
            log.reset()

    # ------------------------------------------------------------ calls

    def _target(self, key: Any) -> tuple[str, Any]:
        if isinstance(key, tuple):
            name, address = key
            return address, self.deployment.abi(name)
        return self.addresses[key], self.deployment.abi(key)

    def call_many(
        self,
        calls: Sequence[Call],
        block: Block | str = "latest",
        strict: bool = True,
        extra: Sequence[tuple[str, list[Any]]] = (),
    ) -> list[Any]:
        """The results of `calls` at one block, in one round trip where the transport allows (any `extra`
        JSON-RPC requests' results follow); a failed call raises (`strict`) or leaves its `ReadError`."""
        tag = hex(block.number) if isinstance(block, Block) else block
        requests, functions = [], []
        for key, name, args in calls:
            address, abi = self._target(key)
            function = abi.function(name, len(args))
            functions.append(function)
            requests.append(("eth_call", [{"to": address, "data": "0x" + function.encode(*args).hex()}, tag]))
        answers = self.transport.request_many([*requests, *extra])
        results = []
        for (key, name, _), function, raw in zip(calls, functions, answers, strict=False):
            if isinstance(raw, ReadError):
                if strict:
                    raise ReadError(f"{key}.{name}: {raw}")
                results.append(raw)
            else:
                results.append(function.decode(raw))
        return results + answers[len(calls) :]

    def block(self, tag: str = "latest") -> Block:
        (block,) = self.transport.request_many([("eth_getBlockByNumber", [tag, False])])
        return block

    # ------------------------------------------------------------ static parts

    def _use_market(self, market: str) -> None:
        """Another market than the deployment's: it must trade the same X and LST; its own oracle is used."""
        (code,) = self.transport.request_many([("eth_getCode", [market, "latest"])])
        if not code:
            raise ReadError(f"no contract at {market}")
        calls: list[Call] = [
            (("market", market), "asset", ()),
            (("market", market), "collateral_token", ()),
            (("market", market), "oracle", ()),
            (("market", market), "irm", ()),
        ]
        try:
            asset, collateral, oracle, irm = self.call_many(calls)
        except ReadError as error:
            raise ReadError(f"{market} is not a LevStake lending market") from error
        if asset != self.addresses["x"] or collateral != self.addresses["lst"]:
            raise ReadError(f"market {market} does not lend this deployment's X against its LST")
        self.addresses.update(market=market, oracle=oracle, irm=irm)

    def _read_info(self, chain_id: int) -> ProtocolInfo:
        market = self.addresses["market"]
        calls: list[Call] = [
            ("x", "decimals", ()),
            ("x", "symbol", ()),
            ("x", "name", ()),
            ("lst", "symbol", ()),
            ("lst", "name", ()),
            ("market", "max_ltv", ()),
            ("market", "lltv", ()),
            ("market", "max_leverage", ()),
            ("market", "reserve_factor", ()),
            ("irm", "base_apr", ()),
            ("irm", "kink_apr", ()),
            ("irm", "max_apr", ()),
            ("irm", "kink", ()),
            ("lst", "min_request", ()),
            ("router", "wrapped_native", ()),
            ("factory", "is_market", (market,)),
            ("factory", "is_irm_enabled", (self.addresses["irm"],)),
            ("factory", "is_oracle_enabled", (self.addresses["oracle"], self.addresses["lst"])),
            ("lst", "governor", ()),
        ]
        (
            decimals, symbol, x_name, lst_symbol, lst_name, max_ltv, lltv, max_leverage, reserve_factor,
            base, kink_apr, max_apr, kink, min_request, wrapped_native, listed, irm_ok, oracle_ok, governor,
        ) = self.call_many(calls)  # fmt: skip
        warnings = []
        # Pending parameter changes are read from the governor the LST names (its only writer), whatever the
        # deployment file says.
        if governor != self.addresses.get("governor"):
            warnings.append(
                f"the deployment file names {self.addresses.get('governor')} as the LST's governor but the "
                f"LST names {governor}: its pending parameter changes are read from the LST's"
            )
            self.addresses["governor"] = governor
        # A governor bound to another LST (its owner's mistake: `bind` is once) announces changes that never
        # reach this one, whose parameters and treasury then never change.
        (bound,) = self.call_many([("governor", "lst", ())], strict=False)
        if isinstance(bound, ReadError) or str(bound).lower() != str(self.addresses["lst"]).lower():
            warnings.append(
                f"the LST's governor {governor} is not bound to it (it answers {bound}): the changes it "
                "announces never reach this LST"
            )
        if not listed:
            warnings.append(
                f"market {market} is not listed by the LevStake factory: the router refuses it and nothing "
                "bounds its rate model or oracle"
            )
        else:
            if not irm_ok:
                warnings.append(f"market {market} uses a rate model the factory owner never enabled")
            if not oracle_ok:
                warnings.append(f"market {market} uses an oracle the factory owner never enabled")
        return ProtocolInfo(
            chain_id=chain_id,
            contracts=dict(self.addresses),
            decimals=int(decimals),
            symbol=str(symbol),
            lst_symbol=str(lst_symbol),
            x_name=str(x_name),
            lst_name=str(lst_name),
            native=wrapped_native == self.addresses["x"],
            max_ltv=max_ltv,
            lltv=lltv,
            max_leverage=max_leverage,
            rate_model=RateModel(base, kink_apr, max_apr, kink, reserve_factor),
            min_request=min_request,
            deployment_block=self.deployment.block,
            warnings=tuple(warnings),
        )

    # ------------------------------------------------------------ snapshots

    def snapshot(self, user: str | None = None, block: Block | None = None) -> Snapshot:
        """The market, the LST and (with `user`) the account at `block` (the latest when not given: one more
        round trip for its number and time)."""
        block = block or self.block()
        router = self.addresses["router"]
        calls: list[Call] = [
            ("market", "market_state", ()),
            ("market", "total_borrow_shares", ()),
            ("oracle", "price", ()),
            ("oracle", "rate", ()),
            ("oracle", "cap", ()),
            ("lst", "totalAssets", ()),
            ("lst", "totalSupply", ()),
            ("lst", "stream_amount", ()),
            ("lst", "stream_start", ()),
            ("lst", "stream_end", ()),
            ("lst", "buffer", ()),
            ("lst", "backend_accounted", ()),
            ("lst", "queue_reserve", ()),
            ("lst", "queue_cover", ()),
            ("lst", "target_buffer_bps", ()),
            ("lst", "instant_fee_bps", ()),
            ("lst", "max_instant_fee_bps", ()),
        ]
        for name, parameter in LST_PARAMETERS.items():
            calls += [("lst", name, ()), ("governor", "pending_parameters", (parameter,))]
        calls += [
            ("validator", "unbonding_delay", ()),
            ("lst", "last_ready_at", ()),
            ("lst", "unbonding_ready_at", ()),
        ]
        if user is not None:
            calls += [
                ("market", "positions", (user,)),
                ("market", "position", (user,)),
                ("x", "balanceOf", (user,)),
                ("lst", "balanceOf", (user,)),
                ("x", "allowance", (user, router)),
                ("lst", "allowance", (user, router)),
                ("market", "is_authorized", (user, router)),
                ("market", "authorization_nonce", (user,)),
                ("x", "nonces", (user,)),
                ("lst", "nonces", (user,)),
                ("market", "balanceOf", (user,)),
                ("market", "maxWithdraw", (user,)),
            ]
        extra = [("eth_getBalance", [user, hex(block.number)])] if user is not None else []
        results = self.call_many(calls, block, strict=False, extra=extra)
        for index, ((key, name, _), result) in enumerate(zip(calls, results, strict=False)):
            if isinstance(result, ReadError):
                if name != "nonces":
                    raise ReadError(f"{key}.{name}: {result}")
                results[index] = 0  # an X without EIP-2612: opens need an approval instead of a permit
        results, extra = results[: len(calls)], results[len(calls) :]
        snapshot = self._assemble(block, results, user, extra)
        account = snapshot.account
        if account is not None and account.lender_shares:
            value = account.lender_assets
            if value >= snapshot.market.total_supply_assets - snapshot.market.total_borrow_assets:
                # maxWithdraw is capped by idle liquidity: the shares' worth needs its own call.
                (value,) = self.call_many([("market", "convertToAssets", (account.lender_shares,))], block)
            snapshot = replace(snapshot, account=replace(account, lender_value=value))
        return snapshot

    def _assemble(self, block: Block, results: list[Any], user: str | None, extra: list[Any]) -> Snapshot:
        values = iter(results)
        (supply, borrow, utilization, borrow_apr, supply_apr) = next(values)
        borrow_shares, price, rate, cap = next(values), next(values), next(values), next(values)
        total_assets, total_supply = next(values), next(values)
        stream = Stream(next(values), next(values), next(values))
        buffer, accounted, reserve, (_, held, _) = next(values), next(values), next(values), next(values)
        target_bps, fee_bps, max_fee_bps = next(values), next(values), next(values)
        pending = []
        for name in LST_PARAMETERS:
            current, (value, eta) = next(values), next(values)
            if eta:
                pending.append(PendingChange(name, current, value, eta))
        unbonding_delay, queue_ready_at = next(values), max(next(values), next(values))
        lst = LstSnapshot(
            total_assets,
            total_supply,
            # A loss larger than what is unlocked can cut the stream: the view's totals already say so.
            stream.locked(block.timestamp) if total_assets else 0,
            buffer,
            held,
            target_bps,
            fee_bps,
            max_fee_bps,
            accounted,
            reserve,
        )
        snapshot_market = MarketSnapshot(
            borrow, borrow_shares, price, self.info.max_ltv, self.info.lltv, supply, rate
        )
        account = None
        if user is not None:
            (collateral, shares), (_, debt, ltv, health) = next(values), next(values)
            account = Account(
                address=to_checksum_address(user),
                position=Position(collateral, shares, debt, ltv, health),
                x_balance=next(values),
                lst_balance=next(values),
                x_allowance=next(values),
                lst_allowance=next(values),
                authorized=bool(next(values)),
                authorization_nonce=next(values),
                x_nonce=next(values),
                lst_nonce=next(values),
                lender_shares=next(values),
                lender_assets=next(values),
                native_balance=extra[0],
            )
        return Snapshot(
            block=block.number,
            timestamp=block.timestamp,
            lst=lst,
            market=snapshot_market,
            rates=Rates(utilization, borrow_apr, supply_apr),
            stream=stream,
            oracle_cap=cap,
            pending=tuple(sorted(pending, key=lambda change: change.eta)),
            account=account,
            unbonding_delay=unbonding_delay,
            queue_ready_at=queue_ready_at,
        )

    def positions(self, users: Sequence[str], block: Block | str = "latest") -> dict[str, Position]:
        """Many borrowers' positions in one batch (for `watch`, the risk page and the keeper)."""
        calls: list[Call] = []
        for user in users:
            calls += [("market", "positions", (user,)), ("market", "position", (user,))]
        results = self.call_many(calls, block)
        positions = {}
        for index, user in enumerate(users):
            (collateral, shares), (_, debt, ltv, health) = results[2 * index], results[2 * index + 1]
            positions[user] = Position(collateral, shares, debt, ltv, health)
        return positions

    def borrowers(self) -> list[str]:
        """Every account that ever supplied collateral, in order of first appearance."""
        return list(dict.fromkeys(log["on_behalf"] for log in self._supplies.read(self.block().number)))

    def lend_quote(self, assets: int, user: str, block: Block | str = "latest") -> LendQuote:
        """What a deposit of `assets` by `user` meets: the most the market takes from `user` now
        (`maxDeposit`: 0 while paused, the supply cap's room) and what the lender shares it mints are worth at
        the market's rate (`convertToAssets(previewDeposit(assets))`, 0 for dust the deposit takes without
        paying it back). None for a figure the market does not answer (an amount past its bounds)."""
        room, shares = self.call_many(
            [("market", "maxDeposit", (user,)), ("market", "previewDeposit", (assets,))], block, strict=False
        )
        room = None if isinstance(room, ReadError) else room
        if isinstance(shares, ReadError) or shares == 0:
            return LendQuote(room, None if isinstance(shares, ReadError) else 0)
        (worth,) = self.call_many([("market", "convertToAssets", (shares,))], block, strict=False)
        return LendQuote(room, None if isinstance(worth, ReadError) else worth)

    def request(self, request_id: int, block: Block | None = None) -> RequestView:
        """A queued unstake request of the LST; a `ReadError` for an unknown id."""
        block = block or self.block()
        (view,) = self._request_views([request_id], block)
        if view is None:
            raise ReadError(f"no unstake request {request_id}")
        return view

    def requests_of(self, receiver: str, block: Block | None = None) -> list[RequestView]:
        """Every queued unstake paying `receiver` (claimed ones included), oldest first: the LST's
        `UnstakeRequested` events (only blocks no earlier call read), then one round trip."""
        block = block or self.block()
        receiver = to_checksum_address(receiver)
        ids = [log["request_id"] for log in self._filings.read(block.number) if log["receiver"] == receiver]
        return [view for view in self._request_views(ids, block) if view is not None]

    def _request_views(self, ids: Sequence[int], block: Block) -> list[RequestView | None]:
        calls: list[Call] = [("lst", "queue_head", ())]
        for request_id in ids:
            calls += [("lst", "requests", (request_id,)), ("lst", "request_value", (request_id,))]
        head, *results = self.call_many(calls, block)
        requests, values = results[0::2], results[1::2]
        claimed_ids = [request_id for request_id, request in zip(ids, requests, strict=True) if request[5]]
        claimed = self._claimed_views(claimed_ids, block)
        views: list[RequestView | None] = []
        for request_id, request, value in zip(ids, requests, values, strict=True):
            owner, receiver, _, ready_at, _, _ = request
            if request_id in claimed:
                views.append(claimed[request_id])
                continue
            if int(receiver, 16) == 0:
                views.append(None)
                continue
            funded = request_id < head
            views.append(
                RequestView(
                    request_id,
                    owner,
                    receiver,
                    value,
                    ready_at,
                    funded,
                    False,
                    ready_at <= block.timestamp,
                )
            )
        return views

    def _claimed_views(self, ids: Sequence[int], block: Block) -> dict[int, RequestView]:
        # The LST cleared each request at its claim: its filing and its claim say who, when and what it paid.
        # The logs are indexed once per read, not searched once per claimed request.
        if not ids:
            return {}
        filings = {log["request_id"]: log for log in self._filings.read(block.number)}
        claims = {log["request_id"]: log for log in self._claims.read(block.number)}
        views: dict[int, RequestView] = {}
        for request_id in ids:
            filing, claim = filings.get(request_id), claims.get(request_id)
            if filing is None or claim is None:
                raise ReadError(
                    f"unstake request {request_id} was claimed, but the node returned no "
                    f"{'UnstakeRequested' if filing is None else 'UnstakeClaimed'} event for it"
                )
            views[request_id] = RequestView(
                request_id,
                filing["owner"],
                filing["receiver"],
                claim["amount"],
                filing["ready_at"],
                funded=True,
                claimed=True,
                due=True,
            )
        return views

    # ------------------------------------------------------------ simulating transactions

    def simulate(self, txs: Sequence[Transaction], sender: str) -> list[Outcome]:
        """
        What `txs` would do if `sender` sent them in this order now: each one run on the state the ones
        before it leave, at the pending block (its number and time), with the same calldata and value. One
        transaction is an `eth_call`; several go through `eth_simulateV1` where the node has it (anvil, geth,
        reth); where it does not (Ape's in-process chain) only the first is run and the others come back
        `checked=False`: simulate each again, alone, right before sending it.
        """
        if not txs:
            return []
        calls = [_call_object(tx, sender) for tx in txs]
        if len(txs) > 1 and self._simulate_v1 is not False:
            outcomes = self._simulate_many(txs, calls)
            if outcomes is not None:
                return outcomes
        (answer,) = self.transport.request_many([("eth_call", [calls[0], "pending"])])
        first = _outcome(txs[0], answer)
        return [first] + [Outcome(tx.label, False, "", b"", checked=False) for tx in txs[1:]]

    def _simulate_many(self, txs: Sequence[Transaction], calls: list[dict[str, Any]]) -> list[Outcome] | None:
        pending = self.block("pending")
        payload = {
            "blockStateCalls": [
                {
                    "blockOverrides": {"number": hex(pending.number), "time": hex(pending.timestamp)},
                    "calls": calls,
                }
            ],
            "validation": False,
        }
        (answer,) = self.transport.request_many([("eth_simulateV1", [payload, "latest"])])
        if isinstance(answer, ReadError) or not isinstance(answer, list) or not answer:
            self._simulate_v1 = False
            return None
        self._simulate_v1 = True
        outcomes = []
        for tx, result in zip(txs, answer[0]["calls"], strict=True):
            if int(result["status"], 16) == 1:
                outcomes.append(Outcome(tx.label, False, "", _bytes(result.get("returnData", "0x"))))
                continue
            error = result.get("error") or {}
            data = error.get("data") or result.get("returnData")
            reason = (
                revert_reason(_bytes(data))
                if isinstance(data, str) and data.startswith("0x") and len(data) > 2
                else str(error.get("message", "reverted"))
            )
            outcomes.append(Outcome(tx.label, True, reason, b""))
        return outcomes


class Transaction(Protocol):
    """What `simulate` needs of a transaction (`levstake.txs.TxRequest` is one)."""

    to: str
    data: bytes
    value: int
    label: str


@dataclass(frozen=True)
class Outcome:
    """A simulated transaction: `reverted` with the decoded `reason`, or its return data; `checked` False
    when it could not be run after the ones before it (see `Reader.simulate`)."""

    label: str
    reverted: bool
    reason: str
    output: bytes
    checked: bool = True


def first_refusal(outcomes: Sequence[Outcome]) -> Outcome | None:
    """The first simulated transaction that would revert, if any."""
    return next((outcome for outcome in outcomes if outcome.reverted), None)


def _call_object(tx: Transaction, sender: str) -> dict[str, Any]:
    return {
        "from": to_checksum_address(sender),
        "to": to_checksum_address(tx.to),
        "data": "0x" + tx.data.hex(),
        "value": hex(tx.value),
    }


def _outcome(tx: Transaction, answer: Any) -> Outcome:
    if isinstance(answer, ReadError):
        return Outcome(tx.label, True, str(answer), b"")
    return Outcome(tx.label, False, "", bytes(answer))


def _bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value[2:] if value.startswith("0x") else value)
    return bytes(value)


__all__ = [
    "Account",
    "Outcome",
    "PendingChange",
    "Position",
    "ProtocolInfo",
    "Rates",
    "Reader",
    "RequestView",
    "Snapshot",
    "Stream",
    "Transaction",
    "first_refusal",
]
