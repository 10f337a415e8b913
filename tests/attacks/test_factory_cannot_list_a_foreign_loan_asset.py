"""The factory's listing (`is_market`) is what integrators trust. The fifth review (issue 26) found that
`enable_oracle(oracle, collateral)` is keyed on the collateral only and `create_market` never checked that the
collateral is an LST of the loan asset: anybody created a listed market (official oracle and rate model)
lending a 6-decimal token T against the LST, priced by the oracle in X. 0.000001 LST borrowed 980,000 T, and
lenders could withdraw 20,000 of their 1,000,000 T. The router and the CLI check the asset; the listing did
not.

The defence: `create_market` requires `collateral.asset() == asset`, so the oracle enabled for the collateral
prices it in the very asset the market lends.
"""

from __future__ import annotations

import boa
import pytest
from boa_system import deploy_system, deployer, reverts

from levstake.deploy import DEFAULT_LLTV, DEFAULT_MAX_LTV, DEFAULT_RESERVE_FACTOR


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals)
    with boa.env.prank(system.owner):
        foreign = deployer("mocks/MockToken.vy").deploy("Foreign T", "T", 6)
    return system, foreign


def create(system, asset, creator: str):
    return system.factory.create_market(
        asset,
        system.lst,
        system.oracle,
        system.irm,
        DEFAULT_MAX_LTV,
        DEFAULT_LLTV,
        DEFAULT_RESERVE_FACTOR,
        "Look-alike lending",
        "lsT",
        sender=creator,
    )


def test_a_market_lending_another_asset_against_the_lst_is_refused(world) -> None:
    system, foreign = world
    creator = boa.env.generate_address("creator")
    with boa.env.anchor():
        count = system.factory.market_count()
        with reverts("factory: collateral is not an lst of the asset"):
            create(system, foreign, creator)
        assert system.factory.market_count() == count


def test_a_market_lending_the_lsts_own_asset_is_still_listed(world) -> None:
    system, _ = world
    with boa.env.anchor():
        listed = create(system, system.x, boa.env.generate_address("creator"))
        assert system.factory.is_market(listed)
