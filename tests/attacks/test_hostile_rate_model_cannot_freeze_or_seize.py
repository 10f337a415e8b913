"""Anybody could create a market the factory lists as its own with a rate model they control: the review built
a look-alike (every view but `irm()` equal to the official market's, `is_market` true, accepted by the router)
whose model could be switched. Reverting, it froze 6 of 6 exits the README says nobody can pause (router
close, repay, lender withdraw, `withdraw_collateral`, `liquidate`, `accrue_interest`), locking 50,000 X of
lenders' funds and 10,000 stX of collateral; at 4,256,754% APR for one 12-second block it took two 50x
positions to health 0.994, and the creator, as lender and liquidator, took 174 X of the borrowers' 200 X.

The defences: the factory lists only markets whose rate model and oracle its owner enabled; and every market
calls the model with a gas limit, bounds its answer at 1,000% a year and falls back to the last rate when it
fails, so even an enabled model that breaks can block nothing and seize nothing.
"""

from __future__ import annotations

import boa
import pytest
from boa_system import MAX_UINT, WAD, deploy_system, deployer, router_user

from levstake.deploy import DEFAULT_LLTV, DEFAULT_MAX_LTV, DEFAULT_RESERVE_FACTOR

SWITCHABLE_MODEL = """
# pragma version 0.4.3
# 0: 5% a year, 1: revert, 2: burn all gas, 3: 4,256,754% a year, 4: answer nothing
mode: public(uint256)

@external
def set_mode(mode: uint256):
    self.mode = mode

@view
@external
def borrow_apr(utilization: uint256) -> uint256:
    if self.mode == 1:
        raise "model: off"
    if self.mode == 2:
        x: uint256 = 0
        for i: uint256 in range(10**9):
            x = unsafe_add(x, i)
        return x
    if self.mode == 3:
        return 42_567_540_000_000_000_000_000
    if self.mode == 4:
        raw_revert(b"")
    return 50_000_000_000_000_000

@view
@external
def borrow_rate(utilization: uint256) -> uint256:
    return 0
"""


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals)
    model = boa.loads(SWITCHABLE_MODEL)
    return system, model


def test_the_factory_lists_no_market_with_a_model_its_owner_did_not_enable(world) -> None:
    system, model = world
    creator = boa.env.generate_address("creator")
    with boa.reverts("factory: irm not enabled"):
        system.factory.create_market(
            system.x, system.lst, system.oracle, model, DEFAULT_MAX_LTV, DEFAULT_LLTV, 0, "Look", "LOOK",
            sender=creator,
        )
    rogue_oracle = deployer("lending/ExchangeRateOracle.vy").deploy(system.lst, WAD)
    with boa.reverts("factory: oracle not enabled"):
        system.factory.create_market(
            system.x, system.lst, rogue_oracle, system.irm, DEFAULT_MAX_LTV, DEFAULT_LLTV, 0, "Look", "LOOK",
            sender=creator,
        )
    with boa.reverts("ownable: caller is not the owner"):
        system.factory.enable_irm(model, sender=creator)


@pytest.fixture(scope="module")
def enabled_but_broken(world):
    """The worst case: the owner enabled the model, and it breaks after markets are live."""
    system, model = world
    system.factory.enable_irm(model, sender=system.owner)
    address = system.factory.create_market(
        system.x, system.lst, system.oracle, model, DEFAULT_MAX_LTV, DEFAULT_LLTV, DEFAULT_RESERVE_FACTOR,
        "Second", "lsX2", sender=system.owner,
    )
    market = deployer("lending/LendingMarket.vy").at(address)
    lender = boa.env.generate_address("lender2")
    system.mint_x(lender, system.units(50_000))
    system.x.approve(market, MAX_UINT, sender=lender)
    market.deposit(system.units(50_000), sender=lender)
    borrowers = []
    for name in ("first", "second"):
        user = router_user(system, name, 100)
        system.market.set_authorization(system.router, True, sender=user)
        market.set_authorization(system.router, True, sender=user)
        system.router.open(market, system.units(100), 50 * WAD, 0, 2**64, sender=user)
        borrowers.append(user)
    boa.env.time_travel(seconds=12)
    market.accrue_interest()
    return system, model, market, lender, borrowers


@pytest.mark.parametrize("mode", [1, 2, 4])
def test_a_failing_model_blocks_no_exit(enabled_but_broken, mode: int) -> None:
    system, model, market, lender, (first, second) = enabled_but_broken
    with boa.env.anchor():
        apr = market.last_borrow_apr()
        model.set_mode(mode)
        boa.env.time_travel(seconds=3_600)
        market.accrue_interest()
        assert market.last_borrow_apr() == apr, "the last rate applies"
        system.router.close(market, 0, 2**64, sender=first)
        assert market.positions(first) == (0, 0)
        shares = market.positions(second)[1]
        system.mint_x(second, system.units(10_000))
        system.x.approve(market, MAX_UINT, sender=second)
        market.repay(0, shares, second, sender=second)
        market.withdraw_collateral(market.positions(second)[0], second, second, sender=second)
        market.redeem(market.maxRedeem(lender), sender=lender)
        assert market.balanceOf(lender) == 0 or market.maxRedeem(lender) == 0


def test_a_model_cannot_liquidate_anybody_in_a_block(enabled_but_broken) -> None:
    system, model, market, lender, borrowers = enabled_but_broken
    with boa.env.anchor():
        health = [market.position(user)[3] for user in borrowers]
        model.set_mode(3)
        boa.env.time_travel(seconds=12)
        market.accrue_interest()
        for user, before in zip(borrowers, health, strict=True):
            after = market.position(user)[3]
            assert after >= WAD, "still healthy"
            # 1,000% a year for 12 seconds is 3.8e-6 of the debt, not 12,000x that.
            assert before - after < before // 100_000
        for user in borrowers:
            with boa.reverts("market: position is healthy"):
                market.liquidate(user, 0, market.positions(user)[1] // 2, sender=lender)
