# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title StakingGovernor
@custom:contract-name StakingGovernor
@license MIT
@notice The owner's side of one LST: bounded parameter changes that anybody applies once
        `PARAMETER_DELAY` has passed since the owner announced them, and the treasury that
        receives the protocol fee shares.
@custom:security - The LST takes parameter and treasury writes from this contract only (its immutable
                   `governor`): the bounds and the delay below are the only way its parameters move. They
                   live here, not in the LST, because the LST's code is at the EIP-170 limit and owner code
                   runs a few times in an LST's life.
                 - Bound once, by the owner, to an LST that names this contract as its governor; nothing
                   reaches an LST before that.
                 - Two-step ownership (snekmate `ownable_2step`).
"""

from snekmate.auth import ownable
from snekmate.auth import ownable_2step

initializes: ownable
initializes: ownable_2step[ownable := ownable]

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)


interface IGovernedStaking:
    def governor() -> address: view
    def set_parameter(parameter: uint256, new_value: uint256): nonpayable
    def set_treasury(treasury: address): nonpayable
    def instant_fee_bps() -> uint256: view
    def max_instant_fee_bps() -> uint256: view


# Owner changes wait this long, longer than the devnet backend's default 7-day unbonding delay, so a user
# who disagrees can leave through the queue before the change applies while the backend's delay (which a
# request's `ready_at` follows, up to the devnet's 60 days) stays under 10 days; instant exits never wait.
PARAMETER_DELAY: constant(uint256) = 10 * 86_400
PARAM_REWARD_CYCLE: constant(uint256) = 0
PARAM_MAX_APR: constant(uint256) = 1
PARAM_PROTOCOL_FEE: constant(uint256) = 2
PARAM_INSTANT_FEE: constant(uint256) = 3
PARAM_MAX_INSTANT_FEE: constant(uint256) = 4
PARAM_TARGET_BUFFER: constant(uint256) = 5
PARAM_COUNT: constant(uint256) = 6
# Each parameter's lowest and highest allowed value, 32 bits each at bit 32 * id (as the LST packs the
# values themselves): one bounds check for all six. A bound of 0 is left out of PARAM_MINS.
PARAM_BITS: constant(uint256) = 32
PARAM_MASK: constant(uint256) = 2**32 - 1
PARAM_MINS: constant(uint256) = (
    MIN_REWARD_CYCLE << PARAM_BITS * PARAM_REWARD_CYCLE
    | MIN_MAX_APR_BPS << PARAM_BITS * PARAM_MAX_APR
    | MIN_TARGET_BUFFER_BPS << PARAM_BITS * PARAM_TARGET_BUFFER
)
PARAM_MAXES: constant(uint256) = (
    MAX_REWARD_CYCLE << PARAM_BITS * PARAM_REWARD_CYCLE
    | MAX_MAX_APR_BPS << PARAM_BITS * PARAM_MAX_APR
    | MAX_PROTOCOL_FEE_BPS << PARAM_BITS * PARAM_PROTOCOL_FEE
    | MAX_BASE_INSTANT_FEE_BPS << PARAM_BITS * PARAM_INSTANT_FEE
    | MAX_INSTANT_FEE_CEILING_BPS << PARAM_BITS * PARAM_MAX_INSTANT_FEE
    | MAX_TARGET_BUFFER_BPS << PARAM_BITS * PARAM_TARGET_BUFFER
)
MIN_REWARD_CYCLE: constant(uint256) = 3_600
MAX_REWARD_CYCLE: constant(uint256) = 30 * 86_400
MIN_MAX_APR_BPS: constant(uint256) = 1_000
MAX_MAX_APR_BPS: constant(uint256) = 5_000
MAX_PROTOCOL_FEE_BPS: constant(uint256) = 2_000
# A position at the factory's 98% max LTV holds equity of 2% of its collateral: even a 1% exit fee leaves
# it half.
MAX_BASE_INSTANT_FEE_BPS: constant(uint256) = 50
MAX_INSTANT_FEE_CEILING_BPS: constant(uint256) = 100
MIN_TARGET_BUFFER_BPS: constant(uint256) = 500
MAX_TARGET_BUFFER_BPS: constant(uint256) = 5_000


struct PendingParameter:
    value: uint256
    # 0 when nothing is pending.
    eta: uint256


# The LST this contract governs (empty until `bind`).
lst: public(IGovernedStaking)
pending_parameters: public(HashMap[uint256, PendingParameter])


event Bound:
    lst: indexed(address)

event ParameterAnnounced:
    parameter: indexed(uint256)
    value: uint256
    eta: uint256

event ParameterCancelled:
    parameter: indexed(uint256)


@deploy
def __init__():
    ownable.__init__()
    ownable_2step.__init__()


@external
def bind(lst_: IGovernedStaking):
    """
    @notice Names the LST this contract governs (owner, once). The LST must name this
            contract as its governor.
    """
    ownable._check_owner()
    assert self.lst.address == empty(address), "governor: already bound"
    assert staticcall lst_.governor() == self, "governor: not the lst's governor"
    self.lst = lst_
    log Bound(lst=lst_.address)


@view
@internal
def _check_bound():
    assert self.lst.address != empty(address), "governor: not bound"


@view
@internal
def _check_parameter(parameter: uint256, new_value: uint256, applying: bool):
    """
    @dev Bounds of each parameter; the instant fee and its ceiling are also checked against
         each other when a change applies (so both can be announced together).
    """
    assert parameter < PARAM_COUNT, "governor: unknown parameter"
    assert new_value >= PARAM_MINS >> PARAM_BITS * parameter & PARAM_MASK and (
        new_value <= PARAM_MAXES >> PARAM_BITS * parameter & PARAM_MASK
    ), "governor: parameter out of bounds"
    if not applying:
        return
    # The instant fee and its ceiling as they would stand once this change applies.
    fee: uint256 = staticcall self.lst.instant_fee_bps()
    ceiling: uint256 = staticcall self.lst.max_instant_fee_bps()
    if parameter == PARAM_INSTANT_FEE:
        fee = new_value
    elif parameter == PARAM_MAX_INSTANT_FEE:
        ceiling = new_value
    assert fee <= ceiling, "governor: instant fee above its ceiling"


@view
@internal
def _pending(parameter: uint256) -> PendingParameter:
    pending: PendingParameter = self.pending_parameters[parameter]
    assert pending.eta != 0, "governor: nothing pending"
    return pending


@external
def announce_parameter(parameter: uint256, new_value: uint256) -> uint256:
    """
    @notice Announces a parameter change of the LST (owner); anybody applies it once
            `PARAMETER_DELAY` has passed. Replaces an earlier pending change.
            0 reward cycle (1 hour to 30 days), 1 max APR (10% to 50%), 2 protocol fee
            (at most 20%), 3 instant fee (at most 0.5%), 4 instant fee at an empty
            buffer (at most 1%), 5 target buffer (5% to 50% of total assets).
    @return The time from which it can be applied.
    """
    ownable._check_owner()
    self._check_bound()
    self._check_parameter(parameter, new_value, False)
    eta: uint256 = block.timestamp + PARAMETER_DELAY
    self.pending_parameters[parameter] = PendingParameter(value=new_value, eta=eta)
    log ParameterAnnounced(parameter=parameter, value=new_value, eta=eta)
    return eta


@external
def cancel_parameter(parameter: uint256):
    """
    @notice Drops a pending parameter change (owner).
    """
    ownable._check_owner()
    self._pending(parameter)
    self.pending_parameters[parameter] = empty(PendingParameter)
    log ParameterCancelled(parameter=parameter)


@external
def apply_parameter(parameter: uint256):
    """
    @notice Applies an announced parameter change once its delay has passed (anybody);
            the LST logs `ParameterApplied`.
    """
    pending: PendingParameter = self._pending(parameter)
    assert block.timestamp >= pending.eta, "governor: parameter delay not over"
    self._check_parameter(parameter, pending.value, True)
    self.pending_parameters[parameter] = empty(PendingParameter)
    extcall self.lst.set_parameter(parameter, pending.value)


@external
def set_treasury(treasury_: address):
    """
    @notice Sets the receiver of the LST's future protocol fee shares (owner; cannot hurt
            a position, so it applies at once). The LST refuses the zero address.
    """
    ownable._check_owner()
    self._check_bound()
    extcall self.lst.set_treasury(treasury_)
