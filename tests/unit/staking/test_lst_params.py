"""
Owner parameters: announced (owner only, bounded), applied by anybody after PARAMETER_DELAY, cancellable;
the treasury applies at once; two-step ownership; constructor checks.
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
    ("reward_cycle", 3_600, 30 * DAY, [0, 3_599, 30 * DAY + 1], "lst: parameter out of bounds"),
    ("max_apr_bps", 1_000, 5_000, [0, 999, 5_001], "lst: parameter out of bounds"),
    ("protocol_fee_bps", 0, 2_000, [2_001, 10_000], "lst: parameter out of bounds"),
    ("instant_fee_bps", 0, 50, [51, 10_000], "lst: parameter out of bounds"),
    ("max_instant_fee_bps", 0, 100, [101, 10_000], "lst: parameter out of bounds"),
    ("target_buffer_bps", 500, 5_000, [0, 499, 5_001, 10_000], "lst: parameter out of bounds"),
]


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


def test_defaults(lst, treasury, decimals, stake, staker, units):
    assert lst.reward_cycle() == DAY
    assert lst.max_apr_bps() == 2_000
    assert lst.protocol_fee_bps() == 1_000
    assert lst.instant_fee_bps() == 10
    assert lst.max_instant_fee_bps() == 50
    assert lst.target_buffer_bps() == 1_000
    assert lst.treasury() == treasury
    # 0.01 X, whatever the decimals.
    assert lst.min_request() == 10**decimals // 100
    for parameter in LST_PARAMETERS.values():
        assert lst.pending_parameters(parameter) == (0, 0)
    # The target buffer is 10% of total assets.
    assert lst_lens.target_buffer(lst) == 0
    stake(staker, units(100) + 9)
    assert lst_lens.target_buffer(lst) == (units(100) + 9) * 1_000 // 10_000


@pytest.mark.parametrize("name,low,high,bad,reason", BOUNDS, ids=[case[0] for case in BOUNDS])
def test_announce_is_owner_only_and_bounded(lst, owner, attacker, name, low, high, bad, reason):
    parameter = LST_PARAMETERS[name]
    with ape.reverts("ownable: caller is not the owner"):
        lst.announce_parameter(parameter, low, sender=attacker)
    for value in bad:
        with ape.reverts(reason):
            lst.announce_parameter(parameter, value, sender=owner)
    assert lst.pending_parameters(parameter) == (0, 0)
    # Both bounds are inclusive.
    for value in (low, high):
        tx = lst.announce_parameter(parameter, value, sender=owner)
        assert lst.pending_parameters(parameter) == (value, tx.timestamp + LST_PARAMETER_DELAY)


@pytest.mark.parametrize("name,low,high,bad,reason", BOUNDS, ids=[case[0] for case in BOUNDS])
def test_apply_waits_for_the_delay_then_anybody_applies(
    lst, owner, attacker, next_block_at, name, low, high, bad, reason
):
    parameter = LST_PARAMETERS[name]
    before = getattr(lst, name)()
    value = high if high != before else low
    tx = lst.announce_parameter(parameter, value, sender=owner)
    eta = tx.timestamp + LST_PARAMETER_DELAY
    announced = tx.events.filter(lst.ParameterAnnounced)[0]
    assert (announced.parameter, announced.value, announced.eta) == (parameter, value, eta)
    # Announced is not applied: the old value holds for the whole delay.
    assert getattr(lst, name)() == before
    next_block_at(eta - 1)
    with ape.reverts("lst: parameter delay not over"):
        lst.apply_parameter(parameter, sender=attacker)
    assert getattr(lst, name)() == before
    # At the eta itself, by anybody.
    next_block_at(eta)
    tx = lst.apply_parameter(parameter, sender=attacker)
    assert tx.timestamp == eta
    applied = tx.events.filter(lst.ParameterApplied)[0]
    assert (applied.parameter, applied.value) == (parameter, value)
    assert getattr(lst, name)() == value
    assert lst.pending_parameters(parameter) == (0, 0)
    with ape.reverts("lst: nothing pending"):
        lst.apply_parameter(parameter, sender=attacker)


def test_set_lst_parameter_fixture_applies(lst, set_lst_parameter):
    set_lst_parameter("target_buffer_bps", 2_500)
    assert lst.target_buffer_bps() == 2_500


def test_cancel(lst, owner, attacker, warp):
    parameter = LST_PARAMETERS["protocol_fee_bps"]
    with ape.reverts("lst: nothing pending"):
        lst.cancel_parameter(parameter, sender=owner)
    lst.announce_parameter(parameter, 2_000, sender=owner)
    with ape.reverts("ownable: caller is not the owner"):
        lst.cancel_parameter(parameter, sender=attacker)
    tx = lst.cancel_parameter(parameter, sender=owner)
    assert tx.events.filter(lst.ParameterCancelled)[0].parameter == parameter
    assert lst.pending_parameters(parameter) == (0, 0)
    warp(LST_PARAMETER_DELAY + 1)
    with ape.reverts("lst: nothing pending"):
        lst.apply_parameter(parameter, sender=attacker)
    assert lst.protocol_fee_bps() == 1_000


def test_cancel_touches_only_its_parameter(lst, owner, warp, other):
    lst.announce_parameter(LST_PARAMETERS["max_apr_bps"], 3_000, sender=owner)
    lst.announce_parameter(LST_PARAMETERS["reward_cycle"], 7 * DAY, sender=owner)
    lst.cancel_parameter(LST_PARAMETERS["max_apr_bps"], sender=owner)
    warp(LST_PARAMETER_DELAY)
    lst.apply_parameter(LST_PARAMETERS["reward_cycle"], sender=other)
    assert lst.reward_cycle() == 7 * DAY and lst.max_apr_bps() == 2_000


def test_announcing_again_replaces_value_and_restarts_the_delay(lst, owner, other, next_block_at, warp):
    parameter = LST_PARAMETERS["max_apr_bps"]
    first = lst.announce_parameter(parameter, 1_500, sender=owner)
    warp(5 * DAY)
    second = lst.announce_parameter(parameter, 4_000, sender=owner)
    eta = second.timestamp + LST_PARAMETER_DELAY
    assert lst.pending_parameters(parameter) == (4_000, eta)
    # The first announcement's eta no longer counts.
    next_block_at(first.timestamp + LST_PARAMETER_DELAY)
    with ape.reverts("lst: parameter delay not over"):
        lst.apply_parameter(parameter, sender=other)
    next_block_at(eta)
    lst.apply_parameter(parameter, sender=other)
    assert lst.max_apr_bps() == 4_000


def test_instant_fee_cannot_exceed_its_ceiling(lst, owner, other, warp):
    """Announcements check only their own bounds; applying checks the base rate against the ceiling."""
    instant, ceiling = LST_PARAMETERS["instant_fee_bps"], LST_PARAMETERS["max_instant_fee_bps"]
    # A ceiling below the current base rate (10) may be announced (a lower base rate may follow)...
    lst.announce_parameter(ceiling, 9, sender=owner)
    warp(LST_PARAMETER_DELAY)
    # ...but not applied while the base rate is above it.
    with ape.reverts("lst: instant fee above its ceiling"):
        lst.apply_parameter(ceiling, sender=other)
    assert lst.max_instant_fee_bps() == 50
    # Likewise a base rate above the current ceiling (50) is refused by its own bound only.
    with ape.reverts("lst: parameter out of bounds"):
        lst.announce_parameter(instant, 51, sender=owner)


def test_both_rates_can_be_lowered_together(lst, owner, other, warp):
    instant, ceiling = LST_PARAMETERS["instant_fee_bps"], LST_PARAMETERS["max_instant_fee_bps"]
    lst.announce_parameter(ceiling, 5, sender=owner)
    lst.announce_parameter(instant, 0, sender=owner)
    warp(LST_PARAMETER_DELAY)
    # In the wrong order the pair check refuses; in the right order both apply.
    with ape.reverts("lst: instant fee above its ceiling"):
        lst.apply_parameter(ceiling, sender=other)
    lst.apply_parameter(instant, sender=other)
    lst.apply_parameter(ceiling, sender=other)
    assert (lst.instant_fee_bps(), lst.max_instant_fee_bps()) == (0, 5)


def test_apply_checks_the_pair_again(lst, owner, other, warp):
    """Two announcements each within bounds cannot together leave the base rate above the ceiling."""
    instant, ceiling = LST_PARAMETERS["instant_fee_bps"], LST_PARAMETERS["max_instant_fee_bps"]
    lst.announce_parameter(instant, 40, sender=owner)  # <= current ceiling 50
    lst.announce_parameter(ceiling, 20, sender=owner)  # >= current base 10
    warp(LST_PARAMETER_DELAY)
    lst.apply_parameter(ceiling, sender=other)
    with ape.reverts("lst: instant fee above its ceiling"):
        lst.apply_parameter(instant, sender=other)
    assert (lst.instant_fee_bps(), lst.max_instant_fee_bps()) == (10, 20)
    assert lst.pending_parameters(instant).value == 40


def test_raising_the_ceiling_lets_a_higher_base_rate_apply(lst, set_lst_parameter):
    set_lst_parameter("max_instant_fee_bps", 100)
    set_lst_parameter("instant_fee_bps", 50)
    assert (lst.instant_fee_bps(), lst.max_instant_fee_bps()) == (50, 100)


def test_unknown_parameter(lst, owner, other):
    with ape.reverts("lst: unknown parameter"):
        lst.announce_parameter(6, 1, sender=owner)
    with ape.reverts("lst: unknown parameter"):
        lst.announce_parameter(2**256 - 1, 1, sender=owner)
    with ape.reverts("lst: nothing pending"):
        lst.apply_parameter(6, sender=other)
    with ape.reverts("lst: nothing pending"):
        lst.cancel_parameter(6, sender=owner)


def test_treasury_applies_at_once(lst, owner, attacker, other):
    with ape.reverts("ownable: caller is not the owner"):
        lst.set_treasury(other, sender=attacker)
    with ape.reverts("lst: zero treasury"):
        lst.set_treasury(ZERO, sender=owner)
    tx = lst.set_treasury(other, sender=owner)
    assert lst.treasury() == other
    assert tx.events.filter(lst.TreasurySet)[0].treasury == other


def test_two_step_ownership(lst, owner, other, attacker):
    lst.transfer_ownership(other, sender=owner)
    assert lst.owner() == owner and lst.pending_owner() == other
    with ape.reverts("ownable_2step: caller is not the new owner"):
        lst.accept_ownership(sender=attacker)
    lst.accept_ownership(sender=other)
    assert lst.owner() == other
    with ape.reverts("ownable: caller is not the owner"):
        lst.announce_parameter(LST_PARAMETERS["max_apr_bps"], 3_000, sender=owner)
    lst.announce_parameter(LST_PARAMETERS["max_apr_bps"], 3_000, sender=other)


def test_constructor_rejects_bad_input(project, owner, x, validator, treasury):
    with ape.reverts("lst: zero treasury"):
        owner.deploy(project.LiquidStaking, x, validator, ZERO, "S", "S", 18)
    with ape.reverts("lst: unsupported decimals"):
        owner.deploy(project.LiquidStaking, x, validator, treasury, "S", "S", 5)
    with ape.reverts("lst: unsupported decimals"):
        owner.deploy(project.LiquidStaking, x, validator, treasury, "S", "S", 19)
    with ape.reverts("lst: zero backend"):
        owner.deploy(project.LiquidStaking, x, ZERO, treasury, "S", "S", 18)
    with ape.reverts("lst: zero asset"):
        owner.deploy(project.LiquidStaking, ZERO, validator, treasury, "S", "S", 18)
