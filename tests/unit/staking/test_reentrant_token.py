"""A malicious base asset that re-enters the LST from inside its transfer is stopped by the lock."""

import ape
import pytest


@pytest.fixture
def evil(project, owner, decimals):
    return owner.deploy(project.MockReentrantToken, decimals)


@pytest.fixture
def evil_lst(project, owner, treasury, evil, decimals):
    validator = owner.deploy(project.SimulatedValidator, evil, 800)
    return owner.deploy(project.LiquidStaking, evil, validator, treasury, "Evil stX", "estX", decimals)


def test_reentry_from_transfer_from_reverts(evil, evil_lst, attacker):
    evil.mint(attacker, 10**18, sender=attacker)
    evil.approve(evil_lst, 2**256 - 1, sender=attacker)
    evil_lst.deposit(10**12, attacker, sender=attacker)
    supply = evil_lst.totalSupply()
    data = evil_lst.deposit.encode_input(10**12, attacker)
    evil.arm(evil_lst, data, sender=attacker)
    with ape.reverts("lst: reentrant call"):
        evil_lst.deposit(10**12, attacker, sender=attacker)
    assert evil_lst.totalSupply() == supply
    assert evil.balanceOf(evil_lst) == 10**12


def test_reentry_from_transfer_on_withdraw_reverts(evil, evil_lst, attacker):
    evil.mint(attacker, 10**18, sender=attacker)
    evil.approve(evil_lst, 2**256 - 1, sender=attacker)
    evil_lst.deposit(10**12, attacker, sender=attacker)
    data = evil_lst.withdraw.encode_input(10**9, attacker, attacker)
    evil.arm(evil_lst, data, sender=attacker)
    with ape.reverts("lst: reentrant call"):
        evil_lst.withdraw(10**9, attacker, attacker, sender=attacker)
    assert evil_lst.buffer() == 10**12
