"""The LST's owner (through its StakingGovernor) changes a parameter in the block before a leveraged user's
transaction. The review's run: a 50x position with 1,000 X of equity, then `set_instant_fee(500)` in one step:
its instant-exit value became -1,380.95 X and every router exit reverted (close to X, close to LST, adjust to
10x, 25x, 45x); a 10x -> 5x adjust sent with `min_equity = 0` and front-run by the change ended with 687.50 X
instead of 994.98 X; and `set_max_apr(1)` stopped counted rewards while interest ran on, so a 50x position at
29% utilization became liquidatable after 191 days.

The defences: every parameter change is announced to the LST's governor and applies only after 10 days
(anybody applies it through the governor; events at both steps; the LST takes writes from its governor only),
within bounds a max-leverage position can pay: the instant fee at most 0.5% at the target buffer and 1% at an
empty one (a position at the factory's 98% max LTV holds 2% of its collateral as equity), the counted-reward
cap at least 10% a year.
"""

from __future__ import annotations

import pytest
from boa_system import WAD, fifty_x_world, reverts, router_user

from levstake.model import LST_PARAMETER_DELAY, LST_PARAMETERS

DAY = 86_400
FEE, CEILING, MAX_APR = (
    LST_PARAMETERS[name] for name in ("instant_fee_bps", "max_instant_fee_bps", "max_apr_bps")
)


@pytest.fixture(scope="module")
def world(decimals):
    return fifty_x_world(decimals)


def test_no_fee_change_applies_in_the_next_block(world) -> None:
    system, user = world
    lst, governor, owner = system.lst, system.governor, system.owner
    with system.chain.anchor():
        with reverts("governor: parameter out of bounds"):
            governor.announce_parameter(FEE, 500, sender=owner)
        with reverts("governor: parameter out of bounds"):
            governor.announce_parameter(CEILING, 101, sender=owner)
        eta = governor.announce_parameter(FEE, 50, sender=owner)
        assert eta == system.chain.timestamp + LST_PARAMETER_DELAY
        with reverts("governor: parameter delay not over"):
            governor.apply_parameter(FEE)
        assert lst.instant_fee_bps() == 10, "the user's next transaction still sees the old fee"
        # The user has ten days to react; leaving costs what it cost before the announcement.
        collateral, debt, _, _ = system.market.position(user)
        expected = lst.previewRedeem(collateral) - debt
        before = system.x.balanceOf(user)
        system.router.close(system.market, 0, 2**64, sender=user)
        assert system.x.balanceOf(user) - before == expected


def test_at_the_highest_fees_a_50x_position_can_still_leave_every_way(world) -> None:
    system, user = world
    lst, governor, owner = system.lst, system.governor, system.owner
    router, market = system.router, system.market
    with system.chain.anchor():
        governor.announce_parameter(FEE, 50, sender=owner)
        system.chain.time_travel(LST_PARAMETER_DELAY)
        governor.apply_parameter(FEE)
        governor.announce_parameter(CEILING, 100, sender=owner)
        system.chain.time_travel(LST_PARAMETER_DELAY)
        governor.apply_parameter(CEILING)
        lst.sync_rewards()
        for leverage in (45, 25, 10):
            with system.chain.anchor():
                router.adjust(market, leverage * WAD, 0, 2**64, sender=user)
        for mode in (0, 1, 2):
            with system.chain.anchor():
                before = system.x.balanceOf(user)
                router.close(market, 0, 2**64, mode, sender=user)
                assert market.positions(user) == (0, 0)
                if mode == 0:
                    assert system.x.balanceOf(user) - before > system.units(500), "most equity comes back"


def test_the_counted_reward_cap_cannot_be_cut_to_nothing(world) -> None:
    system, _ = world
    lst, governor, owner, market = system.lst, system.governor, system.owner, system.market
    with system.chain.anchor():
        with reverts("governor: parameter out of bounds"):
            governor.announce_parameter(MAX_APR, 1, sender=owner)
        governor.announce_parameter(MAX_APR, 1_000, sender=owner)
        system.chain.time_travel(LST_PARAMETER_DELAY)
        governor.apply_parameter(MAX_APR)
        # 8% staking rewards fit under a 10% cap: a 50x position's rewards keep outrunning its interest.
        user = router_user(system, "late", 1_000)
        market.accrue_interest()
        system.router.open(market, system.units(1_000), 50 * WAD, 0, 2**64, sender=user)
        health = market.position(user)[3]
        for _ in range(20):
            system.chain.time_travel(10 * DAY)
            lst.sync_rewards()
            lst.rebalance()
        assert market.position(user)[3] >= health, "200 days later it is healthier than when it opened"
