# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title LeverageRouter
@custom:contract-name LeverageRouter
@license MIT
@notice Opens, adjusts and closes leveraged staking positions in one transaction.
        `open` credits the user's whole target collateral through the market's
        `supply_collateral` callback, borrows the missing X for the user inside it,
        stakes everything into the LST and hands the shares over: any leverage up to
        1 / (1 - max LTV) at a gas cost that does not grow with it, needing idle
        liquidity equal to the borrowed amount only. `loop` is the classic
        borrow-stake-supply loop, kept for comparison.
@custom:security - Positions always belong to `msg.sender`; the router borrows and
                   withdraws collateral only for the caller, and only after the caller
                   authorized it on the market (directly or with an EIP-712 signature
                   passed in the same call).
                 - Works only with markets deployed by the factory whose collateral is
                   an ERC-4626 LST of the market's loan asset.
                 - Callbacks are accepted only from the market the router is operating
                   on in the current call (transient storage).
                 - Holds no tokens and no allowances between transactions: it approves
                   exactly what the next call pulls, whatever is left at the end of a
                   call goes to the caller and every allowance it gave is reset. Every
                   entry point is reentrancy-locked.
                 - Products use 512-bit `mul_div`; what remains is bounded by the
                   market's max leverage (at most 50x) and real token balances.
                 - No owner, no admin, no upgrade path.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC4626
from snekmate.utils import math
from interfaces import ILendingMarket
from interfaces import ILiquidStaking
from interfaces import IMarketRegistry
from interfaces import IMarketCallbacks
from interfaces import IPriceOracle
from interfaces import IERC20Permit
from interfaces import IWrappedNative
from . import deleverage
from . import factory_markets
from contracts.staking import share_pricing

initializes: factory_markets

implements: IMarketCallbacks


WAD: constant(uint256) = 10**18
ORACLE_SCALE: constant(uint256) = 10**36
# Price scale for products that must not overflow: X per share times 1e18.
PRICE_18: constant(uint256) = 10**18
MAX_LOOP_STEPS: constant(uint256) = 50
# X kept below the max LTV limit when a position is sized at the maximum leverage. It covers
# the LST mint rounding up, the debt rounding up and the collateral value rounding down.
LTV_MARGIN: constant(uint256) = 4

ACTION_INCREASE: constant(uint256) = 1
ACTION_DECREASE: constant(uint256) = 2
ACTION_CLOSE: constant(uint256) = 3
ACTION_STAKE: constant(uint256) = 4
# What `close` returns: X (LST when the buffer cannot take the whole collateral), LST after
# unstaking only the debt, or a queued unstake of everything but the debt (no instant fee on it).
CLOSE_TO_X: constant(uint256) = 0
CLOSE_TO_LST: constant(uint256) = 1
CLOSE_TO_QUEUE: constant(uint256) = 2


struct Permit:
    # An EIP-2612 permit for the token the router pulls; `deadline == 0` means none.
    value: uint256
    deadline: uint256
    v: uint8
    r: bytes32
    s: bytes32


struct Authorization:
    # The market's EIP-712 authorization of this router; `deadline == 0` means none.
    nonce: uint256
    deadline: uint256
    v: uint8
    r: bytes32
    s: bytes32


struct Tokens:
    x: IERC20
    lst: IERC4626


# The LST's share prices from one `share_prices` read (`share_pricing`'s (assets, shares) pairs):
# conversions at the first pair, mints at the second, exactly as the LST's own views.
struct Prices:
    exit_assets: uint256
    exit_shares: uint256
    entry_assets: uint256
    entry_shares: uint256


registry: public(immutable(IMarketRegistry))
wrapped_native: public(immutable(address))

# The market and user of the call in progress: callbacks are only valid for them.
_market: transient(address)
_user: transient(address)
# A queued unstake the `close` in progress filed for the user: (X it is worth, request id); reset
# by every `close`, since transient storage outlives a call when a transaction makes several.
_queued_assets: transient(uint256)
_queued_id: transient(uint256)


event Opened:
    user: indexed(address)
    market: indexed(address)
    assets_in: uint256
    shares_in: uint256
    collateral: uint256
    borrowed: uint256
    target_leverage: uint256


event Adjusted:
    user: indexed(address)
    market: indexed(address)
    collateral_before: uint256
    collateral_after: uint256
    debt_before: uint256
    debt_after: uint256
    target_leverage: uint256


event Closed:
    user: indexed(address)
    market: indexed(address)
    collateral: uint256
    repaid: uint256
    assets_out: uint256
    shares_out: uint256
    queued_assets: uint256
    request_id: uint256


event Looped:
    user: indexed(address)
    market: indexed(address)
    assets_in: uint256
    steps: uint256
    collateral: uint256
    borrowed: uint256


@deploy
def __init__(registry_: IMarketRegistry, wrapped_native_: address):
    """
    @param registry_ The market factory; only its markets are accepted.
    @param wrapped_native_ The wrapped native coin (for `open_native`); may be empty.
    """
    assert registry_.address != empty(address), "router: zero registry"
    registry = registry_
    wrapped_native = wrapped_native_


# ---------------------------------------------------------------- entry points


@payable
@external
def open(
    market: ILendingMarket,
    assets: uint256,
    target_leverage: uint256,
    min_collateral: uint256,
    deadline: uint256,
    permit: Permit = empty(Permit),
    authorization: Authorization = empty(Authorization),
):
    """
    @notice Opens the caller's position with `assets` of X at `target_leverage` (WAD;
            1x to the market's max leverage). On an existing position the new X is
            added to its equity and the whole position is levered to the target.
    @param market A market from the factory.
    @param assets X taken from the caller (an allowance or `permit` is needed).
    @param target_leverage Collateral value / equity, WAD.
    @param min_collateral The least LST collateral added (slippage bound).
    @param deadline Last valid timestamp.
    @param permit Optional EIP-2612 permit of X for this router.
    @param authorization Optional EIP-712 market authorization of this router.
    """
    assert msg.value == 0, "router: use open_native"
    tokens: Tokens = self._checks(market, deadline)
    assert assets != 0, "router: zero assets"
    self._authorize(market, authorization)
    self._permit(tokens.x.address, assets, permit)
    self._pull(tokens.x, msg.sender, assets)
    self._open(market, tokens, assets, 0, target_leverage, min_collateral)


@payable
@external
def open_native(
    market: ILendingMarket,
    target_leverage: uint256,
    min_collateral: uint256,
    deadline: uint256,
    authorization: Authorization = empty(Authorization),
):
    """
    @notice `open` with the native coin (`msg.value`), wrapped on the way in. Only for
            markets whose X is the wrapped native coin.
    """
    tokens: Tokens = self._checks(market, deadline)
    assert wrapped_native != empty(address) and tokens.x.address == wrapped_native, "router: market is not native"
    assert msg.value != 0, "router: zero assets"
    self._authorize(market, authorization)
    extcall IWrappedNative(wrapped_native).deposit(value=msg.value)
    self._open(market, tokens, msg.value, 0, target_leverage, min_collateral)


@external
def open_with_lst(
    market: ILendingMarket,
    shares: uint256,
    target_leverage: uint256,
    min_collateral: uint256,
    deadline: uint256,
    permit: Permit = empty(Permit),
    authorization: Authorization = empty(Authorization),
):
    """
    @notice `open` with `shares` of the LST as the equity.
    """
    tokens: Tokens = self._checks(market, deadline)
    assert shares != 0, "router: zero shares"
    self._authorize(market, authorization)
    self._permit(tokens.lst.address, shares, permit)
    self._pull(IERC20(tokens.lst.address), msg.sender, shares)
    self._open(market, tokens, 0, shares, target_leverage, min_collateral)


@external
def adjust(
    market: ILendingMarket,
    target_leverage: uint256,
    min_equity: uint256,
    deadline: uint256,
    authorization: Authorization = empty(Authorization),
    partial: bool = False,
):
    """
    @notice Moves the caller's position to `target_leverage` (WAD): up by borrowing
            and staking more, down by unstaking collateral instantly and repaying.
    @param min_equity The least equity (collateral value - debt, in X) accepted after
           the move: bounds the instant unstake fee and any rounding.
    @param partial Going down, unstake only what the LST's buffer can take now when it
           cannot take the whole step (the position ends between now and the target).
    """
    tokens: Tokens = self._checks(market, deadline)
    self._authorize(market, authorization)
    # Accrued first, so `position` (which counts pending interest) and the repay or borrow after it
    # compute the interest once.
    extcall market.accrue_interest()
    collateral: uint256 = 0
    debt: uint256 = 0
    collateral, debt = self._position(market, msg.sender)
    price: uint256 = self._price(market)
    value: uint256 = math._mul_div(collateral, price, ORACLE_SCALE, False)
    assert value > debt, "router: position is insolvent"
    current: uint256 = math._mul_div(value, WAD, value - debt, False)
    assert target_leverage >= WAD, "router: leverage below 1x"
    if target_leverage > current:
        max_ltv: uint256 = self._max_ltv(market, target_leverage)
        prices: Prices = self._share_prices(tokens)
        target: uint256 = self._collateral_for(prices, max_ltv, price, 0, collateral, debt, target_leverage)
        assert target > collateral, "router: already at max leverage"
        self._supply(market, tokens, prices, target - collateral, 0, target - collateral)
    elif target_leverage < current:
        self._decrease(market, tokens, price, collateral, debt, value, target_leverage, partial)
    else:
        raise "router: already at target"
    collateral_after: uint256 = 0
    debt_after: uint256 = 0
    collateral_after, debt_after = self._position(market, msg.sender)
    value_after: uint256 = math._mul_div(collateral_after, self._price(market), ORACLE_SCALE, False)
    assert value_after >= debt_after + min_equity, "router: slippage"
    log Adjusted(
        user=msg.sender,
        market=market.address,
        collateral_before=collateral,
        collateral_after=collateral_after,
        debt_before=debt,
        debt_after=debt_after,
        target_leverage=target_leverage,
    )
    self._sweep(tokens, market, True, False)


@external
def close(market: ILendingMarket, min_out: uint256, deadline: uint256, mode: uint256 = CLOSE_TO_X):
    """
    @notice Repays the caller's whole debt and returns the rest. `mode` 0: as X through
            the LST's instant unstake, or as LST if the buffer cannot take the whole
            collateral; 1: as LST, unstaking only the debt; 2: unstakes only the debt
            and files a queued unstake of the rest for the caller (no instant fee on
            it; claim it from the LST once due). Reverts if the buffer cannot even
            cover the debt: `adjust` with `partial` steps down with what it has.
    @param min_out The least value returned, in X (LST counted at its exchange rate, a
           queued request at its amount).
    """
    tokens: Tokens = self._checks(market, deadline)
    assert mode <= CLOSE_TO_QUEUE, "router: unknown close mode"
    collateral: uint256 = 0
    borrow_shares: uint256 = 0
    collateral, borrow_shares = staticcall market.positions(msg.sender)
    assert collateral != 0 or borrow_shares != 0, "router: no position"
    # Matured unbonding waiting at the backend refills the buffer before it is needed.
    if staticcall ILiquidStaking(tokens.lst.address).max_instant_redeem() < collateral:
        extcall ILiquidStaking(tokens.lst.address).process_queue()
    # Transient storage lives for the whole transaction: a close earlier in it (a batch, a
    # bundle) must not count its queued unstake in this one's `min_out` or event.
    self._queued_assets = 0
    self._queued_id = 0
    self._market = market.address
    self._user = msg.sender
    repaid: uint256 = 0
    if borrow_shares != 0:
        burnt: uint256 = 0
        repaid, burnt = extcall market.repay(
            0, borrow_shares, msg.sender, self._callback_data(ACTION_CLOSE, collateral, mode, 0, tokens)
        )
    else:
        self._unwind(market, tokens, collateral, 0, mode)
    self._market = empty(address)
    assets_out: uint256 = staticcall tokens.x.balanceOf(self)
    shares_out: uint256 = staticcall IERC20(tokens.lst.address).balanceOf(self)
    out_value: uint256 = assets_out + self._queued_assets
    if shares_out != 0:
        out_value += staticcall tokens.lst.convertToAssets(shares_out)
    assert out_value >= min_out, "router: slippage"
    log Closed(
        user=msg.sender,
        market=market.address,
        collateral=collateral,
        repaid=repaid,
        assets_out=assets_out,
        shares_out=shares_out,
        queued_assets=self._queued_assets,
        request_id=self._queued_id,
    )
    self._sweep(tokens, market, True, False)


@external
def loop(market: ILendingMarket, assets: uint256, steps: uint256, min_collateral: uint256, deadline: uint256):
    """
    @notice The classic loop, for comparison: stake, supply, then `steps` times borrow
            at max LTV, stake and supply. Leverage reaches (1 - q^(steps+1)) / (1 - q)
            for q = max LTV, at a gas cost that grows with `steps`. Each round is one
            `supply_collateral` whose callback borrows and stakes straight into the
            market: the same amounts as borrow, stake, supply, without the router holding
            or approving the LST (the first stake keeps 1 wei of X back when there are
            rounds, and returns it).
    @param steps Borrow-stake-supply rounds, at most 50.
    """
    tokens: Tokens = self._checks(market, deadline)
    assert assets != 0, "router: zero assets"
    assert steps <= MAX_LOOP_STEPS, "router: too many steps"
    assert staticcall market.is_authorized(msg.sender, self) or steps == 0, "router: not authorized"
    self._pull(tokens.x, msg.sender, assets)
    price: uint256 = self._price(market)
    ltv: uint256 = staticcall market.max_ltv()
    # Every round borrows X into the router and stakes it out again. Were the router's X balance and its
    # allowance to the LST back at 0 after each round, the next would create both again (20,000 gas each,
    # refunded only up to a fifth of the transaction's gas): the LST gets one allowance for the whole loop
    # (the sweep resets it), and when there are rounds, 1 wei of the caller's X stays in the router until the
    # sweep returns it.
    self._approve(tokens.x, tokens.lst.address, max_value(uint256))
    # What the LST prices deposits at, read once: within this transaction only the loop's own deposits move
    # it, each adding exactly its X and its shares (`_stake_into`).
    entry: uint256 = 0
    locked: uint256 = 0
    supply: uint256 = 0
    entry, locked, supply = staticcall ILiquidStaking(tokens.lst.address).share_prices()
    entry += locked
    kept: uint256 = min(steps, 1)
    shares: uint256 = self._stake_into(market, tokens, entry, supply, assets - kept, 0)
    entry += assets - kept
    supply += shares
    total_shares: uint256 = shares
    borrowed: uint256 = 0
    done: uint256 = 0
    for i: uint256 in range(MAX_LOOP_STEPS):
        if i == steps:
            break
        amount: uint256 = math._mul_div(math._mul_div(shares, price, ORACLE_SCALE, False), ltv, WAD, False)
        if amount <= LTV_MARGIN:
            break
        amount -= LTV_MARGIN
        shares = self._stake_into(market, tokens, entry, supply, amount, amount)
        entry += amount
        supply += shares
        total_shares += shares
        borrowed += amount
        done += 1
    assert total_shares >= min_collateral, "router: slippage"
    log Looped(
        user=msg.sender, market=market.address, assets_in=assets, steps=done, collateral=total_shares, borrowed=borrowed
    )
    self._sweep(tokens, market, False, False)


@external
def remember_market(market: ILendingMarket):
    """
    @notice Runs the checks every entry point runs on `market` and remembers its LST (a factory
            market's tokens never change), so that the market's first user does not pay the slot:
            the deployer of a market calls it once. Permissionless; a no-op once remembered.
    @param market A market from the factory.
    """
    self._tokens(market)


# ---------------------------------------------------------------- market callbacks


@reentrant
@external
def on_supply_collateral(assets: uint256, data: Bytes[1024]):
    """
    @notice Called by the market inside `supply_collateral`: borrows the X the new
            collateral costs beyond the caller's own X and stakes it all, minting the
            LST to the market (which counts it as paid).
    """
    assert msg.sender == self._market and msg.sender != empty(address), "router: unexpected callback"
    # The data is the router's own (`_supply`, `_stake_into`): the market hands it back unchanged.
    action: uint256 = 0
    amount: uint256 = 0
    cost: uint256 = 0
    borrowed: uint256 = 0
    tokens: Tokens = empty(Tokens)
    # ACTION_INCREASE: mint `amount` shares for `cost` X; ACTION_STAKE: deposit `cost` X (`loop`).
    action, amount, cost, borrowed, tokens = abi_decode(data, (uint256, uint256, uint256, uint256, Tokens))
    assert action == ACTION_INCREASE or action == ACTION_STAKE, "router: unexpected callback"
    if amount == 0:
        return
    if borrowed != 0:
        extcall ILendingMarket(msg.sender).borrow(borrowed, 0, self._user, self)
    # Straight to the market: the market counts what it receives during the callback as paid.
    if action == ACTION_STAKE:
        # `loop` approved the LST once for all its rounds, and priced the shares itself.
        assert extcall tokens.lst.deposit(cost, msg.sender) == amount, "router: unexpected shares"
    else:
        self._approve(tokens.x, tokens.lst.address, cost)
        extcall tokens.lst.mint(amount, msg.sender)


@reentrant
@external
def on_repay(assets: uint256, data: Bytes[1024]):
    """
    @notice Called by the market inside `repay`, after the debt is reduced: withdraws
            collateral and unstakes it so the market can pull the repaid X.
    """
    assert msg.sender == self._market and msg.sender != empty(address), "router: unexpected callback"
    # The data is the router's own (`close`, `_decrease`): the market hands it back unchanged.
    action: uint256 = 0
    collateral: uint256 = 0
    mode: uint256 = 0
    unused: uint256 = 0
    tokens: Tokens = empty(Tokens)
    action, collateral, mode, unused, tokens = abi_decode(data, (uint256, uint256, uint256, uint256, Tokens))
    market: ILendingMarket = ILendingMarket(msg.sender)
    if action == ACTION_DECREASE:
        extcall market.withdraw_collateral(collateral, self._user, self)
        extcall tokens.lst.redeem(collateral, self, self)
    else:
        assert action == ACTION_CLOSE, "router: unexpected callback"
        self._unwind(market, tokens, collateral, assets, mode)
    self._approve(tokens.x, market.address, assets)


@reentrant
@external
def on_liquidate(repaid_assets: uint256, data: Bytes[1024]):
    """
    @notice The router never liquidates.
    """
    raise "router: unexpected callback"


# ---------------------------------------------------------------- internals


@internal
def _tokens(market: ILendingMarket) -> Tokens:
    lst: address = factory_markets._remembered(registry, market)
    if lst == empty(address):
        assert not factory_markets._unknown(registry, market), "router: unknown market"
        raise "router: collateral is not an lst of the asset"
    return Tokens(x=IERC20(staticcall market.asset()), lst=IERC4626(lst))


@internal
def _checks(market: ILendingMarket, deadline: uint256) -> Tokens:
    assert block.timestamp <= deadline, "router: deadline passed"
    return self._tokens(market)


@view
@internal
def _price(market: ILendingMarket) -> uint256:
    price: uint256 = staticcall IPriceOracle(staticcall market.oracle()).price()
    assert price != 0, "router: zero price"
    return price


@view
@internal
def _max_ltv(market: ILendingMarket, target_leverage: uint256) -> uint256:
    """
    @dev The market's max LTV, once `target_leverage` is checked against the market's
         `max_leverage()` (1 / (1 - max LTV), computed here from the same read).
    """
    max_ltv: uint256 = staticcall market.max_ltv()
    assert target_leverage <= WAD * WAD // (WAD - max_ltv), "router: leverage above max"
    return max_ltv


@pure
@internal
def _callback_data(action: uint256, first: uint256, second: uint256, third: uint256, tokens: Tokens) -> Bytes[1024]:
    return abi_encode(action, first, second, third, tokens)


@view
@internal
def _position(market: ILendingMarket, user: address) -> (uint256, uint256):
    collateral: uint256 = 0
    debt: uint256 = 0
    ltv: uint256 = 0
    health: uint256 = 0
    collateral, debt, ltv, health = staticcall market.position(user)
    return collateral, debt


@view
@internal
def _share_prices(tokens: Tokens) -> Prices:
    total_assets: uint256 = 0
    locked: uint256 = 0
    supply: uint256 = 0
    total_assets, locked, supply = staticcall ILiquidStaking(tokens.lst.address).share_prices()
    exit_assets: uint256 = 0
    exit_shares: uint256 = 0
    exit_assets, exit_shares = share_pricing._priced(total_assets, supply)
    entry_assets: uint256 = 0
    entry_shares: uint256 = 0
    entry_assets, entry_shares = share_pricing._priced(total_assets + locked, supply)
    # As the LST's `convertToShares`: new X must not buy into worthless shares.
    assert exit_assets != 0, "router: nothing left to stake into"
    return Prices(exit_assets=exit_assets, exit_shares=exit_shares, entry_assets=entry_assets, entry_shares=entry_shares)


@view
@internal
def _collateral_for(
    prices: Prices,
    max_ltv: uint256,
    price: uint256,
    assets_in: uint256,
    shares: uint256,
    debt: uint256,
    target_leverage: uint256,
) -> uint256:
    """
    @dev Collateral (shares) of a position holding `shares` and owing `debt`, after
         `assets_in` of X is added and it is levered to `target_leverage`; capped so that
         the debt it takes stays within max LTV after every rounding.
    """
    value: uint256 = assets_in + math._mul_div(shares, price, ORACLE_SCALE, False)
    # An existing position worth less than its debt at the oracle's price (after a slash): a reason, not an
    # arithmetic revert.
    assert value >= debt, "router: position is insolvent"
    equity: uint256 = value - debt
    # `convertToShares` and `previewMint` of the LST, from one read.
    target: uint256 = math._mul_div(
        math._mul_div(equity, target_leverage, WAD, False), prices.exit_shares, prices.exit_assets, False
    )
    # Cap: debt + cost(C - shares) - assets_in <= C * price * max LTV, where cost uses the
    # LST's mint price (its book value, rounded up) and value the oracle's price (rounded
    # down): C <= (assets_in + shares * rate - debt - margin) / (rate - price * max LTV).
    rate: uint256 = math._mul_div(ORACLE_SCALE, prices.entry_assets, prices.entry_shares, True) + 1
    floor_value: uint256 = math._mul_div(price, max_ltv, WAD, False)
    assert rate > floor_value, "router: price above rate"
    credit: uint256 = assets_in + math._mul_div(shares, rate, ORACLE_SCALE, False)
    if credit <= debt + LTV_MARGIN:
        return shares
    cap: uint256 = math._mul_div(credit - debt - LTV_MARGIN, ORACLE_SCALE, rate - floor_value, False)
    return max(min(target, cap), shares)


@internal
def _open(
    market: ILendingMarket,
    tokens: Tokens,
    assets_in: uint256,
    shares_in: uint256,
    target_leverage: uint256,
    min_collateral: uint256,
):
    assert target_leverage >= WAD, "router: leverage below 1x"
    max_ltv: uint256 = self._max_ltv(market, target_leverage)
    # An existing position is levered as a whole: the new equity is added to it and the
    # whole position is sized to the target (never below what it already holds). A position
    # without debt needs neither an accrual nor `position` (which re-prices it): the borrow accrues.
    collateral: uint256 = 0
    borrow_shares: uint256 = 0
    collateral, borrow_shares = staticcall market.positions(msg.sender)
    debt: uint256 = 0
    if borrow_shares != 0:
        extcall market.accrue_interest()
        collateral, debt = self._position(market, msg.sender)
    prices: Prices = self._share_prices(tokens)
    target: uint256 = self._collateral_for(
        prices, max_ltv, self._price(market), assets_in, collateral + shares_in, debt, target_leverage
    )
    added: uint256 = target - collateral
    assert added != 0, "router: amount too small"
    assert added >= min_collateral, "router: slippage"
    borrowed: uint256 = self._supply(market, tokens, prices, added, assets_in, added - shares_in)
    log Opened(
        user=msg.sender,
        market=market.address,
        assets_in=assets_in,
        shares_in=shares_in,
        collateral=added,
        borrowed=borrowed,
        target_leverage=target_leverage,
    )
    self._sweep(tokens, market, False, shares_in != 0)


@internal
def _supply(
    market: ILendingMarket, tokens: Tokens, prices: Prices, amount: uint256, assets_in: uint256, mint_shares: uint256
) -> uint256:
    """
    @dev Credits `amount` of collateral to the caller and mints `mint_shares` of it in the
         callback, paid with `assets_in` of the caller's X and X borrowed for the caller.
         The mint's cost comes from `prices`, read by the caller: nothing between that read
         and the callback moves the LST.
    @return X borrowed.
    """
    cost: uint256 = 0
    if mint_shares != 0:
        # The LST's `previewMint(mint_shares)`.
        cost = math._mul_div(mint_shares, prices.entry_assets, prices.entry_shares, True)
    borrowed: uint256 = cost - min(cost, assets_in)
    self._market = market.address
    self._user = msg.sender
    # The callback mints `mint_shares` to the market; the market pulls the rest (the caller's LST).
    if amount != mint_shares:
        self._approve(IERC20(tokens.lst.address), market.address, amount - mint_shares)
    extcall market.supply_collateral(
        amount, msg.sender, self._callback_data(ACTION_INCREASE, mint_shares, cost, borrowed, tokens)
    )
    self._market = empty(address)
    return borrowed


@internal
def _stake_into(
    market: ILendingMarket, tokens: Tokens, entry: uint256, supply: uint256, assets: uint256, borrowed: uint256
) -> uint256:
    """
    @dev Credits the caller the LST that staking `assets` of X mints, and in the callback
         borrows `borrowed` of that X for the caller and stakes it all into the market.
         The shares are the LST's `deposit` at `entry` (total assets with the rewards still
         streaming) and `supply`, as it stands when the callback deposits; the callback
         checks that the deposit minted exactly them.
    @return LST shares added as collateral.
    """
    priced_assets: uint256 = 0
    priced_shares: uint256 = 0
    priced_assets, priced_shares = share_pricing._priced(entry, supply)
    assert priced_assets != 0, "router: nothing left to stake into"
    shares: uint256 = math._mul_div(assets, priced_shares, priced_assets, False)
    self._market = market.address
    self._user = msg.sender
    extcall market.supply_collateral(
        shares, msg.sender, self._callback_data(ACTION_STAKE, shares, assets, borrowed, tokens)
    )
    self._market = empty(address)
    return shares


@internal
def _decrease(
    market: ILendingMarket,
    tokens: Tokens,
    price: uint256,
    collateral: uint256,
    debt: uint256,
    worth: uint256,
    target: uint256,
    partial: bool,
):
    """
    @dev Unstakes collateral instantly and repays what it yields, sized by `deleverage`
         (back to 1x: enough for the whole debt). With `partial`, a step larger than the
         LST's buffer is cut to what the buffer can take. Matured unbonding is pulled into
         the buffer before the step is sized, so the fee it is sized with is the one paid.
    """
    lst: ILiquidStaking = ILiquidStaking(tokens.lst.address)
    if staticcall lst.max_instant_redeem() < collateral:
        extcall lst.process_queue()
    amount: uint256 = 0
    status: uint256 = 0
    amount, status = deleverage._step_down(
        tokens.lst, price, collateral, debt, worth, target, deleverage.DECREASE_ROUNDS, 0
    )
    assert status != deleverage.BELOW_TARGET, "router: already below target"
    assert status != deleverage.FEE_TOO_HIGH, "router: target too high for the unstake fee"
    room: uint256 = staticcall lst.max_instant_redeem()
    if room < amount:
        assert partial, "router: buffer too small"
        amount = room
    assert amount != 0, "router: already at target"
    proceeds: uint256 = staticcall tokens.lst.previewRedeem(amount)
    assert proceeds != 0, "router: buffer too small"
    self._market = market.address
    self._user = msg.sender
    data: Bytes[1024] = self._callback_data(ACTION_DECREASE, amount, 0, 0, tokens)
    if proceeds >= debt:
        borrow_shares: uint256 = (staticcall market.positions(msg.sender))[1]
        extcall market.repay(0, borrow_shares, msg.sender, data)
    else:
        # proceeds <= debt (rounded up) - 1 < exact debt: the shares burnt never exceed the position's.
        extcall market.repay(proceeds, 0, msg.sender, data)
    self._market = empty(address)


@internal
def _unwind(market: ILendingMarket, tokens: Tokens, collateral: uint256, owed: uint256, mode: uint256):
    """
    @dev Takes all of the user's collateral and turns what is needed into X: everything
         for an X close when the LST's buffer allows it, else only `owed`; in queue mode
         the rest becomes a queued unstake paying the user.
    """
    extcall market.withdraw_collateral(collateral, self._user, self)
    if mode == CLOSE_TO_X and staticcall tokens.lst.maxRedeem(self) >= collateral:
        extcall tokens.lst.redeem(collateral, self, self)
        assert staticcall tokens.x.balanceOf(self) >= owed, "router: collateral does not cover debt"
        return
    if owed != 0:
        # The LST's two limits (`maxWithdraw` is a lower bound that charges the fee on all of the
        # collateral): its buffer's instant worth, and the shares `owed` costs.
        lst_shares: uint256 = staticcall ILiquidStaking(tokens.lst.address).max_instant_redeem()
        assert staticcall tokens.lst.convertToAssets(lst_shares) >= owed, "router: buffer too small"
        assert staticcall tokens.lst.previewWithdraw(owed) <= collateral, "router: collateral does not cover debt"
        extcall tokens.lst.withdraw(owed, self, self)
    if mode == CLOSE_TO_QUEUE:
        rest: uint256 = staticcall IERC20(tokens.lst.address).balanceOf(self)
        lst: ILiquidStaking = ILiquidStaking(tokens.lst.address)
        if staticcall tokens.lst.convertToAssets(rest) >= staticcall lst.min_request():
            request_id: uint256 = extcall lst.request_unstake(rest, self._user, self)
            self._queued_id = request_id
            # What the request pays as filed, not the shares' value before: the filing lands matured
            # unbonding first, whose set-aside rounding can move the price by a unit.
            self._queued_assets = staticcall lst.request_value(request_id)


@internal
def _authorize(market: ILendingMarket, authorization: Authorization):
    # Skipped when already in place, so a front-run of the user's own signature cannot block
    # the call; a skipped signature dies with the next change of the user's authorizations.
    if authorization.deadline == 0 or staticcall market.is_authorized(msg.sender, self):
        return
    extcall market.set_authorization_with_sig(
        msg.sender,
        self,
        True,
        authorization.nonce,
        authorization.deadline,
        authorization.v,
        authorization.r,
        authorization.s,
    )


@internal
def _permit(token: address, amount: uint256, permit: Permit):
    # Skipped when the allowance is already there, so a front-run permit cannot block the call.
    if permit.deadline == 0 or staticcall IERC20(token).allowance(msg.sender, self) >= amount:
        return
    extcall IERC20Permit(token).permit(
        msg.sender, self, permit.value, permit.deadline, permit.v, permit.r, permit.s
    )


@internal
def _pull(token: IERC20, sender: address, amount: uint256):
    assert extcall token.transferFrom(sender, self, amount, default_return_value=True), "router: transfer failed"


@internal
def _approve(token: IERC20, spender: address, amount: uint256):
    # Exactly what the next call pulls: nothing is left approved once it has pulled.
    assert extcall token.approve(spender, amount, default_return_value=True), "router: approve failed"


@internal
def _revoke(token: IERC20, spender: address):
    if staticcall token.allowance(self, spender) != 0:
        assert extcall token.approve(spender, 0, default_return_value=True), "router: approve failed"


@internal
def _sweep(tokens: Tokens, market: ILendingMarket, x_to_market: bool, lst_to_market: bool):
    """
    @dev Sends whatever X or LST is left (rounding dust, unstaked X) to the caller and
         resets every allowance the router gave. `x_to_market` / `lst_to_market`: the call
         may have approved X (a repay: `adjust`, `close`) or its LST (`open_with_lst`) to the
         market. An allowance the call never gave is not read: every call before reset what
         it gave.
    """
    self._revoke(tokens.x, tokens.lst.address)
    if x_to_market:
        self._revoke(tokens.x, market.address)
    if lst_to_market:
        self._revoke(IERC20(tokens.lst.address), market.address)
    for token: IERC20 in [tokens.x, IERC20(tokens.lst.address)]:
        balance: uint256 = staticcall token.balanceOf(self)
        if balance != 0:
            assert extcall token.transfer(msg.sender, balance, default_return_value=True), "router: transfer failed"
