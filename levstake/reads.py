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
from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

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
    lender_assets: int

    @classmethod
    def holding(cls, address: str, position: Position) -> Account:
        """An account known only by its position (balances, grants and nonces read as zero)."""
        return cls(address, position, 0, 0, 0, 0, 0, False, 0, 0, 0, 0, 0)


@dataclass(frozen=True)
class PendingChange:
    """An LST parameter change announced by its owner: anybody can apply it from `eta` on."""

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
    """A queued unstake: what it pays (funded amount, or its worth now), to whom, and when it is due."""

    request_id: int
    owner: str
    receiver: str
    value: int
    ready_at: int
    funded: bool
    claimed: bool
    due: bool


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
        self._borrowers: dict[str, None] = {}
        self._borrowers_scanned = deployment.block

    @classmethod
    def from_web3(cls, w3: Any, deployment: Deployment, market: str | None = None) -> Reader:
        return cls(Web3Transport(w3), deployment, market)

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
        ]
        (
            decimals, symbol, x_name, lst_symbol, lst_name, max_ltv, lltv, max_leverage, reserve_factor,
            base, kink_apr, max_apr, kink, min_request, wrapped_native, listed, irm_ok, oracle_ok,
        ) = self.call_many(calls)  # fmt: skip
        warnings = []
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
        router, lst = self.addresses["router"], self.addresses["lst"]
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
            ("lst", "queue_liability", ()),
            ("validator", "unbonding_balance", (lst,)),
            ("lst", "target_buffer_bps", ()),
            ("lst", "instant_fee_bps", ()),
            ("lst", "max_instant_fee_bps", ()),
        ]
        for name, parameter in LST_PARAMETERS.items():
            calls += [("lst", name, ()), ("lst", "pending_parameters", (parameter,))]
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
        return self._assemble(block, results, user, extra)

    def _assemble(self, block: Block, results: list[Any], user: str | None, extra: list[Any]) -> Snapshot:
        values = iter(results)
        (supply, borrow, utilization, borrow_apr, supply_apr) = next(values)
        borrow_shares, price, rate, cap = next(values), next(values), next(values), next(values)
        total_assets, total_supply = next(values), next(values)
        stream = Stream(next(values), next(values), next(values))
        buffer, liability, unbonding = next(values), next(values), next(values)
        target_bps, fee_bps, max_fee_bps = next(values), next(values), next(values)
        pending = []
        for name in LST_PARAMETERS:
            current, (value, eta) = next(values), next(values)
            if eta:
                pending.append(PendingChange(name, current, value, eta))
        lst = LstSnapshot(
            total_assets,
            total_supply,
            # A loss larger than what is unlocked can cut the stream: the view's totals already say so.
            stream.locked(block.timestamp) if total_assets else 0,
            buffer,
            max(liability - unbonding, 0),
            target_bps,
            fee_bps,
            max_fee_bps,
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
        """
        Every account that ever supplied collateral, in order of first appearance. Only blocks not read by an
        earlier call are queried, so `watch` does not re-read the whole history at every block.
        """
        height = self.block().number
        if height + 1 < self._borrowers_scanned:  # the chain went back (devnet snapshot): start over
            self._borrowers, self._borrowers_scanned = {}, self.deployment.block
        if height >= self._borrowers_scanned:
            event = self.deployment.abi("market").event("SupplyCollateral")
            (logs,) = self.transport.request_many(
                [
                    (
                        "eth_getLogs",
                        [
                            {
                                "address": self.addresses["market"],
                                "topics": ["0x" + event.topic.hex()],
                                "fromBlock": hex(self._borrowers_scanned),
                                "toBlock": hex(height),
                            }
                        ],
                    )
                ]
            )
            for log in logs:
                topics = [_bytes(topic) for topic in log["topics"]]
                decoded = event.decode(topics, _bytes(log["data"]))
                self._borrowers[decoded["on_behalf"]] = None
            self._borrowers_scanned = height + 1
        return list(self._borrowers)

    def request(self, request_id: int, block: Block | None = None) -> RequestView:
        """A queued unstake request of the LST; a `ReadError` for an unknown id."""
        block = block or self.block()
        request, value, head = self.call_many(
            [
                ("lst", "requests", (request_id,)),
                ("lst", "request_value", (request_id,)),
                ("lst", "queue_head", ()),
            ],
            block,
        )
        owner, receiver, _, _, ready_at, _, claimed = request
        if int(receiver, 16) == 0:
            raise ReadError(f"no unstake request {request_id}")
        funded = request_id < head
        return RequestView(
            request_id,
            owner,
            receiver,
            value,
            ready_at,
            funded,
            bool(claimed),
            funded or ready_at <= block.timestamp,
        )


def _bytes(value: Any) -> bytes:
    if isinstance(value, str):
        return bytes.fromhex(value[2:] if value.startswith("0x") else value)
    return bytes(value)


__all__ = [
    "Account",
    "PendingChange",
    "Position",
    "ProtocolInfo",
    "Rates",
    "Reader",
    "RequestView",
    "Snapshot",
    "Stream",
]
