# pragma version 0.4.3
"""
@title LendingMarket
@custom:contract-name LendingMarket
@license MIT
@notice One isolated market: lenders supply the base asset X (ERC-4626 shares),
        borrowers post an LST as collateral, priced at its exchange rate by an
        oracle. Deployed by `MarketFactory` from a blueprint; every risk
        parameter is immutable.
@custom:security - Every entry point follows one order: checks, accrue interest,
                   convert with the rounding named, update state, emit, callback,
                   transfer. Rounding always favours the market.
                 - Share accounting with virtual shares and assets (Morpho Blue);
                   idle liquidity is tracked, never read from `balanceOf`, so
                   donations change nothing.
                 - Callbacks (`on_supply_collateral`, `on_repay`, `on_liquidate`)
                   run after state is updated and before tokens are pulled; calls
                   made from inside them see the updated state. A flash loan locks
                   every other entry point until it is repaid.
                 - The guardian can pause new lender deposits and new borrows and
                   set caps; nobody can pause repay, collateral withdrawal,
                   liquidation or lender withdrawals, and nobody can move funds.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC4626
from snekmate.auth import ownable
from snekmate.tokens import erc20
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
    erc20.permit,
    erc20.DOMAIN_SEPARATOR,
    erc20.eip712Domain,
    erc20.nonces,
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
VIRTUAL_SHARES: constant(uint256) = 10**6
VIRTUAL_ASSETS: constant(uint256) = 1
MAX_LIQUIDATION_INCENTIVE: constant(uint256) = 1_150_000_000_000_000_000
LIQUIDATION_CURSOR: constant(uint256) = 300_000_000_000_000_000
MAX_RESERVE_FACTOR: constant(uint256) = 500_000_000_000_000_000
MAX_FLASH_FEE_BPS: constant(uint256) = 100
FLASH_CALLBACK_SUCCESS: constant(bytes32) = keccak256("ERC3156FlashBorrower.onFlashLoan")
DOMAIN_TYPEHASH: constant(bytes32) = keccak256(
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
AUTHORIZATION_TYPEHASH: constant(bytes32) = keccak256(
    "Authorization(address authorizer,address authorized,bool is_authorized,uint256 nonce,uint256 deadline)"
)
AUTH_DOMAIN_NAME: constant(String[20]) = "LevStake Market"
SECP256K1_HALF_N: constant(uint256) = 57896044618658097711785492504343953926418782139537452191302581570759080747168


struct Position:
    collateral: uint256
    borrow_shares: uint256


struct Pending:
    # Market totals as they are once interest is accrued up to now.
    supply_assets: uint256
    borrow_assets: uint256
    fee_shares: uint256
    supply_shares: uint256
    rate: uint256


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
_X: immutable(IERC20)
_COLLATERAL: immutable(IERC20)

guardian: public(address)
supply_paused: public(bool)
borrow_paused: public(bool)
supply_cap: public(uint256)
borrow_cap: public(uint256)
flash_fee_bps: public(uint256)

total_supply_assets: public(uint256)
total_borrow_assets: public(uint256)
total_borrow_shares: public(uint256)
last_update: public(uint256)
bad_debt_total: public(uint256)
positions: public(HashMap[address, Position])

is_authorized: public(HashMap[address, HashMap[address, bool]])
authorization_nonce: public(HashMap[address, uint256])

_in_flash_loan: transient(bool)


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

event FlashLoan:
    receiver: indexed(address)
    amount: uint256
    fee: uint256

event SetAuthorization:
    caller: indexed(address)
    authorizer: indexed(address)
    authorized: indexed(address)
    is_authorized: bool

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
    assert asset_.address != empty(address) and collateral_.address != empty(address), "market: zero token"
    assert oracle_.address != empty(address) and irm_.address != empty(address), "market: zero oracle or irm"
    assert max_ltv_ != 0 and lltv_ > max_ltv_, "market: lltv must exceed max ltv"
    assert lltv_ < WAD, "market: lltv too high"
    assert reserve_factor_ <= MAX_RESERVE_FACTOR, "market: reserve factor too high"
    assert treasury_ != empty(address), "market: zero treasury"
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
    # min(1.15, 1 / (1 - 0.3 * (1 - lltv)))
    liquidation_incentive = min(
        MAX_LIQUIDATION_INCENTIVE, WAD * WAD // (WAD - LIQUIDATION_CURSOR * (WAD - lltv_) // WAD)
    )
    self.guardian = guardian_
    self.supply_cap = max_value(uint256)
    self.borrow_cap = max_value(uint256)
    self.last_update = block.timestamp


# ---------------------------------------------------------------- math


@pure
@internal
def _mul_div_down(x: uint256, y: uint256, d: uint256) -> uint256:
    return x * y // d


@pure
@internal
def _mul_div_up(x: uint256, y: uint256, d: uint256) -> uint256:
    return (x * y + d - 1) // d


@pure
@internal
def _to_shares_down(assets: uint256, total_assets: uint256, total_shares: uint256) -> uint256:
    return self._mul_div_down(assets, total_shares + VIRTUAL_SHARES, total_assets + VIRTUAL_ASSETS)


@pure
@internal
def _to_shares_up(assets: uint256, total_assets: uint256, total_shares: uint256) -> uint256:
    return self._mul_div_up(assets, total_shares + VIRTUAL_SHARES, total_assets + VIRTUAL_ASSETS)


@pure
@internal
def _to_assets_down(shares: uint256, total_assets: uint256, total_shares: uint256) -> uint256:
    return self._mul_div_down(shares, total_assets + VIRTUAL_ASSETS, total_shares + VIRTUAL_SHARES)


@pure
@internal
def _to_assets_up(shares: uint256, total_assets: uint256, total_shares: uint256) -> uint256:
    return self._mul_div_up(shares, total_assets + VIRTUAL_ASSETS, total_shares + VIRTUAL_SHARES)


@pure
@internal
def _taylor_compounded(rate: uint256, elapsed: uint256) -> uint256:
    # e^(rate * elapsed) - 1 to the third order (WAD).
    first: uint256 = rate * elapsed
    second: uint256 = first * first // (2 * WAD)
    third: uint256 = second * first // (3 * WAD)
    return first + second + third


# ---------------------------------------------------------------- interest


@view
@internal
def _utilization(supply_assets: uint256, borrow_assets: uint256) -> uint256:
    if supply_assets == 0:
        return 0
    return borrow_assets * WAD // supply_assets


@view
@internal
def _pending() -> Pending:
    """
    @dev The market's totals as they will be once interest is accrued now.
    """
    supply_assets: uint256 = self.total_supply_assets
    borrow_assets: uint256 = self.total_borrow_assets
    supply_shares: uint256 = erc20.totalSupply
    elapsed: uint256 = block.timestamp - self.last_update
    rate: uint256 = staticcall irm.borrow_rate(self._utilization(supply_assets, borrow_assets))
    if elapsed == 0 or borrow_assets == 0:
        return Pending(
            supply_assets=supply_assets,
            borrow_assets=borrow_assets,
            fee_shares=0,
            supply_shares=supply_shares,
            rate=rate,
        )
    interest: uint256 = borrow_assets * self._taylor_compounded(rate, elapsed) // WAD
    fee_shares: uint256 = 0
    if reserve_factor != 0 and interest != 0:
        fee: uint256 = interest * reserve_factor // WAD
        # Priced after the interest is added, excluding the fee itself.
        fee_shares = self._to_shares_down(fee, supply_assets + interest - fee, supply_shares)
    return Pending(
        supply_assets=supply_assets + interest,
        borrow_assets=borrow_assets + interest,
        fee_shares=fee_shares,
        supply_shares=supply_shares + fee_shares,
        rate=rate,
    )


@internal
def _accrue():
    if self.last_update == block.timestamp:
        return
    pending: Pending = self._pending()
    interest: uint256 = pending.borrow_assets - self.total_borrow_assets
    # The timestamp always moves, also while nobody borrows: idle time is never charged later.
    self.last_update = block.timestamp
    if interest == 0:
        return
    self.total_supply_assets = pending.supply_assets
    self.total_borrow_assets = pending.borrow_assets
    if pending.fee_shares != 0:
        erc20._mint(treasury, pending.fee_shares)
    log AccrueInterest(borrow_rate=pending.rate, interest=interest, fee_shares=pending.fee_shares)


# ---------------------------------------------------------------- checks


@internal
def _check_not_in_flash_loan():
    assert not self._in_flash_loan, "market: flash loan in progress"


@view
@internal
def _is_sender_authorized(on_behalf: address) -> bool:
    return msg.sender == on_behalf or self.is_authorized[on_behalf][msg.sender]


@view
@internal
def _debt_of(user: address) -> uint256:
    return self._to_assets_up(self.positions[user].borrow_shares, self.total_borrow_assets, self.total_borrow_shares)


@view
@internal
def _within(user: address, price: uint256, ratio: uint256) -> bool:
    """
    @dev True if the user's debt (rounded up) is at most collateral value x `ratio`
         (both rounded down).
    """
    borrow_shares: uint256 = self.positions[user].borrow_shares
    if borrow_shares == 0:
        return True
    debt: uint256 = self._to_assets_up(borrow_shares, self.total_borrow_assets, self.total_borrow_shares)
    value: uint256 = self.positions[user].collateral * price // ORACLE_SCALE
    return debt <= value * ratio // WAD


@view
@internal
def _idle() -> uint256:
    return self.total_supply_assets - self.total_borrow_assets


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
def _max_deposit() -> uint256:
    if self.supply_paused:
        return 0
    cap: uint256 = self.supply_cap
    total_assets: uint256 = 0
    total_shares: uint256 = 0
    total_assets, total_shares = self._lender_totals()
    if total_assets >= cap:
        return 0
    return cap - total_assets


@view
@external
def maxDeposit(receiver: address) -> uint256:
    """
    @notice X that can be deposited now: 0 while paused, else up to the supply cap.
    """
    return self._max_deposit()


@view
@external
def maxMint(receiver: address) -> uint256:
    """
    @notice Shares that can be minted now (see `maxDeposit`).
    """
    limit: uint256 = self._max_deposit()
    if limit == max_value(uint256):
        return max_value(uint256)
    total_assets: uint256 = 0
    total_shares: uint256 = 0
    total_assets, total_shares = self._lender_totals()
    return self._to_shares_down(limit, total_assets, total_shares)


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
    total_assets: uint256 = 0
    total_shares: uint256 = 0
    total_assets, total_shares = self._lender_totals()
    return min(
        self._to_assets_down(erc20.balanceOf[owner], total_assets, total_shares), self._idle_after_accrual()
    )


@view
@external
def maxRedeem(owner: address) -> uint256:
    """
    @notice Shares `owner` can redeem now, limited by idle liquidity.
    """
    total_assets: uint256 = 0
    total_shares: uint256 = 0
    total_assets, total_shares = self._lender_totals()
    return min(
        erc20.balanceOf[owner], self._to_shares_down(self._idle_after_accrual(), total_assets, total_shares)
    )


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
    assert not self.supply_paused, "market: supply paused"
    assert self.total_supply_assets + assets <= self.supply_cap, "market: supply cap exceeded"
    erc20._mint(receiver, shares)
    self.total_supply_assets += assets
    log Deposit(sender=msg.sender, owner=receiver, assets=assets, shares=shares)
    self._pull(_X, msg.sender, assets)


@external
def deposit(assets: uint256, receiver: address = msg.sender) -> uint256:
    """
    @notice Lends `assets` of X; mints lender shares (rounded down) to `receiver`.
    """
    self._check_not_in_flash_loan()
    assert assets != 0, "market: zero assets"
    assert receiver != empty(address), "market: zero address"
    self._accrue()
    shares: uint256 = self._to_shares_down(assets, self.total_supply_assets, erc20.totalSupply)
    assert shares != 0, "market: zero shares"
    self._supply(receiver, assets, shares)
    return shares


@external
def mint(shares: uint256, receiver: address = msg.sender) -> uint256:
    """
    @notice Mints exactly `shares` lender shares to `receiver` for X rounded up.
    """
    self._check_not_in_flash_loan()
    assert shares != 0, "market: zero shares"
    assert receiver != empty(address), "market: zero address"
    self._accrue()
    assets: uint256 = self._to_assets_up(shares, self.total_supply_assets, erc20.totalSupply)
    self._supply(receiver, assets, shares)
    return assets


@internal
def _exit(receiver: address, owner: address, assets: uint256, shares: uint256):
    assert assets <= self._idle(), "market: insufficient liquidity"
    if msg.sender != owner:
        erc20._spend_allowance(owner, msg.sender, shares)
    erc20._burn(owner, shares)
    self.total_supply_assets -= assets
    log Withdraw(sender=msg.sender, receiver=receiver, owner=owner, assets=assets, shares=shares)
    self._send(_X, receiver, assets)


@external
def withdraw(assets: uint256, receiver: address = msg.sender, owner: address = msg.sender) -> uint256:
    """
    @notice Withdraws exactly `assets` of idle X, burning shares rounded up. Never paused.
    """
    self._check_not_in_flash_loan()
    assert assets != 0, "market: zero assets"
    assert receiver != empty(address), "market: zero address"
    self._accrue()
    shares: uint256 = self._to_shares_up(assets, self.total_supply_assets, erc20.totalSupply)
    self._exit(receiver, owner, assets, shares)
    return shares


@external
def redeem(shares: uint256, receiver: address = msg.sender, owner: address = msg.sender) -> uint256:
    """
    @notice Redeems `shares` for idle X rounded down. Never paused.
    """
    self._check_not_in_flash_loan()
    assert shares != 0, "market: zero shares"
    assert receiver != empty(address), "market: zero address"
    self._accrue()
    assets: uint256 = self._to_assets_down(shares, self.total_supply_assets, erc20.totalSupply)
    assert assets != 0, "market: zero assets"
    self._exit(receiver, owner, assets, shares)
    return assets


# ---------------------------------------------------------------- borrowers


@external
def supply_collateral(assets: uint256, on_behalf: address, data: Bytes[1024] = b""):
    """
    @notice Credits `assets` of collateral to `on_behalf`, then (if `data` is not
            empty) calls `on_supply_collateral` on the caller, then pulls the tokens
            from the caller. Anyone may add collateral for anyone.
    """
    self._check_not_in_flash_loan()
    assert assets != 0, "market: zero assets"
    assert on_behalf != empty(address), "market: zero address"
    self.positions[on_behalf].collateral += assets
    log SupplyCollateral(caller=msg.sender, on_behalf=on_behalf, assets=assets)
    if len(data) != 0:
        extcall IMarketCallbacks(msg.sender).on_supply_collateral(assets, data)
    self._pull(_COLLATERAL, msg.sender, assets)


@external
def withdraw_collateral(assets: uint256, on_behalf: address, receiver: address):
    """
    @notice Withdraws `assets` of `on_behalf`'s collateral to `receiver`; the
            position must stay within max LTV. Never paused.
    """
    self._check_not_in_flash_loan()
    assert assets != 0, "market: zero assets"
    assert receiver != empty(address), "market: zero address"
    assert self._is_sender_authorized(on_behalf), "market: unauthorized"
    self._accrue()
    assert self.positions[on_behalf].collateral >= assets, "market: insufficient collateral"
    self.positions[on_behalf].collateral -= assets
    assert self._within(on_behalf, staticcall oracle.price(), max_ltv), "market: ltv too high"
    log WithdrawCollateral(caller=msg.sender, on_behalf=on_behalf, receiver=receiver, assets=assets)
    self._send(_COLLATERAL, receiver, assets)


@external
def borrow(assets: uint256, shares: uint256, on_behalf: address, receiver: address) -> (uint256, uint256):
    """
    @notice Borrows X for `on_behalf` (by exact `assets`, or exact `shares`; the
            other must be 0) and sends it to `receiver`. The position must stay
            within max LTV, counting the debt rounded up.
    @return (assets borrowed, borrow shares added)
    """
    self._check_not_in_flash_loan()
    assert (assets == 0) != (shares == 0), "market: give assets or shares"
    assert receiver != empty(address), "market: zero address"
    assert self._is_sender_authorized(on_behalf), "market: unauthorized"
    assert not self.borrow_paused, "market: borrow paused"
    self._accrue()
    borrowed: uint256 = assets
    added: uint256 = shares
    if assets != 0:
        added = self._to_shares_up(assets, self.total_borrow_assets, self.total_borrow_shares)
    else:
        borrowed = self._to_assets_down(shares, self.total_borrow_assets, self.total_borrow_shares)
    assert borrowed != 0, "market: zero assets"
    self.positions[on_behalf].borrow_shares += added
    self.total_borrow_shares += added
    self.total_borrow_assets += borrowed
    assert self.total_borrow_assets <= self.borrow_cap, "market: borrow cap exceeded"
    assert self.total_borrow_assets <= self.total_supply_assets, "market: insufficient liquidity"
    assert self._within(on_behalf, staticcall oracle.price(), max_ltv), "market: ltv too high"
    log Borrow(caller=msg.sender, on_behalf=on_behalf, receiver=receiver, assets=borrowed, shares=added)
    self._send(_X, receiver, borrowed)
    return borrowed, added


@external
def repay(assets: uint256, shares: uint256, on_behalf: address, data: Bytes[1024] = b"") -> (uint256, uint256):
    """
    @notice Repays `on_behalf`'s debt by exact `assets` or exact `shares` (the other
            0; repay all with `shares = borrow shares`, no dust), then (if `data` is
            not empty) calls `on_repay` on the caller, then pulls the X from the
            caller. Never paused.
    @return (assets repaid, shares burnt)
    """
    self._check_not_in_flash_loan()
    assert (assets == 0) != (shares == 0), "market: give assets or shares"
    assert on_behalf != empty(address), "market: zero address"
    self._accrue()
    repaid: uint256 = assets
    burnt: uint256 = shares
    if assets != 0:
        burnt = self._to_shares_down(assets, self.total_borrow_assets, self.total_borrow_shares)
    else:
        repaid = self._to_assets_up(shares, self.total_borrow_assets, self.total_borrow_shares)
    assert burnt <= self.positions[on_behalf].borrow_shares, "market: repay exceeds debt"
    self.positions[on_behalf].borrow_shares -= burnt
    self.total_borrow_shares -= burnt
    # The last repayer may pay a wei more than the rounded total: clamp at zero.
    self.total_borrow_assets -= min(repaid, self.total_borrow_assets)
    log Repay(caller=msg.sender, on_behalf=on_behalf, assets=repaid, shares=burnt)
    if len(data) != 0:
        extcall IMarketCallbacks(msg.sender).on_repay(repaid, data)
    self._pull(_X, msg.sender, repaid)
    return repaid, burnt


@external
def liquidate(
    borrower: address, seized_assets: uint256, repaid_shares: uint256, data: Bytes[1024] = b""
) -> (uint256, uint256):
    """
    @notice Liquidates an unhealthy position (health < 1): the caller repays debt
            (by exact borrow `repaid_shares`, or enough for exact `seized_assets` of
            collateral) and receives collateral worth the repaid amount times the
            liquidation incentive. If the collateral runs out, the rest of the debt
            is written off against lenders. Permissionless; never paused.
    @return (collateral seized, X repaid)
    """
    self._check_not_in_flash_loan()
    assert (seized_assets == 0) != (repaid_shares == 0), "market: give seized or repaid"
    self._accrue()
    price: uint256 = staticcall oracle.price()
    assert not self._within(borrower, price, lltv), "market: position is healthy"
    seized: uint256 = seized_assets
    repaid_sh: uint256 = repaid_shares
    if seized_assets != 0:
        quoted: uint256 = self._mul_div_up(seized_assets, price, ORACLE_SCALE)
        repaid_sh = self._to_shares_up(
            self._mul_div_up(quoted, WAD, liquidation_incentive), self.total_borrow_assets, self.total_borrow_shares
        )
    else:
        seized = self._mul_div_down(
            self._to_assets_down(repaid_shares, self.total_borrow_assets, self.total_borrow_shares)
            * liquidation_incentive
            // WAD,
            ORACLE_SCALE,
            price,
        )
    position: Position = self.positions[borrower]
    assert repaid_sh <= position.borrow_shares, "market: repay exceeds debt"
    assert seized <= position.collateral, "market: seize exceeds collateral"
    repaid: uint256 = self._to_assets_up(repaid_sh, self.total_borrow_assets, self.total_borrow_shares)
    position.borrow_shares -= repaid_sh
    position.collateral -= seized
    self.total_borrow_shares -= repaid_sh
    self.total_borrow_assets -= min(repaid, self.total_borrow_assets)
    bad_assets: uint256 = 0
    bad_shares: uint256 = 0
    if position.collateral == 0 and position.borrow_shares != 0:
        # Nothing left to seize: the rest of the debt is a loss shared by lenders.
        bad_shares = position.borrow_shares
        bad_assets = min(
            self.total_borrow_assets,
            self._to_assets_up(bad_shares, self.total_borrow_assets, self.total_borrow_shares),
        )
        self.total_borrow_assets -= bad_assets
        self.total_supply_assets -= bad_assets
        self.total_borrow_shares -= bad_shares
        self.bad_debt_total += bad_assets
        position.borrow_shares = 0
    self.positions[borrower] = position
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
        extcall IMarketCallbacks(msg.sender).on_liquidate(repaid, data)
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
    assert token == asset, "market: unsupported token"
    return self._mul_div_up(amount, self.flash_fee_bps, BPS)


@external
def flashLoan(receiver: IERC3156FlashBorrower, token: address, amount: uint256, data: Bytes[1024]) -> bool:
    """
    @notice ERC-3156 flash loan of idle X. Every other entry point is locked until
            `amount` plus the fee is pulled back from `receiver`; the fee goes to lenders.
    """
    self._check_not_in_flash_loan()
    assert token == asset, "market: unsupported token"
    assert amount != 0, "market: zero assets"
    assert amount <= self._idle(), "market: insufficient liquidity"
    fee: uint256 = self._mul_div_up(amount, self.flash_fee_bps, BPS)
    self._in_flash_loan = True
    self._send(_X, receiver.address, amount)
    result: bytes32 = extcall receiver.onFlashLoan(msg.sender, token, amount, fee, data)
    assert result == FLASH_CALLBACK_SUCCESS, "market: flash callback failed"
    self._pull(_X, receiver.address, amount + fee)
    self._in_flash_loan = False
    if fee != 0:
        self.total_supply_assets += fee
    log FlashLoan(receiver=receiver.address, amount=amount, fee=fee)
    return True


# ---------------------------------------------------------------- authorization


@external
def set_authorization(authorized: address, is_authorized_: bool):
    """
    @notice Lets `authorized` borrow and withdraw collateral for the caller (or revokes it).
    """
    self.is_authorized[msg.sender][authorized] = is_authorized_
    log SetAuthorization(caller=msg.sender, authorizer=msg.sender, authorized=authorized, is_authorized=is_authorized_)


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
    self.authorization_nonce[authorizer] = nonce + 1
    self.is_authorized[authorizer][authorized] = is_authorized_
    log SetAuthorization(caller=msg.sender, authorizer=authorizer, authorized=authorized, is_authorized=is_authorized_)


# ---------------------------------------------------------------- guardian


@external
def set_paused(supply_paused_: bool, borrow_paused_: bool):
    """
    @notice Pauses or resumes new lender deposits and new borrows (guardian only).
    """
    assert msg.sender == self.guardian, "market: caller is not the guardian"
    self.supply_paused = supply_paused_
    self.borrow_paused = borrow_paused_
    log PauseSet(supply_paused=supply_paused_, borrow_paused=borrow_paused_)


@external
def set_caps(supply_cap_: uint256, borrow_cap_: uint256):
    """
    @notice Sets the supply and borrow caps in X (guardian only); existing positions are untouched.
    """
    assert msg.sender == self.guardian, "market: caller is not the guardian"
    self.supply_cap = supply_cap_
    self.borrow_cap = borrow_cap_
    log CapsSet(supply_cap=supply_cap_, borrow_cap=borrow_cap_)


@external
def set_flash_fee(flash_fee_bps_: uint256):
    """
    @notice Sets the flash loan fee (guardian only, at most 1%).
    """
    assert msg.sender == self.guardian, "market: caller is not the guardian"
    assert flash_fee_bps_ <= MAX_FLASH_FEE_BPS, "market: flash fee too high"
    self.flash_fee_bps = flash_fee_bps_
    log FlashFeeSet(flash_fee_bps=flash_fee_bps_)


@external
def set_guardian(guardian_: address):
    """
    @notice Hands the guardian role over (guardian only).
    """
    assert msg.sender == self.guardian, "market: caller is not the guardian"
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
            interest accrued up to now. Health = collateral value x LLTV / debt;
            max_value(uint256) when there is no debt.
    """
    pos: Position = self.positions[user]
    debt: uint256 = self._to_assets_up(pos.borrow_shares, self._pending().borrow_assets, self.total_borrow_shares)
    value: uint256 = pos.collateral * staticcall oracle.price() // ORACLE_SCALE
    if debt == 0:
        return pos.collateral, 0, 0, max_value(uint256)
    ltv: uint256 = max_value(uint256)
    if value != 0:
        ltv = self._mul_div_up(debt, WAD, value)
    return pos.collateral, debt, ltv, value * lltv // debt


@view
@external
def market_state() -> (uint256, uint256, uint256, uint256, uint256):
    """
    @notice (total supply assets, total borrow assets, utilization, borrow APR,
            supply APR), WAD, with interest accrued up to now.
    """
    pending: Pending = self._pending()
    utilization: uint256 = self._utilization(pending.supply_assets, pending.borrow_assets)
    borrow_apr: uint256 = staticcall irm.borrow_apr(utilization)
    supply_apr: uint256 = borrow_apr * utilization // WAD * (WAD - reserve_factor) // WAD
    return pending.supply_assets, pending.borrow_assets, utilization, borrow_apr, supply_apr


@view
@external
def max_leverage() -> uint256:
    """
    @notice Highest leverage a position can have at max LTV: 1 / (1 - max LTV), WAD.
    """
    return WAD * WAD // (WAD - max_ltv)
