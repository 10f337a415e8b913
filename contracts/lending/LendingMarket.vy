# pragma version 0.4.3
# pragma optimize codesize
"""
@title LendingMarket
@custom:contract-name LendingMarket
@license MIT
@notice One isolated market: lenders supply the base asset X (ERC-4626 shares),
        borrowers post an LST as collateral, priced at its exchange rate by an
        oracle. Deployed by `MarketFactory` from a blueprint; every risk
        parameter is immutable.
@custom:security - Lender shares are plain ERC-20 (no EIP-2612 permit: the market's
                   bytecode has to fit a blueprint).
                 - Every entry point follows one order: checks, accrue interest,
                   convert with the rounding named, update state, emit, callback,
                   transfer. Rounding always favours the market; products use
                   512-bit `mul_div`, so no view overflows in an intermediate step.
                 - Share accounting with virtual shares and assets (Morpho Blue);
                   idle liquidity is tracked, never read from `balanceOf`, so
                   donations change nothing.
                 - Borrowing and collateral withdrawal are checked at the oracle's
                   capped `price()`; liquidation at its uncapped `rate()`, so the
                   cap never liquidates a position healthy at the LST's real rate.
                 - After a liquidation, collateral worth less than the debt left (or
                   less than `dust`) has the shortfall written off at once.
                 - Callbacks (`on_supply_collateral`, `on_repay`, `on_liquidate`)
                   run after state is updated and before tokens are pulled. A supply
                   callback may pay by sending the collateral to the market: only the
                   rise of the market's collateral balance across the callback counts.
                   Inside any callback nobody can liquidate, flash-borrow or supply
                   collateral; collateral credited but not yet paid cannot be
                   withdrawn, and a position repaid but not yet paid cannot borrow.
                   A flash loan locks every other entry point until it is repaid.
                 - The rate model is called with a gas limit and its answer bounded;
                   if it reverts the last rate applies, so it can block nothing.
                 - The guardian can pause new lender deposits and new borrows and
                   set caps; nobody can pause repay, collateral withdrawal,
                   liquidation or lender withdrawals, and nobody can move funds.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC4626
from snekmate.auth import ownable
from snekmate.tokens import erc20
from snekmate.utils import math
from interfaces import IPriceOracle
from interfaces import IInterestRateModel
from interfaces import IMarketCallbacks
from interfaces import IERC3156FlashBorrower

implements: IERC4626

initializes: ownable
initializes: erc20[ownable := ownable]

exports: (
    erc20.transfer,
    erc20.approve,
    erc20.transferFrom,
    erc20.balanceOf,
    erc20.allowance,
    erc20.totalSupply,
    erc20.name,
    erc20.symbol,
    erc20.decimals,
)

WAD: constant(uint256) = 10**18
ORACLE_SCALE: constant(uint256) = 10**36
BPS: constant(uint256) = 10_000
YEAR: constant(uint256) = 365 * 86_400
MAX_UINT: constant(uint256) = max_value(uint256)
VIRTUAL_SHARES: constant(uint256) = 10**6
VIRTUAL_ASSETS: constant(uint256) = 1
MAX_LIQUIDATION_INCENTIVE: constant(uint256) = 1_150_000_000_000_000_000
LIQUIDATION_CURSOR: constant(uint256) = 300_000_000_000_000_000
MAX_RESERVE_FACTOR: constant(uint256) = 500_000_000_000_000_000
MAX_FLASH_FEE_BPS: constant(uint256) = 100
# The highest yearly borrow rate the market applies, whatever the rate model answers (1,000%).
MAX_BORROW_APR: constant(uint256) = 10 * WAD
# Gas the rate model may use per call: far above what a curve needs, far below a block.
RATE_MODEL_GAS: constant(uint256) = 100_000
# Exponents of e are scaled by 1e36. Interest for one accrual compounds at most e^50 - 1 (about 125
# idle years at 40%); below 0.001 it is computed to 36 digits.
MAX_EXPONENT: constant(uint256) = 50 * ORACLE_SCALE
SMALL_EXPONENT: constant(uint256) = ORACLE_SCALE // 1_000
# Collateral worth less than 1 / DUST_DIVISOR of a unit of X is dust after a liquidation.
DUST_DIVISOR: constant(uint256) = 10_000
FLASH_CALLBACK_SUCCESS: constant(bytes32) = keccak256("ERC3156FlashBorrower.onFlashLoan")
DOMAIN_TYPEHASH: constant(bytes32) = keccak256(
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
AUTHORIZATION_TYPEHASH: constant(bytes32) = keccak256(
    "Authorization(address authorizer,address authorized,bool is_authorized,uint256 nonce,uint256 deadline)"
)
AUTH_DOMAIN_NAME: constant(String[20]) = "LevStake Market"
MAX_UINT128: constant(uint256) = 2**128 - 1
MAX_UINT64: constant(uint256) = 2**64 - 1
MAX_UINT127: constant(uint256) = 2**127 - 1
SECP256K1_HALF_N: constant(uint256) = 57896044618658097711785492504343953926418782139537452191302581570759080747168


struct Position:
    # Stored packed in one slot (collateral in the low 128 bits, borrow shares in the high 128).
    collateral: uint256
    borrow_shares: uint256


struct BorrowSide:
    # Stored packed in one slot (total borrow shares in the low 128 bits, the borrow cap in the next 127,
    # the pause flag in the top bit): a borrow reads one slot for all three.
    shares: uint256
    # In X; 2^127 - 1 (all ones) is no cap.
    cap: uint256
    paused: bool


struct SupplySide:
    # Stored packed in one slot (the supply cap in the low 128 bits, the pause flag in bit 128).
    # In X; 2^128 - 1 (all ones) is no cap: supply assets never exceed it anyway.
    cap: uint256
    paused: bool


struct Totals:
    # Stored packed in one slot (supply assets in the low 128 bits, borrow assets in the high 128).
    supply_assets: uint256
    borrow_assets: uint256


struct Pending:
    # Market totals as they are once interest is accrued up to now.
    supply_assets: uint256
    borrow_assets: uint256
    fee_shares: uint256
    supply_shares: uint256
    apr: uint256
    # Fraction of a unit of interest (scaled by 1e36) carried to the next accrual.
    remainder: uint256
    # False when the rate model failed and the last rate applies.
    answered: bool


asset: public(immutable(address))
collateral_token: public(immutable(address))
oracle: public(immutable(IPriceOracle))
irm: public(immutable(IInterestRateModel))
max_ltv: public(immutable(uint256))
lltv: public(immutable(uint256))
liquidation_incentive: public(immutable(uint256))
reserve_factor: public(immutable(uint256))
treasury: public(immutable(address))
factory: public(immutable(address))
# Collateral value (in X units) below which a liquidated position is closed out.
dust: public(immutable(uint256))
_X: immutable(IERC20)
_COLLATERAL: immutable(IERC20)

guardian: public(address)
# The guardian's pause flags and caps live with what they limit (see `SupplySide` and `BorrowSide`). Views:
# `supply_paused`, `borrow_paused`, `supply_cap`, `borrow_cap`, `total_borrow_shares`.
_supply_side: uint256
_borrow_side: uint256
flash_fee_bps: public(uint256)

# X owed to lenders and X owed by borrowers, in one slot (see `Totals`): an accrual rewrites one slot, not
# two. Views: `total_supply_assets`, `total_borrow_assets`.
_totals: uint256
# The accrual's state in one slot, rewritten by every accrual: the last accrual's timestamp (low 64
# bits), the yearly rate applied since, which is the fallback if the rate model fails (next 64 bits: at
# most MAX_BORROW_APR = 1e19 < 2^64), and the fraction of a unit of interest (scaled by 1e36) carried to
# the next accrual (high 128 bits: below 1e36 < 2^120). Views: `last_update`, `last_borrow_apr`,
# `interest_remainder`.
_accrual: uint256
bad_debt_total: public(uint256)
# Each position in one slot (see `Position`): a first borrow or a first collateral writes one slot, not two.
_positions: HashMap[address, uint256]

is_authorized: public(HashMap[address, HashMap[address, bool]])
authorization_nonce: public(HashMap[address, uint256])

_in_flash_loan: transient(bool)
_in_callback: transient(bool)
# The position credited in a supply callback, and the one repaid in a repay callback, before payment.
_credited: transient(address)
_repaying: transient(address)


event Deposit:
    sender: indexed(address)
    owner: indexed(address)
    assets: uint256
    shares: uint256

event Withdraw:
    sender: indexed(address)
    receiver: indexed(address)
    owner: indexed(address)
    assets: uint256
    shares: uint256

event SupplyCollateral:
    caller: indexed(address)
    on_behalf: indexed(address)
    assets: uint256

event WithdrawCollateral:
    caller: indexed(address)
    on_behalf: indexed(address)
    receiver: indexed(address)
    assets: uint256

event Borrow:
    caller: indexed(address)
    on_behalf: indexed(address)
    receiver: indexed(address)
    assets: uint256
    shares: uint256

event Repay:
    caller: indexed(address)
    on_behalf: indexed(address)
    assets: uint256
    shares: uint256

event Liquidate:
    liquidator: indexed(address)
    borrower: indexed(address)
    repaid_assets: uint256
    repaid_shares: uint256
    seized_assets: uint256
    bad_debt_assets: uint256
    bad_debt_shares: uint256

event AccrueInterest:
    borrow_rate: uint256
    interest: uint256
    fee_shares: uint256

event RateModelFailed:
    fallback_apr: uint256

event FlashLoan:
    receiver: indexed(address)
    amount: uint256
    fee: uint256

event SetAuthorization:
    caller: indexed(address)
    authorizer: indexed(address)
    authorized: indexed(address)
    is_authorized: bool

event NonceIncremented:
    authorizer: indexed(address)
    nonce: uint256

event PauseSet:
    supply_paused: bool
    borrow_paused: bool

event CapsSet:
    supply_cap: uint256
    borrow_cap: uint256

event FlashFeeSet:
    flash_fee_bps: uint256

event GuardianSet:
    guardian: indexed(address)


@deploy
def __init__(
    asset_: IERC20,
    collateral_: IERC20,
    oracle_: IPriceOracle,
    irm_: IInterestRateModel,
    max_ltv_: uint256,
    lltv_: uint256,
    reserve_factor_: uint256,
    treasury_: address,
    guardian_: address,
    name_: String[25],
    symbol_: String[5],
    decimals_: uint8,
):
    """
    @param asset_ The loan asset X (6 to 18 decimals).
    @param collateral_ The collateral LST.
    @param oracle_ Price of the LST in X, scaled by 1e36.
    @param irm_ The borrow rate model.
    @param max_ltv_ Borrow limit (WAD), strictly below `lltv_`.
    @param lltv_ Liquidation threshold (WAD), strictly below 1.
    @param reserve_factor_ Share of interest minted to the treasury (WAD, at most 50%).
    @param treasury_ Receiver of reserve-factor shares.
    @param guardian_ May pause new deposits and borrows and set caps and the flash fee.
    @param name_ Lender share name.
    @param symbol_ Lender share symbol.
    @param decimals_ Decimals of X (the lender shares use the same).
    """
    # Only `MarketFactory` deploys markets (from a blueprint, whose size limit leaves no room for
    # the checks here): it refuses zero addresses, pairs with LLTV <= max LTV or >= 1, and reserve
    # factors above MAX_RESERVE_FACTOR before it creates one.
    ownable.__init__()
    erc20.__init__(name_, symbol_, decimals_, name_, "1")
    asset = asset_.address
    collateral_token = collateral_.address
    _X = asset_
    _COLLATERAL = collateral_
    oracle = oracle_
    irm = irm_
    max_ltv = max_ltv_
    lltv = lltv_
    reserve_factor = reserve_factor_
    treasury = treasury_
    factory = msg.sender
    dust = 10 ** convert(decimals_, uint256) // DUST_DIVISOR
    # min(1.15, 1 / (1 - 0.3 * (1 - lltv)))
    liquidation_incentive = min(
        MAX_LIQUIDATION_INCENTIVE, WAD * WAD // (WAD - LIQUIDATION_CURSOR * (WAD - lltv_) // WAD)
    )
    self.guardian = guardian_
    self._supply_side = MAX_UINT128
    self._borrow_side = MAX_UINT127 << 128
    self._accrual = block.timestamp


# ---------------------------------------------------------------- math


@pure
@internal
def _to_shares_down(assets: uint256, total_assets: uint256, total_shares: uint256) -> uint256:
    return math._mul_div(assets, total_shares + VIRTUAL_SHARES, total_assets + VIRTUAL_ASSETS, False)


@pure
@internal
def _to_shares_up(assets: uint256, total_assets: uint256, total_shares: uint256) -> uint256:
    return math._mul_div(assets, total_shares + VIRTUAL_SHARES, total_assets + VIRTUAL_ASSETS, True)


@pure
@internal
def _to_assets_down(shares: uint256, total_assets: uint256, total_shares: uint256) -> uint256:
    return math._mul_div(shares, total_assets + VIRTUAL_ASSETS, total_shares + VIRTUAL_SHARES, False)


@pure
@internal
def _to_assets_up(shares: uint256, total_assets: uint256, total_shares: uint256) -> uint256:
    return math._mul_div(shares, total_assets + VIRTUAL_ASSETS, total_shares + VIRTUAL_SHARES, True)


@pure
@internal
def _burnt_value(burnt: uint256, total_assets: uint256, total_shares: uint256) -> uint256:
    """
    @notice X that burning `burnt` of `total_shares` borrow shares takes off the
            total borrow assets: their value rounded down, whatever the payer was
            charged, so a burn never lowers the borrow-share price (borrow 1 wei /
            repay 1 share cycles cannot inflate it); all of it with the last share,
            so no debt is left without shares.
    """
    if burnt == total_shares:
        return total_assets
    return min(self._to_assets_down(burnt, total_assets, total_shares), total_assets)


@pure
@internal
def _mul_div_saturating(x: uint256, y: uint256, d: uint256) -> uint256:
    """
    @dev x * y / d rounded down, or max_value(uint256) when that does not fit.
    """
    if y > d and x > math._mul_div(MAX_UINT, d, y, False):
        return MAX_UINT
    return math._mul_div(x, y, d, False)


@pure
@internal
def _growth(exponent: uint256) -> uint256:
    """
    @dev e^x - 1 for x = exponent / 1e36, scaled by 1e36, never below the exact value:
         below x = 0.001 (a day at 36% APR) a Taylor series whose tail is under one unit,
         above it `wad_exp` (18 digits) plus a wei of WAD.
    """
    if exponent < SMALL_EXPONENT:
        term: uint256 = exponent
        total: uint256 = exponent
        for k: uint256 in range(2, 10):
            term = term * exponent // (ORACLE_SCALE * k)
            total += term
        # Each of the 8 floors drops less than one unit: add them back.
        return total + 8
    return convert(math._wad_exp(convert(exponent // WAD, int256)), uint256) * WAD - ORACLE_SCALE + WAD


# ---------------------------------------------------------------- interest


@view
@internal
def _utilization(supply_assets: uint256, borrow_assets: uint256) -> uint256:
    if supply_assets == 0:
        return 0
    return math._mul_div(borrow_assets, WAD, supply_assets, False)


@view
@internal
def _borrow_apr(utilization: uint256, last_apr: uint256) -> (uint256, bool):
    """
    @dev The model's yearly rate, bounded by `MAX_BORROW_APR`; (`last_apr`, False) if
         the model reverts, runs out of its gas or answers garbage.
    """
    success: bool = False
    response: Bytes[32] = b""
    success, response = raw_call(
        irm.address,
        abi_encode(utilization, method_id=method_id("borrow_apr(uint256)")),
        max_outsize=32,
        gas=RATE_MODEL_GAS,
        is_static_call=True,
        revert_on_failure=False,
    )
    if not success or len(response) != 32:
        return last_apr, False
    return min(convert(response, uint256), MAX_BORROW_APR), True


@view
@internal
def _pending() -> Pending:
    """
    @dev The market's totals as they will be once interest is accrued now. Interest
         compounds continuously (e^(apr * t) - 1) and the fraction of a unit that
         rounding drops is carried to the next accrual, so accruing every block
         charges what one accrual would.
    """
    totals: Totals = self._totals_of()
    supply_assets: uint256 = totals.supply_assets
    borrow_assets: uint256 = totals.borrow_assets
    supply_shares: uint256 = erc20.totalSupply
    accrual: uint256 = self._accrual
    remainder: uint256 = accrual >> 128
    elapsed: uint256 = block.timestamp - (accrual & MAX_UINT64)
    apr: uint256 = 0
    answered: bool = False
    apr, answered = self._borrow_apr(self._utilization(supply_assets, borrow_assets), (accrual >> 64) & MAX_UINT64)
    if elapsed == 0 or borrow_assets == 0:
        return Pending(
            supply_assets=supply_assets,
            borrow_assets=borrow_assets,
            fee_shares=0,
            supply_shares=supply_shares,
            apr=apr,
            remainder=remainder,
            answered=answered,
        )
    exponent: uint256 = min(math._mul_div(apr, elapsed * WAD, YEAR, False), MAX_EXPONENT)
    growth: uint256 = self._growth(exponent)
    interest: uint256 = math._mul_div(borrow_assets, growth, ORACLE_SCALE, False)
    remainder += uint256_mulmod(borrow_assets, growth, ORACLE_SCALE)
    interest += remainder // ORACLE_SCALE
    remainder = remainder % ORACLE_SCALE
    # Totals never overflow their 128 bits, whatever the rate and the idle time (borrow assets never
    # exceed supply assets: every borrow comes out of idle liquidity, interest and write-offs move both).
    interest = min(interest, MAX_UINT128 - supply_assets)
    fee_shares: uint256 = 0
    if reserve_factor != 0 and interest != 0:
        fee: uint256 = math._mul_div(interest, reserve_factor, WAD, False)
        # Priced after the interest is added, excluding the fee itself.
        fee_shares = self._to_shares_down(fee, supply_assets + interest - fee, supply_shares)
    return Pending(
        supply_assets=supply_assets + interest,
        borrow_assets=borrow_assets + interest,
        fee_shares=fee_shares,
        supply_shares=supply_shares + fee_shares,
        apr=apr,
        remainder=remainder,
        answered=answered,
    )


@internal
def _accrue():
    if self._accrual & MAX_UINT64 == block.timestamp:
        return
    pending: Pending = self._pending()
    interest: uint256 = pending.borrow_assets - self._totals_of().borrow_assets
    # The timestamp always moves, also while nobody borrows: idle time is never charged later. Each
    # part fits its bits (see `_accrual`): the remainder is taken modulo 1e36, the rate bounded by
    # MAX_BORROW_APR (or the last one kept), the timestamp below 2^64.
    self._accrual = pending.remainder << 128 | pending.apr << 64 | block.timestamp
    if not pending.answered:
        log RateModelFailed(fallback_apr=pending.apr)
    if interest == 0:
        return
    self._store_totals(Totals(supply_assets=pending.supply_assets, borrow_assets=pending.borrow_assets))
    if pending.fee_shares != 0:
        erc20._mint(treasury, pending.fee_shares)
    log AccrueInterest(borrow_rate=pending.apr, interest=interest, fee_shares=pending.fee_shares)


# ---------------------------------------------------------------- positions


@view
@internal
def _position_of(user: address) -> Position:
    packed: uint256 = self._positions[user]
    return Position(collateral=packed & MAX_UINT128, borrow_shares=packed >> 128)


@internal
def _store_position(user: address, position: Position):
    # Both halves are bounded here, where every position is written: nothing is truncated.
    assert position.collateral <= MAX_UINT128 and position.borrow_shares <= MAX_UINT128, "market: amount too large"
    self._positions[user] = position.borrow_shares << 128 | position.collateral


@view
@external
def positions(user: address) -> Position:
    """
    @notice (collateral, borrow shares) of `user`, as stored (interest not accrued).
    """
    return self._position_of(user)


@view
@internal
def _totals_of() -> Totals:
    packed: uint256 = self._totals
    return Totals(supply_assets=packed & MAX_UINT128, borrow_assets=packed >> 128)


@internal
def _store_totals(totals: Totals):
    # Supply assets stay within 128 bits (the supply cap counts at most 2^128 - 1, interest is bounded
    # in `_pending`) and borrow assets never exceed them; checked here anyway, so nothing is truncated.
    assert totals.supply_assets <= MAX_UINT128 and totals.borrow_assets <= MAX_UINT128, "market: amount too large"
    self._totals = totals.borrow_assets << 128 | totals.supply_assets


@view
@internal
def _borrow_side_of() -> BorrowSide:
    packed: uint256 = self._borrow_side
    return BorrowSide(shares=packed & MAX_UINT128, cap=(packed >> 128) & MAX_UINT127, paused=packed >> 255 == 1)


@internal
def _store_borrow_side(side: BorrowSide):
    # Total borrow shares are the positions' shares summed: checked here like each position's.
    assert side.shares <= MAX_UINT128, "market: amount too large"
    self._borrow_side = convert(side.paused, uint256) << 255 | side.cap << 128 | side.shares


@view
@internal
def _supply_side_of() -> SupplySide:
    packed: uint256 = self._supply_side
    return SupplySide(cap=packed & MAX_UINT128, paused=packed >> 128 == 1)


@view
@external
def total_borrow_shares() -> uint256:
    """
    @notice Borrow shares of every position together.
    """
    return self._borrow_side_of().shares


@view
@external
def supply_paused() -> bool:
    """
    @notice True while new lender deposits are paused.
    """
    return self._supply_side_of().paused


@view
@external
def borrow_paused() -> bool:
    """
    @notice True while new borrows are paused.
    """
    return self._borrow_side_of().paused


@view
@external
def supply_cap() -> uint256:
    """
    @notice Most X lenders may supply in total; max_value(uint256) when there is no cap.
    """
    cap: uint256 = self._supply_side_of().cap
    if cap == MAX_UINT128:
        return MAX_UINT
    return cap


@view
@external
def borrow_cap() -> uint256:
    """
    @notice Most X borrowers may owe in total (checked at each borrow); max_value(uint256) when there is no cap.
    """
    cap: uint256 = self._borrow_side_of().cap
    if cap == MAX_UINT127:
        return MAX_UINT
    return cap


@view
@external
def total_supply_assets() -> uint256:
    """
    @notice X owed to lenders as of the last accrual.
    """
    return self._totals_of().supply_assets


@view
@external
def total_borrow_assets() -> uint256:
    """
    @notice X owed by borrowers as of the last accrual.
    """
    return self._totals_of().borrow_assets


# ---------------------------------------------------------------- checks


@internal
def _check_not_in_flash_loan():
    assert not self._in_flash_loan, "market: flash loan in progress"


@internal
def _check_not_in_callback():
    # Inside a callback the caller holds something not yet paid for: it must not fund a
    # liquidation or a flash loan with it.
    assert not self._in_callback, "market: callback in progress"


# Checks made by several entry points are written once: a revert string inline costs the blueprint
# about 140 bytes of code at each site, an internal call a few bytes (and ~40 gas).


@pure
@internal
def _check_assets(assets: uint256):
    assert assets != 0, "market: zero assets"


@pure
@internal
def _check_shares(shares: uint256):
    assert shares != 0, "market: zero shares"


@pure
@internal
def _check_address(account: address):
    assert account != empty(address), "market: zero address"


@pure
@internal
def _check_one_of(assets: uint256, shares: uint256):
    assert (assets == 0) != (shares == 0), "market: give assets or shares"


@view
@internal
def _check_liquidity(assets: uint256):
    assert assets <= self._idle(), "market: insufficient liquidity"


@view
@internal
def _check_authorized(on_behalf: address):
    assert msg.sender == on_behalf or self.is_authorized[on_behalf][msg.sender], "market: unauthorized"


@view
@internal
def _check_max_ltv(user: address):
    assert self._within(user, staticcall oracle.price(), max_ltv), "market: ltv too high"


@view
@internal
def _check_token(token: address):
    assert token == asset, "market: unsupported token"


@view
@internal
def _check_guardian():
    assert msg.sender == self.guardian, "market: caller is not the guardian"


@view
@internal
def _within(user: address, price: uint256, ratio: uint256) -> bool:
    """
    @dev True if the user's debt (rounded up) is at most collateral value x `ratio`
         (both rounded down).
    """
    position: Position = self._position_of(user)
    if position.borrow_shares == 0:
        return True
    debt: uint256 = self._to_assets_up(
        position.borrow_shares, self._totals_of().borrow_assets, self._borrow_side_of().shares
    )
    value: uint256 = math._mul_div(position.collateral, price, ORACLE_SCALE, False)
    return debt <= math._mul_div(value, ratio, WAD, False)


@view
@internal
def _idle() -> uint256:
    totals: Totals = self._totals_of()
    return totals.supply_assets - totals.borrow_assets


# ---------------------------------------------------------------- transfers


@internal
def _pull(token: IERC20, sender: address, amount: uint256):
    assert extcall token.transferFrom(sender, self, amount, default_return_value=True), "market: transfer failed"


@internal
def _send(token: IERC20, receiver: address, amount: uint256):
    assert extcall token.transfer(receiver, amount, default_return_value=True), "market: transfer failed"


# ---------------------------------------------------------------- lenders (ERC-4626)


@view
@external
def totalAssets() -> uint256:
    """
    @notice X owed to lenders, interest accrued up to now included.
    """
    return self._pending().supply_assets


@view
@internal
def _lender_totals() -> (uint256, uint256):
    pending: Pending = self._pending()
    return pending.supply_assets, pending.supply_shares


@view
@internal
def _idle_after_accrual() -> uint256:
    pending: Pending = self._pending()
    return pending.supply_assets - pending.borrow_assets


@view
@external
def convertToShares(assets: uint256) -> uint256:
    """
    @notice Lender shares worth `assets`, rounded down.
    """
    total_assets: uint256 = 0
    total_shares: uint256 = 0
    total_assets, total_shares = self._lender_totals()
    return self._to_shares_down(assets, total_assets, total_shares)


@view
@external
def convertToAssets(shares: uint256) -> uint256:
    """
    @notice X worth `shares` lender shares, rounded down.
    """
    total_assets: uint256 = 0
    total_shares: uint256 = 0
    total_assets, total_shares = self._lender_totals()
    return self._to_assets_down(shares, total_assets, total_shares)


@view
@internal
def _max_deposit() -> (uint256, uint256):
    """
    @dev (assets, shares) that can be supplied now: 0 while paused, else up to the
         supply cap (at most 2^128 - 1 supply assets) and as far as the lender shares
         fit in 256 bits.
    """
    side: SupplySide = self._supply_side_of()
    if side.paused:
        return 0, 0
    total_assets: uint256 = 0
    total_shares: uint256 = 0
    total_assets, total_shares = self._lender_totals()
    cap: uint256 = side.cap
    if total_assets >= cap:
        return 0, 0
    room_assets: uint256 = cap - total_assets
    room_shares: uint256 = MAX_UINT - total_shares - VIRTUAL_SHARES
    assets: uint256 = min(
        room_assets,
        self._mul_div_saturating(room_shares, total_assets + VIRTUAL_ASSETS, total_shares + VIRTUAL_SHARES),
    )
    shares: uint256 = min(
        room_shares,
        self._mul_div_saturating(room_assets, total_shares + VIRTUAL_SHARES, total_assets + VIRTUAL_ASSETS),
    )
    return assets, shares


@view
@external
def maxDeposit(receiver: address) -> uint256:
    """
    @notice X that can be deposited now: 0 while paused, else up to the supply cap.
    """
    return self._max_deposit()[0]


@view
@external
def maxMint(receiver: address) -> uint256:
    """
    @notice Shares that can be minted now (see `maxDeposit`).
    """
    return self._max_deposit()[1]


@view
@external
def previewDeposit(assets: uint256) -> uint256:
    """
    @notice Shares `deposit(assets)` mints now.
    """
    total_assets: uint256 = 0
    total_shares: uint256 = 0
    total_assets, total_shares = self._lender_totals()
    return self._to_shares_down(assets, total_assets, total_shares)


@view
@external
def previewMint(shares: uint256) -> uint256:
    """
    @notice X `mint(shares)` takes now (rounded up).
    """
    total_assets: uint256 = 0
    total_shares: uint256 = 0
    total_assets, total_shares = self._lender_totals()
    return self._to_assets_up(shares, total_assets, total_shares)


@view
@external
def maxWithdraw(owner: address) -> uint256:
    """
    @notice X `owner` can withdraw now: their assets, limited by idle liquidity.
    """
    pending: Pending = self._pending()
    return min(
        self._to_assets_down(erc20.balanceOf[owner], pending.supply_assets, pending.supply_shares),
        pending.supply_assets - pending.borrow_assets,
    )


@view
@external
def maxRedeem(owner: address) -> uint256:
    """
    @notice Shares `owner` can redeem now, limited by idle liquidity; 0 if they are worth
            less than a unit (`redeem` refuses a zero payout).
    """
    pending: Pending = self._pending()
    shares: uint256 = min(
        erc20.balanceOf[owner],
        self._to_shares_down(
            pending.supply_assets - pending.borrow_assets, pending.supply_assets, pending.supply_shares
        ),
    )
    if self._to_assets_down(shares, pending.supply_assets, pending.supply_shares) == 0:
        return 0
    return shares


@view
@external
def previewWithdraw(assets: uint256) -> uint256:
    """
    @notice Shares `withdraw(assets)` burns now (rounded up).
    """
    total_assets: uint256 = 0
    total_shares: uint256 = 0
    total_assets, total_shares = self._lender_totals()
    return self._to_shares_up(assets, total_assets, total_shares)


@view
@external
def previewRedeem(shares: uint256) -> uint256:
    """
    @notice X `redeem(shares)` pays now (rounded down).
    """
    total_assets: uint256 = 0
    total_shares: uint256 = 0
    total_assets, total_shares = self._lender_totals()
    return self._to_assets_down(shares, total_assets, total_shares)


@internal
def _supply(receiver: address, assets: uint256, shares: uint256):
    side: SupplySide = self._supply_side_of()
    assert not side.paused, "market: supply paused"
    # At most 2^128 - 1: supply assets are stored in 128 bits.
    cap: uint256 = side.cap
    totals: Totals = self._totals_of()
    assert assets <= cap and totals.supply_assets <= cap - assets, "market: supply cap exceeded"
    erc20._mint(receiver, shares)
    totals.supply_assets += assets
    self._store_totals(totals)
    log Deposit(sender=msg.sender, owner=receiver, assets=assets, shares=shares)
    self._pull(_X, msg.sender, assets)


@external
def deposit(assets: uint256, receiver: address = msg.sender) -> uint256:
    """
    @notice Lends `assets` of X; mints lender shares (rounded down) to `receiver`.
    """
    self._check_not_in_flash_loan()
    self._check_assets(assets)
    self._check_address(receiver)
    self._accrue()
    shares: uint256 = self._to_shares_down(assets, self._totals_of().supply_assets, erc20.totalSupply)
    self._check_shares(shares)
    self._supply(receiver, assets, shares)
    return shares


@external
def mint(shares: uint256, receiver: address = msg.sender) -> uint256:
    """
    @notice Mints exactly `shares` lender shares to `receiver` for X rounded up.
    """
    self._check_not_in_flash_loan()
    self._check_shares(shares)
    self._check_address(receiver)
    self._accrue()
    assets: uint256 = self._to_assets_up(shares, self._totals_of().supply_assets, erc20.totalSupply)
    self._supply(receiver, assets, shares)
    return assets


@internal
def _exit(receiver: address, owner: address, assets: uint256, shares: uint256):
    self._check_liquidity(assets)
    if msg.sender != owner:
        erc20._spend_allowance(owner, msg.sender, shares)
    erc20._burn(owner, shares)
    totals: Totals = self._totals_of()
    totals.supply_assets -= assets
    self._store_totals(totals)
    log Withdraw(sender=msg.sender, receiver=receiver, owner=owner, assets=assets, shares=shares)
    self._send(_X, receiver, assets)


@external
def withdraw(assets: uint256, receiver: address = msg.sender, owner: address = msg.sender) -> uint256:
    """
    @notice Withdraws exactly `assets` of idle X, burning shares rounded up. Never paused.
    """
    self._check_not_in_flash_loan()
    self._check_assets(assets)
    self._check_address(receiver)
    self._accrue()
    shares: uint256 = self._to_shares_up(assets, self._totals_of().supply_assets, erc20.totalSupply)
    self._exit(receiver, owner, assets, shares)
    return shares


@external
def redeem(shares: uint256, receiver: address = msg.sender, owner: address = msg.sender) -> uint256:
    """
    @notice Redeems `shares` for idle X rounded down. Never paused.
    """
    self._check_not_in_flash_loan()
    self._check_shares(shares)
    self._check_address(receiver)
    self._accrue()
    assets: uint256 = self._to_assets_down(shares, self._totals_of().supply_assets, erc20.totalSupply)
    self._check_assets(assets)
    self._exit(receiver, owner, assets, shares)
    return assets


# ---------------------------------------------------------------- borrowers


@external
def supply_collateral(assets: uint256, on_behalf: address, data: Bytes[1024] = b""):
    """
    @notice Credits `assets` of collateral to `on_behalf`, then (if `data` is not
            empty) calls `on_supply_collateral` on the caller, then pulls from the
            caller what the callback did not send the market (the callback may pay by
            sending the collateral to the market, e.g. minting it there). Anyone may
            add collateral for anyone. During the callback `on_behalf` may borrow
            against the credited collateral but not withdraw it; nobody can liquidate,
            flash-borrow or supply collateral inside any callback.
    """
    self._check_not_in_flash_loan()
    self._check_assets(assets)
    self._check_address(on_behalf)
    # No supply inside any callback: while a supply callback runs, the collateral the market receives
    # is that callback's payment, and another supply bringing some in would pay for both.
    self._check_not_in_callback()
    position: Position = self._position_of(on_behalf)
    position.collateral += assets
    self._store_position(on_behalf, position)
    log SupplyCollateral(caller=msg.sender, on_behalf=on_behalf, assets=assets)
    owed: uint256 = assets
    if len(data) != 0:
        self._in_callback = True
        self._credited = on_behalf
        held: uint256 = staticcall _COLLATERAL.balanceOf(self)
        extcall IMarketCallbacks(msg.sender).on_supply_collateral(assets, data)
        # Only the rise of the balance across the callback counts (a donation made before it does
        # not); collateral withdrawn meanwhile lowers it, so the caller pays more, never less.
        received: uint256 = staticcall _COLLATERAL.balanceOf(self)
        owed -= min(owed, received - min(received, held))
        self._credited = empty(address)
        self._in_callback = False
    if owed != 0:
        self._pull(_COLLATERAL, msg.sender, owed)


@external
def withdraw_collateral(assets: uint256, on_behalf: address, receiver: address):
    """
    @notice Withdraws `assets` of `on_behalf`'s collateral to `receiver`; the
            position must stay within max LTV (at the oracle's capped price). Never
            paused; a position without debt never asks the oracle.
    """
    self._check_not_in_flash_loan()
    self._check_assets(assets)
    self._check_address(receiver)
    self._check_authorized(on_behalf)
    assert on_behalf != self._credited, "market: collateral not paid yet"
    self._accrue()
    position: Position = self._position_of(on_behalf)
    assert position.collateral >= assets, "market: insufficient collateral"
    position.collateral -= assets
    self._store_position(on_behalf, position)
    if position.borrow_shares != 0:
        self._check_max_ltv(on_behalf)
    log WithdrawCollateral(caller=msg.sender, on_behalf=on_behalf, receiver=receiver, assets=assets)
    self._send(_COLLATERAL, receiver, assets)


@external
def borrow(assets: uint256, shares: uint256, on_behalf: address, receiver: address) -> (uint256, uint256):
    """
    @notice Borrows X for `on_behalf` (by exact `assets`, or exact `shares`; the
            other must be 0) and sends it to `receiver`. The position must stay
            within max LTV at the oracle's capped price, counting the debt rounded up.
    @return (assets borrowed, borrow shares added)
    """
    self._check_not_in_flash_loan()
    self._check_one_of(assets, shares)
    self._check_address(receiver)
    self._check_authorized(on_behalf)
    assert not self._borrow_side_of().paused, "market: borrow paused"
    assert on_behalf != self._repaying, "market: repay not paid yet"
    self._accrue()
    totals: Totals = self._totals_of()
    side: BorrowSide = self._borrow_side_of()
    borrowed: uint256 = assets
    added: uint256 = shares
    if assets != 0:
        added = self._to_shares_up(assets, totals.borrow_assets, side.shares)
    else:
        borrowed = self._to_assets_down(shares, totals.borrow_assets, side.shares)
    self._check_assets(borrowed)
    assert borrowed <= totals.supply_assets - totals.borrow_assets, "market: insufficient liquidity"
    position: Position = self._position_of(on_behalf)
    position.borrow_shares += added
    self._store_position(on_behalf, position)
    side.shares += added
    self._store_borrow_side(side)
    totals.borrow_assets += borrowed
    self._store_totals(totals)
    assert side.cap == MAX_UINT127 or totals.borrow_assets <= side.cap, "market: borrow cap exceeded"
    self._check_max_ltv(on_behalf)
    log Borrow(caller=msg.sender, on_behalf=on_behalf, receiver=receiver, assets=borrowed, shares=added)
    self._send(_X, receiver, borrowed)
    return borrowed, added


@external
def repay(assets: uint256, shares: uint256, on_behalf: address, data: Bytes[1024] = b"") -> (uint256, uint256):
    """
    @notice Repays `on_behalf`'s debt by exact `assets` or exact `shares` (the other
            0; repay all with `shares = borrow shares`, no dust), then (if `data` is
            not empty) calls `on_repay` on the caller, then pulls the X from the
            caller. Never paused. During the callback `on_behalf` cannot borrow, and
            nobody can liquidate or flash-borrow.
    @return (assets repaid, shares burnt)
    """
    self._check_not_in_flash_loan()
    self._check_one_of(assets, shares)
    self._check_address(on_behalf)
    self._accrue()
    totals: Totals = self._totals_of()
    side: BorrowSide = self._borrow_side_of()
    repaid: uint256 = assets
    burnt: uint256 = shares
    if assets != 0:
        burnt = self._to_shares_down(assets, totals.borrow_assets, side.shares)
    else:
        repaid = self._to_assets_up(shares, totals.borrow_assets, side.shares)
    position: Position = self._position_of(on_behalf)
    assert burnt <= position.borrow_shares, "market: repay exceeds debt"
    position.borrow_shares -= burnt
    self._store_position(on_behalf, position)
    off: uint256 = self._burnt_value(burnt, totals.borrow_assets, side.shares)
    if burnt == side.shares:
        # What the last repayer's rounded charge leaves (the virtual shares' part) is written off.
        totals.supply_assets -= off - min(repaid, off)
    totals.borrow_assets -= off
    self._store_totals(totals)
    side.shares -= burnt
    self._store_borrow_side(side)
    log Repay(caller=msg.sender, on_behalf=on_behalf, assets=repaid, shares=burnt)
    if len(data) != 0:
        self._check_not_in_callback()
        self._in_callback = True
        self._repaying = on_behalf
        extcall IMarketCallbacks(msg.sender).on_repay(repaid, data)
        self._repaying = empty(address)
        self._in_callback = False
    self._pull(_X, msg.sender, repaid)
    return repaid, burnt


@external
def liquidate(
    borrower: address, seized_assets: uint256, repaid_shares: uint256, data: Bytes[1024] = b""
) -> (uint256, uint256):
    """
    @notice Liquidates an unhealthy position (health < 1 at the oracle's uncapped
            rate): the caller repays debt (by exact borrow `repaid_shares`, or enough
            for exact `seized_assets` of collateral) and receives collateral worth the
            repaid amount times the liquidation incentive. If the collateral left is
            worth less than the debt left, the shortfall is written off against
            lenders at once; if it is dust, it goes with the seized collateral and
            the whole rest of the debt is written off. Permissionless; never paused.
    @return (collateral seized, X repaid)
    """
    self._check_not_in_flash_loan()
    self._check_not_in_callback()
    assert (seized_assets == 0) != (repaid_shares == 0), "market: give seized or repaid"
    self._accrue()
    rate: uint256 = staticcall oracle.rate()
    assert not self._within(borrower, rate, lltv), "market: position is healthy"
    totals: Totals = self._totals_of()
    total_assets: uint256 = totals.borrow_assets
    side: BorrowSide = self._borrow_side_of()
    total_shares: uint256 = side.shares
    seized: uint256 = seized_assets
    repaid_sh: uint256 = repaid_shares
    position: Position = self._position_of(borrower)
    if seized_assets != 0:
        # X owed for the seized collateral at the incentive, rounded up once.
        owed: uint256 = math._mul_div(seized_assets, rate, liquidation_incentive * (ORACLE_SCALE // WAD), True)
        repaid_sh = self._to_shares_up(owed, total_assets, total_shares)
        # All the collateral of a written-down position is seizable by amount: when its whole
        # debt pays what is owed within two units (the seize's rounding up, and the write-off's
        # unit below the value), exactly that debt is repaid.
        if repaid_sh > position.borrow_shares:
            if self._to_assets_up(position.borrow_shares, total_assets, total_shares) + 2 >= owed:
                repaid_sh = position.borrow_shares
    else:
        seized = math._mul_div(
            math._mul_div(
                self._to_assets_down(repaid_shares, total_assets, total_shares), liquidation_incentive, WAD, False
            ),
            ORACLE_SCALE,
            rate,
            False,
        )
    assert repaid_sh <= position.borrow_shares, "market: repay exceeds debt"
    assert seized <= position.collateral, "market: seize exceeds collateral"
    repaid: uint256 = self._to_assets_up(repaid_sh, total_assets, total_shares)
    position.borrow_shares -= repaid_sh
    position.collateral -= seized
    off: uint256 = self._burnt_value(repaid_sh, total_assets, total_shares)
    if repaid_sh == total_shares:
        totals.supply_assets -= off - min(repaid, off)
    total_shares -= repaid_sh
    total_assets -= off
    bad_shares: uint256 = 0
    if position.borrow_shares != 0:
        value: uint256 = math._mul_div(position.collateral, rate, ORACLE_SCALE, False)
        if value < dust:
            # Nothing worth keeping: the dust goes to the liquidator, the rest of the debt is lost.
            seized += position.collateral
            position.collateral = 0
            bad_shares = position.borrow_shares
        else:
            left: uint256 = self._to_assets_up(position.borrow_shares, total_assets, total_shares)
            if value < left:
                # The shortfall is certain now: every lender shares it, not only those who stay. Written off
                # rounded up, a unit past it: the burn raises the share price by less than a unit over what
                # is kept, so the debt left (rounded up) is at most the value.
                bad_shares = min(self._to_shares_up(left - value + 1, total_assets, total_shares), position.borrow_shares)
    bad_assets: uint256 = 0
    if bad_shares != 0:
        bad_assets = self._burnt_value(bad_shares, total_assets, total_shares)
        total_assets -= bad_assets
        total_shares -= bad_shares
        totals.supply_assets -= bad_assets
        self.bad_debt_total += bad_assets
        position.borrow_shares -= bad_shares
    totals.borrow_assets = total_assets
    self._store_totals(totals)
    side.shares = total_shares
    self._store_borrow_side(side)
    self._store_position(borrower, position)
    log Liquidate(
        liquidator=msg.sender,
        borrower=borrower,
        repaid_assets=repaid,
        repaid_shares=repaid_sh,
        seized_assets=seized,
        bad_debt_assets=bad_assets,
        bad_debt_shares=bad_shares,
    )
    self._send(_COLLATERAL, msg.sender, seized)
    if len(data) != 0:
        self._in_callback = True
        extcall IMarketCallbacks(msg.sender).on_liquidate(repaid, data)
        self._in_callback = False
    self._pull(_X, msg.sender, repaid)
    return seized, repaid


# ---------------------------------------------------------------- flash loans (ERC-3156)


@view
@external
def maxFlashLoan(token: address) -> uint256:
    """
    @notice Idle X that can be flash-borrowed; 0 for any other token.
    """
    if token != asset:
        return 0
    return self._idle()


@view
@external
def flashFee(token: address, amount: uint256) -> uint256:
    """
    @notice Fee on a flash loan of `amount` X (rounded up).
    """
    self._check_token(token)
    return math._mul_div(amount, self.flash_fee_bps, BPS, True)


@external
def flashLoan(receiver: IERC3156FlashBorrower, token: address, amount: uint256, data: Bytes[1024]) -> bool:
    """
    @notice ERC-3156 flash loan of idle X. Every other entry point is locked until
            `amount` plus the fee is pulled back from `receiver`; the fee goes to lenders.
    """
    self._check_not_in_flash_loan()
    self._check_not_in_callback()
    self._check_token(token)
    self._check_assets(amount)
    self._check_liquidity(amount)
    fee: uint256 = math._mul_div(amount, self.flash_fee_bps, BPS, True)
    self._in_flash_loan = True
    self._send(_X, receiver.address, amount)
    result: bytes32 = extcall receiver.onFlashLoan(msg.sender, token, amount, fee, data)
    assert result == FLASH_CALLBACK_SUCCESS, "market: flash callback failed"
    self._pull(_X, receiver.address, amount + fee)
    self._in_flash_loan = False
    if fee != 0:
        totals: Totals = self._totals_of()
        totals.supply_assets += fee
        self._store_totals(totals)
    log FlashLoan(receiver=receiver.address, amount=amount, fee=fee)
    return True


# ---------------------------------------------------------------- authorization


@internal
def _increment_nonce(authorizer: address):
    nonce: uint256 = self.authorization_nonce[authorizer] + 1
    self.authorization_nonce[authorizer] = nonce
    log NonceIncremented(authorizer=authorizer, nonce=nonce)


@external
def set_authorization(authorized: address, is_authorized_: bool):
    """
    @notice Lets `authorized` borrow and withdraw collateral for the caller (or revokes
            it). Advances the caller's authorization nonce, so every signature the
            caller gave before and nobody submitted is void.
    """
    self.is_authorized[msg.sender][authorized] = is_authorized_
    log SetAuthorization(caller=msg.sender, authorizer=msg.sender, authorized=authorized, is_authorized=is_authorized_)
    self._increment_nonce(msg.sender)


@external
def invalidate_nonce():
    """
    @notice Voids every outstanding authorization signature of the caller without
            changing any authorization.
    """
    self._increment_nonce(msg.sender)


@view
@internal
def _domain_separator() -> bytes32:
    return keccak256(
        abi_encode(DOMAIN_TYPEHASH, keccak256(AUTH_DOMAIN_NAME), keccak256("1"), chain.id, self)
    )


@view
@external
def authorization_domain_separator() -> bytes32:
    """
    @notice EIP-712 domain separator of authorization signatures ("LevStake Market", "1").
    """
    return self._domain_separator()


@external
def set_authorization_with_sig(
    authorizer: address,
    authorized: address,
    is_authorized_: bool,
    nonce: uint256,
    deadline: uint256,
    v: uint8,
    r: bytes32,
    s: bytes32,
):
    """
    @notice Sets an authorization signed by `authorizer` (EIP-712 `Authorization`),
            valid once (nonce) and until `deadline`. Anyone may submit it.
    """
    assert block.timestamp <= deadline, "market: signature expired"
    assert nonce == self.authorization_nonce[authorizer], "market: invalid nonce"
    assert convert(s, uint256) <= SECP256K1_HALF_N, "market: invalid signature"
    struct_hash: bytes32 = keccak256(
        abi_encode(AUTHORIZATION_TYPEHASH, authorizer, authorized, is_authorized_, nonce, deadline)
    )
    digest: bytes32 = keccak256(concat(b"\x19\x01", self._domain_separator(), struct_hash))
    signer: address = ecrecover(digest, v, r, s)
    assert signer != empty(address) and signer == authorizer, "market: invalid signature"
    self.is_authorized[authorizer][authorized] = is_authorized_
    log SetAuthorization(caller=msg.sender, authorizer=authorizer, authorized=authorized, is_authorized=is_authorized_)
    self._increment_nonce(authorizer)


# ---------------------------------------------------------------- guardian


@external
def set_paused(supply_paused_: bool, borrow_paused_: bool):
    """
    @notice Pauses or resumes new lender deposits and new borrows (guardian only).
    """
    self._check_guardian()
    supply_side: SupplySide = self._supply_side_of()
    supply_side.paused = supply_paused_
    self._supply_side = convert(supply_side.paused, uint256) << 128 | supply_side.cap
    borrow_side: BorrowSide = self._borrow_side_of()
    borrow_side.paused = borrow_paused_
    self._store_borrow_side(borrow_side)
    log PauseSet(supply_paused=supply_paused_, borrow_paused=borrow_paused_)


@external
def set_caps(supply_cap_: uint256, borrow_cap_: uint256):
    """
    @notice Sets the supply and borrow caps in X (guardian only); existing positions are untouched.
    """
    self._check_guardian()
    # Caps at or above what the packed fields hold (2^128 - 1 for supply, 2^127 - 1 for borrow) are no cap.
    supply_side: SupplySide = self._supply_side_of()
    supply_side.cap = min(supply_cap_, MAX_UINT128)
    self._supply_side = convert(supply_side.paused, uint256) << 128 | supply_side.cap
    borrow_side: BorrowSide = self._borrow_side_of()
    borrow_side.cap = min(borrow_cap_, MAX_UINT127)
    self._store_borrow_side(borrow_side)
    log CapsSet(supply_cap=supply_cap_, borrow_cap=borrow_cap_)


@external
def set_flash_fee(flash_fee_bps_: uint256):
    """
    @notice Sets the flash loan fee (guardian only, at most 1%).
    """
    self._check_guardian()
    assert flash_fee_bps_ <= MAX_FLASH_FEE_BPS, "market: flash fee too high"
    self.flash_fee_bps = flash_fee_bps_
    log FlashFeeSet(flash_fee_bps=flash_fee_bps_)


@external
def set_guardian(guardian_: address):
    """
    @notice Hands the guardian role over (guardian only).
    """
    self._check_guardian()
    self.guardian = guardian_
    log GuardianSet(guardian=guardian_)


# ---------------------------------------------------------------- keeper and views


@external
def accrue_interest():
    """
    @notice Accrues interest up to now (permissionless).
    """
    self._check_not_in_flash_loan()
    self._accrue()


@view
@external
def position(user: address) -> (uint256, uint256, uint256, uint256):
    """
    @notice (collateral, debt rounded up, LTV in WAD, health in WAD) of `user` with
            interest accrued up to now. LTV = debt / collateral value at the oracle's
            capped price (what borrowing checks against max LTV); health = collateral
            value at the uncapped rate x LLTV / debt (below 1 it can be liquidated);
            max_value(uint256) when there is no debt.
    """
    pos: Position = self._position_of(user)
    debt: uint256 = self._to_assets_up(pos.borrow_shares, self._pending().borrow_assets, self._borrow_side_of().shares)
    if debt == 0:
        return pos.collateral, 0, 0, MAX_UINT
    value: uint256 = math._mul_div(pos.collateral, staticcall oracle.price(), ORACLE_SCALE, False)
    ltv: uint256 = MAX_UINT
    if value != 0:
        ltv = math._mul_div(debt, WAD, value, True)
    liquidation_value: uint256 = math._mul_div(pos.collateral, staticcall oracle.rate(), ORACLE_SCALE, False)
    return pos.collateral, debt, ltv, math._mul_div(liquidation_value, lltv, debt, False)


@view
@external
def market_state() -> (uint256, uint256, uint256, uint256, uint256):
    """
    @notice (total supply assets, total borrow assets, utilization, borrow APR,
            supply APR), WAD, with interest accrued up to now.
    """
    pending: Pending = self._pending()
    utilization: uint256 = self._utilization(pending.supply_assets, pending.borrow_assets)
    borrow_apr: uint256 = self._borrow_apr(utilization, (self._accrual >> 64) & MAX_UINT64)[0]
    supply_apr: uint256 = math._mul_div(
        math._mul_div(borrow_apr, utilization, WAD, False), WAD - reserve_factor, WAD, False
    )
    return pending.supply_assets, pending.borrow_assets, utilization, borrow_apr, supply_apr


@view
@external
def last_update() -> uint256:
    """
    @notice Timestamp of the last accrual.
    """
    return self._accrual & MAX_UINT64


@view
@external
def last_borrow_apr() -> uint256:
    """
    @notice The yearly rate (WAD) applied since `last_update` (the fallback if the rate model fails).
    """
    return (self._accrual >> 64) & MAX_UINT64


@view
@external
def interest_remainder() -> uint256:
    """
    @notice Fraction of a unit of interest (scaled by 1e36) carried to the next accrual.
    """
    return self._accrual >> 128


@view
@external
def max_leverage() -> uint256:
    """
    @notice Highest leverage a position can have at max LTV: 1 / (1 - max LTV), WAD.
    """
    return WAD * WAD // (WAD - max_ltv)
