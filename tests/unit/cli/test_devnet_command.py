"""`ape run devnet advance`: time passes with rewards synced; the staking APR becomes measurable."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from levstake.cli import require_local
from levstake.client import ClientError


def test_advance_grows_the_lst_and_measures_the_staking_apr(
    run, deployment, protocol, lev, liquid_market
) -> None:
    rate = protocol.lst.convertToAssets(10**18)
    assert protocol.staking_apr() == 0
    result = run("devnet", "advance", "--days", "3", "--deployment", deployment)
    assert result.exit_code == 0, result.output
    assert "3 reward syncs" in result.output
    assert protocol.lst.convertToAssets(10**18) > rate
    # The validator pays 8% on the delegated part; the protocol keeps 10% of it; the buffer earns nothing.
    delegated = protocol.lst.backend_accounted() / protocol.lst.totalAssets()
    assert protocol.staking_apr() == pytest.approx(0.08 * 0.9 * delegated, rel=0.02)
    assert "staking APR 0.00%" not in lev("preview", "--amount", "1").output


def test_advance_refuses_a_live_network() -> None:
    live = SimpleNamespace(
        network=SimpleNamespace(name="mainnet", ecosystem=SimpleNamespace(name="ethereum"))
    )
    with pytest.raises(ClientError, match="not a local network"):
        require_local(live)
