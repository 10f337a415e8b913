"""
Owner parameters, through the LST's StakingGovernor: announced (the governor's owner only, bounded), applied
by anybody after PARAMETER_DELAY, cancellable; the treasury applies at once; the governor is bound once, by
its owner, to the LST that names it; two-step ownership of the governor. The LST takes parameter and treasury
writes from its immutable governor only; constructor checks.
"""

import ape
import pytest

from levstake import lst_lens
from levstake.model import LST_PARAMETER_DELAY, LST_PARAMETERS

ZERO = "0x0000000000000000000000000000000000000000"
DAY = 86_400

# name, lowest allowed, highest allowed, values out of bounds, revert reason. The instant fee and its
# ceiling also bound each other, but only when a change applies (tested below).
BOUNDS = [
    ("reward_cycle", 3_600, 30 * DAY, [0, 3_599, 30 * DAY + 1], "governor: parameter out of bounds"),
    ("max_apr_bps", 1_000, 5_000, [0, 999, 5_001], "governor: parameter out of bounds"),
    ("protocol_fee_bps", 0, 2_000, [2_001, 10_000], "governor: parameter out of bounds"),
    ("instant_fee_bps", 0, 50, [51, 10_000], "governor: parameter out of bounds"),
    ("max_instant_fee_bps", 0, 100, [101, 10_000], "governor: parameter out of bounds"),
    ("target_buffer_bps", 500, 5_000, [0, 499, 5_001, 10_000], "governor: parameter out of bounds"),
]
DEFAULTS = {
    "reward_cycle": DAY,
    "max_apr_bps": 2_000,
    "protocol_fee_bps": 1_000,
    "instant_fee_bps": 10,
    "max_instant_fee_bps": 50,
    "target_buffer_bps": 1_000,
}


def test_parameter_ids_match_the_model():
    # The ids are part of the interface (the keeper, the CLI and the fixtures use levstake.model's table).
    assert LST_PARAMETERS == {
        "reward_cycle": 0,
        "max_apr_bps": 1,
        "protocol_fee_bps": 2,
        "instant_fee_bps": 3,
        "max_instant_fee_bps": 4,
        "target_buffer_bps": 5,
    }
    assert LST_PARAMETER_DELAY == 10 * DAY


def test_defaults(lst, governor, owner, treasury, decimals, stake, staker, units):
    assert {name: getattr(lst, name)() for name in LST_PARAMETERS} == DEFAULTS
    assert lst.treasury() == treasury
    # 0.01 X, whatever the decimals.
    assert lst.min_request() == 10**decimals // 100
    assert lst.governor() == governor and governor.lst() == lst
    assert governor.owner() == owner and governor.pending_owner() == ZERO
    for parameter in LST_PARAMETERS.values():
        assert governor.pending_parameters(parameter) == (0, 0)
    # The target buffer is 10% of total assets.
    assert lst_lens.target_buffer(lst) == 0
    stake(staker, units(100) + 9)
    assert lst_lens.target_buffer(lst) == (units(100) + 9) * 1_000 // 10_000


def test_the_lsts_defaults_are_within_the_governors_bounds(lst, governor, owner, other, warp):
    """The LST sets its defaults itself, not through the governor: each must be a value the governor would
    allow, and announcing it again (with the fee pair check at apply) leaves every parameter as it was."""
    for name, low, high, _, _ in BOUNDS:
        assert low <= DEFAULTS[name] <= high, name
    for name, parameter in LST_PARAMETERS.items():
        governor.announce_parameter(parameter, DEFAULTS[name], sender=owner)
    warp(LST_PARAMETER_DELAY)
    for parameter in LST_PARAMETERS.values():
        governor.apply_parameter(parameter, sender=other)
    assert {name: getattr(lst, name)() for name in LST_PARAMETERS} == DEFAULTS


@pytest.mark.parametrize("name,low,high,bad,reason", BOUNDS, ids=[case[0] for case in BOUNDS])
def test_announce_is_owner_only_and_bounded(governor, owner, attacker, name, low, high, bad, reason):
    parameter = LST_PARAMETERS[name]
    with ape.reverts("ownable: caller is not the owner"):
        governor.announce_parameter(parameter, low, sender=attacker)
    for value in bad:
        with ape.reverts(reason):
            governor.announce_parameter(parameter, value, sender=owner)
    assert governor.pending_parameters(parameter) == (0, 0)
    # Both bounds are inclusive.
    for value in (low, high):
        tx = governor.announce_parameter(parameter, value, sender=owner)
        assert governor.pending_parameters(parameter) == (value, tx.timestamp + LST_PARAMETER_DELAY)


@pytest.mark.parametrize("name,low,high,bad,reason", BOUNDS, ids=[case[0] for case in BOUNDS])
def test_apply_waits_for_the_delay_then_anybody_applies(
    lst, governor, owner, attacker, next_block_at, name, low, high, bad, reason
):
    parameter = LST_PARAMETERS[name]
    before = getattr(lst, name)()
    value = high if high != before else low
    tx = governor.announce_parameter(parameter, value, sender=owner)
    eta = tx.timestamp + LST_PARAMETER_DELAY
    announced = tx.events.filter(governor.ParameterAnnounced)[0]
    assert (announced.parameter, announced.value, announced.eta) == (parameter, value, eta)
    # Announced is not applied: the old value holds for the whole delay.
    assert getattr(lst, name)() == before
    next_block_at(eta - 1)
    with ape.reverts("governor: parameter delay not over"):
        governor.apply_parameter(parameter, sender=attacker)
    assert getattr(lst, name)() == before
    # At the eta itself, by anybody; the LST logs the change.
    next_block_at(eta)
    tx = governor.apply_parameter(parameter, sender=attacker)
    assert tx.timestamp == eta
    applied = tx.events.filter(lst.ParameterApplied)[0]
    assert (applied.parameter, applied.value) == (parameter, value)
    assert getattr(lst, name)() == value
    assert governor.pending_parameters(parameter) == (0, 0)
    with ape.reverts("governor: nothing pending"):
        governor.apply_parameter(parameter, sender=attacker)


def test_set_lst_parameter_fixture_applies(lst, set_lst_parameter):
    set_lst_parameter("target_buffer_bps", 2_500)
    assert lst.target_buffer_bps() == 2_500


def test_cancel(lst, governor, owner, attacker, warp):
    parameter = LST_PARAMETERS["protocol_fee_bps"]
    with ape.reverts("governor: nothing pending"):
        governor.cancel_parameter(parameter, sender=owner)
    governor.announce_parameter(parameter, 2_000, sender=owner)
    with ape.reverts("ownable: caller is not the owner"):
        governor.cancel_parameter(parameter, sender=attacker)
    tx = governor.cancel_parameter(parameter, sender=owner)
    assert tx.events.filter(governor.ParameterCancelled)[0].parameter == parameter
    assert governor.pending_parameters(parameter) == (0, 0)
    warp(LST_PARAMETER_DELAY + 1)
    with ape.reverts("governor: nothing pending"):
        governor.apply_parameter(parameter, sender=attacker)
    assert lst.protocol_fee_bps() == 1_000


def test_cancel_touches_only_its_parameter(lst, governor, owner, warp, other):
    governor.announce_parameter(LST_PARAMETERS["max_apr_bps"], 3_000, sender=owner)
    governor.announce_parameter(LST_PARAMETERS["reward_cycle"], 7 * DAY, sender=owner)
    governor.cancel_parameter(LST_PARAMETERS["max_apr_bps"], sender=owner)
    warp(LST_PARAMETER_DELAY)
    governor.apply_parameter(LST_PARAMETERS["reward_cycle"], sender=other)
    assert lst.reward_cycle() == 7 * DAY and lst.max_apr_bps() == 2_000


def test_announcing_again_replaces_value_and_restarts_the_delay(
    lst, governor, owner, other, next_block_at, warp
):
    parameter = LST_PARAMETERS["max_apr_bps"]
    first = governor.announce_parameter(parameter, 1_500, sender=owner)
    warp(5 * DAY)
    second = governor.announce_parameter(parameter, 4_000, sender=owner)
    eta = second.timestamp + LST_PARAMETER_DELAY
    assert governor.pending_parameters(parameter) == (4_000, eta)
    # The first announcement's eta no longer counts.
    next_block_at(first.timestamp + LST_PARAMETER_DELAY)
    with ape.reverts("governor: parameter delay not over"):
        governor.apply_parameter(parameter, sender=other)
    next_block_at(eta)
    governor.apply_parameter(parameter, sender=other)
    assert lst.max_apr_bps() == 4_000


def test_instant_fee_cannot_exceed_its_ceiling(lst, governor, owner, other, warp):
    """Announcements check only their own bounds; applying checks the base rate against the ceiling."""
    instant, ceiling = LST_PARAMETERS["instant_fee_bps"], LST_PARAMETERS["max_instant_fee_bps"]
    # A ceiling below the current base rate (10) may be announced (a lower base rate may follow)...
    governor.announce_parameter(ceiling, 9, sender=owner)
    warp(LST_PARAMETER_DELAY)
    # ...but not applied while the base rate is above it.
    with ape.reverts("governor: instant fee above its ceiling"):
        governor.apply_parameter(ceiling, sender=other)
    assert lst.max_instant_fee_bps() == 50
    # Likewise a base rate above the current ceiling (50) is refused by its own bound only.
    with ape.reverts("governor: parameter out of bounds"):
        governor.announce_parameter(instant, 51, sender=owner)


def test_both_rates_can_be_lowered_together(lst, governor, owner, other, warp):
    instant, ceiling = LST_PARAMETERS["instant_fee_bps"], LST_PARAMETERS["max_instant_fee_bps"]
    governor.announce_parameter(ceiling, 5, sender=owner)
    governor.announce_parameter(instant, 0, sender=owner)
    warp(LST_PARAMETER_DELAY)
    # In the wrong order the pair check refuses; in the right order both apply.
    with ape.reverts("governor: instant fee above its ceiling"):
        governor.apply_parameter(ceiling, sender=other)
    governor.apply_parameter(instant, sender=other)
    governor.apply_parameter(ceiling, sender=other)
    assert (lst.instant_fee_bps(), lst.max_instant_fee_bps()) == (0, 5)


def test_apply_checks_the_pair_again(lst, governor, owner, other, warp):
    """Two announcements each within bounds cannot together leave the base rate above the ceiling: the
    check at apply reads the LST's values as they stand then, not as they stood at the announcement."""
    instant, ceiling = LST_PARAMETERS["instant_fee_bps"], LST_PARAMETERS["max_instant_fee_bps"]
    governor.announce_parameter(instant, 40, sender=owner)  # <= current ceiling 50
    governor.announce_parameter(ceiling, 20, sender=owner)  # >= current base 10
    warp(LST_PARAMETER_DELAY)
    governor.apply_parameter(ceiling, sender=other)
    with ape.reverts("governor: instant fee above its ceiling"):
        governor.apply_parameter(instant, sender=other)
    assert (lst.instant_fee_bps(), lst.max_instant_fee_bps()) == (10, 20)
    assert governor.pending_parameters(instant).value == 40


def test_raising_the_ceiling_lets_a_higher_base_rate_apply(lst, set_lst_parameter):
    set_lst_parameter("max_instant_fee_bps", 100)
    set_lst_parameter("instant_fee_bps", 50)
    assert (lst.instant_fee_bps(), lst.max_instant_fee_bps()) == (50, 100)


def test_unknown_parameter(governor, owner, other):
    with ape.reverts("governor: unknown parameter"):
        governor.announce_parameter(6, 1, sender=owner)
    with ape.reverts("governor: unknown parameter"):
        governor.announce_parameter(2**256 - 1, 1, sender=owner)
    with ape.reverts("governor: nothing pending"):
        governor.apply_parameter(6, sender=other)
    with ape.reverts("governor: nothing pending"):
        governor.cancel_parameter(6, sender=owner)


def test_treasury_applies_at_once(lst, governor, owner, attacker, other):
    with ape.reverts("ownable: caller is not the owner"):
        governor.set_treasury(other, sender=attacker)
    with ape.reverts("lst: zero treasury"):
        governor.set_treasury(ZERO, sender=owner)
    tx = governor.set_treasury(other, sender=owner)
    assert lst.treasury() == other
    assert tx.events.filter(lst.TreasurySet)[0].treasury == other


def test_two_step_ownership(governor, owner, other, attacker):
    governor.transfer_ownership(other, sender=owner)
    assert governor.owner() == owner and governor.pending_owner() == other
    with ape.reverts("ownable_2step: caller is not the new owner"):
        governor.accept_ownership(sender=attacker)
    governor.accept_ownership(sender=other)
    assert governor.owner() == other
    with ape.reverts("ownable: caller is not the owner"):
        governor.announce_parameter(LST_PARAMETERS["max_apr_bps"], 3_000, sender=owner)
    with ape.reverts("ownable: caller is not the owner"):
        governor.set_treasury(owner, sender=owner)
    governor.announce_parameter(LST_PARAMETERS["max_apr_bps"], 3_000, sender=other)


# ------------------------------------------------------------ the LST's side: its governor only


def test_the_lst_has_no_owner_of_its_own(lst):
    for name in (
        "owner",
        "pending_owner",
        "transfer_ownership",
        "accept_ownership",
        "announce_parameter",
        "apply_parameter",
        "cancel_parameter",
        "pending_parameters",
    ):
        assert not hasattr(lst, name), name


def test_the_lst_takes_writes_from_its_governor_only(lst, governor, owner, treasury, attacker, other):
    """Not the governor's owner (who deployed both), not anybody: `set_parameter` would skip the bounds and
    the delay, `set_treasury` would redirect the protocol fee."""
    for sender in (owner, attacker, other):
        with ape.reverts("lst: not governor"):
            lst.set_parameter(LST_PARAMETERS["instant_fee_bps"], 50, sender=sender)
        with ape.reverts("lst: not governor"):
            lst.set_treasury(sender, sender=sender)
    assert lst.instant_fee_bps() == 10 and lst.treasury() == treasury


@pytest.fixture
def eoa_governed(project, owner, x, validator, treasury, decimals, other):
    """An LST whose governor is an account (`other`): what the LST itself refuses, whoever governs it."""
    return owner.deploy(project.LiquidStaking, x, validator, treasury, "S", "S", decimals, other)


def test_the_lst_refuses_a_value_past_32_bits_or_an_unknown_parameter(eoa_governed, other):
    lst = eoa_governed
    for parameter in LST_PARAMETERS.values():
        with ape.reverts("lst: parameter out of bounds"):
            lst.set_parameter(parameter, 2**32, sender=other)
    for parameter in (6, 7, 2**256 - 1):
        with ape.reverts("lst: parameter out of bounds"):
            lst.set_parameter(parameter, 1, sender=other)
    assert {name: getattr(lst, name)() for name in LST_PARAMETERS} == DEFAULTS
    # The largest value it takes fills its own 32 bits and nothing next to them (no bounds here: those are
    # the governor's).
    for name, parameter in LST_PARAMETERS.items():
        tx = lst.set_parameter(parameter, 2**32 - 1, sender=other)
        applied = tx.events.filter(lst.ParameterApplied)[0]
        assert (applied.parameter, applied.value) == (parameter, 2**32 - 1)
        assert getattr(lst, name)() == 2**32 - 1
        tx = lst.set_parameter(parameter, DEFAULTS[name], sender=other)
        assert {key: getattr(lst, key)() for key in LST_PARAMETERS} == DEFAULTS, name


def test_the_lst_refuses_a_zero_treasury_from_its_governor(eoa_governed, other, treasury):
    with ape.reverts("lst: zero treasury"):
        eoa_governed.set_treasury(ZERO, sender=other)
    tx = eoa_governed.set_treasury(other, sender=other)
    assert eoa_governed.treasury() == other
    assert tx.events.filter(eoa_governed.TreasurySet)[0].treasury == other


# ------------------------------------------------------------ binding the governor


@pytest.fixture
def unbound(project, owner):
    return owner.deploy(project.StakingGovernor)


@pytest.fixture
def lst_of(project, owner, x, validator, treasury, decimals):
    def deploy(governor):
        return owner.deploy(project.LiquidStaking, x, validator, treasury, "S", "S", decimals, governor)

    return deploy


def test_bind_names_the_lst_once(governor, lst, unbound, lst_of, owner):
    new = lst_of(unbound)
    tx = unbound.bind(new, sender=owner)
    assert unbound.lst() == new
    assert tx.events.filter(unbound.Bound)[0].lst == new
    # Once: not again, not even to another LST that names it, nor the deployment's governor to anything.
    with ape.reverts("governor: already bound"):
        unbound.bind(lst_of(unbound), sender=owner)
    with ape.reverts("governor: already bound"):
        unbound.bind(new, sender=owner)
    with ape.reverts("governor: already bound"):
        governor.bind(lst_of(governor), sender=owner)
    assert unbound.lst() == new and governor.lst() == lst


def test_bind_is_owner_only(unbound, lst_of, owner, attacker):
    new = lst_of(unbound)
    with ape.reverts("ownable: caller is not the owner"):
        unbound.bind(new, sender=attacker)
    assert unbound.lst() == ZERO


def test_bind_only_to_an_lst_naming_this_governor(unbound, governor, lst, lst_of, owner, other):
    # The deployment's LST names another governor; so does an LST naming an account.
    with ape.reverts("governor: not the lst's governor"):
        unbound.bind(lst, sender=owner)
    with ape.reverts("governor: not the lst's governor"):
        unbound.bind(lst_of(other), sender=owner)
    assert unbound.lst() == ZERO
    # Still free for its own.
    unbound.bind(lst_of(unbound), sender=owner)


def test_nothing_reaches_an_lst_before_bind(unbound, lst_of, owner):
    new = lst_of(unbound)
    with ape.reverts("governor: not bound"):
        unbound.announce_parameter(LST_PARAMETERS["max_apr_bps"], 3_000, sender=owner)
    with ape.reverts("governor: nothing pending"):
        unbound.apply_parameter(LST_PARAMETERS["max_apr_bps"], sender=owner)
    with ape.reverts("governor: not bound"):
        unbound.set_treasury(owner, sender=owner)
    assert new.max_apr_bps() == 2_000


def test_constructor_rejects_bad_input(project, owner, x, validator, treasury, governor):
    with ape.reverts("lst: zero treasury"):
        owner.deploy(project.LiquidStaking, x, validator, ZERO, "S", "S", 18, governor)
    with ape.reverts("lst: unsupported decimals"):
        owner.deploy(project.LiquidStaking, x, validator, treasury, "S", "S", 5, governor)
    with ape.reverts("lst: unsupported decimals"):
        owner.deploy(project.LiquidStaking, x, validator, treasury, "S", "S", 19, governor)
    with ape.reverts("lst: zero backend"):
        owner.deploy(project.LiquidStaking, x, ZERO, treasury, "S", "S", 18, governor)
    with ape.reverts("lst: zero asset"):
        owner.deploy(project.LiquidStaking, ZERO, validator, treasury, "S", "S", 18, governor)
    with ape.reverts("lst: zero governor"):
        owner.deploy(project.LiquidStaking, x, validator, treasury, "S", "S", 18, ZERO)
