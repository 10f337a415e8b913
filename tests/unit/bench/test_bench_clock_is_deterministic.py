"""The benchmark's pinned clock: the same action measured on two fresh anvils costs the same gas, and it is
measured in the steady state it claims (a block BLOCK_INTERVAL after the last, accruing interest onto fee
shares the treasury already holds). Without the pin, anvil's wall clock decides how long each accrual spans
and whether a transaction accrues at all (the same open measured 292k, 318k or 352k)."""

from __future__ import annotations

from dataclasses import dataclass

import ape

from levstake import gasbench
from levstake.devnet import free_port


@dataclass(frozen=True)
class Probe:
    gas: int
    timestamp: int
    since_last_block: int
    fee_shares_before: int
    fee_shares_after: int


def steady_first_borrow(project, chain, networks) -> Probe:
    """A borrower's first borrow with the bench's own set-up, on a fresh anvil of its own."""
    with networks.ethereum.local.use_provider(
        "foundry", provider_settings={"host": f"http://127.0.0.1:{free_port()}"}, disconnect_after=True
    ) as provider:
        clock = gasbench.Clock(provider.make_request)
        world = gasbench.market_world(project, ape.accounts)
        gasbench.lend_and_post(world, gasbench.Measure("probe", chain, clock))
        world.market.accrue_interest(sender=world.lender)
        before = world.market.balanceOf(world.treasury)
        tx = world.market.borrow(world.units(90), 0, world.borrower, world.borrower, sender=world.borrower)
        block = chain.provider.get_block(tx.block_number)
        previous = chain.provider.get_block(tx.block_number - 1)
        return Probe(
            int(tx.gas_used),
            int(block.timestamp),
            int(block.timestamp - previous.timestamp),
            int(before),
            int(world.market.balanceOf(world.treasury)),
        )


def test_bench_gas_does_not_depend_on_the_wall_clock(project, chain, networks):
    first = steady_first_borrow(project, chain, networks)
    second = steady_first_borrow(project, chain, networks)
    assert first == second
    assert first.since_last_block == gasbench.BLOCK_INTERVAL
    assert first.timestamp > gasbench.GENESIS_TIMESTAMP
    assert (first.timestamp - gasbench.GENESIS_TIMESTAMP) % gasbench.BLOCK_INTERVAL == 0
    # Steady state: the borrow's accrual mints fee shares onto a balance the treasury already holds.
    assert 0 < first.fee_shares_before < first.fee_shares_after
