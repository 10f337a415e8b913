# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title SimulatedValidator
@custom:contract-name SimulatedValidator
@license MIT
@notice Devnet staking backend. Delegators stake the base asset X; their stake
        earns `apr_bps` per year (compounded at every touch), paid out of a reward
        reserve that anyone can fund. Undelegated X matures after `unbonding_delay`
        seconds and is then pulled back by the delegator.
@custom:security Rewards never exceed the funded reserve and stake units round
                 against the delegator, so the contract always holds at least
                 every delegator's stake plus unbonding amounts.
                 The owner can change the APR and the delay within bounds and
                 can slash a stake (a test and demo tool); it cannot move funds
                 to itself: slashed X stays locked in this contract.
"""

from ethereum.ercs import IERC20
from snekmate.auth import ownable
from snekmate.auth import ownable_2step
from interfaces import IStakingBackend
from interfaces import IBackendReportReceiver

implements: IStakingBackend

initializes: ownable
initializes: ownable_2step[ownable := ownable]

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)

YEAR: constant(uint256) = 365 * 86_400
BPS: constant(uint256) = 10_000
MAX_APR_BPS: constant(uint256) = 10_000
MAX_UNBONDING_DELAY: constant(uint256) = 60 * 86_400
DEFAULT_UNBONDING_DELAY: constant(uint256) = 7 * 86_400
# Matured entries paid out by one `withdraw_unbonded` call; later ones wait for the next call.
MAX_PAYOUTS_PER_CALL: constant(uint256) = 32
# Unbonding entries a slash reaches (the oldest first); a devnet tool, so a bound is enough.
MAX_SLASHED_ENTRIES: constant(uint256) = 256


INDEX_ONE: constant(uint256) = 10**27

# Every LST price read asks `balances`, so what it reads is packed (3 cold slots instead of 7), as are the
# queue ends and the entries an unbonding request writes. A value that could pass its bits is written only
# through a setter that refuses it ("validator: amount too large") rather than drop its high bits.
# `_index`: the reward index (186 bits: from 1e27, ~2^96 of growth, 66 years of 100% APR compounded), the
# time of its last update (56 bits) and the APR (14 bits: at most MAX_APR_BPS).
INDEX_BITS: constant(uint256) = 186
INDEX_MASK: constant(uint256) = 2**186 - 1
APR_SHIFT: constant(uint256) = 242
TIME_MASK: constant(uint256) = 2**56 - 1
# Two 128-bit halves: `_accounts` an account's stake units and its unbonding balance; `_ends` its unbonding
# head and tail. An entry of `_unbondings` is its amount (low) and its ready_at (high).
HALF: constant(uint256) = 128
HALF_MASK: constant(uint256) = 2**128 - 1
# `_pool`: the total stake units (low, 144 bits: 2^16 times the most one LST can stake, 2^128 - 1, so no LST
# at its bound is refused for the others' stake) and the reward reserve (high, 112 bits); a reserve that does
# not fit is kept whole in `_reserve_overflow` and the pool's part says so (RESERVE_SATURATED).
UNITS_BITS: constant(uint256) = 144
UNITS_MASK: constant(uint256) = 2**144 - 1
RESERVE_SATURATED: constant(uint256) = 2**112 - 1


struct Unbonding:
    amount: uint256
    ready_at: uint256


asset: public(immutable(IERC20))
unbonding_delay: public(uint256)
slashed_total: public(uint256)

# Stakes are kept in index units: a stake of `units` is worth `units * reward_index / INDEX_ONE`.
# One global index makes a rate change apply from the moment it is made, for everybody.
_index: uint256
_pool: uint256
_reserve_overflow: uint256
_accounts: HashMap[address, uint256]
_unbondings: HashMap[address, HashMap[uint256, uint256]]
_ends: HashMap[address, uint256]


event RewardsFunded:
    funder: indexed(address)
    amount: uint256

event Delegated:
    delegator: indexed(address)
    amount: uint256

event RewardsAccrued:
    amount: uint256
    reward_index: uint256

event UndelegateRequested:
    delegator: indexed(address)
    amount: uint256
    ready_at: uint256

event UnbondedWithdrawn:
    delegator: indexed(address)
    amount: uint256

event Slashed:
    delegator: indexed(address)
    amount: uint256

event AprSet:
    apr_bps: uint256

event UnbondingDelaySet:
    delay: uint256


@deploy
def __init__(asset_: IERC20, apr_bps_: uint256):
    """
    @param asset_ The base asset X that is staked.
    @param apr_bps_ Yearly reward rate in basis points (at most 100%).
    """
    assert asset_.address != empty(address), "validator: zero asset"
    assert apr_bps_ <= MAX_APR_BPS, "validator: apr too high"
    ownable.__init__()
    ownable_2step.__init__()
    asset = asset_
    self.unbonding_delay = DEFAULT_UNBONDING_DELAY
    self._set_index(INDEX_ONE, apr_bps_)


@pure
@internal
def _halves(low: uint256, high: uint256) -> uint256:
    assert (low | high) >> HALF == 0, "validator: amount too large"
    return low | high << HALF


@internal
def _set_index(index: uint256, apr: uint256):
    assert index <= INDEX_MASK, "validator: amount too large"
    assert block.timestamp <= TIME_MASK, "validator: time out of range"
    self._index = index | block.timestamp << INDEX_BITS | apr << APR_SHIFT


@view
@internal
def _apr() -> uint256:
    return self._index >> APR_SHIFT


@internal
def _set_pool(units: uint256, reserve: uint256):
    assert units <= UNITS_MASK, "validator: amount too large"
    packed: uint256 = reserve
    if reserve >= RESERVE_SATURATED:
        packed = RESERVE_SATURATED
        self._reserve_overflow = reserve
    self._pool = units | packed << UNITS_BITS


@view
@internal
def _reserve(pool: uint256) -> uint256:
    # Below saturation the pool's part is the reserve: the common read stays one slot.
    reserve: uint256 = pool >> UNITS_BITS
    if reserve == RESERVE_SATURATED:
        return self._reserve_overflow
    return reserve


@internal
def _set_account(account: address, units: uint256, unbonding: uint256):
    self._accounts[account] = self._halves(units, unbonding)


@view
@internal
def _units_of(account: address) -> uint256:
    return self._accounts[account] & HALF_MASK


@view
@internal
def _unbonding_of(account: address) -> uint256:
    return self._accounts[account] >> HALF


@view
@internal
def _reward_index() -> uint256:
    return self._index & INDEX_MASK


@internal
def _add_units(account: address, units: uint256):
    pool: uint256 = self._pool
    self._set_pool((pool & UNITS_MASK) + units, self._reserve(pool))
    self._set_account(account, self._units_of(account) + units, self._unbonding_of(account))


@internal
def _remove_units(account: address, units: uint256, unbonding: uint256):
    # `units` of the account's stake leave it, `unbonding` X of them into its unbonding balance.
    pool: uint256 = self._pool
    self._set_pool((pool & UNITS_MASK) - units, self._reserve(pool))
    self._set_account(account, self._units_of(account) - units, self._unbonding_of(account) + unbonding)


@view
@external
def apr_bps() -> uint256:
    """
    @notice Yearly reward rate in basis points.
    """
    return self._apr()


@view
@external
def reward_index() -> uint256:
    """
    @notice What one stake unit is worth, scaled by 1e27, as of the last update.
    """
    return self._reward_index()


@view
@external
def last_index_update() -> uint256:
    """
    @notice When the reward index was last brought up to date.
    """
    return self._index >> INDEX_BITS & TIME_MASK


@view
@external
def total_stake_units() -> uint256:
    """
    @notice Stake units of all delegators together.
    """
    return self._pool & UNITS_MASK


@view
@external
def reward_reserve() -> uint256:
    """
    @notice X left to pay rewards from.
    """
    return self._reserve(self._pool)


@view
@external
def stake_units(account: address) -> uint256:
    """
    @notice Stake units of `account`.
    """
    return self._units_of(account)


@view
@external
def unbonding_balance(account: address) -> uint256:
    """
    @notice X `account` has unbonding (matured or not, not yet withdrawn).
    """
    return self._unbonding_of(account)


@view
@external
def unbonding_head(account: address) -> uint256:
    """
    @notice Index of `account`'s oldest unbonding entry not yet paid out.
    """
    return self._ends[account] & HALF_MASK


@view
@external
def unbonding_tail(account: address) -> uint256:
    """
    @notice Index the next unbonding entry of `account` gets.
    """
    return self._ends[account] >> HALF


@view
@external
def unbondings(account: address, index: uint256) -> Unbonding:
    """
    @notice Unbonding entry `index` of `account` (zero once paid out).
    """
    entry: uint256 = self._unbondings[account][index]
    return Unbonding(amount=entry & HALF_MASK, ready_at=entry >> HALF)


@view
@internal
def _pending() -> (uint256, uint256):
    """
    @dev Returns (index now, reward paid since the last update). The reward is
         capped by the reserve; stake units round so the contract stays solvent.
    """
    packed: uint256 = self._index
    index: uint256 = packed & INDEX_MASK
    pool: uint256 = self._pool
    total: uint256 = (pool & UNITS_MASK) * index // INDEX_ONE
    elapsed: uint256 = block.timestamp - (packed >> INDEX_BITS & TIME_MASK)
    if total == 0 or elapsed == 0:
        return index, 0
    reward: uint256 = min(total * (packed >> APR_SHIFT) * elapsed // (BPS * YEAR), self._reserve(pool))
    return index * (total + reward) // total, reward


@internal
def _accrue():
    index: uint256 = 0
    reward: uint256 = 0
    index, reward = self._pending()
    self._set_index(index, self._apr())
    if reward != 0:
        pool: uint256 = self._pool
        self._set_pool(pool & UNITS_MASK, self._reserve(pool) - reward)
        log RewardsAccrued(amount=reward, reward_index=index)


@view
@internal
def _stake_of(account: address, index: uint256) -> uint256:
    return self._units_of(account) * index // INDEX_ONE


@internal
def _pull(sender: address, amount: uint256):
    assert extcall asset.transferFrom(sender, self, amount, default_return_value=True), "validator: transfer failed"


@external
def fund_rewards(amount: uint256):
    """
    @notice Adds `amount` of X to the reward reserve. Anyone may fund it.
    @param amount Amount of X pulled from the caller.
    """
    assert amount != 0, "validator: zero amount"
    pool: uint256 = self._pool
    self._set_pool(pool & UNITS_MASK, self._reserve(pool) + amount)
    log RewardsFunded(funder=msg.sender, amount=amount)
    self._pull(msg.sender, amount)


@external
def delegate(amount: uint256):
    """
    @notice Stakes `amount` of X for the caller; X is pulled from the caller.
    @param amount Amount of X to stake.
    """
    assert amount != 0, "validator: zero amount"
    self._accrue()
    units: uint256 = amount * INDEX_ONE // self._reward_index()
    assert units != 0, "validator: amount too small"
    self._add_units(msg.sender, units)
    log Delegated(delegator=msg.sender, amount=amount)
    self._pull(msg.sender, amount)


@external
def request_undelegate(amount: uint256) -> uint256:
    """
    @notice Moves `amount` of the caller's stake into unbonding.
    @param amount Amount of X to unbond.
    @return The timestamp at which the amount can be withdrawn.
    """
    assert amount != 0, "validator: zero amount"
    self._accrue()
    index: uint256 = self._reward_index()
    assert self._stake_of(msg.sender, index) >= amount, "validator: amount exceeds stake"
    # Round the units removed up so the remaining stake never gains from rounding.
    units: uint256 = min((amount * INDEX_ONE + index - 1) // index, self._units_of(msg.sender))
    self._remove_units(msg.sender, units, amount)
    ready_at: uint256 = block.timestamp + self.unbonding_delay
    ends: uint256 = self._ends[msg.sender]
    tail: uint256 = ends >> HALF
    # Amounts are within an account's 128-bit unbonding balance (checked by `_remove_units`).
    self._unbondings[msg.sender][tail] = amount | ready_at << HALF
    self._ends[msg.sender] = self._halves(ends & HALF_MASK, tail + 1)
    log UndelegateRequested(delegator=msg.sender, amount=amount, ready_at=ready_at)
    return ready_at


@external
def withdraw_unbonded() -> uint256:
    """
    @notice Sends the caller every matured unbonding entry (oldest first, at most
            `MAX_PAYOUTS_PER_CALL` entries per call).
    @return The amount of X sent.
    """
    ends: uint256 = self._ends[msg.sender]
    head: uint256 = ends & HALF_MASK
    tail: uint256 = ends >> HALF
    total: uint256 = 0
    for _: uint256 in range(MAX_PAYOUTS_PER_CALL):
        if head == tail:
            break
        entry: uint256 = self._unbondings[msg.sender][head]
        if entry >> HALF > block.timestamp:
            break
        total += entry & HALF_MASK
        self._unbondings[msg.sender][head] = 0
        head += 1
    self._ends[msg.sender] = head | tail << HALF
    if total == 0:
        return 0
    self._set_account(msg.sender, self._units_of(msg.sender), self._unbonding_of(msg.sender) - total)
    log UnbondedWithdrawn(delegator=msg.sender, amount=total)
    assert extcall asset.transfer(msg.sender, total, default_return_value=True), "validator: transfer failed"
    return total


@view
@external
def staked_balance(account: address) -> uint256:
    """
    @notice Stake of `account` including rewards accrued up to now.
    """
    index: uint256 = 0
    reward: uint256 = 0
    index, reward = self._pending()
    return self._stake_of(account, index)


@view
@external
def total_balance(account: address) -> uint256:
    """
    @notice Stake (with accrued rewards) plus the unbonding balance of `account`.
    """
    index: uint256 = 0
    reward: uint256 = 0
    index, reward = self._pending()
    return self._stake_of(account, index) + self._unbonding_of(account)


@view
@external
def balances(account: address) -> (uint256, uint256):
    """
    @notice `total_balance(account)` and `unbonding_balance(account)` in one read (the
            LST computes its books from both: one call instead of two).
    """
    index: uint256 = 0
    reward: uint256 = 0
    index, reward = self._pending()
    packed: uint256 = self._accounts[account]
    unbonding: uint256 = packed >> HALF
    return (packed & HALF_MASK) * index // INDEX_ONE + unbonding, unbonding


@view
@external
def withdrawable(account: address) -> uint256:
    """
    @notice Amount of `account`'s unbonding entries that have matured.
    """
    ends: uint256 = self._ends[account]
    head: uint256 = ends & HALF_MASK
    tail: uint256 = ends >> HALF
    total: uint256 = 0
    for _: uint256 in range(MAX_PAYOUTS_PER_CALL):
        if head == tail:
            break
        entry: uint256 = self._unbondings[account][head]
        if entry >> HALF > block.timestamp:
            break
        total += entry & HALF_MASK
        head += 1
    return total


@external
@reentrant
def report(delegator: IBackendReportReceiver):
    """
    @notice Pushes `delegator`'s current total balance to it (permissionless).
    @dev Holds no lock: the delegator reads this contract's views while handling
         the report, and every state change is done before the call.
    @param delegator A delegator that implements `on_backend_report`.
    """
    self._accrue()
    balance: uint256 = self._stake_of(delegator.address, self._reward_index()) + self._unbonding_of(delegator.address)
    extcall delegator.on_backend_report(balance)


@external
@reentrant
def slash(delegator: address, bps: uint256, push_report: bool = True):
    """
    @notice Burns `bps` of `delegator`'s stake and of every amount it has unbonding
            (devnet and test tool, owner only), then (unless `push_report` is False, to
            test a backend that does not report) pushes its new balance to it, so the
            loss applies as of the slash. Slashed X stays locked here; nobody can
            withdraw it.
    @dev Reentrant like `report`: the delegator reads this contract's views while
         handling the report, and every state change is done before the call.
    @param delegator The delegator to slash.
    @param bps Share of the stake and unbonding amounts to slash, in basis points.
    """
    ownable._check_owner()
    assert bps != 0 and bps <= BPS, "validator: bad slash bps"
    self._accrue()
    index: uint256 = self._reward_index()
    units: uint256 = self._units_of(delegator) * bps // BPS
    loss: uint256 = units * index // INDEX_ONE
    # Unbonding stake is still at stake until it is paid out (as on real chains).
    ends: uint256 = self._ends[delegator]
    head: uint256 = ends & HALF_MASK
    tail: uint256 = ends >> HALF
    unbonding_loss: uint256 = 0
    for _: uint256 in range(MAX_SLASHED_ENTRIES):
        if head == tail:
            break
        entry: uint256 = self._unbondings[delegator][head]
        cut: uint256 = (entry & HALF_MASK) * bps // BPS
        self._unbondings[delegator][head] = entry - cut
        unbonding_loss += cut
        head += 1
    self._remove_units(delegator, units, 0)
    self._set_account(delegator, self._units_of(delegator), self._unbonding_of(delegator) - unbonding_loss)
    self.slashed_total += loss + unbonding_loss
    log Slashed(delegator=delegator, amount=loss + unbonding_loss)
    if push_report and delegator.is_contract:
        balance: uint256 = self._stake_of(delegator, index) + self._unbonding_of(delegator)
        # A delegator that does not take reports still sees the loss in `total_balance`.
        reported: bool = raw_call(
            delegator,
            abi_encode(balance, method_id=method_id("on_backend_report(uint256)")),
            revert_on_failure=False,
        )


@external
def set_apr(apr_bps_: uint256):
    """
    @notice Sets the reward rate from now on (owner only); the old rate applies up to now.
    @param apr_bps_ New yearly rate in basis points, at most 100%.
    """
    ownable._check_owner()
    assert apr_bps_ <= MAX_APR_BPS, "validator: apr too high"
    self._accrue()
    self._set_index(self._reward_index(), apr_bps_)
    log AprSet(apr_bps=apr_bps_)


@external
def set_unbonding_delay(delay: uint256):
    """
    @notice Sets the unbonding delay for future requests (owner only).
    @param delay Seconds, at most 60 days.
    """
    ownable._check_owner()
    assert delay <= MAX_UNBONDING_DELAY, "validator: delay too long"
    self.unbonding_delay = delay
    log UnbondingDelaySet(delay=delay)
