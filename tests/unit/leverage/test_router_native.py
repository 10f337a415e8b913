"""Native-coin entry: open with the chain's coin, wrapped on the way in."""

import ape
import pytest

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
    # Nothing kept and no allowance left (the native coin included).
    assert staking.x.balanceOf(router) == 0 and router.balance == 0
    assert staking.lst.balanceOf(router) == 0 and market.balanceOf(router) == 0
    for token in (staking.x, staking.lst):
        for spender in (staking.lst, market):
            assert token.allowance(router, spender) == 0


def test_open_native_without_value_reverts(native_system, leverager, chain):
    _, market, router = native_system
    with ape.reverts("router: zero assets"):
        router.open_native(market, 5 * WAD, 0, chain.pending_timestamp + 60, sender=leverager)
