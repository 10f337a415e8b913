"""WETH9-style wrapper with EIP-2612 permit."""

import ape
import pytest
from eth_account import Account

from levstake.signing import permit_message, sign_typed_data


@pytest.fixture
def wnative(project, owner):
    return owner.deploy(project.WrappedNative, "Wrapped Native", "WNAT")


def test_deposit_and_withdraw(wnative, other):
    tx = wnative.deposit(sender=other, value=10**18)
    assert wnative.balanceOf(other) == 10**18
    assert tx.events.filter(wnative.Deposit)[0].amount == 10**18
    other.transfer(wnative, 5)
    assert wnative.balanceOf(other) == 10**18 + 5
    before = other.balance
    tx = wnative.withdraw(10**18, sender=other)
    assert wnative.balanceOf(other) == 5
    assert other.balance == before + 10**18 - tx.total_fees_paid
    assert wnative.decimals() == 18


def test_bad_input(wnative, other):
    with ape.reverts("wnative: zero amount"):
        wnative.deposit(sender=other, value=0)
    with ape.reverts("wnative: zero amount"):
        wnative.withdraw(0, sender=other)
    with ape.reverts("erc20: burn amount exceeds balance"):
        wnative.withdraw(1, sender=other)


def test_permit(wnative, other, chain):
    signer = Account.create()
    deadline = chain.pending_timestamp + 3_600
    message = permit_message(
        "Wrapped Native", chain.chain_id, wnative.address, signer.address, other.address, 123, 0, deadline
    )
    v, r, s = sign_typed_data(signer.key, message)
    wnative.permit(signer.address, other, 123, deadline, v, r, s, sender=other)
    assert wnative.allowance(signer.address, other) == 123
    assert wnative.nonces(signer.address) == 1
    with ape.reverts("erc20: invalid signature"):
        wnative.permit(signer.address, other, 123, deadline, v, r, s, sender=other)
