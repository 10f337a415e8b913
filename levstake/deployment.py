"""Deployment files: where a network's LevStake contracts live and their ABIs, written by `ape run deploy` (or
`make devnet`). A file is enough for any client: plain web3.py reads `contracts` and `abis`, nothing else."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from levstake.abi import ContractAbi

# `LEVSTAKE_DEPLOYMENTS` moves the folder (the demo and the tests keep theirs apart from the devnet's).
DEPLOYMENTS_ENV = "LEVSTAKE_DEPLOYMENTS"
# The contracts every deployment file names, in deployment order, and the contract type of each.
CONTRACT_TYPES = {
    "x": "WrappedNative",
    "validator": "SimulatedValidator",
    "governor": "StakingGovernor",
    "lst": "LiquidStaking",
    "irm": "InterestRateModel",
    "oracle": "ExchangeRateOracle",
    "factory": "MarketFactory",
    "market": "LendingMarket",
    "router": "LeverageRouter",
}
CONTRACT_KEYS = tuple(CONTRACT_TYPES)
# Deployed with the protocol since the keeper (`ape run deploy`, `make devnet`); optional in a file, so that
# files written before them still load for everything else: `Deployment.require` names what is missing.
LEVERAGE_TYPES = {
    "liquidator": "Liquidator",
    "guard": "LeverageGuard",
    "lens": "PositionLens",
}
LEVERAGE_KEYS = tuple(LEVERAGE_TYPES)
ALL_TYPES = {**CONTRACT_TYPES, **LEVERAGE_TYPES}


class DeploymentError(Exception):
    """A deployment file is missing, malformed, for another chain, or must not be overwritten."""


def deployments_dir() -> Path:
    return Path(os.environ.get(DEPLOYMENTS_ENV) or "deployments")


def default_path(ecosystem: str, network: str) -> Path:
    """`deployments/<ecosystem>-<network>.json`, the file `ape run deploy` writes for that network."""
    return deployments_dir() / f"{ecosystem}-{network}.json"


def is_local(network: str) -> bool:
    """Local networks (the in-process chain, anvil) are thrown away with their process."""
    return network == "local" or network.endswith("-fork")


def check_writable(path: Path, ecosystem: str, network: str, force: bool) -> None:
    """
    An existing file of a non-local network is kept unless `force`: it may be the only record of contracts
    holding users' funds.
    """
    if path.exists() and not is_local(network) and not force:
        raise DeploymentError(
            f"{path} already exists for {ecosystem}:{network}; pass --force to overwrite it"
        )


@dataclass
class Deployment:
    """Addresses, block, parameters and ABIs (by contract type) of one deployment of the protocol."""

    ecosystem: str
    network: str
    chain_id: int
    block: int
    deployer: str
    contracts: dict[str, str]
    parameters: dict[str, Any] = field(default_factory=dict)
    abis: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def abi(self, key: str) -> ContractAbi:
        """The ABI of the contract named `key` ("market", "router", ...), parsed once."""
        return self._codecs[ALL_TYPES[key]]

    def require(self, *keys: str) -> None:
        """Raise when the file lacks any of `keys` (an address or its ABI): it predates them."""
        missing = [key for key in keys if key not in self.contracts or ALL_TYPES[key] not in self.abis]
        if missing:
            raise DeploymentError(
                f"the deployment file lacks {', '.join(missing)} (written before they were deployed): deploy "
                "again (`make devnet` does when its file lacks them)"
            )

    @cached_property
    def _codecs(self) -> dict[str, ContractAbi]:
        return {name: ContractAbi(abi) for name, abi in self.abis.items()}

    def save(self, path: Path, force: bool = False) -> None:
        """Write the file (see `check_writable`); each ABI on one line so the addresses stay readable."""
        check_writable(path, self.ecosystem, self.network, force)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {key: value for key, value in asdict(self).items() if key != "abis"}
        text = json.dumps(data, indent=2)
        abis = ",\n".join(f"    {json.dumps(name)}: {json.dumps(abi)}" for name, abi in self.abis.items())
        path.write_text(f'{text[:-2]},\n  "abis": {{\n{abis}\n  }}\n}}\n')

    @classmethod
    def load(cls, path: Path) -> Deployment:
        if not path.exists():
            raise DeploymentError(
                f"no deployment file {path}; start `make devnet` or run `ape run deploy` first"
            )
        try:
            data = json.loads(path.read_text())
            deployment = cls(**data)
        except (ValueError, TypeError) as error:
            raise DeploymentError(f"{path} is not a LevStake deployment file ({error})") from None
        missing = [key for key in CONTRACT_KEYS if key not in deployment.contracts]
        if missing:
            raise DeploymentError(f"{path} lacks the contracts {', '.join(missing)}")
        types = set(CONTRACT_TYPES.values()) - set(deployment.abis)
        if types:
            raise DeploymentError(
                f"{path} lacks the ABIs of {', '.join(sorted(types))} (an older file): deploy again"
            )
        return deployment
