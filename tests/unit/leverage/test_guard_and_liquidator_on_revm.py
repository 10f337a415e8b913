"""The guard and the liquidator end to end on revm, where hundreds of hourly keeper calls take a second
and two runs can share one clock.

- The scenario of issue 29: utilization is pushed so the borrow APR (36.5% at 99%) exceeds the staking APR
  (7.2% after the LST's fee); a keeper records a carry checkpoint every hour, syncs and rebalances the LST
  daily, and protects or liquidates whatever it can. Of three 50x positions on 100 X, one is guarded by its
  health floor, one by a 24-hour carry trigger, and their unguarded twin is liquidated through the liquidator
  once its health falls below 1, by a keeper holding no X, with lenders losing nothing.
- Invariant 7: a liquidation through the liquidator leaves the market's books exactly as a direct
  liquidation of the same size at the same moment does.
- Transient storage: two liquidations, or two protects, in one transaction (a batching contract) end as the
  same calls in two transactions.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fuzz"))

from boa_leverage import (  # noqa: E402
    borrow_to_utilization,
    deploy_leverage,
    encode_call,
    guarded_user,
    maxed_borrower,
    open_position,
    stake_and_delegate,
    utilizer,
)
from boa_system import MAX_UINT, ORACLE_SCALE, WAD, RevmChain, deploy_system, lend  # noqa: E402

HOUR = 3_600
DAY = 24 * HOUR
FLOOR = 1_005 * WAD // 1_000
TARGET = 20 * WAD
TIP_BPS = 50
LIQUIDATE = "liquidate(address,address,uint256,uint256,uint256,uint256,bool)"
PROTECT = "protect(address,address,uint256)"


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals, RevmChain())
    lend(system, 1_000_000)
    return deploy_leverage(system)


def equity(system, user) -> int:
    """Collateral value at the oracle's price less the debt."""
    collateral, debt, _, _ = system.market.position(user)
    return collateral * system.oracle.price() // ORACLE_SCALE - debt


def leverage_of(system, user, price: int) -> int:
    collateral, debt, _, _ = system.market.position(user)
    value = collateral * price // ORACLE_SCALE
    return value * WAD // (value - debt)


def test_guarded_positions_step_down_and_the_twin_is_liquidated_capital_free(world, decimals) -> None:
    system, guard, liquidator = world.system, world.guard, world.liquidator
    market, lst, x = system.market, system.lst, system.x
    with system.chain.anchor():
        by_health = guarded_user(world, "by health", 100, 50, FLOOR, TARGET, TIP_BPS)
        by_carry = guarded_user(world, "by carry", 100, 50, FLOOR, TARGET, TIP_BPS, carry_hours=24)
        twin = open_position(system, "twin", 100, 50)
        borrow_to_utilization(system, utilizer(system), 99 * WAD // 100)
        borrow_apr = market.market_state()[3]
        assert borrow_apr == 365 * WAD // 1_000
        keeper = system.chain.generate_address("keeper")
        liquidation_keeper = system.chain.generate_address("liquidation keeper")
        lenders_before = market.totalAssets()
        protected: dict[str, tuple[int, int, int, int]] = {}
        liquidation = None
        for hour in range(1, 20 * 24):
            system.chain.time_travel(HOUR)
            guard.checkpoint(market, sender=keeper)
            if hour % 24 == 0:
                lst.sync_rewards(sender=keeper)
                lst.rebalance(sender=keeper)
            for name, user in (("health", by_health), ("carry", by_carry)):
                status = guard.status(market, user)
                if name not in protected and (status.health_trigger or status.carry_trigger):
                    before, price = equity(system, user), system.oracle.price()
                    tip = guard.protect(market, user, TIP_BPS, sender=keeper)
                    assert abs(leverage_of(system, user, price) - TARGET) <= TARGET // 10**5
                    protected[name] = (hour, before, equity(system, user), tip)
            quote = liquidator.quote(market, twin, 0, 0)
            if quote.reason == "" and quote.profit > 0:
                assert x.balanceOf(liquidation_keeper) == 0, (
                    "a keeper holding no X: the liquidation is capital-free"
                )
                twin_before = equity(system, twin)
                out = liquidator.liquidate(
                    market, twin, 0, quote.repaid_shares, quote.profit, 2**64, sender=liquidation_keeper
                )
                # On revm nothing moves between the quote and the call: it is exact.
                assert out == (quote.profit, 0) and x.balanceOf(liquidation_keeper) == quote.profit
                liquidation = (hour, twin_before, quote.profit)
                break
        assert liquidation is not None, "the twin was never liquidatable"
        # The carry trigger acted at hour 27: checkpoints from hour 1, the run counted from the end of the
        # first interval (hour 2) to the start of the latest (hour 26). The health floor acted once the health
        # fell to 1.005. Both before the twin was liquidated.
        assert protected["carry"][0] == 27
        assert protected["carry"][0] < protected["health"][0] < liquidation[0]
        assert market.positions(twin).borrow_shares == 0
        assert market.bad_debt_total() == 0 and market.totalAssets() >= lenders_before
        kept = {name: equity(system, user) for name, user in (("health", by_health), ("carry", by_carry))}
        twin_left = equity(system, twin)
        assert kept["health"] > twin_left and kept["carry"] > kept["health"]
        unit = 10**decimals
        print(f"\nX with {decimals} decimals, borrow APR {borrow_apr / WAD:.1%}, 50x on 100 X each:")
        for name, (hour, before, after, tip) in protected.items():
            print(
                f"  guarded by {name}: protected at hour {hour}: equity {before / unit:.4f} -> "
                f"{after / unit:.4f} X (tip {tip / unit:.4f}); at hour {liquidation[0]}: "
                f"{kept[name] / unit:.4f} X"
            )
        print(
            f"  unguarded twin: liquidated at hour {liquidation[0]}: equity {liquidation[1] / unit:.4f} -> "
            f"{twin_left / unit:.4f} X; keeper's profit at exit value {liquidation[2] / unit:.4f} X"
        )


def test_the_market_ends_as_after_a_direct_liquidation_of_the_same_size(world) -> None:
    """Invariant 7, at one clock: the books, the borrower's position and the lenders' assets end equal; the
    LST the market holds is worth no less (the instant-unstake fee stays with stakers)."""
    system, liquidator = world.system, world.liquidator
    market, lst = system.market, system.lst
    with system.chain.anchor():
        borrower = maxed_borrower(system, "borrower", 1_000)
        stake_and_delegate(system, 100_000)
        system.validator.slash(lst, 150, sender=system.owner)
        system.chain.time_travel(HOUR)
        shares = market.positions(borrower)[1] * 2 // 3

        def books() -> tuple:
            return (
                market.total_supply_assets(),
                market.total_borrow_assets(),
                market.total_borrow_shares(),
                market.bad_debt_total(),
                market.positions(borrower),
                market.totalAssets(),
                market.totalSupply(),
                lst.balanceOf(market),
            )

        with system.chain.anchor():
            direct = system.chain.generate_address("direct")
            system.mint_x(direct, system.units(10_000))
            system.x.approve(market, MAX_UINT, sender=direct)
            market.liquidate(borrower, 0, shares, sender=direct)
            direct_books, direct_rate = books(), lst.convertToAssets(ORACLE_SCALE)
        keeper = system.chain.generate_address("keeper")
        liquidator.liquidate(market, borrower, 0, shares, 0, 2**64, sender=keeper)
        assert books() == direct_books
        assert lst.convertToAssets(ORACLE_SCALE) >= direct_rate


def run_batch(system, batch, calls: list[bytes], target) -> None:
    batch.run([(target.address, data) for data in calls])


def test_two_liquidations_in_one_transaction_end_as_in_two(world) -> None:
    system, liquidator = world.system, world.liquidator
    market, lst, x = system.market, system.lst, system.x
    with system.chain.anchor():
        first, second = (maxed_borrower(system, alias, 1_000) for alias in ("first", "second"))
        stake_and_delegate(system, 100_000)
        system.validator.slash(lst, 150, sender=system.owner)
        batch = system.chain.deploy("mocks/MockBatch.vy", sender=system.owner)
        calls = [
            encode_call(LIQUIDATE, market, first, 0, market.positions(first)[1], 0, 2**64, True),
            encode_call(LIQUIDATE, market, second, 0, market.positions(second)[1], 0, 2**64, False),
        ]
        with system.chain.anchor():
            for data in calls:
                run_batch(system, batch, [data], liquidator)
            apart = (
                x.balanceOf(batch),
                lst.balanceOf(batch),
                market.positions(first),
                market.positions(second),
            )
        run_batch(system, batch, calls, liquidator)
        together = (
            x.balanceOf(batch),
            lst.balanceOf(batch),
            market.positions(first),
            market.positions(second),
        )
        assert together == apart
        assert apart[0] > 0 and apart[1] > 0, "the first kept LST, the second paid X"


def test_two_protects_in_one_transaction_end_as_in_two(world) -> None:
    system, guard = world.system, world.guard
    market, lst, x = system.market, system.lst, system.x
    with system.chain.anchor():
        users = [guarded_user(world, alias, 100, 50, FLOOR, TARGET, TIP_BPS) for alias in ("first", "second")]
        stake_and_delegate(system, 100_000)
        system.validator.slash(lst, 60, sender=system.owner)
        assert all(guard.status(market, user).health_trigger for user in users)
        batch = system.chain.deploy("mocks/MockBatch.vy", sender=system.owner)
        calls = [encode_call(PROTECT, market, user, TIP_BPS) for user in users]
        with system.chain.anchor():
            for data in calls:
                run_batch(system, batch, [data], guard)
            apart = (x.balanceOf(batch), *(market.positions(user) for user in users))
        run_batch(system, batch, calls, guard)
        together = (x.balanceOf(batch), *(market.positions(user) for user in users))
        assert together == apart and apart[0] > 0
