"""Attack scenarios: Ape tests use the shared fixtures; the others deploy with the fuzz tests' helpers
(`boa_system.deploy_system`), on revm where they make many calls and on titanoboa where they need its
extras (inline mock contracts, a patched chain id)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))
# The previews' reader on revm, for attack files that check what the CLI and the page would show.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "previews"))


@pytest.fixture
def maxed(market, oracle, lst, validator, owner, borrower, lender, other, lend, post_collateral, units):
    """1,000 X lent, the borrower's 100 X staked and posted, the stake delegated and earning nothing, and
    borrowed to the max LTV at the oracle's price: the position a slash takes past liquidation. Returns the
    borrowed X."""
    lend(lender, units(1_000))
    post_collateral(borrower, units(100))
    lst.rebalance(sender=other)
    validator.set_apr(0, sender=owner)
    collateral = market.positions(borrower).collateral
    limit = collateral * oracle.price() // 10**36 * market.max_ltv() // 10**18
    market.borrow(limit, 0, borrower, borrower, sender=borrower)
    return limit
