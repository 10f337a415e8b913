# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title LeverageGuard
@custom:contract-name LeverageGuard
@license MIT
@notice Opt-in protection of a leveraged position. A user authorizes this contract on
        a market and sets a guard there: a health floor, a target leverage, a maximum
        tip and, optionally, a carry trigger of N hours. Whenever a trigger holds,
        anyone may call `protect(market, user, tip_bps)`: it steps the position down
        to exactly the target leverage through the market's repay callback (unstake
        collateral instantly, repay, as the router's `adjust` down does, with the same
        step-down math: the `deleverage` module) and pays the caller a tip of at most
        `max_tip_bps` of the position's equity, or of the collateral value the step
        moves when that is less.

        Triggers (either one):
        - health: the market's `position(user)` health (collateral at the LST's book
          value x LLTV / debt) is below the floor;
        - carry: the market's carry run is at least N hours. Anyone may record a
          checkpoint of a market (`checkpoint`; every `protect` records one too), at
          most one every `MIN_INTERVAL` (15 minutes): it syncs the LST's rewards,
          accrues the market's interest and stores the debt per borrow share d
          (`total_borrow_assets + 1` per `total_borrow_shares + 10^6`, scaled 1e36)
          and the LST's exchange rate r (`convertToAssets(1e36)`). Both grow only
          with time (interest, streamed rewards): no deposit, donation, flash loan or
          trade moves either by more than a rounding unit. The interval between two
          consecutive checkpoints is negative when d grew by a larger factor than r:
          floor(d1 * r0 / d0) > r1. A run is a sequence of consecutive negative
          intervals, each but the first at most `MAX_INTERVAL` (6 hours) long (a
          longer one ends the run and may only start a new one); its length is the
          time from the END of its first interval to the START of its latest one, so
          nothing inside either edge interval counts. A period in which the borrow
          APR exceeds the staking APR must therefore have lasted at least as long as
          the run: a spike shorter than N hours cannot make a run of N hours, and
          nothing done within one block can move d or r at all (one timestamp).
@custom:security - `protect` acts only for a user who set a guard on that market and
                   still authorizes this contract there; only while a trigger holds;
                   only down to the user's target (the step is sized by the module
                   and the result checked: leverage within 0.01% of the target at the
                   price it was sized with, widened by what 4 wei of debt move it for a
                   position with little equity; nothing within that of the target); the
                   caller's tip is at most the user's `max_tip_bps` of the equity, or of
                   the collateral value the step moves (leverage - target) x equity when
                   that is less (a sliver of a step earns a sliver of a tip), and the
                   user's equity falls by at most the tip plus the LST's instant-unstake
                   fee (checked after the step).
                 - Settings are checked when set: the target's health is above the
                   floor (a protected position leaves the health trigger behind), the
                   target is within the market's max leverage, the tip within 1%.
                 - `revoke` deletes the settings; revoking the market authorization of
                   this contract stops it as well.
                 - `on_repay` is accepted only from the market of the call in progress
                   (transient storage, set before the market is called and cleared
                   after it returns). Every entry point is reentrancy-locked.
                 - Only markets the factory lists whose collateral is an ERC-4626 LST
                   of the market's loan asset.
                 - Holds nothing between transactions: the tip goes to the caller, any
                   rounding rest to the user, and the one allowance it gives (the
                   repaid X, to the market) is pulled in full.
                 - No owner, no admin, no upgrade path.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC4626
from snekmate.utils import math
from interfaces import ILendingMarket
from interfaces import ILiquidStaking
from interfaces import IMarketCallbacks
from interfaces import IMarketRegistry
from interfaces import IPriceOracle
from . import deleverage
from . import factory_markets

initializes: factory_markets

implements: IMarketCallbacks


WAD: constant(uint256) = 10**18
ORACLE_SCALE: constant(uint256) = 10**36
BPS: constant(uint256) = 10_000
HOUR: constant(uint256) = 3_600
# The most a user may offer a caller: 1% of the position's equity (a liquidation at the
# default 99% LLTV costs 0.3% of the collateral: 15% of the equity of a 50x position).
MAX_TIP_BPS: constant(uint256) = 100
MAX_HEALTH_FLOOR: constant(uint256) = 2 * WAD
MAX_CARRY_HOURS: constant(uint256) = 30 * 24
# Carry checkpoints: at most one per MIN_INTERVAL; an interval longer than MAX_INTERVAL
# cannot continue a run.
MIN_INTERVAL: constant(uint256) = 900
MAX_INTERVAL: constant(uint256) = 6 * HOUR
# Leverage after `protect`, at the price it was sized with: within target / TARGET_TOLERANCE, and
# within what LANDING_SLACK wei of debt move it (leverage / equity each): the market's and the
# LST's roundings move the debt by a few wei, which a position with a few thousand wei of equity
# left cannot resolve to a ten-thousandth.
TARGET_TOLERANCE: constant(uint256) = 10_000
LANDING_SLACK: constant(uint256) = 4
# Rounds of the step-down solver (the router's adjust uses 3): a position protected with little equity
# left (a 2% slash takes a 50x position to ~500x) needs up to 8 to land within the tolerance. It stops
# once a round moves the size by at most a millionth (what is left to converge moves the leverage by
# well under a ppm).
STEP_ROUNDS: constant(uint256) = 8
STEP_SETTLE: constant(uint256) = 10**6
# Rounding allowed in the equity check (debt rounded up, value rounded down).
EQUITY_SLACK: constant(uint256) = 4
# The market's virtual borrow position (LendingMarket's VIRTUAL_SHARES / VIRTUAL_ASSETS).
MARKET_VIRTUAL_SHARES: constant(uint256) = 10**6
MARKET_VIRTUAL_ASSETS: constant(uint256) = 1

TRIGGER_HEALTH: constant(uint256) = 1
TRIGGER_CARRY: constant(uint256) = 2


struct Settings:
    # Health (WAD) below which anyone may protect; above 1.
    health_floor: uint256
    # Leverage (WAD) `protect` moves the position to; 0 when no guard is set.
    target_leverage: uint256
    # The most the caller of `protect` may take, in bps of the position's equity.
    max_tip_bps: uint256
    # Hours of carry run that also trigger; 0 for none.
    carry_hours: uint256


struct Carry:
    # The latest checkpoint of a market.
    time: uint256
    debt_index: uint256
    lst_rate: uint256
    # End of the first and start of the latest interval of the current run (0, 0: no run).
    run_first_end: uint256
    run_last_start: uint256


struct Tokens:
    x: IERC20
    lst: IERC4626


struct Status:
    # What `protect(market, user, ...)` would see now (its checkpoint included).
    guarded: bool
    authorized: bool
    health: uint256
    # Collateral value at the oracle's price / equity, WAD (max_value when insolvent).
    leverage: uint256
    carry_run: uint256
    health_trigger: bool
    carry_trigger: bool


registry: public(immutable(IMarketRegistry))

# market => user => settings
settings: public(HashMap[address, HashMap[address, Settings]])
# market => its latest carry checkpoint
carry: public(HashMap[address, Carry])

# The market of the call in progress: `on_repay` is only valid from it.
_market: transient(address)


event GuardSet:
    user: indexed(address)
    market: indexed(address)
    health_floor: uint256
    target_leverage: uint256
    max_tip_bps: uint256
    carry_hours: uint256


event GuardRevoked:
    user: indexed(address)
    market: indexed(address)


event CarryCheckpoint:
    market: indexed(address)
    debt_index: uint256
    lst_rate: uint256
    negative: bool
    carry_run: uint256


event Protected:
    user: indexed(address)
    market: indexed(address)
    caller: indexed(address)
    trigger: uint256
    collateral_before: uint256
    collateral_after: uint256
    debt_before: uint256
    debt_after: uint256
    target_leverage: uint256
    tip: uint256
    fee: uint256


@deploy
def __init__(registry_: IMarketRegistry):
    """
    @param registry_ The market factory; only its markets are accepted.
    """
    assert registry_.address != empty(address), "guard: zero registry"
    registry = registry_


# ---------------------------------------------------------------- users


@external
def set_guard(
    market: ILendingMarket, health_floor: uint256, target_leverage: uint256, max_tip_bps: uint256, carry_hours: uint256
):
    """
    @notice Guards the caller's position on `market` (replacing an earlier guard there).
            The caller must also authorize this contract on the market
            (`set_authorization`) for `protect` to act.
    @param health_floor Health (WAD) below which anyone may protect: above 1, at most 2.
    @param target_leverage Leverage (WAD) to step down to: 1x to the market's max, and
           with a health above the floor (LLTV x L / (L - 1) > floor).
    @param max_tip_bps The most a caller may take, in bps of the equity (at most 100).
    @param carry_hours Also protect after a carry run of this many hours (1 to 720), or
           0 for the health trigger only.
    """
    self._tokens(market)
    assert health_floor > WAD and health_floor <= MAX_HEALTH_FLOOR, "guard: health floor out of bounds"
    assert target_leverage >= WAD, "guard: leverage below 1x"
    assert target_leverage <= staticcall market.max_leverage(), "guard: leverage above max"
    # Health at leverage L (collateral at the oracle's rate) is LLTV x L / (L - 1).
    assert target_leverage == WAD or staticcall market.lltv() * target_leverage > health_floor * (
        target_leverage - WAD
    ), "guard: target not above the floor"
    assert max_tip_bps <= MAX_TIP_BPS, "guard: tip above max"
    assert carry_hours <= MAX_CARRY_HOURS, "guard: carry hours out of bounds"
    self.settings[market.address][msg.sender] = Settings(
        health_floor=health_floor, target_leverage=target_leverage, max_tip_bps=max_tip_bps, carry_hours=carry_hours
    )
    log GuardSet(
        user=msg.sender,
        market=market.address,
        health_floor=health_floor,
        target_leverage=target_leverage,
        max_tip_bps=max_tip_bps,
        carry_hours=carry_hours,
    )


@external
def revoke(market: address):
    """
    @notice Removes the caller's guard on `market`: `protect` no longer acts for it.
    """
    assert self.settings[market][msg.sender].target_leverage != 0, "guard: not guarded"
    self.settings[market][msg.sender] = empty(Settings)
    log GuardRevoked(user=msg.sender, market=market)


# ---------------------------------------------------------------- keepers


@external
def checkpoint(market: ILendingMarket) -> bool:
    """
    @notice Records a carry checkpoint of `market` (permissionless): syncs the LST's
            rewards, accrues interest and closes the interval since the last
            checkpoint. Does nothing (returns False) within `MIN_INTERVAL` of it.
    """
    tokens: Tokens = self._tokens(market)
    return self._checkpoint(market, tokens)


@external
def protect(market: ILendingMarket, user: address, tip_bps: uint256) -> uint256:
    """
    @notice Steps `user`'s position on `market` down to its guard's target leverage
            while a trigger holds, and pays the caller `tip_bps` (at most the user's
            `max_tip_bps`) of the equity, or of the collateral value the step moves
            when that is less. Records a carry checkpoint first when one is due.
    @return The tip paid to the caller, in X.
    """
    settings: Settings = self.settings[market.address][user]
    assert settings.target_leverage != 0, "guard: not guarded"
    assert tip_bps <= settings.max_tip_bps, "guard: tip above max"
    tokens: Tokens = self._tokens(market)
    assert staticcall market.is_authorized(user, self), "guard: not authorized"
    self._checkpoint(market, tokens)
    extcall market.accrue_interest()
    collateral: uint256 = 0
    debt: uint256 = 0
    ltv: uint256 = 0
    health: uint256 = 0
    collateral, debt, ltv, health = staticcall market.position(user)
    trigger: uint256 = 0
    if health < settings.health_floor:
        trigger = TRIGGER_HEALTH
    if settings.carry_hours != 0 and self._run(self.carry[market.address]) >= settings.carry_hours * HOUR:
        trigger |= TRIGGER_CARRY
    assert trigger != 0, "guard: no trigger holds"
    price: uint256 = staticcall IPriceOracle(staticcall market.oracle()).price()
    assert price != 0, "guard: zero price"
    value: uint256 = math._mul_div(collateral, price, ORACLE_SCALE, False)
    assert value > debt, "guard: position is insolvent"
    target: uint256 = settings.target_leverage
    # Within the landing tolerance the position is at its target: a step there would move it by no more than
    # the rounding a landing may leave, and a landing left just above the target (with the floor at the edge
    # of the target's health, or a carry run going on) could be stepped again and again, a tip each time.
    leverage: uint256 = math._mul_div(value, WAD, value - debt, False)
    assert leverage > target + self._tolerance(target, leverage, value - debt), "guard: already at target"
    # The tip is of the equity, or of the collateral value the step moves, (leverage - target) x equity, when
    # that is less: interest and a carry run push a landed position past its target again within minutes, and
    # a whole tip for each such sliver of a step would pay callers to drain the position step by step.
    tip: uint256 = math._mul_div(
        min(value - debt, math._mul_div(leverage - target, value - debt, WAD, False)), tip_bps, BPS, False
    )
    lst: ILiquidStaking = ILiquidStaking(tokens.lst.address)
    room: uint256 = staticcall lst.max_instant_redeem()
    if room < collateral:
        # Matured unbonding waiting at the backend refills the buffer first.
        extcall lst.process_queue()
        room = staticcall lst.max_instant_redeem()
    # Sized as the router's step down with the tip counted as debt: what the unstake pays
    # beyond the tip repays, and the position lands at the target.
    amount: uint256 = 0
    status: uint256 = 0
    amount, status = deleverage._step_down(
        tokens.lst, price, collateral, debt + tip, value, target, STEP_ROUNDS, STEP_SETTLE
    )
    assert status != deleverage.BELOW_TARGET, "guard: already at target"
    assert status != deleverage.FEE_TOO_HIGH, "guard: target too high for the unstake fee"
    assert amount <= room, "guard: buffer too small"
    gross: uint256 = staticcall tokens.lst.convertToAssets(amount)
    proceeds: uint256 = staticcall tokens.lst.previewRedeem(amount)
    assert proceeds > tip, "guard: step too small"
    self._market = market.address
    data: Bytes[1024] = abi_encode(user, amount)
    if proceeds - tip >= debt:
        extcall market.repay(0, (staticcall market.positions(user))[1], user, data)
    else:
        extcall market.repay(proceeds - tip, 0, user, data)
    self._market = empty(address)
    # What the unstake paid beyond the repay and the tip (a step back to 1x pays the whole debt
    # by shares and a few wei more) goes back to the user.
    rest: uint256 = staticcall tokens.x.balanceOf(self) - tip
    collateral_after: uint256 = 0
    debt_after: uint256 = 0
    collateral_after, debt_after = self._check_landing(
        market, user, price, target, value - debt, tip + gross - proceeds + rest
    )
    log Protected(
        user=user,
        market=market.address,
        caller=msg.sender,
        trigger=trigger,
        collateral_before=collateral,
        collateral_after=collateral_after,
        debt_before=debt,
        debt_after=debt_after,
        target_leverage=target,
        tip=tip,
        fee=gross - proceeds,
    )
    self._revoke(tokens.x, market.address)
    if tip != 0:
        self._send(tokens.x, msg.sender, tip)
    if rest != 0:
        self._send(tokens.x, user, rest)
    return tip


@reentrant
@external
def on_repay(assets: uint256, data: Bytes[1024]):
    """
    @notice Called by the market inside `repay`, after the debt is reduced: withdraws
            the user's collateral and unstakes it so the market can pull `assets`.
    """
    assert msg.sender == self._market and msg.sender != empty(address), "guard: unexpected callback"
    user: address = empty(address)
    amount: uint256 = 0
    user, amount = abi_decode(data, (address, uint256))
    market: ILendingMarket = ILendingMarket(msg.sender)
    lst: IERC4626 = IERC4626(staticcall market.collateral_token())
    extcall market.withdraw_collateral(amount, user, self)
    extcall lst.redeem(amount, self, self)
    self._approve(IERC20(staticcall market.asset()), market.address, assets)


@reentrant
@external
def on_supply_collateral(assets: uint256, data: Bytes[1024]):
    """
    @notice The guard never supplies collateral.
    """
    raise "guard: unexpected callback"


@reentrant
@external
def on_liquidate(repaid_assets: uint256, data: Bytes[1024]):
    """
    @notice The guard never liquidates.
    """
    raise "guard: unexpected callback"


@external
def remember_market(market: ILendingMarket):
    """
    @notice Runs the checks every entry point runs on `market` and remembers its LST (a factory
            market's tokens never change), so that the market's first caller does not pay the slot:
            the deployer of a market calls it once. Permissionless; a no-op once remembered.
    @param market A market from the factory.
    """
    self._tokens(market)


# ---------------------------------------------------------------- views


@view
@external
def carry_run(market: address) -> uint256:
    """
    @notice Seconds of the market's carry run as of its latest checkpoint.
    """
    return self._run(self.carry[market])


@view
@external
def status(market: ILendingMarket, user: address) -> Status:
    """
    @notice What `protect(market, user, ...)` would find now: whether the user is
            guarded and authorizes this contract, the position's health and leverage,
            the carry run once the checkpoint `protect` would record is counted
            (interest accrued up to now; the LST's rate as it is, which its reward sync
            would leave unchanged but for rounding), and which trigger `protect` would
            act on (none for a user not guarded or not authorizing this contract, or
            whose leverage is within the landing tolerance of its target).
    """
    settings: Settings = self.settings[market.address][user]
    result: Status = empty(Status)
    result.guarded = settings.target_leverage != 0
    result.authorized = staticcall market.is_authorized(user, self)
    collateral: uint256 = 0
    debt: uint256 = 0
    ltv: uint256 = 0
    health: uint256 = 0
    collateral, debt, ltv, health = staticcall market.position(user)
    result.health = health
    value: uint256 = math._mul_div(
        collateral, staticcall IPriceOracle(staticcall market.oracle()).price(), ORACLE_SCALE, False
    )
    result.leverage = max_value(uint256)
    # `protect` refuses a position within the landing tolerance of its target: no trigger acts there.
    above: bool = True
    if value > debt:
        result.leverage = math._mul_div(value, WAD, value - debt, False)
        above = result.leverage > settings.target_leverage + self._tolerance(
            settings.target_leverage, result.leverage, value - debt
        )
    last: Carry = self.carry[market.address]
    if last.time == 0 or block.timestamp >= last.time + MIN_INTERVAL:
        lst: IERC4626 = IERC4626(staticcall market.collateral_token())
        last = self._next_carry(
            last,
            self._debt_index((staticcall market.market_state())[1], staticcall market.total_borrow_shares()),
            staticcall lst.convertToAssets(ORACLE_SCALE),
        )
    result.carry_run = self._run(last)
    active: bool = result.guarded and result.authorized and above
    result.health_trigger = active and result.health < settings.health_floor
    result.carry_trigger = active and settings.carry_hours != 0 and result.carry_run >= settings.carry_hours * HOUR
    return result


# ---------------------------------------------------------------- internals


@internal
def _tokens(market: ILendingMarket) -> Tokens:
    lst: address = factory_markets._remembered(registry, market)
    if lst == empty(address):
        assert not factory_markets._unknown(registry, market), "guard: unknown market"
        raise "guard: collateral is not an lst of the asset"
    return Tokens(x=IERC20(staticcall market.asset()), lst=IERC4626(lst))


@pure
@internal
def _debt_index(total_assets: uint256, total_shares: uint256) -> uint256:
    # X owed per 1e36 borrow shares, as the market converts them.
    return math._mul_div(ORACLE_SCALE, total_assets + MARKET_VIRTUAL_ASSETS, total_shares + MARKET_VIRTUAL_SHARES, False)


@pure
@internal
def _run(carry: Carry) -> uint256:
    if carry.run_first_end == 0 or carry.run_last_start <= carry.run_first_end:
        return 0
    return carry.run_last_start - carry.run_first_end


@view
@internal
def _next_carry(last: Carry, debt_index: uint256, lst_rate: uint256) -> Carry:
    """
    @dev The checkpoint recorded now after `last`: the interval since `last` is negative
         when the debt per share grew by a larger factor than the LST's rate; a negative
         interval of at most MAX_INTERVAL continues the run, a longer one can only start one.
    """
    new: Carry = Carry(
        time=block.timestamp, debt_index=debt_index, lst_rate=lst_rate, run_first_end=0, run_last_start=0
    )
    if last.time == 0 or last.debt_index == 0:
        return new
    if math._mul_div(debt_index, last.lst_rate, last.debt_index, False) <= lst_rate:
        return new
    new.run_last_start = last.time
    new.run_first_end = block.timestamp
    if last.run_first_end != 0 and block.timestamp - last.time <= MAX_INTERVAL:
        new.run_first_end = last.run_first_end
    return new


@internal
def _checkpoint(market: ILendingMarket, tokens: Tokens) -> bool:
    last: Carry = self.carry[market.address]
    if last.time != 0 and block.timestamp < last.time + MIN_INTERVAL:
        return False
    extcall ILiquidStaking(tokens.lst.address).sync_rewards()
    extcall market.accrue_interest()
    new: Carry = self._next_carry(
        last,
        self._debt_index(staticcall market.total_borrow_assets(), staticcall market.total_borrow_shares()),
        staticcall tokens.lst.convertToAssets(ORACLE_SCALE),
    )
    self.carry[market.address] = new
    log CarryCheckpoint(
        market=market.address,
        debt_index=new.debt_index,
        lst_rate=new.lst_rate,
        negative=new.run_first_end != 0,
        carry_run=self._run(new),
    )
    return True


@view
@internal
def _check_landing(
    market: ILendingMarket, user: address, price: uint256, target: uint256, equity: uint256, allowed_loss: uint256
) -> (uint256, uint256):
    """
    @dev The position ended at the target (at the price the step was sized with) and its
         equity fell by at most `allowed_loss` (the tip, the instant-unstake fee and the X
         sent back to the user). Returns its (collateral, debt).
    """
    # Interest is accrued up to now: the debt is the market's own conversion, rounded up.
    collateral: uint256 = 0
    borrow_shares: uint256 = 0
    collateral, borrow_shares = staticcall market.positions(user)
    debt: uint256 = math._mul_div(
        borrow_shares,
        staticcall market.total_borrow_assets() + MARKET_VIRTUAL_ASSETS,
        staticcall market.total_borrow_shares() + MARKET_VIRTUAL_SHARES,
        True,
    )
    value: uint256 = math._mul_div(collateral, price, ORACLE_SCALE, False)
    assert value > debt, "guard: missed the target"
    assert value - debt + allowed_loss + EQUITY_SLACK >= equity, "guard: equity loss above tip and fee"
    leverage: uint256 = math._mul_div(value, WAD, value - debt, False)
    gap: uint256 = leverage - min(leverage, target) + target - min(leverage, target)
    assert gap <= self._tolerance(target, leverage, value - debt), "guard: missed the target"
    return collateral, debt


@pure
@internal
def _tolerance(target: uint256, leverage: uint256, equity: uint256) -> uint256:
    # How far from the target a landing may be: a ten-thousandth, widened by what LANDING_SLACK wei of debt
    # move the leverage (leverage / equity each).
    return target // TARGET_TOLERANCE + leverage * LANDING_SLACK // equity


@internal
def _approve(token: IERC20, spender: address, amount: uint256):
    # Exactly what the market pulls: nothing stays approved once it has.
    assert extcall token.approve(spender, amount, default_return_value=True), "guard: approve failed"


@internal
def _revoke(token: IERC20, spender: address):
    if staticcall token.allowance(self, spender) != 0:
        assert extcall token.approve(spender, 0, default_return_value=True), "guard: approve failed"


@internal
def _send(token: IERC20, receiver: address, amount: uint256):
    assert extcall token.transfer(receiver, amount, default_return_value=True), "guard: transfer failed"
