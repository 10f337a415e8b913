"""`levstake.reads.Reader` on the revm chain of `boa_system`: a transport answering the JSON-RPC methods the
reader sends, and the deployment file of a `BoaSystem` (its addresses, the ABIs of the same `.vy` files)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from boa_system import BoaSystem
from revm_chain import Reverted, _artifacts

from levstake.deployment import CONTRACT_TYPES, Deployment
from levstake.reads import Reader
from levstake.rpc import Block, ReadError

SOURCES = {
    "WrappedNative": "devnet/WrappedNative.vy",
    "SimulatedValidator": "staking/SimulatedValidator.vy",
    "StakingGovernor": "staking/StakingGovernor.vy",
    "LiquidStaking": "staking/LiquidStaking.vy",
    "InterestRateModel": "lending/InterestRateModel.vy",
    "ExchangeRateOracle": "lending/ExchangeRateOracle.vy",
    "MarketFactory": "lending/MarketFactory.vy",
    "LendingMarket": "lending/LendingMarket.vy",
    "LeverageRouter": "leverage/LeverageRouter.vy",
}
CHAIN_ID = 31337


class RevmTransport:
    """The revm chain's state now (its block number and time are the chain's clock): block tags are ignored,
    since revm keeps no history."""

    def __init__(self, chain: Any) -> None:
        self.chain = chain
        self.round_trips = 0

    def request_many(self, requests: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        self.round_trips += 1
        return [self._one(method, params) for method, params in requests]

    def _one(self, method: str, params: list[Any]) -> Any:
        chain = self.chain
        if method == "eth_call":
            call = params[0]
            try:
                return chain.call(chain.default_sender, call["to"], bytes.fromhex(call["data"][2:]))
            except Reverted as error:
                return ReadError(error.reason)
        if method == "eth_getBlockByNumber":
            return Block(chain.number, chain.timestamp)
        if method == "eth_chainId":
            return CHAIN_ID
        if method == "eth_getCode":
            return bytes(chain.evm.basic(params[0]).code or b"")
        if method == "eth_getBalance":
            return chain.evm.get_balance(params[0])
        raise ValueError(f"unsupported method {method}")


def deployment_of(system: BoaSystem) -> Deployment:
    contracts = {key: getattr(system, key).address for key in CONTRACT_TYPES}
    return Deployment(
        ecosystem="ethereum",
        network="local",
        chain_id=CHAIN_ID,
        block=0,
        deployer=system.owner,
        contracts=contracts,
        parameters={"decimals": system.decimals},
        abis={name: _artifacts(path)[2] for name, path in SOURCES.items()},
    )


def reader_of(system: BoaSystem) -> Reader:
    return Reader(RevmTransport(system.chain), deployment_of(system))
