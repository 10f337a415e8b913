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
from levstake.model import ORACLE_SCALE, WAD, YEAR, LstSnapshot, MarketSnapshot, OpenPreview
from levstake.signing import authorization_message, permit_message, sign_with_account

BPS = 10_000
EMPTY_SIGNATURE = (0, 0, 0, b"\x00" * 32, b"\x00" * 32)
# The leverage search in `max_leverage_for` resolves to 0.0001x.
LEVERAGE_STEP = WAD // 10_000


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
    """Where `adjust` takes a position: the targets and the equity expected after the move's costs."""

    before: PositionView
    value_after: int
    debt_after: int
    equity_after: int


@dataclass(frozen=True)
class ClosePreview:
    """What `close` pays: X, or LST when the buffer cannot redeem everything; `value` counts both in X."""

    x_out: int
    lst_out: int
    value: int


class Protocol:
    """One deployment of LevStake on the connected network."""

    def __init__(self, project: Any, chain: Any, deployment: Deployment) -> None:
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
        self.market = project.LendingMarket.at(address["market"])
        self.router = project.LeverageRouter.at(address["router"])
        self.decimals = int(deployment.parameters.get("decimals", self.x.decimals()))
        self.symbol = str(deployment.parameters.get("x_symbol", self.x.symbol()))
        self.native = bool(deployment.parameters.get("native_x", False))
        # Accounts seen in SupplyCollateral logs (an ordered set) and the next block to scan for more.
        self._borrowers: dict[str, None] = {}
        self._borrowers_scanned = int(deployment.block)

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
        return LstSnapshot(self.lst.totalAssets(), self.lst.totalSupply()), market

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
            close_fee=value * self.lst.instant_fee_bps() // BPS,
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

    def preview_adjust(self, user: Any, leverage: int) -> AdjustPreview:
        """
        Estimate of `adjust` to `leverage` (WAD). Going up, new LST costs `previewMint` but the market
        values it at the oracle price (which trails the LST's rate by its growth cap); going down, the
        collateral sold pays the instant-unstake fee. Either cost comes out of the equity.
        """
        position = self.position(user)
        if position.collateral == 0:
            raise ClientError("no position to adjust; open one first")
        value_after = position.equity * leverage // WAD
        if value_after >= position.value:
            unit = 10**self.decimals
            cost, worth = self.lst.previewMint(unit), unit * self.oracle.price() // ORACLE_SCALE
            loss = (value_after - position.value) * max(cost - worth, 0) // cost
        else:
            sold = position.value - value_after
            buffer = self.lst.buffer()
            if sold > buffer:
                unit = 10**self.decimals
                raise ClientError(
                    f"this move unstakes about {sold / unit:,.4f} {self.symbol} instantly but the LST's "
                    f"buffer holds {buffer / unit:,.4f}; adjust in smaller steps"
                )
            loss = sold * self.lst.instant_fee_bps() // BPS
        equity_after = position.equity - loss
        return AdjustPreview(position, value_after, value_after - position.equity, equity_after)

    def preview_close(self, user: Any, to_lst: bool = False) -> ClosePreview:
        """
        What `close` pays, as the router decides it: X when asked and the LST's buffer can redeem the whole
        collateral, else LST (the collateral less what is unstaked to repay the debt).
        """
        position = self.position(user)
        if position.collateral == 0:
            raise ClientError("no position to close")
        buffer = self.lst.buffer()
        gross = self.lst.previewRedeem(position.collateral)
        if not to_lst and gross <= buffer:
            x_out = max(gross - position.debt, 0)
            return ClosePreview(x_out, 0, x_out)
        if position.debt > buffer:
            raise ClientError(
                f"the LST's instant-unstake buffer holds {buffer / 10**self.decimals:,.4f} {self.symbol}, "
                "less than the debt to repay; wait for a rebalance or the unbonding queue"
            )
        shares = position.collateral - self.lst.previewWithdraw(position.debt)
        return ClosePreview(0, shares, self.lst.convertToAssets(shares))

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

    def adjust(self, account: Any, leverage: int, min_equity: int, deadline_seconds: int = 600) -> Any:
        if self.position(account.address).collateral == 0:
            raise ClientError("no position to adjust; open one first")
        deadline = self.deadline(deadline_seconds)
        authorization = self.authorization(account, deadline)
        return self.router.adjust(self.market, leverage, min_equity, deadline, authorization, sender=account)

    def close(self, account: Any, min_out: int, to_lst: bool = False, deadline_seconds: int = 600) -> Any:
        if self.position(account.address).collateral == 0:
            raise ClientError("no position to close")
        deadline = self.deadline(deadline_seconds)
        return self.router.close(self.market, min_out, deadline, to_lst, sender=account)

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
