"""Deploy the protocol's contracts with Ape. Shared by the scripts, the demo, the benchmark and tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEFAULT_VALIDATOR_APR_BPS = 800  # the devnet's 8% staking APR
LST_NAME = "Staked X"
LST_SYMBOL = "stX"


@dataclass
class StakingSystem:
    """The staking half of the protocol: base asset X, its backend and the LST."""

    x: Any
    validator: Any
    lst: Any
    decimals: int

    def units(self, amount: float | int) -> int:
        """Convert a human amount of X (or LST) to integer units."""
        return int(round(amount * 10**self.decimals))


def deploy_staking(
    project: Any,
    deployer: Any,
    treasury: str,
    x: Any | None = None,
    validator_apr_bps: int = DEFAULT_VALIDATOR_APR_BPS,
) -> StakingSystem:
    """Deploy SimulatedValidator and LiquidStaking over `x` (a new WrappedNative when None)."""
    if x is None:
        x = deployer.deploy(project.WrappedNative, "Wrapped Native", "WNAT")
    decimals = int(x.decimals())
    validator = deployer.deploy(project.SimulatedValidator, x, validator_apr_bps)
    lst = deployer.deploy(project.LiquidStaking, x, validator, treasury, LST_NAME, LST_SYMBOL, decimals)
    return StakingSystem(x=x, validator=validator, lst=lst, decimals=decimals)
