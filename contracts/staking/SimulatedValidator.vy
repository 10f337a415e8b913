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


struct Unbonding:
    amount: uint256
    ready_at: uint256


asset: public(immutable(IERC20))
apr_bps: public(uint256)
unbonding_delay: public(uint256)
reward_reserve: public(uint256)
slashed_total: public(uint256)

# Stakes are kept in index units: a stake of `units` is worth `units * reward_index / INDEX_ONE`.
# One global index makes a rate change apply from the moment it is made, for everybody.
reward_index: public(uint256)
last_index_update: public(uint256)
total_stake_units: public(uint256)
stake_units: public(HashMap[address, uint256])
unbonding_balance: public(HashMap[address, uint256])
unbondings: public(HashMap[address, HashMap[uint256, Unbonding]])
unbonding_head: public(HashMap[address, uint256])
unbonding_tail: public(HashMap[address, uint256])


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
    self.apr_bps = apr_bps_
    self.unbonding_delay = DEFAULT_UNBONDING_DELAY
    self.reward_index = INDEX_ONE
    self.last_index_update = block.timestamp


@view
@internal
def _pending() -> (uint256, uint256):
    """
    @dev Returns (index now, reward paid since the last update). The reward is
         capped by the reserve; stake units round so the contract stays solvent.
    """
    index: uint256 = self.reward_index
    total: uint256 = self.total_stake_units * index // INDEX_ONE
    elapsed: uint256 = block.timestamp - self.last_index_update
    if total == 0 or elapsed == 0:
        return index, 0
    reward: uint256 = min(total * self.apr_bps * elapsed // (BPS * YEAR), self.reward_reserve)
    return index * (total + reward) // total, reward


@internal
def _accrue():
    index: uint256 = 0
    reward: uint256 = 0
    index, reward = self._pending()
    self.last_index_update = block.timestamp
    if reward != 0:
        self.reward_index = index
        self.reward_reserve -= reward
        log RewardsAccrued(amount=reward, reward_index=index)


@view
@internal
def _stake_of(account: address, index: uint256) -> uint256:
    return self.stake_units[account] * index // INDEX_ONE


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
    self.reward_reserve += amount
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
    units: uint256 = amount * INDEX_ONE // self.reward_index
    assert units != 0, "validator: amount too small"
    self.stake_units[msg.sender] += units
    self.total_stake_units += units
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
    index: uint256 = self.reward_index
    assert self._stake_of(msg.sender, index) >= amount, "validator: amount exceeds stake"
    # Round the units removed up so the remaining stake never gains from rounding.
    units: uint256 = min((amount * INDEX_ONE + index - 1) // index, self.stake_units[msg.sender])
    self.stake_units[msg.sender] -= units
    self.total_stake_units -= units
    ready_at: uint256 = block.timestamp + self.unbonding_delay
    tail: uint256 = self.unbonding_tail[msg.sender]
    self.unbondings[msg.sender][tail] = Unbonding(amount=amount, ready_at=ready_at)
    self.unbonding_tail[msg.sender] = tail + 1
    self.unbonding_balance[msg.sender] += amount
    log UndelegateRequested(delegator=msg.sender, amount=amount, ready_at=ready_at)
    return ready_at


@external
def withdraw_unbonded() -> uint256:
    """
    @notice Sends the caller every matured unbonding entry (oldest first, at most
            `MAX_PAYOUTS_PER_CALL` entries per call).
    @return The amount of X sent.
    """
    head: uint256 = self.unbonding_head[msg.sender]
    tail: uint256 = self.unbonding_tail[msg.sender]
    total: uint256 = 0
    for _: uint256 in range(MAX_PAYOUTS_PER_CALL):
        if head == tail:
            break
        entry: Unbonding = self.unbondings[msg.sender][head]
        if entry.ready_at > block.timestamp:
            break
        total += entry.amount
        self.unbondings[msg.sender][head] = empty(Unbonding)
        head += 1
    self.unbonding_head[msg.sender] = head
    if total == 0:
        return 0
    self.unbonding_balance[msg.sender] -= total
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
    return self._stake_of(account, index) + self.unbonding_balance[account]


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
    unbonding: uint256 = self.unbonding_balance[account]
    return self._stake_of(account, index) + unbonding, unbonding


@view
@external
def withdrawable(account: address) -> uint256:
    """
    @notice Amount of `account`'s unbonding entries that have matured.
    """
    head: uint256 = self.unbonding_head[account]
    tail: uint256 = self.unbonding_tail[account]
    total: uint256 = 0
    for _: uint256 in range(MAX_PAYOUTS_PER_CALL):
        if head == tail:
            break
        entry: Unbonding = self.unbondings[account][head]
        if entry.ready_at > block.timestamp:
            break
        total += entry.amount
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
    balance: uint256 = self._stake_of(delegator.address, self.reward_index) + self.unbonding_balance[delegator.address]
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
    units: uint256 = self.stake_units[delegator] * bps // BPS
    loss: uint256 = units * self.reward_index // INDEX_ONE
    self.stake_units[delegator] -= units
    self.total_stake_units -= units
    # Unbonding stake is still at stake until it is paid out (as on real chains).
    head: uint256 = self.unbonding_head[delegator]
    tail: uint256 = self.unbonding_tail[delegator]
    unbonding_loss: uint256 = 0
    for _: uint256 in range(MAX_SLASHED_ENTRIES):
        if head == tail:
            break
        entry: Unbonding = self.unbondings[delegator][head]
        cut: uint256 = entry.amount * bps // BPS
        self.unbondings[delegator][head].amount = entry.amount - cut
        unbonding_loss += cut
        head += 1
    self.unbonding_balance[delegator] -= unbonding_loss
    self.slashed_total += loss + unbonding_loss
    log Slashed(delegator=delegator, amount=loss + unbonding_loss)
    if push_report and delegator.is_contract:
        balance: uint256 = self._stake_of(delegator, self.reward_index) + self.unbonding_balance[delegator]
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
    self.apr_bps = apr_bps_
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
