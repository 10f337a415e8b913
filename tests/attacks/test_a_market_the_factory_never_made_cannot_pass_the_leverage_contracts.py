"""The router, the guard and the liquidator work only with markets the factory deployed: a market anybody
else deployed can be any code, and inside their calls it is the address the callbacks trust and hand data back
from. Since each remembers a factory market's LST after its first use (later calls skip asking the factory:
`factory_markets`), the attack is on that memory: an unlisted market tried before any listed one was used, and
after one was (its LST, its asset and its code the same as the listed market's: only the factory's list tells
them apart).

The defence: `factory_markets` asks the factory's `is_market` before it remembers a market, and remembers it
under that market's own address only.
"""

from __future__ import annotations

import pytest
from boa_leverage import deploy_leverage
from boa_system import MAX_UINT, WAD, RevmChain, deploy_system, lend, reverts, router_user, stake

from levstake.deploy import DEFAULT_LLTV, DEFAULT_MAX_LTV, DEFAULT_RESERVE_FACTOR

DEADLINE = 2**64


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    lend(system, 1_000_000)
    stake(system, "staker", 100_000)
    # The same code, tokens, oracle and parameters as the listed market, deployed outside the factory.
    unlisted = system.chain.deploy(
        "lending/LendingMarket.vy",
        system.x,
        system.lst,
        system.oracle,
        system.irm,
        DEFAULT_MAX_LTV,
        DEFAULT_LLTV,
        DEFAULT_RESERVE_FACTOR,
        system.treasury,
        system.guardian,
        "Unlisted X lending",
        "ulX",
        decimals,
        sender=system.owner,
    )
    lender = system.chain.generate_address("unlisted lender")
    system.mint_x(lender, system.units(1_000_000))
    system.x.approve(unlisted, MAX_UINT, sender=lender)
    unlisted.deposit(system.units(1_000_000), sender=lender)
    user = router_user(system, "user", 10_000)
    unlisted.set_authorization(system.router, True, sender=user)
    system.lst.approve(system.router, MAX_UINT, sender=user)
    system.x.approve(system.lst, MAX_UINT, sender=user)
    leverage = deploy_leverage(system)
    return system, leverage, unlisted, user


def assert_every_entry_point_refuses(system, leverage, unlisted, user) -> None:
    router, guard, liquidator = system.router, leverage.guard, leverage.liquidator
    shares = system.lst.deposit(system.units(10), sender=user)
    for call in (
        lambda: guard.remember_market(unlisted, sender=user),
        lambda: guard.set_guard(unlisted, 12 * WAD // 10, 5 * WAD, 10, 0, sender=user),
        lambda: guard.checkpoint(unlisted, sender=user),
    ):
        with reverts("guard: unknown market"):
            call()
    for call in (
        lambda: liquidator.remember_market(unlisted, sender=user),
        lambda: liquidator.liquidate(unlisted, user, 0, 1, 0, DEADLINE, sender=user),
        lambda: liquidator.quote(unlisted, user, 0, 0),
    ):
        with reverts("liquidator: unknown market"):
            call()
    calls = (
        lambda: router.remember_market(unlisted, sender=user),
        lambda: router.open(unlisted, system.units(100), 10 * WAD, 0, DEADLINE, sender=user),
        lambda: router.open_with_lst(unlisted, shares, 10 * WAD, 0, DEADLINE, sender=user),
        lambda: router.loop(unlisted, system.units(100), 3, 0, DEADLINE, sender=user),
        lambda: router.adjust(unlisted, 5 * WAD, 0, DEADLINE, sender=user),
        lambda: router.close(unlisted, 0, DEADLINE, sender=user),
    )
    for call in calls:
        with reverts("router: unknown market"):
            call()
    assert unlisted.positions(user) == (0, 0)


def test_an_unlisted_market_is_refused_before_any_market_was_used(world) -> None:
    system, leverage, unlisted, user = world
    with system.chain.anchor():
        assert_every_entry_point_refuses(system, leverage, unlisted, user)


def test_an_unlisted_market_is_refused_after_a_listed_one_was_remembered(world) -> None:
    system, leverage, unlisted, user = world
    with system.chain.anchor():
        system.router.open(system.market, system.units(100), 10 * WAD, 0, DEADLINE, sender=user)
        system.router.adjust(system.market, 20 * WAD, 0, DEADLINE, sender=user)
        leverage.guard.set_guard(system.market, 12 * WAD // 10, 5 * WAD, 10, 0, sender=user)
        leverage.liquidator.remember_market(system.market, sender=user)
        assert_every_entry_point_refuses(system, leverage, unlisted, user)
        # The listed market works from what the router remembered; remembering it again changes nothing.
        system.router.remember_market(system.market, sender=user)
        system.router.close(system.market, 0, DEADLINE, sender=user)
        assert system.market.positions(user) == (0, 0)
