"""How long the keeper's reads take on anvil with 10,000 positions: rebuilding the index from the logs
(start-up), reading every position at a block (lens calls in one batch) and a whole round (dry run).

    APE_FOUNDRY_HOST=auto ape run bench_keeper --network ethereum:local:foundry

A benchmark, not a test: it measures and asserts nothing about the numbers. 10,000 positions hold collateral
supplied on behalf of made-up addresses (MockSpreadCollateral, benchmark only) plus 5 leveraged ones opened
through the router; reading a position costs the same whatever it holds.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from ape import accounts, chain, networks, project
from web3 import Web3

from levstake import ape_wallet
from levstake.deploy import deploy_protocol
from levstake.keeper import scan
from levstake.keeper.keeper import Keeper
from levstake.reads import Reader
from levstake.txs import Builder

POSITIONS = 10_000
PER_TX = 250
RUNS = 10


def median_s(action: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    deployer, lender = accounts.test_accounts[0], accounts.test_accounts[8]
    deployment = deploy_protocol(project, deployer, networks.provider.network)
    # A web3 of its own over HTTP (as the bot reads): JSON-RPC batches, no Ape in the way.
    w3 = Web3(Web3.HTTPProvider(networks.provider.http_uri, request_kwargs={"timeout": 60}))
    reader = Reader.from_web3(w3, deployment)
    builder = Builder(deployment, reader.info)
    unit = 10**reader.info.decimals
    for tx in (
        builder.wrap(5_000 * unit),
        builder.approve("x", "market", 4_000 * unit),
        builder.lend(4_000 * unit, lender.address),
        builder.approve("x", "lst", 1_000 * unit),
        builder.stake(1_000 * unit, lender.address),
    ):
        ape_wallet.send(lender, tx)
    spreader = deployer.deploy(project.MockSpreadCollateral)
    lst = project.LiquidStaking.at(deployment.contracts["lst"])
    lst.transfer(spreader, 100 * unit, sender=lender)
    market = deployment.contracts["market"]
    started = time.perf_counter()
    for first in range(1, POSITIONS + 1, PER_TX):
        spreader.spread(market, lst, 2**100 + first, PER_TX, 10**12, sender=deployer)
    seeded = time.perf_counter() - started
    market_contract = project.LendingMarket.at(market)
    for account in accounts.test_accounts[1:6]:
        market_contract.set_authorization(deployment.contracts["router"], True, sender=account)
        ape_wallet.send(account, builder.open(10 * unit, 20 * 10**18, 0, 2**40, native=True))
    chain.mine()
    block = reader.block()

    index = scan.EventIndex(reader)
    started = time.perf_counter()
    index.update(block.number)
    indexed = time.perf_counter() - started
    users = list(index.borrowers)
    keeper = Keeper(
        reader, builder, lambda tx, gas: None, lambda tx: (0, 0), dry_run=True, log=lambda line: None
    )
    keeper.index = index
    rows = [
        (f"index rebuilt from the logs at start-up ({len(users):,} borrowers, once)", indexed),
        (
            f"all {len(users):,} positions at one block "
            f"({-(-len(users) // scan.LENS_CHUNK)} lens calls, one batch)",
            median_s(lambda: scan.read_positions(reader, users, block)),
        ),
        (
            "a whole round at a block, dry run (upkeep checks, carry, guards, positions, quotes)",
            median_s(lambda: keeper._on_block(block)),
        ),
    ]
    print(f"seeded {POSITIONS:,} positions in {seeded:.1f} s")
    print(f"| keeper read (anvil, median of {RUNS}) | s |\n| --- | ---: |")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.3f} |")
