"""Fixtures shared by the staking-layer tests (the session fixtures are in tests/conftest.py)."""

from __future__ import annotations

import pytest

from levstake.deploy import deploy_staking


def delegate_100(lst, staker, other, stake, units) -> int:
    stake(staker, units(100))
    lst.rebalance(sender=other)
    assert lst.buffer() == units(10) and lst.backend_accounted() == units(90)
    return units(100)


@pytest.fixture
def delegated(lst, staker, other, stake, units):
    """100 X staked by `staker` at rate 1 and rebalanced: 10 X (the target) in the buffer, 90 X delegated."""
    return delegate_100(lst, staker, other, stake, units)


@pytest.fixture
def no_backend_rewards(validator, owner):
    """The backend pays nothing, so backend balances (and slashes of them) are exact numbers."""
    validator.set_apr(0, sender=owner)


@pytest.fixture
def delegated_without_rewards(no_backend_rewards, lst, staker, other, stake, units):
    """`delegated` at a backend that pays nothing (set before anything is staked, so not a wei accrues)."""
    return delegate_100(lst, staker, other, stake, units)


@pytest.fixture
def next_block_at(chain):
    """Make the next transaction's block carry timestamp `t` exactly."""

    def set_time(t: int) -> None:
        chain.pending_timestamp = t

    return set_time


@pytest.fixture(scope="module")
def reentrant_x(project, owner, decimals):
    """A base asset that, once armed, calls a chosen contract from inside its transfers."""
    return owner.deploy(project.MockReentrantToken, decimals)


@pytest.fixture(scope="module")
def reentrant_staking(project, owner, treasury, reentrant_x):
    """A validator and an LST over `reentrant_x` (no reward reserve: the backend pays nothing)."""
    return deploy_staking(project, owner, treasury.address, x=reentrant_x)
