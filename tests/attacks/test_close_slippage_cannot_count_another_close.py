"""Two router calls in one transaction (a Safe batch, a multicall, an ERC-4337 bundle whose bundler puts its
own close first) share the router's transient storage. The fifth review (issue 26) found that `_queued_assets`
and `_queued_id`, set by a close that queues its rest (mode 2), were never reset: a later `close` in the same
transaction added the other close's queued unstake to its own `out_value` before the `min_out` check, and its
`Closed` event reported the other close's request. The review's position: equity 100 X, `min_out` 150 X; alone
the close reverted `router: slippage`, after a mode-2 close of another market in the same transaction it
passed and returned 99.00 X, its event saying `queued_assets` 99.10 X.

The defence: `close` resets both before anything else, so each close counts only what it delivers itself. A
batching smart account (`contracts/mocks/MockBatcher.vy`) makes the calls in one transaction.
"""

from __future__ import annotations

import boa
import pytest
from boa_system import WAD, deploy_system, deployer, lend, reverts

from levstake.deploy import DEFAULT_LLTV, DEFAULT_MAX_LTV, DEFAULT_RESERVE_FACTOR

DEADLINE = 2**64
CLOSE_TO_X, CLOSE_TO_QUEUE = 0, 2


def close(market, min_out: int, mode: int) -> tuple:
    return (False, market.address, 0, 0, min_out, mode)


def open_call(market, assets: int, leverage: int) -> tuple:
    return (True, market.address, assets, leverage * WAD, 0, 0)


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals)
    factory, owner = system.factory, system.owner
    other = factory.create_market(
        system.x,
        system.lst,
        system.oracle,
        system.irm,
        DEFAULT_MAX_LTV,
        DEFAULT_LLTV,
        DEFAULT_RESERVE_FACTOR,
        "Other X lending",
        "lsX2",
        sender=owner,
    )
    second = deployer("lending/LendingMarket.vy").at(other)
    lend(system, 1_000_000)
    lender = boa.env.generate_address("lender of the second market")
    system.mint_x(lender, system.units(1_000_000))
    system.x.approve(second, 2**256 - 1, sender=lender)
    second.deposit(system.units(1_000_000), sender=lender)
    account = boa.env.generate_address("smart account owner")
    with boa.env.prank(account):
        batcher = deployer("mocks/MockBatcher.vy").deploy(
            system.router, system.x, system.lst, [system.market.address, second.address]
        )
    system.mint_x(batcher.address, system.units(1_100))
    # Equity 1,000 X on the second market, 100 X on the default one.
    batcher.run([open_call(second, system.units(1_000), 5)], DEADLINE, sender=account)
    batcher.run([open_call(system.market, system.units(100), 5)], DEADLINE, sender=account)
    return system, second, batcher, account


def test_a_close_alone_is_bound_by_its_own_min_out(world) -> None:
    system, _, batcher, account = world
    with boa.env.anchor(), reverts("router: slippage"):
        batcher.run([close(system.market, system.units(150), CLOSE_TO_X)], DEADLINE, sender=account)


def test_a_queued_close_first_in_the_batch_does_not_count_for_the_next(world) -> None:
    system, second, batcher, account = world
    with boa.env.anchor(), reverts("router: slippage"):
        batcher.run(
            [close(second, 0, CLOSE_TO_QUEUE), close(system.market, system.units(150), CLOSE_TO_X)],
            DEADLINE,
            sender=account,
        )


def test_each_close_reports_only_its_own_request(world) -> None:
    system, second, batcher, account = world
    with boa.env.anchor():
        batcher.run(
            [close(second, 0, CLOSE_TO_QUEUE), close(system.market, 0, CLOSE_TO_X)], DEADLINE, sender=account
        )
        closed = [log for log in batcher.get_logs() if type(log).__name__ == "Closed"]
        assert [log.market for log in closed] == [second.address, system.market.address]
        assert closed[0].queued_assets == batcher.queued_out(0) > 0
        assert closed[1].queued_assets == 0 and closed[1].request_id == 0, (
            "a close reported another's request"
        )
        # What the second close delivered is exactly what its min_out was checked against.
        delivered = batcher.x_out(1) + batcher.lst_out_value(1) + batcher.queued_out(1)
        assert batcher.queued_out(1) == 0 and delivered > 0
    with boa.env.anchor():
        batcher.run(
            [close(second, 0, CLOSE_TO_QUEUE), close(system.market, delivered, CLOSE_TO_X)],
            DEADLINE,
            sender=account,
        )
    with boa.env.anchor(), reverts("router: slippage"):
        batcher.run(
            [close(second, 0, CLOSE_TO_QUEUE), close(system.market, delivered + 1, CLOSE_TO_X)],
            DEADLINE,
            sender=account,
        )
