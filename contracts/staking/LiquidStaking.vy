# pragma version 0.4.3
"""
@title LiquidStaking
@custom:contract-name LiquidStaking
@license MIT
@notice Liquid staking token over a base asset X: ERC-20 + EIP-2612 + ERC-4626.
        Staked X is delegated to a staking backend; backend gains are streamed
        linearly over a reward cycle, losses apply at once. Unstaking is instant
        from the idle buffer (for a small fee that stays with stakers) or queued
        (shares burnt, amount fixed, FIFO, claimable once the backend paid back).
@custom:security - Internal accounting only: `totalAssets` = buffer + accounted
                   backend balance - rewards still streaming - unfunded queue
                   debt. Transfers of X or LST to this contract change nothing.
                 - Counted gains per cycle are capped at `max_apr_bps`; the excess
                   is counted in later cycles. A reward sync cannot be sandwiched:
                   new gains start fully locked and unlock linearly.
                 - Losses are applied before every deposit, withdrawal and queue
                   request, and the previews include them, so a pending slash
                   cannot be front-run.
                 - Virtual share and asset (1 each) plus the internal accounting
                   defeat the first-depositor inflation attack.
                 - Every state-changing entry point holds one lock (transient
                   storage), so a malicious token cannot re-enter; every rounding
                   favours the stakers who stay.
                 - The owner can only change bounded parameters and the treasury.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC4626
from snekmate.auth import ownable
from snekmate.auth import ownable_2step
from snekmate.tokens import erc20
from snekmate.utils import math
from interfaces import IStakingBackend
from interfaces import IBackendReportReceiver

implements: IERC4626
implements: IBackendReportReceiver

initializes: ownable
initializes: ownable_2step[ownable := ownable]
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
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)

YEAR: constant(uint256) = 365 * 86_400
BPS: constant(uint256) = 10_000

MIN_REWARD_CYCLE: constant(uint256) = 3_600
MAX_REWARD_CYCLE: constant(uint256) = 30 * 86_400
DEFAULT_REWARD_CYCLE: constant(uint256) = 86_400
MAX_APR_CAP_BPS: constant(uint256) = 10_000
DEFAULT_MAX_APR_BPS: constant(uint256) = 2_000
MAX_PROTOCOL_FEE_BPS: constant(uint256) = 2_000
DEFAULT_PROTOCOL_FEE_BPS: constant(uint256) = 1_000
MAX_INSTANT_FEE_BPS: constant(uint256) = 500
DEFAULT_INSTANT_FEE_BPS: constant(uint256) = 10
DEFAULT_TARGET_BUFFER_BPS: constant(uint256) = 1_000
MAX_REQUESTS_PAGE: constant(uint256) = 100


struct UnstakeRequest:
    owner: address
    receiver: address
    amount: uint256
    # `requested_cumulative` right after this request: the request is claimable once
    # `funded_cumulative` reaches it, which gives FIFO order for free.
    cumulative: uint256
    created_at: uint256
    claimed: bool


asset: public(immutable(address))
backend: public(immutable(IStakingBackend))
_X: immutable(IERC20)

# X held by this contract that belongs to stakers.
buffer: public(uint256)
# Backend balance (stake + unbonding) as counted so far: deposits, counted gains, losses.
backend_accounted: public(uint256)
# Current reward stream (net of protocol fee): `stream_amount` unlocks linearly
# from `stream_start` to `stream_end`.
stream_amount: public(uint256)
stream_start: public(uint256)
stream_end: public(uint256)
# Start of the period whose gains the next cycle counts (APR cap reference).
last_gain_time: public(uint256)

# Unstake queue.
requests: public(HashMap[uint256, UnstakeRequest])
next_request_id: public(uint256)
requested_cumulative: public(uint256)
funded_cumulative: public(uint256)
# X held for funded, unclaimed requests (not part of `totalAssets`).
queue_reserve: public(uint256)
request_count_of: public(HashMap[address, uint256])
_request_ids: HashMap[address, HashMap[uint256, uint256]]

# Parameters (owner, bounded).
reward_cycle: public(uint256)
max_apr_bps: public(uint256)
protocol_fee_bps: public(uint256)
instant_fee_bps: public(uint256)
target_buffer_bps: public(uint256)
treasury: public(address)

_lock: transient(bool)


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

event RewardsSynced:
    backend_balance: uint256
    counted_gain: uint256
    fee_shares: uint256
    stream_amount: uint256
    stream_end: uint256

event LossApplied:
    loss: uint256
    absorbed_by_stream: uint256

event UnstakeRequested:
    request_id: indexed(uint256)
    owner: indexed(address)
    receiver: indexed(address)
    shares: uint256
    amount: uint256

event UnstakeClaimed:
    request_id: indexed(uint256)
    owner: indexed(address)
    receiver: indexed(address)
    amount: uint256

event QueueFunded:
    amount: uint256
    funded_cumulative: uint256

event Delegated:
    amount: uint256

event UnbondingRequested:
    amount: uint256
    ready_at: uint256

event BackendPaidBack:
    amount: uint256

event RewardCycleSet:
    reward_cycle: uint256

event MaxAprSet:
    max_apr_bps: uint256

event ProtocolFeeSet:
    protocol_fee_bps: uint256

event InstantFeeSet:
    instant_fee_bps: uint256

event TargetBufferSet:
    target_buffer_bps: uint256

event TreasurySet:
    treasury: indexed(address)


@deploy
def __init__(
    asset_: IERC20,
    backend_: IStakingBackend,
    treasury_: address,
    name_: String[25],
    symbol_: String[5],
    decimals_: uint8,
):
    """
    @param asset_ The base asset X (6 to 18 decimals).
    @param backend_ The staking backend X is delegated to.
    @param treasury_ Receiver of the protocol fee shares.
    @param name_ LST name (also the EIP-712 domain name).
    @param symbol_ LST symbol.
    @param decimals_ Decimals of X; the LST uses the same.
    """
    assert asset_.address != empty(address), "lst: zero asset"
    assert backend_.address != empty(address), "lst: zero backend"
    assert treasury_ != empty(address), "lst: zero treasury"
    assert decimals_ >= 6 and decimals_ <= 18, "lst: unsupported decimals"
    ownable.__init__()
    ownable_2step.__init__()
    erc20.__init__(name_, symbol_, decimals_, name_, "1")
    asset = asset_.address
    _X = asset_
    backend = backend_
    self.treasury = treasury_
    self.reward_cycle = DEFAULT_REWARD_CYCLE
    self.max_apr_bps = DEFAULT_MAX_APR_BPS
    self.protocol_fee_bps = DEFAULT_PROTOCOL_FEE_BPS
    self.instant_fee_bps = DEFAULT_INSTANT_FEE_BPS
    self.target_buffer_bps = DEFAULT_TARGET_BUFFER_BPS
    self.stream_start = block.timestamp
    self.stream_end = block.timestamp
    self.last_gain_time = block.timestamp


# ---------------------------------------------------------------- lock


@internal
def _enter():
    assert not self._lock, "lst: reentrant call"
    self._lock = True


@internal
def _exit():
    self._lock = False


@view
@internal
def _check_not_entered():
    # Views revert mid-call so nobody can read a half-updated exchange rate.
    assert not self._lock, "lst: reentrant call"


# ---------------------------------------------------------------- accounting


@view
@internal
def _locked_rewards() -> uint256:
    end: uint256 = self.stream_end
    if block.timestamp >= end:
        return 0
    start: uint256 = self.stream_start
    amount: uint256 = self.stream_amount
    # Unlocked part rounds down, so the locked part rounds up.
    unlocked: uint256 = amount * (block.timestamp - start) // (end - start)
    return amount - unlocked


@view
@internal
def _unfunded_queue() -> uint256:
    return self.requested_cumulative - self.funded_cumulative


@view
@internal
def _loss_adjusted() -> (uint256, uint256, uint256, uint256):
    """
    @dev Returns (backend balance, accounted backend balance after a pending loss,
         locked rewards after the loss absorbed part of them, loss).
    """
    current: uint256 = staticcall backend.total_balance(self)
    accounted: uint256 = self.backend_accounted
    locked: uint256 = self._locked_rewards()
    if current >= accounted:
        return current, accounted, locked, 0
    loss: uint256 = accounted - current
    return current, current, locked - min(loss, locked), loss


@view
@internal
def _total_assets() -> uint256:
    current: uint256 = 0
    accounted: uint256 = 0
    locked: uint256 = 0
    loss: uint256 = 0
    current, accounted, locked, loss = self._loss_adjusted()
    gross: uint256 = self.buffer + accounted
    debt: uint256 = locked + self._unfunded_queue()
    if gross <= debt:
        return 0
    return gross - debt


@internal
def _apply_loss():
    """
    @dev Applies a backend loss (slashing) at once. Rewards still streaming absorb
         it first; the rest lowers the exchange rate.
    """
    current: uint256 = 0
    accounted: uint256 = 0
    locked: uint256 = 0
    loss: uint256 = 0
    current, accounted, locked, loss = self._loss_adjusted()
    if loss == 0:
        return
    absorbed: uint256 = self._locked_rewards() - locked
    self.backend_accounted = accounted
    if self.stream_end > block.timestamp:
        # Restart the stream from now with what is left locked; it keeps its end.
        self.stream_amount = locked
        self.stream_start = block.timestamp
    log LossApplied(loss=loss, absorbed_by_stream=absorbed)


@view
@internal
def _to_shares(assets: uint256, total_assets: uint256, roundup: bool) -> uint256:
    return math._mul_div(assets, erc20.totalSupply + 1, total_assets + 1, roundup)


@view
@internal
def _to_assets(shares: uint256, total_assets: uint256, roundup: bool) -> uint256:
    return math._mul_div(shares, total_assets + 1, erc20.totalSupply + 1, roundup)


@view
@internal
def _fee_on_raw(assets: uint256) -> uint256:
    # Fee charged on top of `assets` the user receives.
    return math._mul_div(assets, self.instant_fee_bps, BPS, True)


@view
@internal
def _fee_on_total(assets: uint256) -> uint256:
    # Part of a gross amount `assets` that is fee.
    fee_bps: uint256 = self.instant_fee_bps
    return math._mul_div(assets, fee_bps, fee_bps + BPS, True)


@view
@internal
def _preview_withdraw(assets: uint256, total_assets: uint256) -> uint256:
    return self._to_shares(assets + self._fee_on_raw(assets), total_assets, True)


@view
@internal
def _preview_redeem(shares: uint256, total_assets: uint256) -> uint256:
    gross: uint256 = self._to_assets(shares, total_assets, False)
    return gross - self._fee_on_total(gross)


@view
@internal
def _max_withdraw(owner: address, total_assets: uint256) -> uint256:
    return min(self._preview_redeem(erc20.balanceOf[owner], total_assets), self.buffer)


@view
@internal
def _max_redeem(owner: address, total_assets: uint256) -> uint256:
    buffer: uint256 = self.buffer
    # Largest gross amount whose net (after fee) still fits in the buffer.
    gross: uint256 = buffer + buffer * self.instant_fee_bps // BPS
    return min(erc20.balanceOf[owner], self._to_shares(gross, total_assets, False))


# ---------------------------------------------------------------- transfers


@internal
def _pull_x(sender: address, amount: uint256):
    assert extcall _X.transferFrom(sender, self, amount, default_return_value=True), "lst: transfer failed"


@internal
def _send_x(receiver: address, amount: uint256):
    assert extcall _X.transfer(receiver, amount, default_return_value=True), "lst: transfer failed"


# ---------------------------------------------------------------- ERC-4626 views


@view
@external
def totalAssets() -> uint256:
    """
    @notice X owned by stakers: buffer + backend balance counted so far, minus
            rewards still streaming and X owed to the unstake queue.
    """
    self._check_not_entered()
    return self._total_assets()


@view
@external
def convertToShares(assets: uint256) -> uint256:
    """
    @notice Shares worth `assets` at the current rate, rounded down.
    """
    self._check_not_entered()
    return self._to_shares(assets, self._total_assets(), False)


@view
@external
def convertToAssets(shares: uint256) -> uint256:
    """
    @notice X worth `shares` at the current rate, rounded down.
    """
    self._check_not_entered()
    return self._to_assets(shares, self._total_assets(), False)


@view
@external
def maxDeposit(receiver: address) -> uint256:
    """
    @notice Staking is never capped.
    """
    return max_value(uint256)


@view
@external
def maxMint(receiver: address) -> uint256:
    """
    @notice Staking is never capped.
    """
    return max_value(uint256)


@view
@external
def previewDeposit(assets: uint256) -> uint256:
    """
    @notice Shares `deposit(assets)` mints now (rounded down).
    """
    self._check_not_entered()
    return self._to_shares(assets, self._total_assets(), False)


@view
@external
def previewMint(shares: uint256) -> uint256:
    """
    @notice X `mint(shares)` takes now (rounded up).
    """
    self._check_not_entered()
    return self._to_assets(shares, self._total_assets(), True)


@view
@external
def maxWithdraw(owner: address) -> uint256:
    """
    @notice Largest X `owner` can take out instantly: their balance after the
            instant fee, limited by the idle buffer.
    """
    self._check_not_entered()
    return self._max_withdraw(owner, self._total_assets())


@view
@external
def maxRedeem(owner: address) -> uint256:
    """
    @notice Largest number of shares `owner` can redeem instantly.
    """
    self._check_not_entered()
    return self._max_redeem(owner, self._total_assets())


@view
@external
def previewWithdraw(assets: uint256) -> uint256:
    """
    @notice Shares burnt by `withdraw(assets)` now, instant fee included (rounded up).
    """
    self._check_not_entered()
    return self._preview_withdraw(assets, self._total_assets())


@view
@external
def previewRedeem(shares: uint256) -> uint256:
    """
    @notice X paid by `redeem(shares)` now, after the instant fee (rounded down).
    """
    self._check_not_entered()
    return self._preview_redeem(shares, self._total_assets())


# ---------------------------------------------------------------- staking


@internal
def _deposit(caller: address, receiver: address, assets: uint256, shares: uint256):
    erc20._mint(receiver, shares)
    self.buffer += assets
    log Deposit(sender=caller, owner=receiver, assets=assets, shares=shares)
    self._pull_x(caller, assets)


@external
def deposit(assets: uint256, receiver: address = msg.sender) -> uint256:
    """
    @notice Stakes `assets` of X and mints LST shares to `receiver`.
    @param assets Amount of X pulled from the caller.
    @param receiver Receiver of the shares.
    @return The shares minted.
    """
    self._enter()
    assert assets != 0, "lst: zero assets"
    assert receiver != empty(address), "lst: zero receiver"
    self._apply_loss()
    shares: uint256 = self._to_shares(assets, self._total_assets(), False)
    assert shares != 0, "lst: zero shares"
    self._deposit(msg.sender, receiver, assets, shares)
    self._exit()
    return shares


@external
def mint(shares: uint256, receiver: address = msg.sender) -> uint256:
    """
    @notice Mints exactly `shares` to `receiver` for the X they are worth (rounded up).
    @param shares Shares to mint.
    @param receiver Receiver of the shares.
    @return The X pulled from the caller.
    """
    self._enter()
    assert shares != 0, "lst: zero shares"
    assert receiver != empty(address), "lst: zero receiver"
    self._apply_loss()
    assets: uint256 = self._to_assets(shares, self._total_assets(), True)
    self._deposit(msg.sender, receiver, assets, shares)
    self._exit()
    return assets


@internal
def _withdraw(caller: address, receiver: address, owner: address, assets: uint256, shares: uint256):
    if caller != owner:
        erc20._spend_allowance(owner, caller, shares)
    erc20._burn(owner, shares)
    # Only the net amount leaves the buffer: the fee stays with the stakers.
    self.buffer -= assets
    log Withdraw(sender=caller, receiver=receiver, owner=owner, assets=assets, shares=shares)
    self._send_x(receiver, assets)


@external
def withdraw(assets: uint256, receiver: address = msg.sender, owner: address = msg.sender) -> uint256:
    """
    @notice Instant unstake: sends exactly `assets` of X to `receiver` from the
            buffer and burns the shares they cost plus the instant fee.
    @param assets X to receive.
    @param receiver Receiver of the X.
    @param owner Owner of the shares (needs an allowance if not the caller).
    @return The shares burnt.
    """
    self._enter()
    assert assets != 0, "lst: zero assets"
    assert receiver != empty(address), "lst: zero receiver"
    self._apply_loss()
    total: uint256 = self._total_assets()
    assert assets <= self._max_withdraw(owner, total), "lst: withdraw exceeds max"
    shares: uint256 = self._preview_withdraw(assets, total)
    self._withdraw(msg.sender, receiver, owner, assets, shares)
    self._exit()
    return shares


@external
def redeem(shares: uint256, receiver: address = msg.sender, owner: address = msg.sender) -> uint256:
    """
    @notice Instant unstake of exactly `shares`; X after the instant fee goes to `receiver`.
    @param shares Shares to burn.
    @param receiver Receiver of the X.
    @param owner Owner of the shares (needs an allowance if not the caller).
    @return The X sent.
    """
    self._enter()
    assert shares != 0, "lst: zero shares"
    assert receiver != empty(address), "lst: zero receiver"
    self._apply_loss()
    total: uint256 = self._total_assets()
    assert shares <= self._max_redeem(owner, total), "lst: redeem exceeds max"
    assets: uint256 = self._preview_redeem(shares, total)
    assert assets != 0, "lst: zero assets"
    self._withdraw(msg.sender, receiver, owner, assets, shares)
    self._exit()
    return assets


# ---------------------------------------------------------------- unstake queue


@internal
def _request_unbonding():
    # Ask the backend for what the queue still needs beyond what is already unbonding.
    need: uint256 = self._unfunded_queue()
    unbonding: uint256 = staticcall backend.unbonding_balance(self)
    if need <= unbonding:
        return
    amount: uint256 = min(need - unbonding, staticcall backend.staked_balance(self))
    if amount == 0:
        return
    ready_at: uint256 = extcall backend.request_undelegate(amount)
    log UnbondingRequested(amount=amount, ready_at=ready_at)


@internal
def _process_queue():
    """
    @dev Pulls matured unbonding X back from the backend, then funds the queue:
         with what was paid back, and from the buffer only for what the backend
         can no longer provide (so the queue never bypasses the instant fee).
    """
    pulled: uint256 = extcall backend.withdraw_unbonded()
    if pulled != 0:
        self.backend_accounted -= min(pulled, self.backend_accounted)
        self.buffer += pulled
        log BackendPaidBack(amount=pulled)
    need: uint256 = self._unfunded_queue()
    if need == 0:
        return
    backend_left: uint256 = staticcall backend.total_balance(self)
    must_from_buffer: uint256 = need - min(need, backend_left)
    amount: uint256 = min(self.buffer, max(min(pulled, need), must_from_buffer))
    if amount == 0:
        return
    self.buffer -= amount
    self.queue_reserve += amount
    self.funded_cumulative += amount
    log QueueFunded(amount=amount, funded_cumulative=self.funded_cumulative)


@external
def request_unstake(shares: uint256, receiver: address = msg.sender, owner: address = msg.sender) -> uint256:
    """
    @notice Queued unstake: burns `shares` now and fixes the X they are worth
            (rounded down, no fee). Claimable once the backend paid back, in FIFO order.
    @param shares Shares to burn.
    @param receiver Receiver of the X at claim time.
    @param owner Owner of the shares (needs an allowance if not the caller).
    @return The request id.
    """
    self._enter()
    assert shares != 0, "lst: zero shares"
    assert receiver != empty(address), "lst: zero receiver"
    self._apply_loss()
    amount: uint256 = self._to_assets(shares, self._total_assets(), False)
    assert amount != 0, "lst: zero assets"
    if msg.sender != owner:
        erc20._spend_allowance(owner, msg.sender, shares)
    erc20._burn(owner, shares)
    cumulative: uint256 = self.requested_cumulative + amount
    self.requested_cumulative = cumulative
    request_id: uint256 = self.next_request_id
    self.next_request_id = request_id + 1
    self.requests[request_id] = UnstakeRequest(
        owner=owner, receiver=receiver, amount=amount, cumulative=cumulative, created_at=block.timestamp, claimed=False
    )
    index: uint256 = self.request_count_of[owner]
    self._request_ids[owner][index] = request_id
    self.request_count_of[owner] = index + 1
    log UnstakeRequested(request_id=request_id, owner=owner, receiver=receiver, shares=shares, amount=amount)
    self._request_unbonding()
    self._exit()
    return request_id


@external
def claim(request_id: uint256) -> uint256:
    """
    @notice Pays a funded unstake request to its receiver. Only the request's owner may claim.
    @param request_id The request to claim.
    @return The X paid.
    """
    self._enter()
    request: UnstakeRequest = self.requests[request_id]
    assert request.owner != empty(address), "lst: unknown request"
    assert request.owner == msg.sender, "lst: not request owner"
    assert not request.claimed, "lst: already claimed"
    self._process_queue()
    assert request.cumulative <= self.funded_cumulative, "lst: request not ready"
    self.requests[request_id].claimed = True
    self.queue_reserve -= request.amount
    log UnstakeClaimed(request_id=request_id, owner=request.owner, receiver=request.receiver, amount=request.amount)
    self._send_x(request.receiver, request.amount)
    self._exit()
    return request.amount


@view
@external
def is_claimable(request_id: uint256) -> bool:
    """
    @notice True once the request is funded and not yet claimed.
    @dev Matured backend X that nobody pulled yet is funded by the next claim
         or `rebalance`, so this can be False while `claim` would succeed.
    """
    request: UnstakeRequest = self.requests[request_id]
    return request.owner != empty(address) and not request.claimed and request.cumulative <= self.funded_cumulative


@view
@external
def request_ids_of(owner: address, start: uint256, count: uint256) -> DynArray[uint256, MAX_REQUESTS_PAGE]:
    """
    @notice Request ids of `owner` in creation order, `count` (at most 100) from index `start`.
    """
    ids: DynArray[uint256, MAX_REQUESTS_PAGE] = []
    total: uint256 = self.request_count_of[owner]
    for i: uint256 in range(MAX_REQUESTS_PAGE):
        if i >= count or start + i >= total:
            break
        ids.append(self._request_ids[owner][start + i])
    return ids


# ---------------------------------------------------------------- rewards


@internal
def _sync(current: uint256):
    self._apply_loss()
    if block.timestamp < self.stream_end:
        return
    accounted: uint256 = self.backend_accounted
    if current <= accounted:
        return
    total: uint256 = self._total_assets()
    elapsed: uint256 = block.timestamp - self.last_gain_time
    cap: uint256 = total * self.max_apr_bps * elapsed // (BPS * YEAR)
    gain: uint256 = min(current - accounted, cap)
    if gain == 0:
        return
    fee: uint256 = gain * self.protocol_fee_bps // BPS
    # Fee shares are priced before the fee is added, so the rate does not move.
    fee_shares: uint256 = self._to_shares(fee, total, False)
    stream: uint256 = gain - fee
    end: uint256 = block.timestamp + self.reward_cycle
    self.backend_accounted = accounted + gain
    self.stream_amount = stream
    self.stream_start = block.timestamp
    self.stream_end = end
    self.last_gain_time = block.timestamp
    if fee_shares != 0:
        erc20._mint(self.treasury, fee_shares)
    log RewardsSynced(
        backend_balance=current, counted_gain=gain, fee_shares=fee_shares, stream_amount=stream, stream_end=end
    )


@external
def sync_rewards():
    """
    @notice Reads the backend balance. A loss applies at once; once the current
            reward cycle has ended, new gains (capped at `max_apr_bps` for the
            time since the last counted gain) start streaming over `reward_cycle`
            and the protocol fee on them is minted to the treasury. Permissionless.
    """
    self._enter()
    self._sync(staticcall backend.total_balance(self))
    self._exit()


@external
def on_backend_report(total_balance: uint256):
    """
    @notice Balance report pushed by the backend; same effect as `sync_rewards`.
    @param total_balance This contract's stake + unbonding balance at the backend.
    """
    self._enter()
    assert msg.sender == backend.address, "lst: caller is not the backend"
    self._sync(total_balance)
    self._exit()


# ---------------------------------------------------------------- buffer management


@external
def rebalance():
    """
    @notice Permissionless upkeep: pulls matured X back from the backend and funds
            the queue, asks the backend to unbond what the queue still needs, and
            delegates the buffer above `target_buffer_bps` of total assets.
    """
    self._enter()
    self._apply_loss()
    self._process_queue()
    self._request_unbonding()
    target: uint256 = self._total_assets() * self.target_buffer_bps // BPS
    buffer: uint256 = self.buffer
    if buffer > target and self._unfunded_queue() == 0:
        amount: uint256 = buffer - target
        self.buffer = target
        self.backend_accounted += amount
        log Delegated(amount=amount)
        assert extcall _X.approve(backend.address, amount, default_return_value=True), "lst: approve failed"
        extcall backend.delegate(amount)
    self._exit()


# ---------------------------------------------------------------- parameters


@external
def set_reward_cycle(reward_cycle_: uint256):
    """
    @notice Sets the length of future reward cycles (owner; 1 hour to 30 days).
    """
    ownable._check_owner()
    assert reward_cycle_ >= MIN_REWARD_CYCLE and reward_cycle_ <= MAX_REWARD_CYCLE, "lst: reward cycle out of bounds"
    self.reward_cycle = reward_cycle_
    log RewardCycleSet(reward_cycle=reward_cycle_)


@external
def set_max_apr(max_apr_bps_: uint256):
    """
    @notice Sets the cap on counted gains per year (owner; 0.01% to 100%).
    """
    ownable._check_owner()
    assert max_apr_bps_ != 0 and max_apr_bps_ <= MAX_APR_CAP_BPS, "lst: max apr out of bounds"
    self.max_apr_bps = max_apr_bps_
    log MaxAprSet(max_apr_bps=max_apr_bps_)


@external
def set_protocol_fee(protocol_fee_bps_: uint256):
    """
    @notice Sets the protocol fee on future counted gains (owner; at most 20%).
    """
    ownable._check_owner()
    assert protocol_fee_bps_ <= MAX_PROTOCOL_FEE_BPS, "lst: protocol fee out of bounds"
    self.protocol_fee_bps = protocol_fee_bps_
    log ProtocolFeeSet(protocol_fee_bps=protocol_fee_bps_)


@external
def set_instant_fee(instant_fee_bps_: uint256):
    """
    @notice Sets the instant unstake fee (owner; at most 5%).
    """
    ownable._check_owner()
    assert instant_fee_bps_ <= MAX_INSTANT_FEE_BPS, "lst: instant fee out of bounds"
    self.instant_fee_bps = instant_fee_bps_
    log InstantFeeSet(instant_fee_bps=instant_fee_bps_)


@external
def set_target_buffer(target_buffer_bps_: uint256):
    """
    @notice Sets the idle buffer kept for instant unstakes, in bps of total assets (owner).
    """
    ownable._check_owner()
    assert target_buffer_bps_ <= BPS, "lst: target buffer out of bounds"
    self.target_buffer_bps = target_buffer_bps_
    log TargetBufferSet(target_buffer_bps=target_buffer_bps_)


@external
def set_treasury(treasury_: address):
    """
    @notice Sets the receiver of future protocol fee shares (owner).
    """
    ownable._check_owner()
    assert treasury_ != empty(address), "lst: zero treasury"
    self.treasury = treasury_
    log TreasurySet(treasury=treasury_)
