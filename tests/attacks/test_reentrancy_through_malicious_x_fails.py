"""
A malicious base asset X that calls back into the protocol from inside its transfers.

The LST and the router hold a reentrancy lock, so a re-entry reverts. The market has no lock by design
(Morpho-style callbacks let a caller act mid-call): it books every change before it moves tokens, and it pulls
what it is owed last, so a re-entry sees finished books and cannot leave without paying.
"""

import ape
import pytest
from ape.exceptions import ContractLogicError

from levstake.deploy import deploy_lending, deploy_router, deploy_staking

WAD = 10**18


@pytest.fixture
def evil(project, owner, decimals):
    return owner.deploy(project.MockReentrantToken, decimals)


@pytest.fixture
def evil_lst(project, owner, treasury, evil, decimals):
    validator = owner.deploy(project.SimulatedValidator, evil, 800)
    governor = owner.deploy(project.StakingGovernor)
    lst = owner.deploy(
        project.LiquidStaking, evil, validator, treasury, "Evil stX", "estX", decimals, governor
    )
    governor.bind(lst, sender=owner)
    return lst


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


def test_market_repay_reentered_to_take_collateral_still_has_to_pay(project, evil_system, lender, attacker):
    """Repay books the debt as paid, then pulls X; the token withdraws the collateral in between."""
    evil, market, _ = evil_system
    lst = project.LiquidStaking.at(market.collateral_token())
    evil.mint(lender, 1_000 * WAD, sender=lender)
    evil.approve(market, 2**256 - 1, sender=lender)
    market.deposit(1_000 * WAD, sender=lender)
    evil.mint(attacker, 100 * WAD, sender=attacker)
    evil.approve(lst, 2**256 - 1, sender=attacker)
    evil.approve(market, 2**256 - 1, sender=attacker)
    lst.deposit(100 * WAD, attacker, sender=attacker)
    lst.approve(market, 2**256 - 1, sender=attacker)
    market.supply_collateral(lst.balanceOf(attacker), attacker, sender=attacker)
    market.borrow(50 * WAD, 0, attacker, attacker, sender=attacker)
    evil.transfer(lender, evil.balanceOf(attacker), sender=attacker)  # spend the loan
    market.set_authorization(evil, True, sender=attacker)  # the token may act for the attacker
    position = market.positions(attacker)
    take_all = market.withdraw_collateral.encode_input(position.collateral, attacker, attacker)

    evil.arm(market, take_all, sender=attacker)
    with pytest.raises(ContractLogicError):
        market.repay(0, position.borrow_shares, attacker, sender=attacker)
    assert market.positions(attacker) == position
    assert lst.balanceOf(attacker) == 0

    # With the X to pay, the same re-entry goes through: the collateral leaves only because the debt is paid.
    # (Minting does not trigger the hook, still armed since the failed repay rolled everything back.)
    evil.mint(attacker, 60 * WAD, sender=attacker)
    market.repay(0, position.borrow_shares, attacker, sender=attacker)
    assert market.positions(attacker) == (0, 0)
    assert lst.balanceOf(attacker) == position.collateral
    assert evil.balanceOf(market) + market.total_borrow_assets() >= market.totalAssets()
