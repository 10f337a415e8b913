"""Under negative carry (99% utilization: a 36.5% borrow APR against the LST's ~7%) interest pushes a landed
position past its target again within minutes, and the carry run keeps its trigger holding (as does a health
floor set at the edge of the target's health). `protect` paid `max_tip_bps` of the whole equity for each of
those slivers of a step: a keeper polling every minute stepped a 20x position 136 more times in 24 hours and
took 73% of its equity in tips (the nineteenth session's outside review, `attack-19g`; 35.9% at the README's
settings: a 0.5% tip and a keeper every 15 minutes).

The defence: the tip is of the equity, or of the collateral value the step moves ((leverage - target) x
equity) when that is less. The repeated steps then pay in proportion to the drift they undo: at this 20x
target a fraction of one whole tip over two days (near the maximum leverage a few whole tips: README, Known
gaps).
"""

from __future__ import annotations

import pytest
from boa_leverage import borrow_to_utilization, deploy_leverage, guarded_user, utilizer
from boa_system import ORACLE_SCALE, WAD, RevmChain, attempt, deploy_system, lend

TARGET = 20 * WAD
MAX_TIP_BPS = 100
POLL = 300  # a keeper reading `status` every 5 minutes
HOUR = 3_600


def equity(system, user) -> int:
    collateral, debt, _, _ = system.market.position(user)
    return collateral * system.oracle.price() // ORACLE_SCALE - debt


@pytest.mark.parametrize("trigger", ["carry", "edge-floor"])
def test_repeated_protects_of_a_drifting_position_pay_for_the_drift_only(decimals, trigger: str) -> None:
    system = deploy_system(decimals, RevmChain())
    lend(system, 1_000_000)
    leverage = deploy_leverage(system)
    market, guard = system.market, leverage.guard
    if trigger == "carry":
        floor, carry_hours = 1_005 * WAD // 1_000, 24
    else:
        floor, carry_hours = (market.lltv() * TARGET - 1) // (TARGET - WAD), 0
    owner = guarded_user(leverage, "owner", 100, 50, floor, TARGET, MAX_TIP_BPS, carry_hours)
    borrow_to_utilization(system, utilizer(system), 99 * WAD // 100)
    keeper = system.chain.generate_address("keeper")
    tips, elapsed, since_checkpoint = [], 0, HOUR
    while elapsed < 48 * HOUR:
        system.chain.time_travel(POLL)
        elapsed += POLL
        since_checkpoint += POLL
        if since_checkpoint >= HOUR:
            guard.checkpoint(market, sender=keeper)
            since_checkpoint = 0
        status = guard.status(market, owner)
        if status.health_trigger or status.carry_trigger:
            before = equity(system, owner)
            tip, reason = attempt(guard.protect, market, owner, MAX_TIP_BPS, sender=keeper)
            if reason is None:
                tips.append((tip, before))
    assert len(tips) >= 20, "the position did not drift past its target again and again"
    first_tip, _ = tips[0]
    later = sum(tip for tip, _ in tips[1:])
    # Each later step undoes a few thousandths of a leverage unit: its tip is of that, not of the equity, and
    # two days of them pay less than the one whole tip (before: 73 whole tips).
    assert later < first_tip, f"{len(tips) - 1} later protects paid {later}, the first alone {first_tip}"
    assert max(tip * 100 // (before * MAX_TIP_BPS // 10_000) for tip, before in tips[1:]) == 0
