# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title Liquidator
@custom:contract-name Liquidator
@license MIT
@notice Liquidates with none of the caller's capital. The market sends the seized
        LST first, calls `on_liquidate` here, then pulls the repaid X: inside the
        callback the LST is unstaked instantly (all of it, the caller keeps the rest
        as X; or, with `keep_lst`, only what repays, the caller keeps the rest as
        LST). What is left goes to the caller, who pays nothing but gas.
        `quote` says what a liquidation pays now at exit value (after the instant
        fee), which is what a keeper must decide with: the market seizes at the LST's
        book value, which runs ahead of what the LST pays on exit while a reward
        stream unlocks.
@custom:security - Calls the market's own `liquidate` once, with the caller's size:
                   the market's books end exactly as after a direct liquidation of
                   that size; the only other calls are the instant unstake (whose fee
                   stays with the LST's stakers, so the collateral the market holds
                   is worth no less) and `process_queue` (matured unbonding into the
                   LST's buffer).
                 - Never pulls anything from the caller: a caller risks its gas only,
                   and gets at least `min_profit` or the call reverts.
                 - Reverts with a reason when the seized LST's exit value does not
                   cover the repaid X ("liquidator: would lose money") or the LST's
                   buffer cannot pay it now ("liquidator: buffer too small").
                 - Only markets the factory lists whose collateral is an ERC-4626 LST
                   of the market's loan asset.
                 - `on_liquidate` is accepted only from the market of the call in
                   progress (transient storage, set before the market is called and
                   cleared after it returns, so a second call in the same transaction
                   starts clean). Every entry point is reentrancy-locked.
                 - Holds nothing between transactions: everything left at the end of
                   a call goes to its caller and the one allowance it gives (the
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
from . import factory_markets

initializes: factory_markets

implements: IMarketCallbacks


WAD: constant(uint256) = 10**18
ORACLE_SCALE: constant(uint256) = 10**36
# The market's virtual borrow position (LendingMarket's VIRTUAL_SHARES / VIRTUAL_ASSETS), for `quote`.
MARKET_VIRTUAL_SHARES: constant(uint256) = 10**6
MARKET_VIRTUAL_ASSETS: constant(uint256) = 1
REASON_LENGTH: constant(uint256) = 64


struct Tokens:
    x: IERC20
    lst: IERC4626


struct Quote:
    # The arguments the quote is for (chosen when both were 0: the largest liquidation).
    seized_assets: uint256
    repaid_shares: uint256
    # LST the market sends and X it pulls.
    seized: uint256
    repaid: uint256
    # X the instant unstake pays: for all of `seized`, or with `keep_lst` exactly `repaid`.
    exit_assets: uint256
    # LST left to the caller with `keep_lst` (0 without).
    kept_shares: uint256
    # What the caller ends with, in X: the X left, or the kept LST at `convertToAssets` (what a
    # queued unstake of it pays); negative when the seized LST does not cover the repaid X at exit.
    profit: int256
    # Empty when the call would succeed now, else the reason it would revert with.
    reason: String[REASON_LENGTH]


registry: public(immutable(IMarketRegistry))

# The market of the call in progress: `on_liquidate` is only valid from it.
_market: transient(address)


event Liquidated:
    caller: indexed(address)
    market: indexed(address)
    borrower: indexed(address)
    seized: uint256
    repaid: uint256
    assets_out: uint256
    shares_out: uint256


@deploy
def __init__(registry_: IMarketRegistry):
    """
    @param registry_ The market factory; only its markets are accepted.
    """
    assert registry_.address != empty(address), "liquidator: zero registry"
    registry = registry_


# ---------------------------------------------------------------- entry points


@external
def liquidate(
    market: ILendingMarket,
    borrower: address,
    seized_assets: uint256,
    repaid_shares: uint256,
    min_profit: uint256,
    deadline: uint256,
    keep_lst: bool = False,
) -> (uint256, uint256):
    """
    @notice Liquidates `borrower` on `market` (health < 1) with none of the caller's
            capital: sized like the market's `liquidate`, by exact `seized_assets` of
            collateral or exact borrow `repaid_shares` (the other 0). The seized LST is
            unstaked instantly and the X repaid; the caller receives the rest as X, or
            with `keep_lst` as LST (only the repaid X is unstaked then).
    @param min_profit The least the caller accepts, in X: the X received, or the LST
           received at `convertToAssets` (what a queued unstake of it pays).
    @param deadline Last valid timestamp.
    @return (X sent to the caller, LST sent to the caller)
    """
    assert block.timestamp <= deadline, "liquidator: deadline passed"
    tokens: Tokens = self._remembered_tokens(market)
    self._market = market.address
    seized: uint256 = 0
    repaid: uint256 = 0
    seized, repaid = extcall market.liquidate(borrower, seized_assets, repaid_shares, abi_encode(keep_lst))
    self._market = empty(address)
    assets_out: uint256 = staticcall tokens.x.balanceOf(self)
    shares_out: uint256 = staticcall IERC20(tokens.lst.address).balanceOf(self)
    value: uint256 = assets_out
    if shares_out != 0:
        value += staticcall tokens.lst.convertToAssets(shares_out)
    assert value >= min_profit, "liquidator: profit below minimum"
    log Liquidated(
        caller=msg.sender,
        market=market.address,
        borrower=borrower,
        seized=seized,
        repaid=repaid,
        assets_out=assets_out,
        shares_out=shares_out,
    )
    self._revoke(tokens.x, market.address)
    if assets_out != 0:
        self._send(tokens.x, msg.sender, assets_out)
    if shares_out != 0:
        self._send(IERC20(tokens.lst.address), msg.sender, shares_out)
    return assets_out, shares_out


@reentrant
@external
def on_liquidate(repaid_assets: uint256, data: Bytes[1024]):
    """
    @notice Called by the market inside `liquidate`, after it sent the seized LST and
            before it pulls `repaid_assets` of X: unstakes what pays it.
    """
    assert msg.sender == self._market and msg.sender != empty(address), "liquidator: unexpected callback"
    keep_lst: bool = abi_decode(data, bool)
    market: ILendingMarket = ILendingMarket(msg.sender)
    x: IERC20 = IERC20(staticcall market.asset())
    lst: IERC4626 = IERC4626(staticcall market.collateral_token())
    shares: uint256 = staticcall IERC20(lst.address).balanceOf(self)
    if keep_lst:
        # The LST's own two limits, as `quote` reads them (not `maxWithdraw`: a lower bound that
        # charges the fee on the whole balance and would refuse what the seized LST pays).
        if self._instant_room(lst) < repaid_assets:
            # Matured unbonding waiting at the backend refills the buffer first.
            extcall ILiquidStaking(lst.address).process_queue()
            assert self._instant_room(lst) >= repaid_assets, "liquidator: buffer too small"
        assert staticcall lst.previewWithdraw(repaid_assets) <= shares, "liquidator: would lose money"
        extcall lst.withdraw(repaid_assets, self, self)
    else:
        if staticcall ILiquidStaking(lst.address).max_instant_redeem() < shares:
            extcall ILiquidStaking(lst.address).process_queue()
            assert staticcall ILiquidStaking(lst.address).max_instant_redeem() >= shares, "liquidator: buffer too small"
        proceeds: uint256 = extcall lst.redeem(shares, self, self)
        assert proceeds >= repaid_assets, "liquidator: would lose money"
    self._approve(x, market.address, repaid_assets)


@reentrant
@external
def on_supply_collateral(assets: uint256, data: Bytes[1024]):
    """
    @notice The liquidator never supplies collateral.
    """
    raise "liquidator: unexpected callback"


@reentrant
@external
def on_repay(assets: uint256, data: Bytes[1024]):
    """
    @notice The liquidator never repays on its own.
    """
    raise "liquidator: unexpected callback"


@external
def remember_market(market: ILendingMarket):
    """
    @notice Runs the checks every entry point runs on `market` and remembers its LST (a factory
            market's tokens never change), so that the market's first caller does not pay the slot:
            the deployer of a market calls it once. Permissionless; a no-op once remembered.
    @param market A market from the factory.
    """
    self._remembered_tokens(market)


# ---------------------------------------------------------------- quote


@view
@external
def quote(
    market: ILendingMarket, borrower: address, seized_assets: uint256, repaid_shares: uint256, keep_lst: bool = False
) -> Quote:
    """
    @notice What `liquidate` with these arguments would do now, at exit value: the
            LST seized and X repaid (the market's own math, interest accrued up to
            now, the dust rule included), what the instant unstake pays and the
            caller's profit, and the reason it would revert (empty if none). With
            both sizes 0, quotes the largest liquidation: all the borrow shares, or
            all the collateral when that is worth less. Matured unbonding that the
            call would first pull into the LST's buffer is not counted.
    """
    tokens: Tokens = self._tokens(market)
    result: Quote = empty(Quote)
    collateral: uint256 = 0
    borrow_shares: uint256 = 0
    collateral, borrow_shares = staticcall market.positions(borrower)
    total_assets: uint256 = (staticcall market.market_state())[1]
    total_shares: uint256 = staticcall market.total_borrow_shares()
    rate: uint256 = staticcall IPriceOracle(staticcall market.oracle()).rate()
    incentive: uint256 = staticcall market.liquidation_incentive()
    if borrow_shares == 0 or self._to_assets(borrow_shares, total_assets, total_shares, True) <= math._mul_div(
        math._mul_div(collateral, rate, ORACLE_SCALE, False), staticcall market.lltv(), WAD, False
    ):
        result.reason = "market: position is healthy"
        return result
    sizes_seized: uint256 = seized_assets
    sizes_repaid: uint256 = repaid_shares
    if seized_assets == 0 and repaid_shares == 0:
        sizes_repaid = borrow_shares
        if self._seized_for(borrow_shares, total_assets, total_shares, incentive, rate) > collateral:
            sizes_repaid = 0
            sizes_seized = collateral
    result.seized_assets = sizes_seized
    result.repaid_shares = sizes_repaid
    if (sizes_seized == 0) == (sizes_repaid == 0):
        result.reason = "market: give seized or repaid"
        return result
    # LendingMarket.liquidate, step by step.
    seized: uint256 = sizes_seized
    repaid_sh: uint256 = sizes_repaid
    if sizes_seized != 0:
        # The market rounds the X owed up once, and repays exactly the whole debt when it pays
        # what is owed within two units (a written-down position's last collateral).
        owed: uint256 = math._mul_div(sizes_seized, rate, incentive * (ORACLE_SCALE // WAD), True)
        repaid_sh = self._to_shares(owed, total_assets, total_shares, True)
        if repaid_sh > borrow_shares and self._to_assets(borrow_shares, total_assets, total_shares, True) + 2 >= owed:
            repaid_sh = borrow_shares
    else:
        seized = self._seized_for(sizes_repaid, total_assets, total_shares, incentive, rate)
    if repaid_sh > borrow_shares:
        result.reason = "market: repay exceeds debt"
        return result
    if seized > collateral:
        result.reason = "market: seize exceeds collateral"
        return result
    repaid: uint256 = self._to_assets(repaid_sh, total_assets, total_shares, True)
    if borrow_shares != repaid_sh and math._mul_div(
        collateral - seized, rate, ORACLE_SCALE, False
    ) < staticcall market.dust():
        seized = collateral
    result.seized = seized
    result.repaid = repaid
    lst: ILiquidStaking = ILiquidStaking(tokens.lst.address)
    if keep_lst:
        result.exit_assets = repaid
        needed: uint256 = staticcall tokens.lst.previewWithdraw(repaid)
        if self._instant_room(tokens.lst) < repaid:
            result.reason = "liquidator: buffer too small"
        if needed > seized:
            result.profit = -convert(staticcall tokens.lst.convertToAssets(needed - seized), int256)
            if len(result.reason) == 0:
                result.reason = "liquidator: would lose money"
            return result
        result.kept_shares = seized - needed
        result.profit = convert(staticcall tokens.lst.convertToAssets(seized - needed), int256)
        return result
    result.exit_assets = staticcall tokens.lst.previewRedeem(seized)
    result.profit = convert(result.exit_assets, int256) - convert(repaid, int256)
    if staticcall lst.max_instant_redeem() < seized:
        result.reason = "liquidator: buffer too small"
    elif result.exit_assets < repaid:
        result.reason = "liquidator: would lose money"
    return result


# ---------------------------------------------------------------- internals


@view
@internal
def _tokens(market: ILendingMarket) -> Tokens:
    # For `quote`, a view: remembers nothing.
    return self._tokens_of(market, factory_markets._checked(registry, market))


@internal
def _remembered_tokens(market: ILendingMarket) -> Tokens:
    return self._tokens_of(market, factory_markets._remembered(registry, market))


@view
@internal
def _tokens_of(market: ILendingMarket, lst: address) -> Tokens:
    if lst == empty(address):
        assert not factory_markets._unknown(registry, market), "liquidator: unknown market"
        raise "liquidator: collateral is not an lst of the asset"
    return Tokens(x=IERC20(staticcall market.asset()), lst=IERC4626(lst))


@view
@internal
def _instant_room(lst: IERC4626) -> uint256:
    # What the LST's buffer pays instantly now, at most a unit or two below its exit room (the
    # buffer's worth in shares, rounded down, back to X rounded down).
    return staticcall lst.convertToAssets(staticcall ILiquidStaking(lst.address).max_instant_redeem())


@pure
@internal
def _to_assets(shares: uint256, total_assets: uint256, total_shares: uint256, roundup: bool) -> uint256:
    return math._mul_div(shares, total_assets + MARKET_VIRTUAL_ASSETS, total_shares + MARKET_VIRTUAL_SHARES, roundup)


@pure
@internal
def _to_shares(assets: uint256, total_assets: uint256, total_shares: uint256, roundup: bool) -> uint256:
    return math._mul_div(assets, total_shares + MARKET_VIRTUAL_SHARES, total_assets + MARKET_VIRTUAL_ASSETS, roundup)


@pure
@internal
def _seized_for(
    repaid_shares: uint256, total_assets: uint256, total_shares: uint256, incentive: uint256, rate: uint256
) -> uint256:
    # The collateral the market seizes for `repaid_shares` (its rounding: down, down, down).
    return math._mul_div(
        math._mul_div(self._to_assets(repaid_shares, total_assets, total_shares, False), incentive, WAD, False),
        ORACLE_SCALE,
        rate,
        False,
    )


@internal
def _approve(token: IERC20, spender: address, amount: uint256):
    # Exactly what the market pulls: nothing stays approved once it has.
    assert extcall token.approve(spender, amount, default_return_value=True), "liquidator: approve failed"


@internal
def _revoke(token: IERC20, spender: address):
    if staticcall token.allowance(self, spender) != 0:
        assert extcall token.approve(spender, 0, default_return_value=True), "liquidator: approve failed"


@internal
def _send(token: IERC20, receiver: address, amount: uint256):
    assert extcall token.transfer(receiver, amount, default_return_value=True), "liquidator: transfer failed"
