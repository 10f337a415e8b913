"""
The protocol seen from a wallet: load a deployment, read market and position snapshots, preview and send the
router's calls. Works with any connected Ape provider and any Ape account (test, keyfile, hardware).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from levstake import model
from levstake.deployment import Deployment, DeploymentError
from levstake.model import (
    CLOSE_TO_LST,
    CLOSE_TO_QUEUE,
    CLOSE_TO_X,
    LST_PARAMETERS,
    ORACLE_SCALE,
    WAD,
    YEAR,
    LstSnapshot,
    MarketSnapshot,
    OpenPreview,
)
from levstake.signing import authorization_message, permit_message, sign_with_account

BPS = 10_000
EMPTY_SIGNATURE = (0, 0, 0, b"\x00" * 32, b"\x00" * 32)
# The leverage search in `max_leverage_for` resolves to 0.0001x.
LEVERAGE_STEP = WAD // 10_000
# Rounds of the router's unstake-size solver (`LeverageRouter.DECREASE_ROUNDS`).
DECREASE_ROUNDS = 3


class ClientError(Exception):
    """Bad input caught before anything is signed, with a message fit for one line."""


def health_ratio(health: int, debt: int) -> float:
    """The market's WAD health as a number; infinite without debt."""
    return math.inf if debt == 0 else health / WAD


@dataclass(frozen=True)
class PositionView:
    """A position as the market sees it now (interest accrued up to now), valued at the oracle price."""

    collateral: int
    value: int
    debt: int
    ltv: int
    health: int

    @property
    def leverage(self) -> float:
        """Collateral value / equity; infinite when the debt eats the whole value."""
        return self.value / (self.value - self.debt) if self.value > self.debt else math.inf

    @property
    def equity(self) -> int:
        return max(self.value - self.debt, 0)

    @property
    def health_ratio(self) -> float:
        return health_ratio(self.health, self.debt)

    def net_apr(self, market: MarketView) -> float:
        """Yearly return on equity at the market's current borrow APR and the measured staking APR."""
        if self.value == 0 or math.isinf(self.leverage):
            return 0.0
        return model.net_apr(market.staking_apr, market.borrow_apr, self.leverage)

    def time_to_liquidation(self, market: MarketView) -> float | None:
        """Seconds until health reaches 1 at current rates; None when it never does."""
        return model.time_to_liquidation(self.health_ratio, market.staking_apr, market.borrow_apr)


def read_position(market: Any, oracle: Any, user: Any) -> PositionView:
    collateral, debt, ltv, health = market.position(user)
    return PositionView(collateral, collateral * oracle.price() // ORACLE_SCALE, debt, ltv, health)


@dataclass(frozen=True)
class MarketView:
    """The market and the LST now; rates as fractions (0.05 = 5%)."""

    supply_assets: int
    borrow_assets: int
    idle: int
    utilization: float
    borrow_apr: float
    supply_apr: float
    staking_apr: float
    max_ltv: float
    lltv: float
    max_leverage: float
    exchange_rate: float
    lst_buffer: int


@dataclass(frozen=True)
class Preview:
    """What opening `assets` at `leverage` would do, from a snapshot of now, plus the float models."""

    assets: int
    target_leverage: int
    open: OpenPreview
    value: int
    ltv: float
    borrow_apr_after: float
    staking_apr: float
    net_apr: float
    time_to_liquidation: float | None
    close_fee: int
    idle: int

    @property
    def fits_liquidity(self) -> bool:
        return self.open.borrowed <= self.idle


@dataclass(frozen=True)
class AdjustPreview:
    """Where `adjust` takes a position: the targets and the equity expected after the move's costs.
    `partial` is True when the LST's buffer cannot take the whole step down and only part of it is done."""

    before: PositionView
    value_after: int
    debt_after: int
    equity_after: int
    partial: bool = False

    @property
    def leverage_after(self) -> float:
        equity = self.value_after - self.debt_after
        return self.value_after / equity if equity > 0 else math.inf


@dataclass(frozen=True)
class ClosePreview:
    """What `close` does and pays: X, LST, or a queued unstake of the rest (`mode` is the router's close mode
    it will take, which for an X close can fall back to LST); `value` counts everything in X."""

    mode: int
    x_out: int
    lst_out: int
    queued: int
    value: int


@dataclass(frozen=True)
class RequestView:
    """A queued unstake: what it pays (funded amount, or its worth now), to whom, and when it is due."""

    request_id: int
    receiver: str
    value: int
    ready_at: int
    funded: bool
    claimed: bool
    due: bool


@dataclass(frozen=True)
class PendingChange:
    """An LST parameter change announced by its owner: anybody can apply it from `eta` on."""

    name: str
    current: int
    value: int
    eta: int


class Protocol:
    """One deployment of LevStake on the connected network."""

    def __init__(self, project: Any, chain: Any, deployment: Deployment, market: str | None = None) -> None:
        if int(chain.chain_id) != deployment.chain_id:
            raise DeploymentError(
                f"the deployment file is for chain {deployment.chain_id} "
                f"({deployment.ecosystem}:{deployment.network}) but the connected chain is {chain.chain_id}"
            )
        if not chain.provider.get_code(deployment.contracts["router"]):
            raise DeploymentError(
                f"no LevStake router at {deployment.contracts['router']} on this chain "
                "(a devnet restarted since the deployment?); run `ape run deploy` again"
            )
        self.chain = chain
        self.deployment = deployment
        address = deployment.contracts
        self.x = project.WrappedNative.at(address["x"])
        self.validator = project.SimulatedValidator.at(address["validator"])
        self.lst = project.LiquidStaking.at(address["lst"])
        self.irm = project.InterestRateModel.at(address["irm"])
        self.oracle = project.ExchangeRateOracle.at(address["oracle"])
        self.factory = project.MarketFactory.at(address["factory"])
        self.market = project.LendingMarket.at(market or address["market"])
        self.router = project.LeverageRouter.at(address["router"])
        if market is not None:
            self._check_market(project)
        self.decimals = int(deployment.parameters.get("decimals", self.x.decimals()))
        self.symbol = str(deployment.parameters.get("x_symbol", self.x.symbol()))
        self.native = bool(deployment.parameters.get("native_x", False))
        # Accounts seen in SupplyCollateral logs (an ordered set) and the next block to scan for more.
        self._borrowers: dict[str, None] = {}
        self._borrowers_scanned = int(deployment.block)

    def _check_market(self, project: Any) -> None:
        """Another market than the deployment's: it must trade the same X and LST, and use its own oracle."""
        if not self.chain.provider.get_code(self.market.address):
            raise ClientError(f"no contract at {self.market.address}")
        try:
            asset, collateral = self.market.asset(), self.market.collateral_token()
        except Exception as error:  # noqa: BLE001 - any failure means "not a LevStake market"
            raise ClientError(f"{self.market.address} is not a LevStake lending market") from error
        if asset != self.x.address or collateral != self.lst.address:
            raise ClientError(
                f"market {self.market.address} does not lend {self.symbol} against this deployment's LST"
            )
        self.oracle = project.ExchangeRateOracle.at(self.market.oracle())

    def market_warnings(self) -> list[str]:
        """Why this market is not an official one (empty when it is): the factory must list it, with a rate
        model and an oracle its owner enabled, or nothing stops its parameters from freezing exits."""
        market = self.market
        if not self.factory.is_market(market.address):
            return [
                f"market {market.address} is not listed by the LevStake factory: the router refuses it and "
                "nothing bounds its rate model or oracle"
            ]
        warnings = []
        if not self.factory.is_irm_enabled(market.irm()):
            warnings.append(f"market {market.address} uses a rate model the factory owner never enabled")
        if not self.factory.is_oracle_enabled(market.oracle(), market.collateral_token()):
            warnings.append(f"market {market.address} uses an oracle the factory owner never enabled")
        return warnings

    def now(self) -> int:
        return int(self.chain.blocks.head.timestamp)

    def request(self, request_id: int) -> RequestView:
        """A queued unstake request of the LST; a one-line error for an unknown id."""
        request = self.lst.requests(request_id)
        if int(request.receiver, 16) == 0:
            raise ClientError(f"no unstake request {request_id}")
        funded = request_id < self.lst.queue_head()
        return RequestView(
            request_id,
            str(request.receiver),
            self.lst.request_value(request_id),
            int(request.ready_at),
            funded,
            bool(request.claimed),
            funded or request.ready_at <= self.now(),
        )

    def pending_changes(self) -> list[PendingChange]:
        """LST parameter changes announced and not yet applied, soonest first."""
        changes = []
        for name, parameter in LST_PARAMETERS.items():
            value, eta = self.lst.pending_parameters(parameter)
            if eta:
                changes.append(PendingChange(name, int(getattr(self.lst, name)()), int(value), int(eta)))
        return sorted(changes, key=lambda change: change.eta)

    # ------------------------------------------------------------ units

    def units(self, amount: float | str) -> int:
        """A human amount of X (or LST) in integer units."""
        return model.to_units(amount, self.decimals)

    # ------------------------------------------------------------ reads

    def staking_apr(self) -> float:
        """
        Stakers' APR measured from the LST's reward stream: the last synced gain (after the protocol fee)
        over the time since the sync before it, per unit of assets. 0 before the first reward sync.
        """
        logs = list(self.lst.RewardsSynced.range(self.deployment.block, self.chain.blocks.height + 1))
        total = self.lst.totalAssets()
        if not logs or total == 0:
            return 0.0
        last = logs[-1]
        since = self.lst.last_gain_time() - self._previous_gain_time(logs)
        return 0.0 if since <= 0 else last.stream_amount * YEAR / since / total

    def _previous_gain_time(self, logs: list[Any]) -> int:
        if len(logs) >= 2:
            return int(self.chain.provider.get_block(logs[-2].block_number).timestamp)
        # The first gain counts from the LST's deployment.
        return int(self.chain.provider.get_block(self.deployment.block).timestamp)

    def market_view(self) -> MarketView:
        supply, borrow, utilization, borrow_apr, supply_apr = self.market.market_state()
        max_ltv = self.market.max_ltv()
        return MarketView(
            supply_assets=supply,
            borrow_assets=borrow,
            idle=supply - borrow,
            utilization=utilization / WAD,
            borrow_apr=borrow_apr / WAD,
            supply_apr=supply_apr / WAD,
            staking_apr=self.staking_apr(),
            max_ltv=max_ltv / WAD,
            lltv=self.market.lltv() / WAD,
            max_leverage=self.market.max_leverage() / WAD,
            exchange_rate=self.lst.convertToAssets(10**self.decimals) / 10**self.decimals,
            lst_buffer=self.lst.buffer(),
        )

    def position(self, user: Any) -> PositionView:
        return read_position(self.market, self.oracle, user)

    def borrowers(self) -> list[str]:
        """
        Every account that ever supplied collateral, in order of first appearance. Only blocks not read by an
        earlier call are queried, so `watch` does not re-read the whole history at every block.
        """
        height = self.chain.blocks.height
        if height + 1 < self._borrowers_scanned:  # the chain went back (devnet snapshot): start over
            self._borrowers, self._borrowers_scanned = {}, int(self.deployment.block)
        if height >= self._borrowers_scanned:
            logs = self.market.SupplyCollateral.range(self._borrowers_scanned, height + 1)
            self._borrowers.update(dict.fromkeys(str(log.on_behalf) for log in logs))
            self._borrowers_scanned = height + 1
        return list(self._borrowers)

    def snapshots(self) -> tuple[LstSnapshot, MarketSnapshot]:
        """The totals the router's sizing reads, with interest accrued up to now."""
        _, borrow_assets, _, _, _ = self.market.market_state()
        market = MarketSnapshot(
            borrow_assets,
            self.market.total_borrow_shares(),
            self.oracle.price(),
            self.market.max_ltv(),
            self.market.lltv(),
        )
        return LstSnapshot(self.lst.totalAssets(), self.lst.totalSupply(), self.locked_rewards()), market

    def locked_rewards(self) -> int:
        """`LiquidStaking._locked_rewards`: the part of the reward stream still locked (at the head block)."""
        now, start, end = self.now(), self.lst.stream_start(), self.lst.stream_end()
        if now >= end:
            return 0
        amount = self.lst.stream_amount()
        return amount - amount * (now - start) // (end - start)

    # ------------------------------------------------------------ previews

    def check_leverage(self, leverage: float) -> int:
        """The leverage as WAD, or a one-line error when the market cannot give it."""
        maximum = self.market.max_leverage()
        wad = int(round(leverage * WAD))
        if wad < WAD:
            raise ClientError(f"leverage {leverage:g}x is below 1x")
        if wad > maximum:
            raise ClientError(f"leverage {leverage:g}x is above the market's max {maximum / WAD:.2f}x")
        return wad

    def preview_open(self, assets: int, leverage: int) -> Preview:
        if assets <= 0:
            raise ClientError("amount must be above 0")
        lst, market = self.snapshots()
        opened = model.preview_open(lst, market, assets, leverage)
        view = self.market_view()
        supply, borrow = view.supply_assets, view.borrow_assets + opened.borrowed
        utilization_after = borrow * WAD // supply if supply else 0
        borrow_apr_after = self.irm.borrow_apr(min(utilization_after, WAD)) / WAD
        value = market.value(opened.collateral_added)
        health = health_ratio(opened.health, opened.debt)
        return Preview(
            assets=assets,
            target_leverage=leverage,
            open=opened,
            value=value,
            ltv=opened.debt / value if value else 0.0,
            borrow_apr_after=borrow_apr_after,
            staking_apr=view.staking_apr,
            net_apr=model.net_apr(view.staking_apr, borrow_apr_after, opened.leverage),
            time_to_liquidation=model.time_to_liquidation(health, view.staking_apr, borrow_apr_after),
            close_fee=self.lst.instant_fee(value),
            idle=view.idle,
        )

    def max_leverage_for(self, assets: int) -> float:
        """The highest leverage an open of `assets` can get now, given the market's idle liquidity."""
        lst, market = self.snapshots()
        supply, borrow, _, _, _ = self.market.market_state()
        idle = supply - borrow
        low, high = WAD, self.market.max_leverage()
        if model.preview_open(lst, market, assets, high).borrowed <= idle:
            return high / WAD
        while high - low > LEVERAGE_STEP:
            middle = (low + high) // 2
            if model.preview_open(lst, market, assets, middle).borrowed <= idle:
                low = middle
            else:
                high = middle
        return low / WAD

    def unstake_size(self, collateral: int, debt: int, value: int, price: int, leverage: int) -> int:
        """`LeverageRouter._unstake_size`: the shares an adjust down to `leverage` unstakes (exact integers,
        the LST's previews read from the chain at each round, as the router reads them)."""
        numerator = leverage * debt - (leverage - WAD) * value
        if numerator <= 0:
            raise ClientError("the position is already at or below that leverage")
        q = self.lst.convertToAssets(ORACLE_SCALE)
        amount = 0
        for _ in range(DECREASE_ROUNDS):
            gain, cost = leverage * q, (leverage - WAD) * price
            if gain <= cost:
                raise ClientError("the instant-unstake fee is too high for that leverage; choose a lower one")
            amount = min(model.mul_div_up(numerator, ORACLE_SCALE, gain - cost), collateral)
            if amount == 0:
                break
            q = self.lst.previewRedeem(amount) * ORACLE_SCALE // amount
        return amount

    def preview_adjust(self, user: Any, leverage: int, partial: bool = False) -> AdjustPreview:
        """
        Estimate of `adjust` to `leverage` (WAD). Going up, new LST costs `previewMint` but the market
        values it at the oracle price (which can trail the LST's rate by its growth cap). Going down, the
        router's own sizing is mirrored: the collateral it unstakes pays the LST's instant fee, which rises
        as the buffer empties; with `partial`, a step larger than the buffer is cut to what it can take.
        """
        position = self.position(user)
        if position.collateral == 0:
            raise ClientError("no position to adjust; open one first")
        value_after = position.equity * leverage // WAD
        if value_after >= position.value:
            unit = 10**self.decimals
            cost, worth = self.lst.previewMint(unit), unit * self.oracle.price() // ORACLE_SCALE
            loss = (value_after - position.value) * max(cost - worth, 0) // cost
            return AdjustPreview(position, value_after, value_after - position.equity, position.equity - loss)
        price = self.oracle.price()
        if leverage == WAD:
            amount = min(self.lst.previewWithdraw(position.debt), position.collateral)
        else:
            amount = self.unstake_size(position.collateral, position.debt, position.value, price, leverage)
        room = self.lst.max_instant_redeem()
        cut = amount > room
        if cut:
            if not partial:
                unit = 10**self.decimals
                raise ClientError(
                    f"this move unstakes {amount / unit:,.4f} stX instantly but the LST's buffer takes "
                    f"{room / unit:,.4f} now; add --partial to go as far as it allows, or adjust in smaller "
                    "steps"
                )
            amount = room
        if amount == 0:
            raise ClientError("the LST's buffer is empty: nothing can be unstaked instantly now")
        proceeds = self.lst.previewRedeem(amount)
        value = (position.collateral - amount) * price // ORACLE_SCALE
        debt = max(position.debt - proceeds, 0)
        return AdjustPreview(position, value, debt, value - debt, partial=cut)

    def preview_close(self, user: Any, mode: int = CLOSE_TO_X) -> ClosePreview:
        """
        What `close` does, as the router decides it: an X close when asked and the LST's buffer can
        redeem the whole collateral (else it returns LST); an LST close unstakes only the debt; a queue
        close unstakes the debt and files a queued unstake of the rest (no instant fee on it, claimable
        after the unbonding delay). Every close needs the buffer to cover the debt.
        """
        position = self.position(user)
        if position.collateral == 0:
            raise ClientError("no position to close")
        if mode == CLOSE_TO_X and position.collateral <= self.lst.max_instant_redeem():
            gross = self.lst.previewRedeem(position.collateral)
            if gross < position.debt:
                raise ClientError("the collateral's instant-unstake value does not cover the debt")
            x_out = gross - position.debt
            return ClosePreview(CLOSE_TO_X, x_out, 0, 0, x_out)
        buffer = self.lst.buffer()
        if position.debt > buffer:
            unit = 10**self.decimals
            raise ClientError(
                f"the LST's instant-unstake buffer holds {buffer / unit:,.4f} {self.symbol}, less than the "
                f"{position.debt / unit:,.4f} {self.symbol} of debt to repay: `adjust --partial` steps down "
                "with what it holds, and `rebalance` asks the backend to refill it within the unbonding delay"
            )
        burnt = self.lst.previewWithdraw(position.debt)
        shares = position.collateral - burnt
        # The router's withdraw of the debt leaves its fee in the LST: the rest is worth it at the new rate.
        after = LstSnapshot(self.lst.totalAssets() - position.debt, self.lst.totalSupply() - burnt)
        worth = after.to_assets_down(shares)
        if mode == CLOSE_TO_QUEUE and worth >= self.lst.min_request():
            return ClosePreview(CLOSE_TO_QUEUE, 0, 0, worth, worth)
        return ClosePreview(CLOSE_TO_LST, 0, shares, 0, worth)

    # ------------------------------------------------------------ transactions

    def deadline(self, seconds: int) -> int:
        return int(self.chain.pending_timestamp) + seconds

    def authorization(self, account: Any, deadline: int) -> tuple:
        """The router's market authorization signed by `account`, or nothing when it is already in place."""
        if self.market.is_authorized(account.address, self.router.address):
            return EMPTY_SIGNATURE
        nonce = self.market.authorization_nonce(account.address)
        message = authorization_message(
            int(self.chain.chain_id),
            self.market.address,
            account.address,
            self.router.address,
            True,
            nonce,
            deadline,
        )
        v, r, s = sign_with_account(account, message)
        return (nonce, deadline, v, r, s)

    def permit(self, account: Any, token: Any, amount: int, deadline: int) -> tuple:
        """An EIP-2612 permit of `amount` for the router, or nothing when the allowance is enough."""
        if token.allowance(account.address, self.router.address) >= amount:
            return EMPTY_SIGNATURE
        message = permit_message(
            token.name(),
            int(self.chain.chain_id),
            token.address,
            account.address,
            self.router.address,
            amount,
            token.nonces(account.address),
            deadline,
        )
        v, r, s = sign_with_account(account, message)
        return (amount, deadline, v, r, s)

    def check_balance(self, account: Any, assets: int, native: bool) -> None:
        if native:
            if not self.native:
                raise ClientError(f"{self.symbol} is not this network's wrapped native token; drop --native")
            balance = int(account.balance)
        else:
            balance = self.x.balanceOf(account.address)
        if assets > balance:
            what = "native balance" if native else f"{self.symbol} balance"
            raise ClientError(
                f"amount {assets / 10**self.decimals:,.6g} is above your {what} "
                f"{balance / 10**self.decimals:,.6g}"
            )

    def open(
        self,
        account: Any,
        assets: int,
        leverage: int,
        min_collateral: int,
        native: bool = False,
        deadline_seconds: int = 600,
    ) -> Any:
        """Opens (or adds to) the account's position in one transaction, signing what is missing."""
        self.check_balance(account, assets, native)
        deadline = self.deadline(deadline_seconds)
        authorization = self.authorization(account, deadline)
        if native:
            return self.router.open_native(
                self.market, leverage, min_collateral, deadline, authorization, sender=account, value=assets
            )
        permit = self.permit(account, self.x, assets, deadline)
        return self.router.open(
            self.market, assets, leverage, min_collateral, deadline, permit, authorization, sender=account
        )

    def adjust(
        self, account: Any, leverage: int, min_equity: int, deadline_seconds: int = 600, partial: bool = False
    ) -> Any:
        if self.position(account.address).collateral == 0:
            raise ClientError("no position to adjust; open one first")
        deadline = self.deadline(deadline_seconds)
        authorization = self.authorization(account, deadline)
        return self.router.adjust(
            self.market, leverage, min_equity, deadline, authorization, partial, sender=account
        )

    def close(self, account: Any, min_out: int, mode: int = CLOSE_TO_X, deadline_seconds: int = 600) -> Any:
        if self.position(account.address).collateral == 0:
            raise ClientError("no position to close")
        deadline = self.deadline(deadline_seconds)
        return self.router.close(self.market, min_out, deadline, mode, sender=account)

    def lend(self, account: Any, assets: int) -> Any:
        """Supplies X to the market (approving it first when needed)."""
        self.check_balance(account, assets, native=False)
        if self.x.allowance(account.address, self.market.address) < assets:
            self.x.approve(self.market, assets, sender=account)
        return self.market.deposit(assets, account.address, sender=account)

    def stake(self, account: Any, assets: int) -> Any:
        """Stakes X for the LST (approving it first when needed)."""
        self.check_balance(account, assets, native=False)
        if self.x.allowance(account.address, self.lst.address) < assets:
            self.x.approve(self.lst, assets, sender=account)
        return self.lst.deposit(assets, account.address, sender=account)

    def wrap(self, account: Any, assets: int) -> Any:
        """Wraps native currency into X (only where X is the wrapped native token)."""
        if not self.native:
            raise ClientError(f"{self.symbol} is not a wrapped native token")
        self.check_balance(account, assets, native=True)
        return self.x.deposit(sender=account, value=assets)


def min_after_slippage(amount: int, slippage_bps: int) -> int:
    """`amount` less `slippage_bps`, rounded down: the least a transaction may give before it reverts."""
    if not 0 <= slippage_bps < BPS:
        raise ClientError("slippage must be between 0 and 10000 bps")
    return amount * (BPS - slippage_bps) // BPS
