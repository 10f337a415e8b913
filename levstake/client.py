"""Reading the protocol's state from a chain (any Ape contract instances). Shared by the scripts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from levstake.model import ORACLE_SCALE


@dataclass(frozen=True)
class PositionView:
    """A position as the market sees it now (interest accrued up to now), valued at the oracle price."""

    collateral: int
    value: int
    debt: int
    ltv: int
    health: int

    @property
    def leverage(self) -> float:
        """Collateral value / equity; infinite when the debt eats the whole value."""
        return self.value / (self.value - self.debt) if self.value > self.debt else float("inf")


def read_position(market: Any, oracle: Any, user: Any) -> PositionView:
    collateral, debt, ltv, health = market.position(user)
    return PositionView(collateral, collateral * oracle.price() // ORACLE_SCALE, debt, ltv, health)
