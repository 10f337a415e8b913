"""
The keeper's batched reads on revm equal the contracts' own views: a position's debt and health from the lens
and one market read equal `LendingMarket.position` (so the bot's health < 1 is the market's), the plans
equal `Liquidator.quote`, the statuses `LeverageGuard.status`; and the scan makes one round trip however
many positions (2,000 per lens call).
"""

from __future__ import annotations

import pytest
from boa_leverage import borrow_to_utilization, deploy_leverage, guarded_user, open_position, utilizer
from boa_system import WAD, RevmChain, deploy_system, lend, set_lst_parameter
from revm_chain import _artifacts
from revm_reads import RevmTransport, deployment_of

from levstake.deployment import LEVERAGE_TYPES
from levstake.keeper import scan
from levstake.reads import Reader

DAY = 86_400


@pytest.fixture(scope="module")
def scanned(decimals):
    system = deploy_system(decimals, RevmChain())
    leverage = deploy_leverage(system)
    lens = system.chain.deploy("leverage/PositionLens.vy", sender=system.owner)
    lend(system, 10_000)
    users = [
        open_position(system, f"borrower{i}", 10 + i, leverage) for i, leverage in enumerate((50, 45, 30, 10))
    ]
    guarded = guarded_user(leverage, "guarded", 20, 50, WAD * 1005 // 1000, 20 * WAD, 50)
    borrow_to_utilization(system, utilizer(system), WAD * 99 // 100)
    system.chain.time_travel(14 * DAY)
    deployment = deployment_of(system)
    deployment.contracts.update(
        liquidator=leverage.liquidator.address, guard=leverage.guard.address, lens=lens.address
    )
    paths = {"Liquidator": "leverage/Liquidator.vy", "LeverageGuard": "leverage/LeverageGuard.vy"}
    paths["PositionLens"] = "leverage/PositionLens.vy"
    deployment.abis.update({name: _artifacts(paths[name])[2] for name in LEVERAGE_TYPES.values()})
    transport = RevmTransport(system.chain)
    reader = Reader(transport, deployment)
    stranger = system.chain.generate_address("never borrowed")
    return system, leverage, reader, transport, [*users, guarded, stranger], guarded


def test_scanned_health_and_debt_are_the_markets_own(scanned) -> None:
    system, _, reader, _, users, _ = scanned
    block = reader.block()
    positions = scan.read_positions(reader, users, block, chunk=2)
    assert [p.user for p in positions] == users
    for position in positions:
        collateral, debt, _, health = system.market.position(position.user)
        assert (position.collateral, position.debt, position.health) == (collateral, debt, health)
    liquidatable = scan.liquidatable(positions)
    assert liquidatable == [p.user for p in positions if system.market.position(p.user)[3] < WAD]
    # The 50x and 45x positions fell below 1 in two weeks at 99% utilization; the 10x one did not.
    assert users[0] in liquidatable and users[3] not in liquidatable


def test_one_round_trip_reads_every_position_whatever_the_chunk(scanned) -> None:
    _, _, reader, transport, users, _ = scanned
    block = reader.block()
    before = transport.round_trips
    assert scan.read_positions(reader, users, block, chunk=1) == scan.read_positions(reader, users, block)
    assert transport.round_trips == before + 2


def test_plans_are_the_liquidators_quotes(scanned) -> None:
    system, leverage, reader, _, users, _ = scanned
    block = reader.block()
    for keep in (False, True):
        for plan in scan.liquidation_plans(reader, users[:2], block, keep):
            quote = leverage.liquidator.quote(system.market, plan.user, 0, 0, keep)
            assert (plan.seized, plan.repaid, plan.exit_assets, plan.profit, plan.reason) == (
                quote[2], quote[3], quote[4], quote[6], quote[7]
            )  # fmt: skip
            assert scan.worth_liquidating(plan, 0) == (plan.reason or None)


def test_statuses_are_the_guards(scanned) -> None:
    system, leverage, reader, _, users, guarded = scanned
    (status,) = scan.guard_statuses(reader, [guarded], reader.block())
    assert tuple(leverage.guard.status(system.market, guarded)) == (
        status.guarded, status.authorized, status.health, status.leverage, status.carry_run,
        status.health_trigger, status.carry_trigger,
    )  # fmt: skip
    assert status.health_trigger and scan.protect_due(status) == "health"
    (unguarded,) = scan.guard_statuses(reader, [users[0]], reader.block())
    assert scan.protect_due(unguarded) is None


def test_the_tip_the_keeper_expects_is_the_one_protect_pays(scanned) -> None:
    system, leverage, reader, _, _, guarded = scanned
    market, guard = system.market, leverage.guard
    with system.chain.anchor():
        # `protect` checkpoints (a reward sync) and accrues first: done here, so both read the same state.
        guard.checkpoint(market)
        market.accrue_interest()
        block = reader.block()
        (position,) = scan.read_positions(reader, [guarded], block)
        _, target, tip_bps, _ = guard.settings(market, guarded)
        expected = scan.protect_tip(position, system.oracle.price(), target, tip_bps)
        assert guard.protect(market, guarded, tip_bps) == expected > 0


def test_a_sliver_of_a_step_earns_a_sliver_of_a_tip() -> None:
    price = 10**36  # 1 X per share
    # 50x on 1 X of equity to 20x: the step moves 30 X, more than the equity: the tip is of the equity.
    big = scan.ScannedPosition("u", 50 * 10**18, 0, 49 * 10**18, 0)
    assert scan.protect_tip(big, price, 20 * WAD, 100) == 10**16
    # 20.002x to 20x: the step moves 0.002 X of collateral value: the tip is of that.
    sliver = scan.ScannedPosition("u", 20_002 * 10**15, 0, 19_002 * 10**15, 0)
    assert scan.protect_tip(sliver, price, 20 * WAD, 100) == 2 * 10**15 // 100
    # Insolvent, or at the target: nothing.
    for collateral, debt in ((10, 10), (20 * 10**18, 19 * 10**18)):
        assert scan.protect_tip(scan.ScannedPosition("u", collateral, 0, debt, 0), price, 20 * WAD, 100) == 0


def test_a_position_the_buffer_cannot_pay_whole_is_liquidated_in_part(scanned) -> None:
    """The whole liquidation's seized LST is past what the LST's buffer pays at once: the plan is the most
    profitable part that fits, and `liquidate` with its sizes lands what it quoted. (The keeper quoted only
    the whole and skipped such a position every block: an operator's walkthrough saw one sink for 30 days.)"""
    system, leverage, reader, _, _, _ = scanned
    lst, market, liquidator = system.lst, system.market, leverage.liquidator
    with system.chain.anchor():
        lend(system, 20_000)
        whale = open_position(system, "whale", 100, 50)
        borrow_to_utilization(system, utilizer(system), WAD * 99 // 100)
        set_lst_parameter(system, "target_buffer_bps", 500)  # the least target, 10 days to apply
        system.chain.time_travel(4 * DAY)
        lst.rebalance(sender=whale)  # the buffer at its target, below what the whole liquidation seizes
        whole = liquidator.quote(market, whale, 0, 0)
        assert whole[7] == "liquidator: buffer too small" and whole[2] > lst.max_instant_redeem()
        (plan,) = scan.liquidation_plans(reader, [whale], reader.block())
        assert not plan.reason and 0 < plan.seized <= lst.max_instant_redeem() and plan.profit > 0
        sizes = scan.part_sizes(lst.max_instant_redeem())
        parts = [liquidator.quote(market, whale, size, 0) for size in sizes]
        assert plan.profit == max(part[6] for part in parts if not part[7])
        keeper = system.chain.generate_address("keeper")
        liquidator.liquidate(market, whale, plan.seized_assets, plan.repaid_shares, 0, 2**40, sender=keeper)
        assert system.x.balanceOf(keeper) == plan.profit  # what the plan quoted, to the unit
        assert market.position(whale)[0] > 0  # a part: the rest waits for the buffer
