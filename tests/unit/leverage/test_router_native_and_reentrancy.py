"""Native-coin entry, and a malicious base asset that tries to re-enter the router mid-open."""

import ape
import pytest
from ape.exceptions import ContractLogicError

from levstake.deploy import deploy_lending, deploy_router, deploy_staking

WAD = 10**18


@pytest.fixture
def native_system(project, owner, treasury, guardian):
    staking = deploy_staking(project, owner, treasury.address)
    lending = deploy_lending(project, owner, staking, treasury.address, guardian.address)
    router = deploy_router(project, owner, lending.factory, staking.x.address)
    return staking, lending.market, router


def test_open_native_wraps_and_levers(native_system, lender, leverager, chain):
    staking, market, router = native_system
    staking.x.deposit(sender=lender, value=100 * WAD)
    staking.x.approve(market, 2**256 - 1, sender=lender)
    market.deposit(100 * WAD, sender=lender)
    market.set_authorization(router, True, sender=leverager)
    router.open_native(market, 5 * WAD, 0, chain.pending_timestamp + 60, sender=leverager, value=10 * WAD)
    collateral, debt, _, _ = market.position(leverager)
    assert collateral == staking.lst.convertToShares(50 * WAD)
    assert abs(debt - 40 * WAD) <= 2
    assert staking.x.balanceOf(router) == 0 and router.balance == 0


def test_open_native_without_value_reverts(native_system, leverager, chain):
    _, market, router = native_system
    with ape.reverts("router: zero assets"):
        router.open_native(market, 5 * WAD, 0, chain.pending_timestamp + 60, sender=leverager)


@pytest.fixture
def evil_system(project, owner, treasury, guardian, decimals):
    """The whole protocol over a base asset that calls back into the router from its transfers."""
    evil = owner.deploy(project.MockReentrantToken, decimals)
    staking = deploy_staking(project, owner, treasury.address, x=evil)
    lending = deploy_lending(project, owner, staking, treasury.address, guardian.address)
    return evil, lending.market, deploy_router(project, owner, lending.factory)


def test_reentrant_asset_cannot_reenter_open(evil_system, lender, attacker, chain):
    evil, market, router = evil_system
    for account, spender in ((lender, market), (attacker, router)):
        evil.mint(account, 1_000 * WAD, sender=account)
        evil.approve(spender, 2**256 - 1, sender=account)
    market.deposit(1_000 * WAD, sender=lender)
    market.set_authorization(router, True, sender=attacker)
    deadline = chain.pending_timestamp + 60
    # While the router pulls X, the token tries to open a second position through it.
    evil.arm(router, router.open.encode_input(market, WAD, 50 * WAD, 0, deadline), sender=attacker)
    with pytest.raises(ContractLogicError) as error:
        router.open(market, WAD, 10 * WAD, 0, deadline, sender=attacker)
    # Vyper's lock reverts without a reason; without the lock the inner open would get as far as
    # the market and fail there ("market: unauthorized", the token being the caller).
    assert error.value.revert_message == "Transaction failed."
    assert market.positions(attacker) == (0, 0)
    assert evil.balanceOf(router) == 0
    # Disarmed, the same call works: the revert came from the re-entry.
    evil.arm(ape.utils.ZERO_ADDRESS, b"", sender=attacker)
    router.open(market, WAD, 10 * WAD, 0, deadline, sender=attacker)
    assert market.positions(attacker)[0] > 0
