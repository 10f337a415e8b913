"""The protocol's math: plain-float models for people, exact integer previews that match the contracts.

Float functions take rates as fractions (0.08 for 8%) and return fractions or plain numbers. Integer
functions mirror the Vyper code line by line (same rounding direction, same order of operations), so a
preview computed from a chain snapshot equals the transaction's result to the wei.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

WAD = 10**18
ORACLE_SCALE = 10**36
YEAR = 365 * 86_400
BPS = 10_000
# The market caps what a rate model answers (`LendingMarket.MAX_BORROW_APR`).
MAX_BORROW_APR = 10 * WAD
# The market's virtual shares and assets (Morpho Blue), and the LST's (10^6 each: the rate starts at 1).
MARKET_VIRTUAL_SHARES = 10**6
MARKET_VIRTUAL_ASSETS = 1
LST_VIRTUAL = 10**6
# The LST's owner parameters: id for its StakingGovernor's `announce_parameter` / `apply_parameter` (and the
# LST's `set_parameter`, which only the governor may call), by name. Changes wait LST_PARAMETER_DELAY seconds
# (`StakingGovernor.PARAMETER_DELAY`) between the announcement and the moment anybody may apply them.
LST_PARAMETERS = {
    "reward_cycle": 0,
    "max_apr_bps": 1,
    "protocol_fee_bps": 2,
    "instant_fee_bps": 3,
    "max_instant_fee_bps": 4,
    "target_buffer_bps": 5,
}
LST_PARAMETER_DELAY = 10 * 86_400
# The most X one queued unstake pays (`LiquidStaking.REQUEST_PAID_MASK`: what a funded request pays is kept
# in 128 bits beside its mark). On chain no request passes it: one is worth at most the LST's total assets,
# within LST_BOOKS_MAX.
LST_REQUEST_MAX = 2**128 - 1
# The most the LST's buffer and accounted backend balance hold together (`LiquidStaking.BOOKS_MAX`: the two
# share a slot, 128 bits each): a deposit or mint past it is refused, and `maxDeposit` answers the room left.
LST_BOOKS_MAX = 2**128 - 1
# What the router's `close` returns (its `mode` argument).
CLOSE_TO_X, CLOSE_TO_LST, CLOSE_TO_QUEUE = 0, 1, 2
# The router keeps this many wei of X below the max-LTV limit when sizing at the maximum leverage.
ROUTER_LTV_MARGIN = 4
# Rounds of the router's unstake-size solvers (`LeverageRouter.DECREASE_ROUNDS`, `UNSTAKE_FOR_ROUNDS`).
DECREASE_ROUNDS = 3
UNSTAKE_FOR_ROUNDS = 8


# The LST's refusal to sell shares at a book value of 0 (`_to_shares`, `mint`).
NOTHING_LEFT = "lst: nothing left to stake into"
# Its refusal of a deposit or mint past LST_BOOKS_MAX (`_check_half`).
LST_TOO_LARGE = "lst: amount too large"


class ModelError(ValueError):
    """What the contract would refuse, with the reason it would give (or a plainer one)."""


# ---------------------------------------------------------------- floats


def max_leverage(max_ltv: float) -> float:
    """Highest leverage (collateral value / equity) a position can have at `max_ltv`: 1 / (1 - max LTV)."""
    if not 0 <= max_ltv < 1:
        raise ValueError("max LTV must be in [0, 1)")
    return 1 / (1 - max_ltv)


def leverage_after_loops(ltv: float, steps: int) -> float:
    """Leverage of the classic loop after `steps` borrow-stake-supply rounds: (1 - q^(n+1)) / (1 - q)."""
    if steps < 0:
        raise ValueError("steps must be >= 0")
    if ltv == 1:
        return steps + 1.0
    return (1 - ltv ** (steps + 1)) / (1 - ltv)


def net_apr(staking_apr: float, borrow_apr: float, leverage: float) -> float:
    """Yearly return on the user's equity: leverage x staking APR - (leverage - 1) x borrow APR."""
    return leverage * staking_apr - (leverage - 1) * borrow_apr


def health(collateral_value: float, debt: float, lltv: float) -> float:
    """Collateral value x LLTV / debt; infinite without debt. Below 1 the position can be liquidated."""
    if debt == 0:
        return math.inf
    return collateral_value * lltv / debt


def time_to_liquidation(health_now: float, staking_apr: float, borrow_apr: float) -> float | None:
    """
    Seconds until health reaches 1 if collateral grows at the staking APR and debt at the borrow APR
    (both continuously compounded); None when it never does, 0 when it already has.
    """
    if health_now <= 1:
        return 0.0
    drift = staking_apr - borrow_apr
    if drift >= 0 or math.isinf(health_now):
        return None
    return math.log(health_now) / -drift * YEAR


def loop_yield(staking_apr: float, borrow_apr: float, ltv: float, steps: int | None = None) -> float:
    """Net APR of a looped position (StaFi's model); `steps=None` is the infinite-loop limit 1 / (1 - ltv)."""
    leverage = max_leverage(ltv) if steps is None else leverage_after_loops(ltv, steps)
    return net_apr(staking_apr, borrow_apr, leverage)


@dataclass(frozen=True)
class StafiLsr:
    """StaFi's leveraged staking: `ratio` is X staked in the end per X put in, `apy` the yearly return."""

    ratio: float
    apy: float


def stafi_lsr_apy(staking_apy: float, borrow_apy: float, beta: float, exchange_rate: float) -> StafiLsr:
    """
    StaFi's closed form for leveraged staking with rTokens ("Research on Leveraged Staking", StaFi, 2021):
    the lending market lends `beta` (its collateral factor) of one X per rToken while an rToken costs `R` X
    (`exchange_rate`), so every loop stakes beta / R of the one before and the infinite loop stakes
    1 / (1 - beta / R) per X put in; rewards at `staking_apy` on all of it, interest at `borrow_apy` on what
    was borrowed (ratio - 1). Their example: X 8.08%, Y 0, beta 65%, R 1.025715 gives 273%.
    """
    step = beta / exchange_rate
    if not 0 <= step < 1:
        raise ValueError("beta / R must be in [0, 1)")
    ratio = 1 / (1 - step)
    return StafiLsr(ratio, staking_apy * ratio - borrow_apy * (ratio - 1))


def liquidation_rates(
    health_now: float, staking_apr: float, borrow_apr: float, horizon: float = YEAR
) -> tuple[float, float] | None:
    """
    (borrow APR, staking APR) at which a position of health `health_now` reaches health 1 within `horizon`
    seconds, each with the other rate as it is now: health follows e^((staking - borrow) t), so the spread
    must reach -ln(health) / horizon. None without debt; when already below 1, the current rates.
    """
    if math.isinf(health_now):
        return None
    if health_now <= 1:
        return borrow_apr, staking_apr
    gap = math.log(health_now) * YEAR / horizon
    return staking_apr + gap, borrow_apr - gap


def seconds_to_earn(amount: float, yearly_return: float) -> float | None:
    """Seconds a position earning `yearly_return` (in X a year) takes to earn `amount` X; None if it never
    does, 0 when there is nothing to earn."""
    if amount <= 0:
        return 0.0
    if yearly_return <= 0:
        return None
    return amount / yearly_return * YEAR


# ---------------------------------------------------------------- exact integers (mirror the contracts)


def to_units(amount: float | int | str, decimals: int) -> int:
    """A human amount of a token (e.g. 1.5) in its integer units; integer amounts stay exact."""
    if isinstance(amount, str):
        amount = float(amount)
    return int(round(amount * 10**decimals))


def mul_div_down(x: int, y: int, d: int) -> int:
    return x * y // d


def mul_div_up(x: int, y: int, d: int) -> int:
    return (x * y + d - 1) // d


def deficit_integral(level: int, amount: int, target: int) -> int:
    """`LiquidStaking._deficit_integral`: the buffer's deficit fraction integrated over the range an exit
    drains, rounded up; any part below an empty buffer counts as 1."""
    beyond, inside = 0, amount
    if amount > level:
        beyond, inside = amount - level, level
    low = level - inside
    if target == 0 or low >= target:
        return beyond
    high = min(level, target)
    deficit_high, deficit_low = target - high, target - low
    mean = deficit_high // 2 + deficit_low // 2 + (deficit_high % 2 + deficit_low % 2 + 1) // 2
    return mul_div_up(high - low, mean, target) + beyond


@dataclass(frozen=True)
class LstSnapshot:
    """The LST's totals and exit parameters as its views see them (`totalAssets()` after pending losses and
    streaming). The defaults describe an LST without an instant-exit fee or buffer."""

    total_assets: int
    total_supply: int
    # Rewards still streaming: not in `totalAssets`, but in the book value the oracle's `rate()` reads.
    locked: int = 0
    # X in the instant-exit buffer, and the part of the queue's liability the buffer must hold (the LST's
    # `queue_cover().held`: the liability less the unbonding the queue counts on; exits cannot take it).
    buffer: int = 0
    reserved: int = 0
    target_buffer_bps: int = 0
    instant_fee_bps: int = 0
    max_instant_fee_bps: int = 0
    # The backend balance the LST has counted (`backend_accounted()`) and the X held for funded requests
    # (`queue_reserve()`): with the buffer, what bounds deposits.
    accounted: int = 0
    queue_reserve: int = 0

    def pricing(self) -> tuple[int, int]:
        """`LiquidStaking._pricing`: the virtual position at a rate of 1 or more, pro rata below."""
        if self.total_supply and self.total_assets < self.total_supply:
            return self.total_assets, self.total_supply
        return self.total_assets + LST_VIRTUAL, self.total_supply + LST_VIRTUAL

    def priced_to_buy(self) -> tuple[int, int]:
        """`pricing()` where the LST sells shares for X: refused at a price of 0 (a loss of everything)."""
        priced_assets, priced_shares = self.pricing()
        if priced_assets == 0:
            raise ModelError(NOTHING_LEFT)
        return priced_assets, priced_shares

    def to_shares_down(self, assets: int) -> int:
        priced_assets, priced_shares = self.priced_to_buy()
        return mul_div_down(assets, priced_shares, priced_assets)

    def to_shares_up(self, assets: int) -> int:
        priced_assets, priced_shares = self.priced_to_buy()
        return mul_div_up(assets, priced_shares, priced_assets)

    def to_assets_down(self, shares: int) -> int:
        priced_assets, priced_shares = self.pricing()
        return mul_div_down(shares, priced_assets, priced_shares)

    def deposit_room(self) -> int:
        """The X a deposit or mint may still add (`LiquidStaking._room`, what bounds `maxDeposit`): the
        buffer, the accounted balance and the funded requests' reserve stay within LST_BOOKS_MAX."""
        return max(LST_BOOKS_MAX - self.buffer - self.accounted - self.queue_reserve, 0)

    def check_deposit(self, assets: int) -> None:
        """Raises as the LST refuses a deposit or mint of `assets` X past the room left."""
        if assets > self.deposit_room():
            raise ModelError(LST_TOO_LARGE)

    def preview_mint(self, shares: int) -> int:
        """`LiquidStaking.previewMint`: priced at the book value (the rewards still streaming included). At a
        book value of 0 it raises, as `mint` refuses (the view itself answers 0 there)."""
        book = LstSnapshot(self.total_assets + self.locked, self.total_supply)
        priced_assets, priced_shares = book.pricing()
        cost = mul_div_up(shares, priced_assets, priced_shares)
        if shares and cost == 0:
            raise ModelError(NOTHING_LEFT)
        return cost

    def book_value(self, shares: int) -> int:
        """`LiquidStaking.book_value`: what `shares` are worth counting the rewards still streaming."""
        return LstSnapshot(self.total_assets + self.locked, self.total_supply).to_assets_down(shares)

    def exit_room(self) -> int:
        """`LiquidStaking._exit_room`: the part of the buffer instant exits may take."""
        return self.buffer - min(self.buffer, self.reserved)

    def target(self, total_assets: int) -> int:
        return total_assets * self.target_buffer_bps // BPS

    def target_buffer(self) -> int:
        """What `LiquidStaking.target_buffer()` answered (the view left the contract for bytecode room): the
        buffer `rebalance` steers towards, in X; the instant fee rises below it."""
        return self.target(self.total_assets)

    def fee_along(self, level: int, amount: int, target: int) -> int:
        """`LiquidStaking._fee_along`: the base fee plus the deficit-weighted extra, rounded up."""
        fee = mul_div_up(amount, self.instant_fee_bps, BPS)
        extra = self.max_instant_fee_bps - self.instant_fee_bps
        if extra == 0:
            return fee
        return fee + mul_div_up(deficit_integral(level, amount, target), extra, BPS)

    def exit_fee(self, amount: int) -> int:
        """`LiquidStaking._exit_fee` (what its `instant_fee(assets)` view answered before the view left the
        contract for bytecode room): the fee on an instant exit of `amount` X now."""
        after = self.total_assets - min(amount, self.total_assets)
        return self.fee_along(self.exit_room(), amount, self.target(after))

    def preview_redeem(self, shares: int) -> int:
        gross = self.to_assets_down(shares)
        return gross - min(self.exit_fee(gross), gross)

    def preview_withdraw(self, assets: int) -> int:
        return self.to_shares_up(assets + self.exit_fee(assets))

    def max_instant_shares(self) -> int:
        """`LiquidStaking.max_instant_redeem`: none once no assets are left."""
        if self.total_assets == 0:
            return 0
        return self.to_shares_down(self.exit_room())

    def instant_shares_once_released(self, released: int) -> int:
        """`max_instant_shares` once `released` more X of the rewards still streaming is in `totalAssets`: a
        figure to offer (a fill), not a bound. Each block of a stream raises the share rate, so this block's
        exact room is refused a block later ("lst: redeem exceeds max", a new user's walk)."""
        released = min(released, self.locked)
        return replace(
            self, total_assets=self.total_assets + released, locked=self.locked - released
        ).max_instant_shares()

    def max_redeem(self, balance: int) -> int:
        shares = min(balance, self.max_instant_shares())
        return 0 if shares == 0 or self.preview_redeem(shares) == 0 else shares

    def instant_room(self) -> int:
        """What the buffer pays instantly as the router and the Liquidator read it: `max_instant_redeem`'s
        shares back to X (both rounded down), at most a unit or two below `exit_room`."""
        return self.to_assets_down(self.max_instant_shares())

    def withdraw_refusal(self, assets: int, balance: int) -> str | None:
        """Why the router's (and the Liquidator's) instant withdraw of `assets` from `balance` shares is
        refused, in their order: the buffer's instant worth, then the shares it costs (the LST's own limits;
        its `maxWithdraw` is a lower bound that charges the fee on all of `balance`). None: it passes."""
        if self.instant_room() < assets:
            return "buffer"
        if self.preview_withdraw(assets) > balance:
            return "balance"
        return None

    def max_withdraw(self, balance: int) -> int:
        """`LiquidStaking._max_withdraw` for an owner holding `balance` shares."""
        room = self.exit_room()
        gross = self.to_assets_down(balance)
        reach = min(gross, room)
        fee = self.exit_fee(reach)
        if fee < gross:
            candidate = min(room, gross - fee)
            if candidate + self.exit_fee(candidate) <= gross:
                return candidate
        fee = self.fee_along(room, reach, self.target(self.total_assets))
        return 0 if fee >= gross else min(room, gross - fee)

    def minted(self, shares: int) -> LstSnapshot:
        """After `mint(shares)`: the X it costs joins the buffer and the assets."""
        added = self.preview_mint(shares)
        return replace(
            self,
            total_assets=self.total_assets + added,
            total_supply=self.total_supply + shares,
            buffer=self.buffer + added,
        )

    def delegated(self, min_request: int) -> LstSnapshot:
        """After a `rebalance` with nothing to pull or fund first: what exits may take beyond the buffer's
        target is delegated when it is at least `min_request` (the assets stay, the buffer shrinks). Not
        mirrored (the snapshot does not read the queue or the backend's entries): matured unbonding nobody has
        pulled yet, which the rebalance pulls first and may then delegate (the outside review measured 2e-5 X
        more fee on a 100 X exit for 81 X matured), and a request due whose own unbonding has not landed,
        which it pays from the buffer first (possible when more than 32 backend entries matured at once). In
        both the chain's buffer ends smaller than here; the devnet's upkeep pulls and funds every block."""
        room, target = self.exit_room(), self.target_buffer()
        if room <= target or room - target < min_request:
            return self
        return replace(self, buffer=self.buffer - (room - target), accounted=self.accounted + room - target)

    def exited(self, shares: int, assets: int) -> LstSnapshot:
        """After an instant exit burning `shares` for `assets` X (the fee stays with the stakers)."""
        return replace(
            self,
            total_assets=self.total_assets - assets,
            total_supply=self.total_supply - shares,
            buffer=self.buffer - assets,
        )


def queue_liability(cover: tuple[int, int, int]) -> int:
    """X owed to the LST's unfunded requests now (after any pending loss), from its `queue_cover()`: the cover
    splits the liability into the unbonding the queue counts on and the part the buffer holds, so the two add
    up to it exactly (`LiquidStaking._cover_of`; the LST's own `queue_liability()` view left it for bytecode
    room)."""
    in_flight, held, _ = cover
    return in_flight + held


@dataclass(frozen=True)
class RateModel:
    """`InterestRateModel`'s kinked curve (WAD) and the market's reserve factor."""

    base_apr: int
    kink_apr: int
    max_apr: int
    kink: int
    reserve_factor: int = 0

    def borrow_apr(self, utilization: int) -> int:
        """The market's borrow APR at `utilization` (WAD): the model's answer, capped like the market."""
        u = min(utilization, WAD)
        if u <= self.kink:
            apr = self.base_apr + (self.kink_apr - self.base_apr) * u // self.kink
        else:
            apr = self.kink_apr + (self.max_apr - self.kink_apr) * (u - self.kink) // (WAD - self.kink)
        return min(apr, MAX_BORROW_APR)

    def supply_apr(self, borrow_apr: int, utilization: int) -> int:
        """`LendingMarket.market_state`'s supply APR."""
        return mul_div_down(mul_div_down(borrow_apr, utilization, WAD), WAD - self.reserve_factor, WAD)


def utilization(supply_assets: int, borrow_assets: int) -> int:
    return 0 if supply_assets == 0 else borrow_assets * WAD // supply_assets


@dataclass(frozen=True)
class MarketSnapshot:
    """A market's totals after interest is accrued, its oracle's capped price and uncapped rate (1e36),
    max LTV and LLTV (WAD)."""

    total_borrow_assets: int
    total_borrow_shares: int
    price: int
    max_ltv: int
    lltv: int
    total_supply_assets: int = 0
    # The oracle's `rate()` (book value) liquidations use; `price` when not given.
    rate: int = 0

    def borrow_shares_up(self, assets: int) -> int:
        return mul_div_up(
            assets,
            self.total_borrow_shares + MARKET_VIRTUAL_SHARES,
            self.total_borrow_assets + MARKET_VIRTUAL_ASSETS,
        )

    def borrow_shares_down(self, assets: int) -> int:
        return mul_div_down(
            assets,
            self.total_borrow_shares + MARKET_VIRTUAL_SHARES,
            self.total_borrow_assets + MARKET_VIRTUAL_ASSETS,
        )

    def debt_up(self, borrow_shares: int) -> int:
        return mul_div_up(
            borrow_shares,
            self.total_borrow_assets + MARKET_VIRTUAL_ASSETS,
            self.total_borrow_shares + MARKET_VIRTUAL_SHARES,
        )

    def value(self, collateral: int) -> int:
        return collateral * self.price // ORACLE_SCALE

    def ltv_wad(self, collateral: int, debt: int) -> int:
        """The market's `position()` LTV: debt / value at the capped price, rounded up (WAD)."""
        if debt == 0:
            return 0
        value = self.value(collateral)
        return 2**256 - 1 if value == 0 else mul_div_up(debt, WAD, value)

    def health_wad(self, collateral: int, debt: int, rate: int | None = None) -> int:
        """
        The market's `position()` health: collateral value at the oracle's uncapped `rate` (1e36; the
        snapshot's `rate`, else `price`) x LLTV / debt (WAD), max uint without debt.
        """
        rate = rate if rate is not None else (self.rate or self.price)
        return 2**256 - 1 if debt == 0 else collateral * rate // ORACLE_SCALE * self.lltv // debt

    def borrowed(self, assets: int) -> tuple[MarketSnapshot, int]:
        """`LendingMarket.borrow(assets, 0)`: the market after it and the borrow shares added."""
        shares = self.borrow_shares_up(assets)
        after = replace(
            self,
            total_borrow_assets=self.total_borrow_assets + assets,
            total_borrow_shares=self.total_borrow_shares + shares,
        )
        return after, shares

    def repaid(self, assets: int, shares: int) -> tuple[MarketSnapshot, int, int]:
        """`LendingMarket.repay` by exact `assets` or exact `shares` (the other 0): the market after it,
        the X repaid and the shares burnt."""
        if assets:
            burnt, repaid = self.borrow_shares_down(assets), assets
        else:
            burnt, repaid = shares, self.debt_up(shares)
        off = self.burnt_value(burnt)
        written_off = off - min(repaid, off) if burnt == self.total_borrow_shares else 0
        after = replace(
            self,
            total_borrow_assets=self.total_borrow_assets - off,
            total_borrow_shares=self.total_borrow_shares - burnt,
            total_supply_assets=self.total_supply_assets - written_off,
        )
        return after, repaid, burnt

    def burnt_value(self, burnt: int) -> int:
        """`LendingMarket._burnt_value`: what burning `burnt` borrow shares takes off the total borrow assets
        (their value rounded down, so no burn lowers the share price; all of it with the last share)."""
        if burnt == self.total_borrow_shares:
            return self.total_borrow_assets
        value = mul_div_down(
            burnt,
            self.total_borrow_assets + MARKET_VIRTUAL_ASSETS,
            self.total_borrow_shares + MARKET_VIRTUAL_SHARES,
        )
        return min(value, self.total_borrow_assets)


@dataclass(frozen=True)
class OpenPreview:
    """What `router.open` does: the collateral it adds for `mint_cost` X, the X it borrows and the borrow
    shares that adds, and the whole position's debt and health after it (leverage at the price before the
    mint)."""

    collateral_added: int
    borrowed: int
    borrow_shares: int
    debt: int
    health: int
    leverage: float
    mint_cost: int = 0


def router_target_collateral(
    lst: LstSnapshot, market: MarketSnapshot, assets_in: int, shares: int, debt: int, target_leverage: int
) -> int:
    """`LeverageRouter._collateral_for`: the position's collateral after levering to `target_leverage`."""
    value = assets_in + shares * market.price // ORACLE_SCALE
    if value < debt:
        raise ModelError("router: position is insolvent")
    target = lst.to_shares_down((value - debt) * target_leverage // WAD)
    rate = lst.preview_mint(ORACLE_SCALE) + 1
    floor_value = market.price * market.max_ltv // WAD
    if rate <= floor_value:
        raise ModelError("router: price above rate")
    credit = assets_in + shares * rate // ORACLE_SCALE
    if credit <= debt + ROUTER_LTV_MARGIN:
        return shares
    cap = (credit - debt - ROUTER_LTV_MARGIN) * ORACLE_SCALE // (rate - floor_value)
    return max(min(target, cap), shares)


def preview_open(
    lst: LstSnapshot,
    market: MarketSnapshot,
    assets_in: int,
    target_leverage: int,
    collateral: int = 0,
    borrow_shares: int = 0,
    debt: int = 0,
) -> OpenPreview:
    """What `router.open(assets_in, target_leverage)` does, to the wei, to a position holding `collateral` and
    `borrow_shares` that owe `debt` (as `LendingMarket.position` rounds it; all 0 for a new position): the
    router adds the X to the equity and levers the whole position."""
    target = router_target_collateral(lst, market, assets_in, collateral, debt, target_leverage)
    added = target - collateral
    if added == 0:
        raise ModelError("router: amount too small")
    cost = lst.preview_mint(added)
    lst.check_deposit(cost)
    borrowed = max(cost - assets_in, 0)
    after, shares = market.borrowed(borrowed) if borrowed else (market, 0)
    total_debt = after.debt_up(borrow_shares + shares)
    value = after.value(target)
    leverage = value / (value - total_debt) if value > total_debt else math.inf
    # Health is at the oracle's rate: the LST's book value once the router's mint is in.
    rate = lst.minted(added).book_value(ORACLE_SCALE)
    health = after.health_wad(target, total_debt, rate)
    return OpenPreview(added, borrowed, shares, total_debt, health, leverage, cost)


def router_unstake_size(
    lst: LstSnapshot, price: int, collateral: int, debt: int, worth: int, target: int
) -> int:
    """`LeverageRouter._unstake_size`: the shares an adjust down to `target` (WAD) unstakes instantly."""
    numerator, reduce = target * debt, (target - WAD) * worth
    if numerator <= reduce:
        raise ModelError("router: already below target")
    numerator -= reduce
    q = lst.to_assets_down(ORACLE_SCALE)
    amount = 0
    for _ in range(DECREASE_ROUNDS):
        gain, cost = target * q, (target - WAD) * price
        if gain <= cost:
            raise ModelError("router: target too high for the unstake fee")
        amount = min(mul_div_up(numerator, ORACLE_SCALE, gain - cost), collateral)
        if amount == 0:
            break
        q = lst.preview_redeem(amount) * ORACLE_SCALE // amount
    return amount


def router_unstake_for(lst: LstSnapshot, debt: int, collateral: int) -> int:
    """`LeverageRouter._unstake_for`: the fewest shares whose instant redemption pays `debt`."""
    amount = min(lst.preview_withdraw(debt), collateral)
    for _ in range(UNSTAKE_FOR_ROUNDS):
        if lst.preview_redeem(amount) >= debt or amount == collateral:
            break
        amount = min(amount + lst.to_shares_down(debt - lst.preview_redeem(amount)) + 1, collateral)
    return amount
