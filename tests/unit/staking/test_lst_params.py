"""Owner parameters: bounded, owner-only, evented; two-step ownership."""

import ape
import pytest

ZERO = "0x0000000000000000000000000000000000000000"

CASES = [
    # setter, getter, good value, bad values, revert reason
    (
        "set_reward_cycle",
        "reward_cycle",
        7 * 86_400,
        [3_599, 30 * 86_400 + 1],
        "lst: reward cycle out of bounds",
    ),
    ("set_max_apr", "max_apr_bps", 1_500, [0, 10_001], "lst: max apr out of bounds"),
    ("set_protocol_fee", "protocol_fee_bps", 2_000, [2_001], "lst: protocol fee out of bounds"),
    ("set_instant_fee", "instant_fee_bps", 500, [501], "lst: instant fee out of bounds"),
    ("set_target_buffer", "target_buffer_bps", 2_500, [10_001], "lst: target buffer out of bounds"),
]


def test_defaults(lst, treasury):
    assert lst.reward_cycle() == 86_400
    assert lst.max_apr_bps() == 2_000
    assert lst.protocol_fee_bps() == 1_000
    assert lst.instant_fee_bps() == 10
    assert lst.target_buffer_bps() == 1_000
    assert lst.treasury() == treasury


@pytest.mark.parametrize("setter,getter,good,bad,reason", CASES)
def test_setter_bounds_and_owner_only(lst, owner, attacker, setter, getter, good, bad, reason):
    before = getattr(lst, getter)()
    with ape.reverts("ownable: caller is not the owner"):
        getattr(lst, setter)(good, sender=attacker)
    for value in bad:
        with ape.reverts(reason):
            getattr(lst, setter)(value, sender=owner)
    assert getattr(lst, getter)() == before
    tx = getattr(lst, setter)(good, sender=owner)
    assert getattr(lst, getter)() == good
    assert len(tx.events) == 1


def test_treasury(lst, owner, attacker, other):
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


def test_constructor_rejects_bad_input(project, owner, x, validator, treasury):
    with ape.reverts("lst: zero treasury"):
        owner.deploy(project.LiquidStaking, x, validator, ZERO, "S", "S", 18)
    with ape.reverts("lst: unsupported decimals"):
        owner.deploy(project.LiquidStaking, x, validator, treasury, "S", "S", 5)
    with ape.reverts("lst: zero backend"):
        owner.deploy(project.LiquidStaking, x, ZERO, treasury, "S", "S", 18)
