"""The router approved the LST of any factory market it was used with for an unlimited amount of X (`loop`),
and the market for its LST. Latent while no user flow runs foreign code with X in the router, but an allowance
that outlives the transaction is a door nobody should rely on staying shut.

The defence: the router approves exactly what the next call pulls (the loop: the LST once, for all its rounds)
and resets every allowance it gave before returning, on every entry point.
"""

from __future__ import annotations

import pytest
from boa_system import MAX_UINT, WAD, RevmChain, deploy_system, lend, router_user, stake

from levstake.model import CLOSE_TO_LST, CLOSE_TO_QUEUE, CLOSE_TO_X


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    lend(system, 10_000_000)
    stake(system, "staker", 1_000_000)
    user = router_user(system, "user", 10_000)
    system.lst.approve(system.router, MAX_UINT, sender=user)
    return system, user


def assert_router_holds_nothing(system) -> None:
    router, x, lst, market = system.router, system.x, system.lst, system.market
    assert x.allowance(router, lst) == 0
    assert x.allowance(router, market) == 0
    assert lst.allowance(router, market) == 0
    assert x.balanceOf(router) == lst.balanceOf(router) == market.balanceOf(router) == 0


@pytest.mark.parametrize("mode", [CLOSE_TO_X, CLOSE_TO_LST, CLOSE_TO_QUEUE])
def test_every_entry_point_leaves_no_allowance(world, mode: int) -> None:
    system, user = world
    router, market = system.router, system.market
    with system.chain.anchor():
        router.loop(market, system.units(100), 5, 0, 2**64, sender=user)
        assert_router_holds_nothing(system)
        router.open(market, system.units(100), 20 * WAD, 0, 2**64, sender=user)
        assert_router_holds_nothing(system)
        router.adjust(market, 30 * WAD, 0, 2**64, sender=user)
        assert_router_holds_nothing(system)
        router.adjust(market, 5 * WAD, 0, 2**64, sender=user)
        assert_router_holds_nothing(system)
        router.close(market, 0, 2**64, mode, sender=user)
        assert_router_holds_nothing(system)


def test_open_with_lst_leaves_no_allowance(world) -> None:
    system, user = world
    with system.chain.anchor():
        system.x.approve(system.lst, MAX_UINT, sender=user)
        shares = system.lst.deposit(system.units(100), sender=user)
        system.router.open_with_lst(system.market, shares, 10 * WAD, 0, 2**64, sender=user)
        assert_router_holds_nothing(system)
