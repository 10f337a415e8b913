# pragma version 0.4.3
# pragma optimize codesize
"""
@title LiquidStaking
@custom:contract-name LiquidStaking
@license MIT
@notice Liquid staking token over a base asset X: ERC-20 + EIP-2612 + ERC-4626.
        Staked X is delegated to a staking backend; backend gains are streamed
        linearly over as long as they took to accrue (at least a reward cycle);
        losses apply at once: a slash of the unbonding the unstake queue counts
        on to the queue, every other loss to the stakers.
        Unstaking is instant from the idle buffer (for a fee that stays with
        stakers and rises as the buffer falls below its target) or queued
        (shares burnt, amount fixed, FIFO, paid once the backend's unbonding
        delay has passed, less its share of the slashes of the queue's
        unbonding until its X is back in the buffer).
@custom:security - Internal accounting only: `totalAssets` = buffer + accounted
                   backend balance - rewards still streaming - X owed to the
                   unfunded queue. Transfers of X or LST to this contract change
                   nothing.
                 - Counted gains are capped at `max_apr_bps` of total assets for
                   the time they took, and stream over at least that time, so the
                   rate grows at most `max_apr_bps` a year and a late sync cannot
                   be captured by a late depositor.
                 - Virtual shares and assets (10^6 each) bound what anybody can do
                   to the share price of a near-empty LST: a depositor loses at most
                   one share's worth to rounding, and raising that by 1 X costs an
                   attacker at least 10^6 X given away. Below a rate of 1 (after
                   losses) shares are priced pro rata, so all of them together are
                   never worth more than the LST holds.
                 - The instant fee is an integral along the buffer level: splitting
                   an exit does not make it cheaper, and emptying the buffer costs
                   up to `max_instant_fee_bps` at the margin.
                 - A queued request is paid only once its `ready_at` has passed: the
                   backend's unbonding delay from filing at least, or later when the
                   request ahead of it or the latest unbonding the LST asked for
                   (`unbonding_ready_at`) matures later. So the queue is never a
                   fee-free instant exit.
                 - The queue's cover: X counted for a queued request is only ever held
                   in the buffer or in unbonding that matures by the request's
                   `ready_at`. A filing first lets matured unbonding land, then is
                   covered by new unbonding of the stake (then free unbonding, the
                   buffer only for the rest, set aside for it at once); paybacks are
                   taken from the queue's unbonding first and set aside for requests in
                   FIFO order as they land, due or not, so a slash reaches only requests
                   whose X is still unbonding; a slash of the queue's unbonding comes
                   off its liability in full (never netted against uncounted rewards),
                   so no loss makes the buffer's part grow; what the buffer holds for
                   the queue is never unbonded again, delegated or open to instant exits.
                 - Every state-changing entry point holds one lock (transient
                   storage) and views revert while it is held; every rounding
                   favours the stakers who stay; products use 512-bit `mul_div`.
                 - Parameters and the treasury are written by the immutable `governor`
                   only (`StakingGovernor`: the owner announces bounded changes, anybody
                   applies them after its `PARAMETER_DELAY`); this contract has no owner
                   of its own (snekmate's `ownable` stays for its ERC-20 module, no
                   owner function exported).
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC4626
from snekmate.auth import ownable
from snekmate.tokens import erc20
from snekmate.utils import math
from interfaces import IStakingBackend
from . import share_pricing
from interfaces import IBackendReportReceiver

implements: IERC4626
implements: IBackendReportReceiver

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

YEAR: constant(uint256) = 365 * 86_400
BPS: constant(uint256) = 10_000
# Scale of the queue's loss factor.
RAY: constant(uint256) = 10**27
MAX_UINT: constant(uint256) = max_value(uint256)

# The six parameters share one storage slot, 32 bits each (parameter i at bit 32 i), so an instant exit
# reads its three (fee, ceiling, target) and a reward sync its three in one cold read. The governor keeps
# every value within its bounds (all under 2^32), and `set_parameter` refuses one past 32 bits.
PARAM_REWARD_CYCLE: constant(uint256) = 0
PARAM_MAX_APR: constant(uint256) = 1
PARAM_PROTOCOL_FEE: constant(uint256) = 2
PARAM_INSTANT_FEE: constant(uint256) = 3
PARAM_MAX_INSTANT_FEE: constant(uint256) = 4
PARAM_TARGET_BUFFER: constant(uint256) = 5
PARAM_COUNT: constant(uint256) = 6
PARAM_BITS: constant(uint256) = 32
PARAM_MASK: constant(uint256) = 2**32 - 1

DEFAULT_REWARD_CYCLE: constant(uint256) = 86_400
DEFAULT_MAX_APR_BPS: constant(uint256) = 2_000
DEFAULT_PROTOCOL_FEE_BPS: constant(uint256) = 1_000
# The instant fee at or above the target buffer, and its ceiling as the buffer empties (default 0.5%:
# emptying the buffer from its target costs 3x the flat fee).
DEFAULT_INSTANT_FEE_BPS: constant(uint256) = 10
DEFAULT_MAX_INSTANT_FEE_BPS: constant(uint256) = 50
DEFAULT_TARGET_BUFFER_BPS: constant(uint256) = 1_000

# The reward stream's slot: its amount in the low 176 bits (`_sync` counts at most the books' room, within
# BOOKS_MAX, far below STREAM_MAX), its start and end times above, 40 bits
# each. A timestamp stays below 2^39 until the year 19,000; an end is a timestamp plus at most the time
# since the last counted gain (another timestamp's worth), so it stays below 2^40 (a sync checks it: the
# shift would drop its high bits, and a stream that ends before it starts unlocks at once).
STREAM_MAX: constant(uint256) = 2**176 - 1
STREAM_START: constant(uint256) = 176
STREAM_END: constant(uint256) = 216
STREAM_TIME_MASK: constant(uint256) = 2**40 - 1

# A queued request's owner, due time and flags in one slot (`StoredRequest.owner_due`): the owner in the low
# 160 bits, `ready_at` in the 40 above (a filing checks it, as a sync checks a stream's end), above them
# whether the receiver is stored (REQUEST_RECEIVER) and whether a part is set aside apart
# (REQUEST_PAID_APART). A filing then writes 4 new slots at most (2 when it pays its owner with nothing set
# aside). A claim clears the slots its request wrote: their refunds pay for most of the claim, and below the
# next id a slot without an owner is a claimed request (every filing has one: no burn from the zero address).
# What a claimed request was and paid is in its two events (`UnstakeRequested`, `UnstakeClaimed`).
REQUEST_OWNER_MASK: constant(uint256) = 2**160 - 1
REQUEST_READY_AT: constant(uint256) = 160
# Set when the request's receiver is not its owner: only then is the receiver stored (most requests pay their
# owner: a filing writes two new slots, not three, and a claim reads the receiver's slot only when set).
REQUEST_RECEIVER: constant(uint256) = 2**201
# Set once part of a waiting request is set aside (at its filing, from the buffer, or by a partial funding of
# the queue's head): only then is `StoredRequest.paid` written. A filing with nothing set aside (the usual
# one, the stake covers it) writes two new slots.
REQUEST_PAID_APART: constant(uint256) = 2**202
# A request's `scaled` slot, once the queue funds it whole, holds what it pays instead (its `scaled` is no
# longer owed), with this mark: a funding writes a slot it has just read, not a zero one. `scaled` never
# reaches the mark: it is an amount within 128 bits (BOOKS_MAX) times RAY over a factor of at least 1, below
# 2^128 * 2^90 = 2^218. A request the head passed without funding it (`request_unstake`, when nothing
# waiting is worth a unit) has no mark: it pays what was set aside apart (or nothing).
REQUEST_FUNDED: constant(uint256) = 2**255
REQUEST_PAID_MASK: constant(uint256) = 2**128 - 1

# The LST's X in two slots of two 128-bit halves each: the buffer (low) with the accounted backend balance
# (`_funds`), the free unbonding (low) with the unbonding expected (`_unbonding`). Every transaction that
# prices the LST reads the four: two cold reads instead of four. Both slots are written only through
# `_set_funds` / `_set_unbonding`, which refuse a half past 128 bits ("lst: amount too large", `_check_half`)
# rather than drop its high bits. The bounds that keep every half whole:
# - buffer + accounted + queue_reserve <= BOOKS_MAX (so each is below 2^128; the reserve, X moved out of the
#   buffer for funded requests, counts too: it shares a slot with the loss factor, and would otherwise fill
#   its half while deposits refill the books). A deposit or mint past it is refused;
#   `maxDeposit` / `maxMint` answer the room left (`_room`, the accounted balance as stored: a loss not yet
#   applied would leave a deposit a little more). A sync counts a gain only up to it (the rest waits for later
#   syncs, as the APR cap's excess does; so a stream's amount stays far below STREAM_MAX); X paid back beyond
#   it stays in the contract uncounted, like X sent to it. A withdrawal, a funding and a delegation never
#   raise the sum, a loss lowers it. A queued request is worth at most the total assets, so within it too.
# - the free and the expected unbonding each <= BOOKS_MAX. The expected unbonding is what the LST asked to
#   unbond, and the LST asks at most the stake it counts (`_request_unbonding`: rewards it has not counted
#   stay staked), so the expected unbonding stays within the accounted balance; the free part is a part of it.
BOOKS_MAX: constant(uint256) = 2**128 - 1
BOOKS_HIGH: constant(uint256) = 128
# The queue's ids, its latest due times and the count of unbonding requests share a slot (`_ids`): the next
# request's id in the low 64 bits, the queue's head (`queue_head`) in the 64 above, `last_ready_at` in the 40
# above them (a filing checks it within 40 bits before it is stored), `unbonding_ready_at` in the 41 above
# (UNBONDING_READY_AT), the count in the high 47 (IDS_HIGH). A filing and a funding read and write the one
# slot for all five, and a payback that brings all the unbonding back zeroes the count without emptying the
# slot (the next filing would recreate it from zero). `unbonding_ready_at` is kept at most 2^40: a backend's
# `ready_at` past 40 bits (after the year 36,000) is kept as 2^40, which no filing accepts either (a request's
# `ready_at` is at least it, and past 40 bits a filing reverts). No other field can reach its bound: each step
# of a count is a transaction (2^47 would take far more gas than any chain has run), and the head never
# passes the next id. Each field is read by shifting the others out, and moved by adding its rise at its
# position, unchecked (`unsafe_add`, `unsafe_sub`: each site's rise is never negative and never carries past
# its field, as said at each; the LST has no code room for checks that cannot fail).
QUEUE_HEAD: constant(uint256) = 64
LAST_READY_AT: constant(uint256) = 128
UNBONDING_READY_AT: constant(uint256) = 168
IDS_HIGH: constant(uint256) = 209
# 256 less 64 (an id's width), less 40 (a time's), less 41, less the next field's position: the bits shifted out.
ID_LOW: constant(uint256) = 192
TIME_LOW: constant(uint256) = 216
UNBONDING_LOW: constant(uint256) = 215
BELOW_UNBONDING: constant(uint256) = 88
BELOW_COUNT: constant(uint256) = 47

# Requests funded by one call; later ones wait for the next call (which keeps what this one did).
MAX_FUNDED_PER_CALL: constant(uint256) = 64


# What `requests` returns; storage holds a `StoredRequest`. What a request was worth at its filing is in its
# `UnstakeRequested` event (storage does not keep it: a filing writes one slot less).
struct UnstakeRequest:
    owner: address
    receiver: address
    # The part not set aside yet, in loss-factor units: worth `scaled * loss_factor / RAY` (0 once funded).
    scaled: uint256
    ready_at: uint256
    # X set aside so far (the request is funded, all of it set aside, once its id is below `queue_head`).
    paid: uint256
    claimed: bool


# An `UnstakeRequest` as stored: its owner, `ready_at` and flags packed (see REQUEST_READY_AT), its receiver
# only when it is not the owner (see REQUEST_RECEIVER), its `scaled` (or, funded, what it pays: see
# REQUEST_FUNDED), and the part set aside while it waits only when there is one (see REQUEST_PAID_APART).
struct StoredRequest:
    owner_due: uint256
    receiver: address
    scaled: uint256
    paid: uint256


struct Cover:
    # The queue's cover as it stands: the part of the backend's unbonding the queue counts
    # on, the part of the queue's liability the buffer must hold, and the unbonding the
    # queue does not count on.
    in_flight: uint256
    held: uint256
    free: uint256


struct Books:
    # The LST's accounts as they are once a pending backend loss is applied.
    total_assets: uint256
    accounted: uint256
    locked: uint256
    loss_factor: uint256
    loss: uint256
    # The unbonding the LST expects back and the part the queue does not count on.
    unbonding: uint256
    free_unbonding: uint256
    # The backend's unbonding balance as read, for the queue's cover (one read per computation).
    backend_unbonding: uint256


asset: public(immutable(address))
# The only address that writes the parameters and the treasury (`set_parameter`, `set_treasury`).
governor: public(immutable(address))
backend: public(immutable(IStakingBackend))
# Smallest queued unstake (0.01 X): dust requests would slow the queue for everybody.
min_request: public(immutable(uint256))

# X held by this contract that belongs to stakers (the queue's funded X is apart, in `queue_reserve`), in the
# low half, and the backend balance (stake + unbonding) as counted so far (deposits, counted gains, losses) in
# the high half (see BOOKS_MAX; read them with `buffer` and `backend_accounted`).
_funds: uint256
# Current reward stream (net of protocol fee): `stream_amount` unlocks linearly from `stream_start` to
# `stream_end`, the three in one slot (see STREAM_MAX; read them with their getters below).
_stream: uint256
# Start of the period whose gains the next sync counts (APR cap and stream length).
last_gain_time: public(uint256)

# Unstake queue (read a request with `requests`).
_requests: HashMap[uint256, StoredRequest]
# The next request's id, the queue's head (requests below it are funded) and the count of unbonding requests
# (see below) and the latest `ready_at` a request was given, packed (see ID_LOW; read them with
# `next_request_id`, `queue_head`, `unbonding_requests` and `last_ready_at`).
_ids: uint256
# Sum of `scaled` over unfunded requests.
queue_scaled: public(uint256)
# The factor that losses shrink (RAY at deployment; at most RAY) in the low half, and the X held for funded,
# unclaimed requests (not part of `totalAssets`; with the books within BOOKS_MAX) in the high half: read them
# with `loss_factor` and `queue_reserve`. The factor is never zero, so the reserve filling from zero does
# not create a slot (a funding would pay 20,000 for it, every time the queue's claims emptied it).
_factor_reserve: uint256
# In the low half, unbonding at the backend that the queue does not count on (asked for the buffer's target).
# The rest of the unbonding covers the queue: paybacks take the queue's part first (`_cover`), and
# a slash cuts both parts alike (`_books`), so the queue never counts on X that has landed or is gone.
# In the high half, unbonding the LST asked the backend for, less the paybacks it pulled and the slashes it
# applied: whatever the backend's unbonding balance falls short of it was slashed. (See BOOKS_MAX; read
# them with `free_unbonding` and `unbonding_expected`.)
_unbonding: uint256
# The part of the free unbonding asked before all the unbonding the queue counts on: the backend pays
# entries in the order they were asked, so what lands is this part first (the buffer's), then the queue's.
free_ahead: public(uint256)
# Unbonding requests the LST made since all of its unbonding was last back (`unbonding_requests`, kept in the
# high bits of `_ids`): a bound on the backend entries a slash cuts, each rounding its cut down by less than a unit.
# The latest `ready_at` the backend gave for unbonding the LST asked for (`unbonding_ready_at`, kept in
# `_ids`): no request is due before unbonding the queue may count on can mature.

# Parameters (set by the governor, bounded and delayed there), packed (see PARAM_BITS); read them with their
# getters below.
_parameters: uint256
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

event InstantFeePaid:
    owner: indexed(address)
    fee: uint256

event RewardsSynced:
    backend_balance: uint256
    counted_gain: uint256
    fee_shares: uint256
    stream_amount: uint256
    stream_end: uint256

event LossApplied:
    loss: uint256
    queue_share: uint256
    loss_factor: uint256

event UnstakeRequested:
    request_id: indexed(uint256)
    owner: indexed(address)
    receiver: indexed(address)
    shares: uint256
    amount: uint256
    ready_at: uint256

event RequestFunded:
    request_id: indexed(uint256)
    amount: uint256

event UnstakeClaimed:
    request_id: indexed(uint256)
    owner: indexed(address)
    receiver: indexed(address)
    amount: uint256

event Delegated:
    amount: uint256

event UnbondingRequested:
    amount: uint256
    ready_at: uint256

event BackendPaidBack:
    amount: uint256

event ParameterApplied:
    parameter: indexed(uint256)
    value: uint256

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
    governor_: address,
):
    """
    @param asset_ The base asset X (6 to 18 decimals).
    @param backend_ The staking backend X is delegated to.
    @param treasury_ Receiver of the protocol fee shares.
    @param name_ LST name (also the EIP-712 domain name).
    @param symbol_ LST symbol.
    @param decimals_ Decimals of X; the LST uses the same.
    @param governor_ The `StakingGovernor` that writes the parameters and the treasury.
    """
    assert asset_.address != empty(address), "lst: zero asset"
    assert backend_.address != empty(address), "lst: zero backend"
    assert treasury_ != empty(address), "lst: zero treasury"
    assert governor_ != empty(address), "lst: zero governor"
    assert decimals_ >= 6 and decimals_ <= 18, "lst: unsupported decimals"
    ownable.__init__()
    erc20.__init__(name_, symbol_, decimals_, name_, "1")
    asset = asset_.address
    governor = governor_
    backend = backend_
    min_request = 10 ** convert(decimals_, uint256) // 100
    self.treasury = treasury_
    self._parameters = (
        DEFAULT_REWARD_CYCLE << PARAM_BITS * PARAM_REWARD_CYCLE
        | DEFAULT_MAX_APR_BPS << PARAM_BITS * PARAM_MAX_APR
        | DEFAULT_PROTOCOL_FEE_BPS << PARAM_BITS * PARAM_PROTOCOL_FEE
        | DEFAULT_INSTANT_FEE_BPS << PARAM_BITS * PARAM_INSTANT_FEE
        | DEFAULT_MAX_INSTANT_FEE_BPS << PARAM_BITS * PARAM_MAX_INSTANT_FEE
        | DEFAULT_TARGET_BUFFER_BPS << PARAM_BITS * PARAM_TARGET_BUFFER
    )
    self._factor_reserve = RAY
    self._stream = block.timestamp << STREAM_START | block.timestamp << STREAM_END
    self.last_gain_time = block.timestamp


# ---------------------------------------------------------------- lock


@internal
def _enter():
    self._check_not_entered()
    self._lock = True


@internal
def _exit():
    self._lock = False


@view
@internal
def _check_not_entered():
    # Views revert mid-call so nobody can read a half-updated exchange rate.
    assert not self._lock, "lst: reentrant call"


@pure
@internal
def _check_amount(amount: uint256, receiver: address, in_shares: bool):
    # Written once for every entry point that takes an amount and a receiver (a revert
    # string inline costs its bytes at each site; the LST has little code room).
    if in_shares:
        assert amount != 0, "lst: zero shares"
    else:
        assert amount != 0, "lst: zero assets"
    assert receiver != empty(address), "lst: zero receiver"


# ---------------------------------------------------------------- packed books


@view
@internal
def _buffer() -> uint256:
    return self._funds << BOOKS_HIGH >> BOOKS_HIGH


@view
@internal
def _room() -> uint256:
    # What the buffer and the accounted balance may still grow by together, the funded requests' reserve
    # counted with them (see BOOKS_MAX).
    funds: uint256 = self._funds
    reserve: uint256 = self._factor_reserve >> BOOKS_HIGH
    return BOOKS_MAX - (funds << BOOKS_HIGH >> BOOKS_HIGH) - (funds >> BOOKS_HIGH) - reserve


@pure
@internal
def _check_half(amount: uint256):
    # Written once for both slots (see BOOKS_MAX): a half past 128 bits would spill into the other.
    assert amount >> BOOKS_HIGH == 0, "lst: amount too large"


@internal
def _set_funds(buffer: uint256, accounted: uint256):
    # Each writer keeps the sum within BOOKS_MAX (see there): checked here, so no half can spill into the other.
    self._check_half(buffer + accounted + (self._factor_reserve >> BOOKS_HIGH))
    self._funds = buffer | accounted << BOOKS_HIGH


@internal
def _set_accounted(accounted: uint256):
    self._set_funds(self._buffer(), accounted)


@internal
def _add_buffer(added: uint256, taken: uint256):
    # The buffer plus `added` less `taken` (an underflow reverts), the accounted balance as it is.
    funds: uint256 = self._funds
    self._set_funds((funds << BOOKS_HIGH >> BOOKS_HIGH) + added - taken, funds >> BOOKS_HIGH)


@internal
def _set_unbonding(free: uint256, expected: uint256):
    # Both within 128 bits exactly when the two together are.
    self._check_half(free | expected)
    self._unbonding = free | expected << BOOKS_HIGH


# ---------------------------------------------------------------- math


@pure
@internal
def _mul_div_saturating(x: uint256, y: uint256, d: uint256) -> uint256:
    """
    @dev x * y / d rounded down, or max_value(uint256) when that does not fit.
    """
    if y > d and x > math._mul_div(MAX_UINT, d, y, False):
        return MAX_UINT
    return math._mul_div(x, y, d, False)


# ---------------------------------------------------------------- accounting


@view
@internal
def _locked_rewards() -> uint256:
    stream: uint256 = self._stream
    end: uint256 = stream >> STREAM_END
    if block.timestamp >= end:
        return 0
    start: uint256 = stream >> STREAM_START & STREAM_TIME_MASK
    amount: uint256 = stream & STREAM_MAX
    # Unlocked part rounds down, so the locked part rounds up.
    unlocked: uint256 = math._mul_div(amount, block.timestamp - start, end - start, False)
    return amount - unlocked


@view
@internal
def _queue_liability(scaled: uint256, factor: uint256) -> uint256:
    # Rounded up: the queue is never owed less than the requests will be paid.
    return math._mul_div(scaled, factor, RAY, True)


@view
@internal
def _books() -> Books:
    """
    @dev The accounts with a pending backend loss applied, exactly as `_apply_loss`
         writes them. A slash of the unbonding the queue counts on is the queue's own
         loss, certain whatever else the backend holds: it comes off the queue's
         liability (the loss factor) and off `backend_accounted` in full, never netted
         against rewards the LST has not counted yet, and the part of the liability the
         buffer holds stays exactly as it was (so a slash can never make the buffer owe
         the queue X that instant exits may already have taken). Any other loss (of the
         stake, of the free unbonding, net of uncounted rewards) falls on the stakers:
         the queue's X is only ever in the buffer or in unbonding.
    """
    funds: uint256 = self._funds
    accounted: uint256 = funds >> BOOKS_HIGH
    factor: uint256 = self._factor_reserve << BOOKS_HIGH >> BOOKS_HIGH
    free: uint256 = self._unbonding << BOOKS_HIGH >> BOOKS_HIGH
    expected: uint256 = self._unbonding >> BOOKS_HIGH
    current: uint256 = 0
    unbonding: uint256 = 0
    current, unbonding = staticcall backend.balances(self)
    scaled: uint256 = self.queue_scaled
    liability: uint256 = self._queue_liability(scaled, factor)
    loss: uint256 = 0
    if unbonding < expected:
        drop: uint256 = expected - unbonding
        in_flight: uint256 = min(expected - min(free, expected), liability)
        # The backend cuts every entry alike, each rounding its cut down: the queue's unbonding may
        # have lost up to a unit per entry more than its share of the cut, so it is charged that too.
        queue_cut: uint256 = min(
            math._mul_div(drop, in_flight, expected, True) + (self._ids >> IDS_HIGH), in_flight
        )
        if queue_cut != 0:
            # Rounded down: the queue's liability falls by at least its cut.
            factor = max(math._mul_div(factor, liability - queue_cut, liability, False), 1)
        cut_liability: uint256 = self._queue_liability(scaled, factor)
        # The queue counts on its unbonding less exactly what its liability lost.
        in_flight -= min(in_flight, liability - cut_liability)
        free = unbonding - min(in_flight, unbonding)
        liability = cut_liability
        loss = queue_cut
        accounted -= min(queue_cut, accounted)
        expected = unbonding
    if current < accounted:
        loss += accounted - current
        accounted = current
    pool: uint256 = (funds << BOOKS_HIGH >> BOOKS_HIGH) + accounted
    locked: uint256 = self._locked_rewards()
    # Only a loss larger than everything unlocked can make the stream unpayable.
    room: uint256 = pool - min(liability, pool)
    locked = min(locked, room)
    return Books(
        total_assets=room - locked,
        accounted=accounted,
        locked=locked,
        loss_factor=factor,
        loss=loss,
        unbonding=expected,
        free_unbonding=free,
        backend_unbonding=unbonding,
    )


@view
@internal
def _total_assets() -> uint256:
    return self._books().total_assets


@view
@internal
def _entry_assets() -> uint256:
    """
    @dev What deposits and mints are priced at: the book value, rewards still streaming
         included. A new share pays for its part of the locked stream, so a deposit
         never dilutes what the holders before it were already owed (the book value per
         share, which markets liquidate at, cannot be pushed down by depositing).
    """
    books: Books = self._books()
    return books.total_assets + books.locked


@internal
def _apply_loss() -> Books:
    """
    @dev Applies a backend loss (slashing) as `_books` sees it. The views already
         include it, so whoever calls first changes nothing anybody is paid.
    @return The books applied: what `_books` reads once they are written (the loss is
            then none, the factor, accounts, unbonding and stream those written), so an
            entry point prices with them instead of asking the backend again.
    """
    books: Books = self._books()
    expected: uint256 = self._unbonding >> BOOKS_HIGH
    if books.loss == 0 and books.unbonding == expected:
        return books
    old_liability: uint256 = self._liability()
    new_liability: uint256 = self._queue_liability(self.queue_scaled, books.loss_factor)
    if books.unbonding != expected:
        # The slash cut the entries ahead like all others, each rounding its cut down: rounded down and
        # less a unit per entry, so no X of the queue's is ever counted as the buffer's when it lands.
        ahead: uint256 = math._mul_div(self.free_ahead, books.unbonding, expected, False)
        self.free_ahead = min(ahead - min(ahead, self._ids >> IDS_HIGH), books.free_unbonding)
    # A loss only lowers the accounted balance, and the unbonding only falls to the backend's (below what
    # was expected): both bounds hold.
    self._set_accounted(books.accounted)
    self._factor_reserve = self._factor_reserve >> BOOKS_HIGH << BOOKS_HIGH | books.loss_factor
    self._set_unbonding(books.free_unbonding, books.unbonding)
    if books.loss == 0:
        return books
    if books.locked < self._locked_rewards():
        # The loss ate into the stream itself: what is left of it (less than the amount) keeps the end.
        kept_end: uint256 = self._stream >> STREAM_END << STREAM_END
        self._stream = kept_end | block.timestamp << STREAM_START | books.locked
    log LossApplied(loss=books.loss, queue_share=old_liability - new_liability, loss_factor=books.loss_factor)
    return books


@pure
@internal
def _check_stakable(priced_assets: uint256):
    # Only after a loss of everything: new X must not buy into worthless shares.
    assert priced_assets != 0, "lst: nothing left to stake into"


@view
@internal
def _to_shares(assets: uint256, total_assets: uint256, roundup: bool) -> uint256:
    priced_assets: uint256 = 0
    priced_shares: uint256 = 0
    priced_assets, priced_shares = share_pricing._priced(total_assets, erc20.totalSupply)
    self._check_stakable(priced_assets)
    return math._mul_div(assets, priced_shares, priced_assets, roundup)


@view
@internal
def _to_assets(shares: uint256, total_assets: uint256, roundup: bool) -> uint256:
    priced_assets: uint256 = 0
    priced_shares: uint256 = 0
    priced_assets, priced_shares = share_pricing._priced(total_assets, erc20.totalSupply)
    return math._mul_div(shares, priced_assets, priced_shares, roundup)


# ---------------------------------------------------------------- instant fee


@view
@internal
def _target(total_assets: uint256) -> uint256:
    return math._mul_div(total_assets, (self._parameters >> PARAM_BITS * PARAM_TARGET_BUFFER & PARAM_MASK), BPS, False)


@pure
@internal
def _deficit_integral(level: uint256, amount: uint256, target: uint256) -> uint256:
    """
    @dev Integral of the buffer's deficit fraction max(0, (target - x) / target) for x
         from `level - amount` to `level`, rounded up; any part below zero counts as 1.
    """
    beyond: uint256 = 0
    inside: uint256 = amount
    if amount > level:
        beyond = amount - level
        inside = level
    low: uint256 = level - inside
    if target == 0 or low >= target:
        return beyond
    high: uint256 = min(level, target)
    deficit_high: uint256 = target - high
    deficit_low: uint256 = target - low
    # The deficit is linear in x: the integral is the width times the mean deficit (rounded up).
    mean: uint256 = deficit_high // 2 + deficit_low // 2 + (deficit_high % 2 + deficit_low % 2 + 1) // 2
    return math._mul_div(high - low, mean, target, True) + beyond


@view
@internal
def _fee_along(level: uint256, amount: uint256, target: uint256) -> uint256:
    """
    @dev Instant fee for taking `amount` out of a buffer at `level`: the base rate on
         all of it plus the extra rate, growing linearly from 0 at the target to its
         ceiling at an empty buffer, integrated over the range drained. Rounded up.
    """
    base: uint256 = (self._parameters >> PARAM_BITS * PARAM_INSTANT_FEE & PARAM_MASK)
    fee: uint256 = math._mul_div(amount, base, BPS, True)
    extra: uint256 = (self._parameters >> PARAM_BITS * PARAM_MAX_INSTANT_FEE & PARAM_MASK) - base
    if extra == 0:
        return fee
    return fee + math._mul_div(self._deficit_integral(level, amount, target), extra, BPS, True)


@view
@internal
def _cover() -> Cover:
    """
    @dev The queue's cover as the books stand, against the backend's unbonding balance now.
    """
    return self._cover_of(self._liability(), self._unbonding << BOOKS_HIGH >> BOOKS_HIGH, staticcall backend.unbonding_balance(self))


@pure
@internal
def _cover_of(liability: uint256, free_unbonding: uint256, unbonding: uint256) -> Cover:
    """
    @dev Splits the queue's `liability` between the `unbonding` it counts on and what the
         buffer must hold. Whatever unbonding has landed or been slashed is taken from
         the queue's part first (the free part is capped at what is left), so the queue
         counts only on X still on its way; unbonding beyond the liability is free.
    """
    in_flight: uint256 = min(unbonding - min(free_unbonding, unbonding), liability)
    return Cover(in_flight=in_flight, held=liability - in_flight, free=unbonding - in_flight)


@view
@internal
def _exit_room(books: Books) -> uint256:
    """
    @dev The part of the buffer instant exits may take: what the buffer holds beyond the
         queue's part (the queue's liability less the unbonding it counts on), so instant
         exits can never delay a request; the instant fee sees the same smaller buffer.
    """
    buffer: uint256 = self._buffer()
    return buffer - min(buffer, self._books_cover(books).held)


@view
@internal
def _books_cover(books: Books) -> Cover:
    # The queue's cover as `books` see it (a pending loss applied).
    return self._cover_of(
        self._queue_liability(self.queue_scaled, books.loss_factor), books.free_unbonding, books.backend_unbonding
    )


@view
@internal
def _exit_fee(amount: uint256, books: Books) -> uint256:
    """
    @dev Fee on an exit that drains `amount` from the buffer, against the target of the
         LST as it is after the exit: a smaller LST has a smaller target, so an exit in
         pieces sees larger targets (and deficits) for its first pieces and never pays
         less than the same exit at once.
    """
    total_assets: uint256 = books.total_assets
    return self._fee_along(self._exit_room(books), amount, self._target(total_assets - min(amount, total_assets)))


@view
@internal
def _preview_withdraw(assets: uint256, books: Books) -> uint256:
    # Exactly `assets` leaves the buffer; the fee is integrated over that range.
    return self._to_shares(assets + self._exit_fee(assets, books), books.total_assets, True)


@view
@internal
def _net_of_fee(gross: uint256, books: Books) -> uint256:
    # The fee on a redemption is integrated over its gross value (a little more than
    # what leaves the buffer, in the stakers' favour).
    fee: uint256 = self._exit_fee(gross, books)
    return gross - min(fee, gross)


@view
@internal
def _preview_redeem(shares: uint256, books: Books) -> uint256:
    return self._net_of_fee(self._to_assets(shares, books.total_assets, False), books)


@view
@internal
def _max_withdraw(owner: address, books: Books) -> uint256:
    """
    @dev An `assets` with `assets <= buffer` and `previewWithdraw(assets) <= balance` (the
         withdraw then costs at most gross, the value of the owner's shares), at most the
         largest by the fee's slope: with m = min(gross, buffer), gross less the fee on m
         passes that test when the balance, not the buffer, is the limit, and is below the
         largest (the fee on the withdrawn amount is less than on m); else the fee on m
         against the largest target any exit sees gives a bound that always does.
    """
    buffer: uint256 = self._exit_room(books)
    gross: uint256 = self._to_assets(erc20.balanceOf[owner], books.total_assets, False)
    reach: uint256 = min(gross, buffer)
    fee: uint256 = self._exit_fee(reach, books)
    if fee < gross:
        candidate: uint256 = min(buffer, gross - fee)
        if candidate + self._exit_fee(candidate, books) <= gross:
            return candidate
    fee = self._fee_along(buffer, reach, self._target(books.total_assets))
    if fee >= gross:
        return 0
    return min(buffer, gross - fee)


@view
@internal
def _max_instant_shares(books: Books) -> uint256:
    # No assets left: shares are worth nothing (and, with shares out, there is no price to convert
    # at: a max view must not revert), so none can be redeemed.
    if books.total_assets == 0:
        return 0
    # Redeeming at most the buffer's worth of shares always fits in the buffer after the fee.
    return self._to_shares(self._exit_room(books), books.total_assets, False)


@view
@internal
def _max_redeem(owner: address, books: Books) -> uint256:
    shares: uint256 = min(erc20.balanceOf[owner], self._max_instant_shares(books))
    # Shares whose net value rounds to nothing cannot be redeemed (`redeem` refuses a
    # zero payout), and a max view never overstates what succeeds.
    if shares == 0 or self._preview_redeem(shares, books) == 0:
        return 0
    return shares


@view
@internal
def _max_entry(in_shares: bool) -> uint256:
    """
    @dev The largest deposit (in X) or mint (`in_shares`) the bounds allow: the buffer plus the
         backend balance within BOOKS_MAX, and the supply plus the virtual shares within 256 bits.
         A pending loss lowers the accounted balance a deposit sees: the room is then a little
         larger than this answers (never smaller).
    """
    room_assets: uint256 = self._room()
    room_shares: uint256 = MAX_UINT - erc20.totalSupply - share_pricing.VIRTUAL_SHARES
    priced_assets: uint256 = 0
    priced_shares: uint256 = 0
    priced_assets, priced_shares = share_pricing._priced(self._entry_assets(), erc20.totalSupply)
    if priced_assets == 0:
        return 0
    most_shares: uint256 = min(room_shares, self._mul_div_saturating(room_assets, priced_shares, priced_assets))
    # A room that buys no share (less than one share's price) is no room: `deposit` of it reverts "lst: zero
    # shares", so `maxDeposit` answers 0 (ERC-4626: never more than `deposit` accepts).
    if in_shares or most_shares == 0:
        return most_shares
    return min(room_assets, self._mul_div_saturating(room_shares, priced_assets, priced_shares))


# ---------------------------------------------------------------- transfers


@internal
def _send_x(receiver: address, amount: uint256):
    self._check_transfer(extcall IERC20(asset).transfer(receiver, amount, default_return_value=True))


@pure
@internal
def _check_transfer(ok: bool):
    assert ok, "lst: transfer failed"


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
def book_value(shares: uint256) -> uint256:
    """
    @notice X worth `shares` counting the rewards still streaming, rounded down: what
            they are worth once the stream has unlocked, barring losses. Markets use it
            to decide liquidations, so a late reward sync, whose gain streams over as
            long as it took to accrue, cannot make a borrower liquidatable for rewards
            the LST has already counted.
    """
    self._check_not_entered()
    return self._to_assets(shares, self._entry_assets(), False)


@view
@external
def share_prices() -> (uint256, uint256, uint256):
    """
    @notice What shares are priced from now, in one read for a caller that needs several
            conversions: (total assets, rewards still streaming, total supply). Conversions
            and exits price at the total assets, deposits and mints at the two together,
            each as `pricing._priced` says.
    """
    self._check_not_entered()
    books: Books = self._books()
    return books.total_assets, books.locked, erc20.totalSupply


@view
@external
def maxDeposit(receiver: address) -> uint256:
    """
    @notice Staking has no cap but the books' bound: the largest deposit that buys a share with the buffer,
            the accounted backend balance and the funded requests' reserve within 2^128 - 1 (0 if the room
            left buys no share).
    """
    self._check_not_entered()
    return self._max_entry(False)


@view
@external
def maxMint(receiver: address) -> uint256:
    """
    @notice Staking has no cap but the books' bound: the largest mint with the buffer, the accounted
            backend balance and the funded requests' reserve within 2^128 - 1.
    """
    self._check_not_entered()
    return self._max_entry(True)


@view
@external
def previewDeposit(assets: uint256) -> uint256:
    """
    @notice Shares `deposit(assets)` mints now (rounded down), priced at the book
            value: at most `convertToShares(assets)` while rewards are streaming.
    """
    self._check_not_entered()
    return self._to_shares(assets, self._entry_assets(), False)


@view
@external
def previewMint(shares: uint256) -> uint256:
    """
    @notice X `mint(shares)` takes now (rounded up), priced at the book value.
    """
    self._check_not_entered()
    return self._to_assets(shares, self._entry_assets(), True)


@view
@external
def maxWithdraw(owner: address) -> uint256:
    """
    @notice X `owner` can surely take out instantly: their balance after the instant
            fee on all of it, limited by the idle buffer. A lower bound (ERC-4626's rule):
            `withdraw` takes any amount the buffer holds whose `previewWithdraw` fits the
            balance, a little more when the fee's slope is steep.
    """
    self._check_not_entered()
    return self._max_withdraw(owner, self._books())


@view
@external
def maxRedeem(owner: address) -> uint256:
    """
    @notice Largest number of shares `owner` can redeem instantly (at most the
            buffer's worth, so it may be a little below the exact limit).
    """
    self._check_not_entered()
    return self._max_redeem(owner, self._books())


@view
@external
def previewWithdraw(assets: uint256) -> uint256:
    """
    @notice Shares burnt by `withdraw(assets)` now, instant fee included (rounded up).
    """
    self._check_not_entered()
    return self._preview_withdraw(assets, self._books())


@view
@external
def previewRedeem(shares: uint256) -> uint256:
    """
    @notice X paid by `redeem(shares)` now, after the instant fee (rounded down).
    """
    self._check_not_entered()
    return self._preview_redeem(shares, self._books())


@view
@external
def max_instant_redeem() -> uint256:
    """
    @notice The most shares anybody can redeem instantly now (the buffer's worth).
    """
    self._check_not_entered()
    return self._max_instant_shares(self._books())


# ---------------------------------------------------------------- staking


@internal
def _deposit(caller: address, receiver: address, assets: uint256, shares: uint256):
    erc20._mint(receiver, shares)
    # Refused past BOOKS_MAX (`_set_funds`), before any X moves.
    self._add_buffer(assets, 0)
    log Deposit(sender=caller, owner=receiver, assets=assets, shares=shares)
    self._check_transfer(extcall IERC20(asset).transferFrom(caller, self, assets, default_return_value=True))


@external
def deposit(assets: uint256, receiver: address = msg.sender) -> uint256:
    """
    @notice Stakes `assets` of X and mints LST shares to `receiver`, priced at the book
            value (rewards still streaming included: a new share pays for its part).
    @param assets Amount of X pulled from the caller.
    @param receiver Receiver of the shares.
    @return The shares minted.
    """
    self._enter()
    self._check_amount(assets, receiver, False)
    books: Books = self._apply_loss()
    shares: uint256 = self._to_shares(assets, books.total_assets + books.locked, False)
    self._check_amount(shares, receiver, True)
    self._deposit(msg.sender, receiver, assets, shares)
    self._exit()
    return shares


@external
def mint(shares: uint256, receiver: address = msg.sender) -> uint256:
    """
    @notice Mints exactly `shares` to `receiver` for their book value (rounded up).
    @param shares Shares to mint.
    @param receiver Receiver of the shares.
    @return The X pulled from the caller.
    """
    self._enter()
    self._check_amount(shares, receiver, True)
    books: Books = self._apply_loss()
    assets: uint256 = self._to_assets(shares, books.total_assets + books.locked, True)
    # Rounded up, shares cost nothing only at a book value of 0 (after a loss of everything): the same
    # refusal as `deposit`'s, or new shares would come free and take any value that came back.
    self._check_stakable(assets)
    self._deposit(msg.sender, receiver, assets, shares)
    self._exit()
    return assets


@internal
def _withdraw(caller: address, receiver: address, owner: address, assets: uint256, shares: uint256, fee: uint256):
    if caller != owner:
        erc20._spend_allowance(owner, caller, shares)
    erc20._burn(owner, shares)
    # Only the net amount leaves the buffer: the fee stays with the stakers.
    self._add_buffer(0, assets)
    log Withdraw(sender=caller, receiver=receiver, owner=owner, assets=assets, shares=shares)
    log InstantFeePaid(owner=owner, fee=fee)
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
    self._check_amount(assets, receiver, False)
    books: Books = self._apply_loss()
    # The two limits themselves, not `maxWithdraw` (a lower bound: it charges the fee on the
    # owner's whole value, more than on `assets`), so that what `previewWithdraw` prices within
    # the owner's balance goes through. The buffer first: no amount beyond it is priced.
    within: bool = assets <= self._exit_room(books)
    fee: uint256 = 0
    shares: uint256 = 0
    if within:
        fee = self._exit_fee(assets, books)
        shares = self._to_shares(assets + fee, books.total_assets, True)
    assert within and shares <= erc20.balanceOf[owner], "lst: withdraw exceeds max"
    self._withdraw(msg.sender, receiver, owner, assets, shares, fee)
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
    self._check_amount(shares, receiver, True)
    books: Books = self._apply_loss()
    assert shares <= min(erc20.balanceOf[owner], self._max_instant_shares(books)), "lst: redeem exceeds max"
    gross: uint256 = self._to_assets(shares, books.total_assets, False)
    assets: uint256 = self._net_of_fee(gross, books)
    self._check_amount(assets, receiver, False)
    self._withdraw(msg.sender, receiver, owner, assets, shares, gross - assets)
    self._exit()
    return assets


# ---------------------------------------------------------------- unstake queue


@view
@internal
def _liability() -> uint256:
    return self._queue_liability(self.queue_scaled, self._factor_reserve << BOOKS_HIGH >> BOOKS_HIGH)


@internal
def _request_unbonding(keep: uint256, filing: bool) -> uint256:
    """
    @dev Asks the backend to unbond what the queue's cover lacks, then what the buffer
         lacks to its target beyond the unbonding the queue does not count on, in one
         request. The queue's part the buffer holds stays there, up to `keep` (at a
         filing: what it held before). A filing's new part is unbonded from the stake
         first, so the filer's X is at risk for the whole delay like any unbonding (were
         it covered by unbonding already on its way for the buffer, a filing made just
         before that lands would be out of reach of slashes at once, at the stakers'
         cost), then taken from the free unbonding, and the buffer holds the rest; upkeep
         takes the free unbonding first (it matures sooner). Every request is due no
         earlier than the unbonding matures (`unbonding_ready_at`). The buffer's shortfall
         below `min_request` waits (one backend entry per real need, not per wei); the
         queue's never does.
    @return The part of the queue's liability beyond `keep` that the buffer must hold.
    """
    cover: Cover = self._cover()
    buffer: uint256 = self._buffer()
    short: uint256 = cover.held - min(cover.held, min(buffer, keep))
    expected: uint256 = self._unbonding >> BOOKS_HIGH
    # Asked at most the stake the LST counts (the accounted balance less the expected unbonding): rewards it
    # has not counted stay staked until a sync counts them (streamed, under the APR cap). Were they unbonded, a
    # payback past the accounted balance would land them in the buffer at once, to be sandwiched. It also keeps
    # the expected unbonding within the accounted balance at each ask (a loss only lowers it): within 128 bits.
    accounted: uint256 = self._funds >> BOOKS_HIGH
    staked: uint256 = min(staticcall backend.staked_balance(self), accounted - min(expected, accounted))
    for_queue: uint256 = 0
    if filing:
        for_queue = min(short, staked)
    taken: uint256 = min(short - for_queue, cover.free)
    for_queue += min(short - for_queue - taken, staked - for_queue)
    # With none of the queue's unbonding on its way, all the free unbonding is ahead of what comes next;
    # what the queue takes of it may be the part ahead.
    ahead: uint256 = min(self.free_ahead, cover.free)
    if cover.in_flight == 0:
        ahead = cover.free
    self.free_ahead = ahead - min(taken, ahead)
    free: uint256 = cover.free - taken
    # What the buffer holds beyond the queue's part once this request is made.
    held: uint256 = cover.held - taken - for_queue
    room: uint256 = buffer - min(buffer, held)
    target: uint256 = self._target(self._total_assets())
    for_buffer: uint256 = min(target - min(target, room + free), staked - for_queue)
    if for_queue == 0 and for_buffer < min_request:
        for_buffer = 0
    amount: uint256 = for_queue + for_buffer
    self._set_unbonding(free + for_buffer, expected + amount)
    if amount != 0:
        self._ids += 1 << IDS_HIGH
        ready_at: uint256 = extcall backend.request_undelegate(amount)
        ids: uint256 = self._ids
        kept: uint256 = ids << BELOW_COUNT >> UNBONDING_LOW
        # The later of the two, at most 2^40 (see UNBONDING_READY_AT): a rise within the field's 41 bits.
        self._ids = unsafe_add(ids, unsafe_sub(max(kept, min(ready_at, 2**40)), kept) << UNBONDING_READY_AT)
        log UnbondingRequested(amount=amount, ready_at=ready_at)
    return short - taken - for_queue


@internal
def _set_aside(part: uint256, scaled: uint256, factor: uint256) -> uint256:
    """
    @dev Moves `part` X of a request worth `scaled` (in loss-factor units) from the
         buffer to the reserve, and returns what of `scaled` is left: the part's shares
         rounded up, so what is left is never worth more than the rest.
    """
    cut: uint256 = min(math._mul_div(part, RAY, factor, True), scaled)
    self.queue_scaled -= cut
    self._add_buffer(0, part)
    # `part` came out of the buffer (an underflow reverts above), so the shift keeps it whole, and the sum of
    # buffer, accounted balance and reserve, within BOOKS_MAX (see there), is what it was: no carry out.
    self._factor_reserve += part << BOOKS_HIGH
    return scaled - cut


@internal
def _process_queue():
    """
    @dev Pulls matured unbonding X back from the backend into the buffer, then funds
         the requests that are due: the queue is served first from every payback.
    """
    pulled: uint256 = extcall backend.withdraw_unbonded()
    if pulled != 0:
        accounted: uint256 = self._funds >> BOOKS_HIGH
        # Counted up to BOOKS_MAX: X paid back beyond what was accounted (it raises the sum) and past the bound
        # stays here uncounted, like X sent to the LST.
        room: uint256 = self._room() + min(pulled, accounted)
        accounted -= min(pulled, accounted)
        expected: uint256 = self._unbonding >> BOOKS_HIGH
        expected -= min(pulled, expected)
        # What lands is the free unbonding asked before the queue's first (it goes to the buffer), then the
        # queue's (`_cover`): a filing is never put out of reach of slashes by X landing for the buffer.
        landed_free: uint256 = min(pulled, self.free_ahead)
        self.free_ahead -= landed_free
        free: uint256 = self._unbonding << BOOKS_HIGH >> BOOKS_HIGH
        self._set_unbonding(free - min(landed_free, free), expected)
        if expected == 0:
            self._ids = self._ids << BELOW_COUNT >> BELOW_COUNT
        self._set_funds(self._buffer() + min(pulled, room), accounted)
        log BackendPaidBack(amount=pulled)
    # Then sets X aside for requests in FIFO order, each at what it is worth now (its amount less its share
    # of the slashes of the queue's unbonding since it was filed): a due request whole from anything the
    # buffer holds, else (due or not) in part from the X that has landed for the queue (the buffer's part of
    # the queue's liability) as soon as it lands, so no later slash of unbonding other requests count on can
    # reach X already back. A request is funded once all of it is set aside, and paid from its `ready_at`.
    # (Written here, not as a function of its own: the code room the defence mutants need.)
    ids: uint256 = self._ids
    head: uint256 = ids << LAST_READY_AT >> ID_LOW
    end: uint256 = ids << ID_LOW >> ID_LOW
    if head == end:
        return
    factor: uint256 = self._factor_reserve << BOOKS_HIGH >> BOOKS_HIGH
    held: uint256 = self._cover().held
    for _: uint256 in range(MAX_FUNDED_PER_CALL):
        if head == end:
            break
        scaled: uint256 = self._requests[head].scaled
        value: uint256 = math._mul_div(scaled, factor, RAY, False)
        owner_due: uint256 = self._requests[head].owner_due
        room: uint256 = held
        if owner_due >> REQUEST_READY_AT & STREAM_TIME_MASK <= block.timestamp and value <= self._buffer():
            room = value
        part: uint256 = min(value, room)
        # What is set aside never exceeds what the request is worth at its filing, within 128 bits (see
        # REQUEST_FUNDED).
        paid: uint256 = part
        if owner_due & REQUEST_PAID_APART != 0:
            paid += self._requests[head].paid
        if part != 0:
            scaled = self._set_aside(part, scaled, factor)
            held -= min(part, held)
        if part < value:
            if part != 0:
                self._requests[head].paid = paid
                self._requests[head].owner_due = owner_due | REQUEST_PAID_APART
            self._requests[head].scaled = scaled
            break
        # Funded: what its rounding left is no longer owed; its slot holds what it pays from now on.
        self.queue_scaled -= scaled
        self._requests[head].scaled = REQUEST_FUNDED | paid
        log RequestFunded(request_id=head, amount=paid)
        head += 1
    # The head only moves forward, up to the next id (nothing else writes the slot meanwhile).
    self._ids = unsafe_add(ids, unsafe_sub(head, ids << LAST_READY_AT >> ID_LOW) << QUEUE_HEAD)


@external
def process_queue():
    """
    @notice Pulls matured unbonding X back into the buffer and funds the requests that
            are due (permissionless; `rebalance` does this and more).
    """
    self._enter()
    self._apply_loss()
    self._process_queue()
    self._exit()


@external
def request_unstake(shares: uint256, receiver: address = msg.sender, owner: address = msg.sender) -> uint256:
    """
    @notice Queued unstake: burns `shares` now and fixes the X they are worth
            (rounded down, no fee). Paid to `receiver` in FIFO order once its `ready_at`
            has passed: the backend's unbonding delay from now, or later if the request
            before it is due later or unbonding the queue counts on matures later. Less
            the slash of the unbonding it counts on while it waits; it earns no rewards meanwhile.
    @param shares Shares to burn (worth at least `min_request`).
    @param receiver Receiver of the X; may claim it, as may `owner`.
    @param owner Owner of the shares (needs an allowance if not the caller).
    @return The request id.
    """
    self._enter()
    self._check_amount(shares, receiver, True)
    self._apply_loss()
    # Matured unbonding lands first (funding what it can): a filing then counts only on
    # unbonding still on its way, never on X already back that would put it out of reach
    # of slashes at once.
    self._process_queue()
    amount: uint256 = self._to_assets(shares, self._total_assets(), False)
    assert amount >= min_request, "lst: request below minimum"
    # It is within 128 bits (see REQUEST_FUNDED): it is worth at most the total assets (the shares burnt are at
    # most the supply), which are at most the buffer plus the accounted balance, within BOOKS_MAX.
    if msg.sender != owner:
        erc20._spend_allowance(owner, msg.sender, shares)
    erc20._burn(owner, shares)
    # What the buffer holds for the queue before this request stays as it is: the request is
    # covered by unbonding first (unbonding it no longer needs is settled as free first).
    cover: Cover = self._cover()
    self._set_unbonding(cover.free, self._unbonding >> BOOKS_HIGH)
    # Rounded down, so the request is never worth more than the shares it burnt.
    factor: uint256 = self._factor_reserve << BOOKS_HIGH >> BOOKS_HIGH
    if self._liability() <= 1:
        # Nothing waiting is worth a unit more (the liability rounds up): every waiting request is funded
        # at what is set aside for it, however many a slash of the whole queue zeroed (one call funds 64),
        # and a factor the slash took to its floor starts over, or no later request could lose its share
        # of a slash.
        factor = RAY
        self._factor_reserve = self._factor_reserve >> BOOKS_HIGH << BOOKS_HIGH | RAY
        self.queue_scaled = 0
        # The head moves up to the next id (never below it).
        ids: uint256 = self._ids
        self._ids = unsafe_add(ids, unsafe_sub(ids << ID_LOW >> ID_LOW, ids << LAST_READY_AT >> ID_LOW) << QUEUE_HEAD)
    scaled: uint256 = math._mul_div(amount, RAY, factor, False)
    self.queue_scaled += scaled
    # What neither the stake nor the free unbonding covers, the buffer holds for this
    # request: set aside now at its amount, so no slash of the unbonding earlier
    # requests count on reaches it (rounded like a partial funding).
    paid: uint256 = min(min(self._request_unbonding(cover.held, True), amount), self._buffer())
    if paid != 0:
        scaled = self._set_aside(paid, scaled, factor)
    # Never due before the unbonding the queue counts on can mature (after the backend's delay
    # was shortened, unbonding asked earlier may mature later than the delay from now).
    ids: uint256 = self._ids
    last_ready_at: uint256 = ids << BELOW_UNBONDING >> TIME_LOW
    ready_at: uint256 = max(
        max(block.timestamp + staticcall backend.unbonding_delay(), last_ready_at), ids << BELOW_COUNT >> UNBONDING_LOW
    )
    # Past 40 bits the packing would drop the high bits of `ready_at`: the request would be due too early.
    assert ready_at <= STREAM_TIME_MASK, "lst: ready_at out of range"
    request_id: uint256 = ids << ID_LOW >> ID_LOW
    # The next id (far below 2^64), and `last_ready_at` raised to `ready_at` (never below it, within 40 bits).
    self._ids = unsafe_add(ids, unsafe_add(1, unsafe_sub(ready_at, last_ready_at) << LAST_READY_AT))
    # Field by field: a receiver that is the owner leaves its slot untouched (a zero written is still a
    # cold write).
    owner_due: uint256 = convert(owner, uint256) | ready_at << REQUEST_READY_AT
    if receiver != owner:
        owner_due |= REQUEST_RECEIVER
        self._requests[request_id].receiver = receiver
    if paid != 0:
        owner_due |= REQUEST_PAID_APART
        self._requests[request_id].paid = paid
    self._requests[request_id].owner_due = owner_due
    self._requests[request_id].scaled = scaled
    log UnstakeRequested(
        request_id=request_id, owner=owner, receiver=receiver, shares=shares, amount=amount, ready_at=ready_at
    )
    self._exit()
    return request_id


@external
def claim(request_id: uint256) -> uint256:
    """
    @notice Pays a funded, due unstake request to its receiver (callable by its
            receiver or owner). Pulls matured paybacks and funds requests first; if
            the request is still not funded or not due it returns 0 and keeps that
            progress.
    @param request_id The request to claim.
    @return The X paid (0 while the request waits).
    """
    self._enter()
    owner_due: uint256 = self._requests[request_id].owner_due
    if owner_due == 0:
        # Below the next id, the slot a claim cleared (see REQUEST_OWNER_MASK).
        assert request_id >= self._ids << ID_LOW >> ID_LOW, "lst: already claimed"
        raise "lst: unknown request"
    owner: address = convert(owner_due & REQUEST_OWNER_MASK, address)
    receiver: address = owner
    if owner_due & REQUEST_RECEIVER != 0:
        receiver = self._requests[request_id].receiver
    assert msg.sender == receiver or msg.sender == owner, "lst: not request owner"
    self._apply_loss()
    self._process_queue()
    if request_id >= self._ids << LAST_READY_AT >> ID_LOW or owner_due >> REQUEST_READY_AT & STREAM_TIME_MASK > block.timestamp:
        self._exit()
        return 0
    paid: uint256 = self._funded_paid(request_id, owner_due)
    # Every slot the request wrote, and only those (a zero written to a slot never written is a cold write).
    self._requests[request_id].owner_due = 0
    self._requests[request_id].scaled = 0
    if owner_due & REQUEST_RECEIVER != 0:
        self._requests[request_id].receiver = empty(address)
    if owner_due & REQUEST_PAID_APART != 0:
        self._requests[request_id].paid = 0
    # `paid` is within 128 bits (REQUEST_FUNDED): the checked sub reverts if it exceeds the reserve.
    self._factor_reserve -= paid << BOOKS_HIGH
    log UnstakeClaimed(request_id=request_id, owner=owner, receiver=receiver, amount=paid)
    self._send_x(receiver, paid)
    self._exit()
    return paid


@view
@internal
def _funded_paid(request_id: uint256, owner_due: uint256) -> uint256:
    """
    @dev What a funded request (below the queue's head) pays: the marked `scaled` slot (REQUEST_FUNDED), else,
         passed by the head unfunded, what was set aside apart.
    """
    slot: uint256 = self._requests[request_id].scaled
    if slot & REQUEST_FUNDED != 0:
        return slot & REQUEST_PAID_MASK
    return self._paid_apart(request_id, owner_due)


@view
@internal
def _paid_apart(request_id: uint256, owner_due: uint256) -> uint256:
    """
    @dev What is set aside for a waiting request so far: its own slot, read only when flagged
         (REQUEST_PAID_APART; a request never flagged never had that slot written).
    """
    if owner_due & REQUEST_PAID_APART == 0:
        return 0
    return self._requests[request_id].paid


@view
@external
def request_value(request_id: uint256) -> uint256:
    """
    @notice X the request pays: its funded amount, or what is set aside plus what the rest is worth now
            (0 once claimed: `UnstakeClaimed` says what it paid).
    """
    self._check_not_entered()
    owner_due: uint256 = self._requests[request_id].owner_due
    if request_id < self._ids << LAST_READY_AT >> ID_LOW:
        return self._funded_paid(request_id, owner_due)
    return self._paid_apart(request_id, owner_due) + math._mul_div(
        self._requests[request_id].scaled, self._books().loss_factor, RAY, False
    )


@view
@external
def requests(arg0: uint256) -> UnstakeRequest:
    """
    @notice Unstake request `arg0` (all zero if never filed; claimed and the rest zero once claimed: its
            events say what it was), unpacked from its slot (the parameter keeps the name of the public
            getter this replaced, so the ABI is unchanged).
    """
    request: StoredRequest = self._requests[arg0]
    if request.owner_due == 0:
        return UnstakeRequest(
            owner=empty(address),
            receiver=empty(address),
            scaled=0,
            ready_at=0,
            paid=0,
            claimed=arg0 < self._ids << ID_LOW >> ID_LOW,
        )
    owner: address = convert(request.owner_due & REQUEST_OWNER_MASK, address)
    if request.owner_due & REQUEST_RECEIVER == 0:
        request.receiver = owner
    scaled: uint256 = request.scaled
    paid: uint256 = 0
    if arg0 < self._ids << LAST_READY_AT >> ID_LOW:
        scaled = 0
        paid = self._funded_paid(arg0, request.owner_due)
    else:
        paid = self._paid_apart(arg0, request.owner_due)
    return UnstakeRequest(
        owner=owner,
        receiver=request.receiver,
        scaled=scaled,
        ready_at=request.owner_due >> REQUEST_READY_AT & STREAM_TIME_MASK,
        paid=paid,
        claimed=False,
    )


@view
@external
def queue_cover() -> Cover:
    """
    @notice The queue's cover now (after any pending loss): the backend's unbonding the
            queue counts on, the part of its liability the buffer must hold (closed to
            instant exits), and the unbonding it does not count on.
    """
    self._check_not_entered()
    return self._books_cover(self._books())


# ---------------------------------------------------------------- rewards


@internal
def _sync(current: uint256):
    books: Books = self._apply_loss()
    if block.timestamp < self._stream >> STREAM_END:
        return
    accounted: uint256 = self._funds >> BOOKS_HIGH
    if current <= accounted:
        return
    total: uint256 = books.total_assets
    elapsed: uint256 = block.timestamp - self.last_gain_time
    cap: uint256 = math._mul_div(total, (self._parameters >> PARAM_BITS * PARAM_MAX_APR & PARAM_MASK) * elapsed, BPS * YEAR, False)
    owed: uint256 = min(current - accounted, cap)
    # At most what keeps the books within BOOKS_MAX (so below the stream's STREAM_MAX too): the rest waits
    # for the next sync, as the APR cap's excess does.
    gain: uint256 = min(owed, self._room())
    if gain == 0:
        return
    # The time this gain accounts for: all since the last counted gain, unless the bound cut it short; then
    # only its share, and the rest of the time stays for the next sync's cap and stream. (Were the whole time
    # spent on it, a unit of room would stream a unit over all of it and hold every later gain back as long:
    # an outside review's find.) Rounded up, so a gain is never charged less time than the APR cap allows for it
    # (a second of the cap per sync, a second review's find); exactly `elapsed` below the bound (gain == owed).
    spent: uint256 = math._mul_div(elapsed, gain, owed, True)
    fee: uint256 = math._mul_div(gain, (self._parameters >> PARAM_BITS * PARAM_PROTOCOL_FEE & PARAM_MASK), BPS, False)
    # Fee shares are priced before the fee is added, so the rate does not move.
    fee_shares: uint256 = self._to_shares(fee, total, False)
    stream: uint256 = gain - fee
    # A gain unlocks over as long as it took to accrue: whoever joins just before a late
    # sync earns only for the time they stay.
    cycle: uint256 = (self._parameters >> PARAM_BITS * PARAM_REWARD_CYCLE & PARAM_MASK)
    end: uint256 = block.timestamp + max(cycle, spent)
    # Past 40 bits the packing would drop the high bits of the end (see STREAM_MAX).
    assert end <= STREAM_TIME_MASK, "lst: stream end out of range"
    self._set_accounted(accounted + gain)
    self._stream = stream | block.timestamp << STREAM_START | end << STREAM_END
    self.last_gain_time += spent
    if fee_shares != 0:
        erc20._mint(self.treasury, fee_shares)
    log RewardsSynced(
        backend_balance=current, counted_gain=gain, fee_shares=fee_shares, stream_amount=stream, stream_end=end
    )


@external
def sync_rewards():
    """
    @notice Reads the backend balance. A loss applies at once; once the current
            stream has ended, new gains (capped at `max_apr_bps` for the time since
            the last counted gain, and at the books' room) stream over max(`reward_cycle`,
            that time, or the share of it a gain cut short by the room accounts for) and
            the protocol fee on them is minted to the treasury. Permissionless.
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
            due requests, asks the backend to unbond what the queue's cover and the
            buffer target lack (so a drained buffer refills within the unbonding
            delay), and delegates what the buffer holds beyond its target and the
            queue's part when nothing waits for it. It never unbonds X the buffer holds for the
            queue, and never both unbonds and delegates.
    """
    self._enter()
    self._apply_loss()
    self._process_queue()
    self._request_unbonding(max_value(uint256), False)
    # Unless the queue's head is due (written here, not as a function: the code room the defence mutants need).
    head: uint256 = self._ids << LAST_READY_AT >> ID_LOW
    if not (
        head != self._ids << ID_LOW >> ID_LOW
        and self._requests[head].owner_due >> REQUEST_READY_AT & STREAM_TIME_MASK <= block.timestamp
    ):
        target: uint256 = self._target(self._total_assets())
        buffer: uint256 = self._buffer()
        room: uint256 = buffer - min(buffer, self._cover().held)
        if room > target and room - target >= min_request:
            amount: uint256 = room - target
            # The sum stays as it was.
            self._set_funds(buffer - amount, (self._funds >> BOOKS_HIGH) + amount)
            log Delegated(amount=amount)
            assert extcall IERC20(asset).approve(backend.address, amount, default_return_value=True), "lst: approve failed"
            extcall backend.delegate(amount)
    self._exit()


# ---------------------------------------------------------------- parameters


@view
@external
def loss_factor() -> uint256:
    """
    @notice The factor that losses shrink the waiting requests' `scaled` parts by (RAY: none yet).
    """
    return self._factor_reserve << BOOKS_HIGH >> BOOKS_HIGH


@view
@external
def queue_reserve() -> uint256:
    """
    @notice X held for funded, unclaimed requests (not part of `totalAssets`).
    """
    return self._factor_reserve >> BOOKS_HIGH


@view
@external
def buffer() -> uint256:
    """
    @notice X held for stakers and instant exits (the queue's funded X is apart, in `queue_reserve`).
    """
    return self._buffer()


@view
@external
def backend_accounted() -> uint256:
    """
    @notice The backend balance (stake + unbonding) as counted so far: deposits, counted gains, losses.
    """
    return self._funds >> BOOKS_HIGH


@view
@external
def next_request_id() -> uint256:
    """
    @notice The id the next request gets (ids start at 0).
    """
    return self._ids << ID_LOW >> ID_LOW


@view
@external
def queue_head() -> uint256:
    """
    @notice Requests below this id are funded.
    """
    return self._ids << LAST_READY_AT >> ID_LOW


@view
@external
def last_ready_at() -> uint256:
    """
    @notice The latest `ready_at` a request was given.
    """
    return self._ids << BELOW_UNBONDING >> TIME_LOW


@view
@external
def unbonding_ready_at() -> uint256:
    """
    @notice The latest `ready_at` the backend gave for unbonding the LST asked for (at most 2^40).
    """
    return self._ids << BELOW_COUNT >> UNBONDING_LOW


@view
@external
def unbonding_requests() -> uint256:
    """
    @notice Unbonding requests the LST made since all of its unbonding was last back.
    """
    return self._ids >> IDS_HIGH


@view
@external
def free_unbonding() -> uint256:
    """
    @notice Unbonding at the backend that the queue does not count on (asked for the buffer's target).
    """
    return self._unbonding << BOOKS_HIGH >> BOOKS_HIGH


@view
@external
def unbonding_expected() -> uint256:
    """
    @notice Unbonding the LST asked the backend for, less the paybacks it pulled and the slashes it applied.
    """
    return self._unbonding >> BOOKS_HIGH


@view
@external
def stream_amount() -> uint256:
    """
    @notice Rewards (net of the protocol fee) the current stream unlocks from its start to its end.
    """
    return self._stream & STREAM_MAX


@view
@external
def stream_start() -> uint256:
    """
    @notice When the current stream started unlocking (a loss that ate into it restarts it).
    """
    return self._stream >> STREAM_START & STREAM_TIME_MASK


@view
@external
def stream_end() -> uint256:
    """
    @notice When the current stream is fully unlocked.
    """
    return self._stream >> STREAM_END


@view
@external
def reward_cycle() -> uint256:
    """
    @notice Shortest time a reward stream unlocks over, in seconds (parameter 0).
    """
    return (self._parameters >> PARAM_BITS * PARAM_REWARD_CYCLE & PARAM_MASK)


@view
@external
def max_apr_bps() -> uint256:
    """
    @notice Cap on the gains a sync counts, as an APR of total assets in bps (parameter 1).
    """
    return (self._parameters >> PARAM_BITS * PARAM_MAX_APR & PARAM_MASK)


@view
@external
def protocol_fee_bps() -> uint256:
    """
    @notice Part of counted gains minted to the treasury as shares, in bps (parameter 2).
    """
    return (self._parameters >> PARAM_BITS * PARAM_PROTOCOL_FEE & PARAM_MASK)


@view
@external
def instant_fee_bps() -> uint256:
    """
    @notice Instant unstake fee with the buffer at or above its target, in bps (parameter 3).
    """
    return (self._parameters >> PARAM_BITS * PARAM_INSTANT_FEE & PARAM_MASK)


@view
@external
def max_instant_fee_bps() -> uint256:
    """
    @notice Instant unstake fee at the margin of an empty buffer, in bps (parameter 4).
    """
    return (self._parameters >> PARAM_BITS * PARAM_MAX_INSTANT_FEE & PARAM_MASK)


@view
@external
def target_buffer_bps() -> uint256:
    """
    @notice Buffer the LST keeps for instant exits, in bps of total assets (parameter 5).
    """
    return (self._parameters >> PARAM_BITS * PARAM_TARGET_BUFFER & PARAM_MASK)


@view
@internal
def _check_governor():
    # Written once for both setters (the LST has little code room).
    assert msg.sender == governor, "lst: not governor"


@external
def set_parameter(parameter: uint256, new_value: uint256):
    """
    @notice Writes `new_value` to parameter `parameter` (the governor only, which keeps each within its
            bounds and applies a change only after its delay).
    """
    self._check_governor()
    # A value past 32 bits would spill into the next parameter's bits.
    assert parameter < PARAM_COUNT and new_value <= PARAM_MASK, "lst: parameter out of bounds"
    self._enter()
    offset: uint256 = PARAM_BITS * parameter
    self._parameters = self._parameters & ~(PARAM_MASK << offset) | new_value << offset
    log ParameterApplied(parameter=parameter, value=new_value)
    self._exit()


@external
def set_treasury(treasury_: address):
    """
    @notice Sets the receiver of future protocol fee shares (the governor only).
    """
    self._check_governor()
    assert treasury_ != empty(address), "lst: zero treasury"
    self.treasury = treasury_
    log TreasurySet(treasury=treasury_)
