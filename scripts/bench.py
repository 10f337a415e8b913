"""Gas of every user-facing action on a fresh anvil with a pinned clock (`levstake.gasbench`), and the trace
of one 50x open; writes the run as JSON (LEVSTAKE_BENCH_OUT, default .cache/bench/run.json) and prints it.

    APE_FOUNDRY_HOST=auto ape run bench --network ethereum:local:foundry

`make bench` runs it twice on two fresh anvils and writes bench/gas.md only when both runs agree
(`python -m levstake.gasreport`). A benchmark, not a test: it measures and asserts nothing about the numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from ape import accounts, chain, networks, project
from eth_utils import function_abi_to_4byte_selector

from levstake import codesize, gasbench, gasreport

OUTPUT = Path(os.environ.get("LEVSTAKE_BENCH_OUT", ".cache/bench/run.json"))
TRACES = OUTPUT.with_suffix(".traces.json")  # the raw traces of the open the breakdown reads
LST_SOURCE = "contracts/staking/LiquidStaking.vy"
CONTRACTS = (
    "WrappedNative",
    "SimulatedValidator",
    "LiquidStaking",
    "InterestRateModel",
    "ExchangeRateOracle",
    "MarketFactory",
    "LendingMarket",
    "LeverageRouter",
)


def commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def selectors() -> dict[str, str]:
    found = {}
    for name in CONTRACTS:
        for entry in getattr(project, name).contract_type.abi:
            if entry.type == "function":
                abi = entry.model_dump(mode="json", by_alias=True)
                found["0x" + function_abi_to_4byte_selector(abi).hex()] = entry.name
    return found


def code_size(address: str) -> int:
    return len(chain.provider.web3.eth.get_code(address))


class Tracer:
    """Keeps the breakdown of the receipt it is given (the steady 50x open) and the sizes of its contracts."""

    def __init__(self) -> None:
        self.found: dict[str, Any] = {}
        self.bytecode: dict[str, int] = {}

    def __call__(self, receipt: Any) -> None:
        tx_hash = receipt.txn_hash if isinstance(receipt.txn_hash, str) else receipt.txn_hash.hex()
        found = gasbench.traces(networks.provider.make_request, tx_hash)
        calls, steps, diff = found["calls"], found["steps"], found["diff"]
        TRACES.write_text(json.dumps(found))
        router = project.LeverageRouter.at(receipt.receiver)
        market = project.LendingMarket.at(_market(calls))
        names = self._names(router, market)
        tx_input = calls["input"]
        self.found = gasreport.breakdown(
            calls, steps, diff, tx_input, int(receipt.gas_used), names, selectors()
        )
        factory = project.MarketFactory.at(market.factory())
        self.bytecode = {
            "LendingMarket blueprint (preamble + initcode; EIP-170)": code_size(factory.blueprint()),
            "LendingMarket runtime": code_size(market.address),
            "LeverageRouter runtime": code_size(router.address),
        }

    @staticmethod
    def _names(router: Any, market: Any) -> dict[str, str]:
        lst = project.LiquidStaking.at(market.collateral_token())
        contracts = {
            "LeverageRouter": router.address,
            "LendingMarket": market.address,
            "X (WrappedNative)": market.asset(),
            "LiquidStaking": lst.address,
            "SimulatedValidator": lst.backend(),
            "ExchangeRateOracle": market.oracle(),
            "InterestRateModel": market.irm(),
            "MarketFactory": market.factory(),
        }
        return {str(address).lower(): name for name, address in contracts.items()}


def _market(calls: dict[str, Any]) -> str:
    """The market an `open` names: its first argument."""
    return "0x" + calls["input"][10 + 24 : 10 + 64]


def main() -> None:
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    clock = gasbench.Clock(networks.provider.make_request)
    tracer = Tracer()
    rows = (
        gasbench.staking_rows(project, accounts, chain, clock)
        + gasbench.market_rows(project, accounts, chain, clock)
        + gasbench.router_rows(project, accounts, chain, clock, trace=tracer)
    )
    run = {
        "commit": commit(),
        "clock": {"start": gasbench.GENESIS_TIMESTAMP, "interval": gasbench.BLOCK_INTERVAL},
        "rows": gasbench.asdicts(rows),
        "floors": gasbench.floors(rows),
        "breakdown": tracer.found,
        "bytecode": tracer.bytecode,
        "lst_bytes": codesize.runtime_bytes(LST_SOURCE),
    }
    OUTPUT.write_text(json.dumps(run, indent=1))
    print(gasreport.render(run, 1))
    print(f"run written to {OUTPUT}")
