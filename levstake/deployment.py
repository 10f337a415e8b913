"""Deployment files: where a network's LevStake contracts live, written by `ape run deploy`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

DEPLOYMENTS_DIR = Path("deployments")
# The contracts every deployment file names, in deployment order.
CONTRACT_KEYS = ("x", "validator", "lst", "irm", "oracle", "factory", "market", "router")


class DeploymentError(Exception):
    """A deployment file is missing, malformed, for another chain, or must not be overwritten."""


def default_path(ecosystem: str, network: str) -> Path:
    """`deployments/<ecosystem>-<network>.json`, the file `ape run deploy` writes for that network."""
    return DEPLOYMENTS_DIR / f"{ecosystem}-{network}.json"


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
    """Addresses, block and parameters of one deployment of the protocol."""

    ecosystem: str
    network: str
    chain_id: int
    block: int
    deployer: str
    contracts: dict[str, str]
    parameters: dict[str, Any] = field(default_factory=dict)

    def save(self, path: Path, force: bool = False) -> None:
        """Write the file (see `check_writable`)."""
        check_writable(path, self.ecosystem, self.network, force)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> Deployment:
        if not path.exists():
            raise DeploymentError(f"no deployment file {path}; run `ape run deploy --network ...` first")
        try:
            data = json.loads(path.read_text())
            deployment = cls(**data)
        except (ValueError, TypeError) as error:
            raise DeploymentError(f"{path} is not a LevStake deployment file ({error})") from None
        missing = [key for key in CONTRACT_KEYS if key not in deployment.contracts]
        if missing:
            raise DeploymentError(f"{path} lacks the contracts {', '.join(missing)}")
        return deployment
