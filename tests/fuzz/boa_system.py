"""The protocol deployed on titanoboa, for stateful fuzzing (about 100x more calls/s than Ape's chain).

The same `.vy` files and the same parameters as `levstake.deploy`; compiled once per process. Each hypothesis
example runs inside `boa.env.anchor()`, so a deployment is reused and every example starts from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import boa

from levstake.deploy import (
    DEFAULT_LLTV,
    DEFAULT_MAX_LTV,
    DEFAULT_RESERVE_FACTOR,
    DEFAULT_VALIDATOR_APR_BPS,
    IRM_DEFAULTS,
    LST_NAME,
    LST_SYMBOL,
    ORACLE_MAX_YEARLY_GROWTH,
)

ROOT = Path(__file__).resolve().parents[2]
WAD = 10**18
ORACLE_SCALE = 10**36
VIRTUAL_SHARES = 10**6
REWARD_RESERVE = 10_000_000


@cache
def _deployer(name: str) -> Any:
    # `interfaces` resolves from the project root, `snekmate` from site-packages.
    boa.interpret.set_search_paths([str(ROOT)])
    return boa.load_partial(str(ROOT / "contracts" / name))


@dataclass
class BoaSystem:
    """Every deployed contract plus the roles that own them."""

    decimals: int
    owner: str
    treasury: str
    guardian: str
    x: Any
    validator: Any
    lst: Any
    irm: Any
    oracle: Any
    factory: Any
    market: Any
    router: Any

    def units(self, amount: float | int) -> int:
        return int(round(amount * 10**self.decimals))

    def mint_x(self, to: str, amount: int) -> None:
        self.x.mint(to, amount, sender=self.owner)


def deploy_system(decimals: int) -> BoaSystem:
    """Deploy X (a mock token), the validator, the LST, the rate model, oracle, factory and default market."""
    boa.env.enable_fast_mode()
    owner = boa.env.generate_address("owner")
    treasury = boa.env.generate_address("treasury")
    guardian = boa.env.generate_address("guardian")
    with boa.env.prank(owner):
        x = _deployer("mocks/MockToken.vy").deploy("Test X", "X", decimals)
        validator = _deployer("staking/SimulatedValidator.vy").deploy(x, DEFAULT_VALIDATOR_APR_BPS)
        lst = _deployer("staking/LiquidStaking.vy").deploy(
            x, validator, treasury, LST_NAME, LST_SYMBOL, decimals
        )
        reserve = REWARD_RESERVE * 10**decimals
        x.mint(owner, reserve)
        x.approve(validator, reserve)
        validator.fund_rewards(reserve)
        irm = _deployer("lending/InterestRateModel.vy").deploy(*IRM_DEFAULTS)
        oracle = _deployer("lending/ExchangeRateOracle.vy").deploy(lst, ORACLE_MAX_YEARLY_GROWTH)
        blueprint = _deployer("lending/LendingMarket.vy").deploy_as_blueprint()
        factory = _deployer("lending/MarketFactory.vy").deploy(blueprint, treasury, guardian)
        factory.set_pair_allowed(DEFAULT_MAX_LTV, DEFAULT_LLTV, True)
        address = factory.create_market(
            x,
            lst,
            oracle,
            irm,
            DEFAULT_MAX_LTV,
            DEFAULT_LLTV,
            DEFAULT_RESERVE_FACTOR,
            "LevStake X lending",
            "lsX",
        )
        router = _deployer("leverage/LeverageRouter.vy").deploy(factory, "0x" + "00" * 20)
    market = _deployer("lending/LendingMarket.vy").at(address)
    return BoaSystem(
        decimals, owner, treasury, guardian, x, validator, lst, irm, oracle, factory, market, router
    )


def mul_div_up(a: int, b: int, d: int) -> int:
    return (a * b + d - 1) // d


def debt_up(market: Any, borrow_shares: int) -> int:
    """A borrower's debt as the market rounds it (up), from stored totals."""
    return mul_div_up(
        borrow_shares, market.total_borrow_assets() + 1, market.total_borrow_shares() + VIRTUAL_SHARES
    )


def within(market: Any, user: str, ratio: int) -> bool:
    """The market's own test `debt (up) <= collateral value (down) x ratio (down)`, recomputed in Python."""
    collateral, borrow_shares = market.positions(user)
    if borrow_shares == 0:
        return True
    value = collateral * oracle_price(market) // ORACLE_SCALE
    return debt_up(market, borrow_shares) <= value * ratio // WAD


def oracle_price(market: Any) -> int:
    return _deployer("lending/ExchangeRateOracle.vy").at(market.oracle()).price()
