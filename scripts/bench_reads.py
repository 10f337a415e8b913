"""How long reads and previews take on anvil: a snapshot (one batch of eth_calls at one block), a status
(snapshot + figures), a preview from a snapshot (pure) and the max leverage search (pure).

    APE_FOUNDRY_HOST=auto ape run bench_reads --network ethereum:local:foundry

A benchmark, not a test: it measures and asserts nothing about the numbers.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from ape import accounts, chain, networks, project

from levstake import ape_wallet, previews
from levstake.cli import Session
from levstake.deploy import deploy_protocol

RUNS = 50


def median_ms(action: Callable[[], object]) -> float:
    action()
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    deployer, user, lender = accounts.test_accounts[0], accounts.test_accounts[7], accounts.test_accounts[8]
    deployment = deploy_protocol(project, deployer, networks.provider.network)
    session = Session(chain.provider.web3, deployment)
    builder, info = session.builder, session.info
    unit = 10**info.decimals
    for tx in (builder.wrap(5_000 * unit), builder.approve("x", "market", 5_000 * unit)):
        ape_wallet.send(lender, tx)
    ape_wallet.send(lender, builder.lend(5_000 * unit, lender.address))
    snapshot = session.snapshot(user.address)
    assert snapshot.account is not None
    signature = ape_wallet.sign(user, builder.authorization_request(snapshot, 2**40))
    ape_wallet.send(
        user,
        builder.open(
            10 * unit, 20 * 10**18, 0, 2**40, True, None, signature, snapshot.account.authorization_nonce
        ),
    )
    chain.mine(deltatime=2 * 86_400)
    ape_wallet.send(deployer, builder.sync_rewards())
    chain.mine(deltatime=3_600)
    reader, block = session.reader, session.reader.block()
    snapshot = session.snapshot(user.address)

    def status() -> None:
        current = session.snapshot(user.address)
        previews.market_figures(info, current)
        previews.position_figures(info, current)

    rows = [
        (
            "snapshot with an account, block given (one round trip)",
            median_ms(lambda: reader.snapshot(user.address, block)),
        ),
        ("status: latest block + snapshot + figures", median_ms(status)),
        (
            "preview of a 10 X open at 50x from a snapshot (pure)",
            median_ms(lambda: previews.preview_open(info, snapshot, 10 * unit, 50 * 10**18)),
        ),
        (
            "max leverage for 1,000 X from a snapshot (pure search)",
            median_ms(lambda: previews.max_leverage_for(info, snapshot, 1_000 * unit)),
        ),
    ]
    print(f"| read (median of {RUNS}, anvil) | ms |\n| --- | ---: |")
    for name, milliseconds in rows:
        print(f"| {name} | {milliseconds:.2f} |")
