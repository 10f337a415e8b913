"""Deploy the protocol's contracts with Ape. Shared by the scripts, the demo, the benchmark and tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from levstake.deployment import ALL_TYPES, Deployment
from levstake.model import to_units

DEFAULT_VALIDATOR_APR_BPS = 800  # the devnet's 8% staking APR
LST_NAME = "Staked X"
LST_SYMBOL = "stX"
ZERO_ADDRESS = "0x" + "00" * 20


@dataclass
class StakingSystem:
    """The staking half of the protocol: base asset X, its backend, the LST and its governor (the owner's
    bounded, delayed parameter changes and the treasury)."""

    x: Any
    validator: Any
    lst: Any
    decimals: int
    governor: Any

    def units(self, amount: float | int) -> int:
        """Convert a human amount of X (or LST) to integer units."""
        return to_units(amount, self.decimals)


def deploy_staking(
    project: Any,
    deployer: Any,
    treasury: str,
    x: Any | None = None,
    validator_apr_bps: int = DEFAULT_VALIDATOR_APR_BPS,
) -> StakingSystem:
    """Deploy SimulatedValidator, StakingGovernor (owned by `deployer`) and LiquidStaking over `x` (a new
    WrappedNative when None), then bind the governor to the LST."""
    if x is None:
        x = deployer.deploy(project.WrappedNative, "Wrapped Native", "WNAT")
    decimals = int(x.decimals())
    validator = deployer.deploy(project.SimulatedValidator, x, validator_apr_bps)
    governor = deployer.deploy(project.StakingGovernor)
    lst = deployer.deploy(
        project.LiquidStaking, x, validator, treasury, LST_NAME, LST_SYMBOL, decimals, governor
    )
    governor.bind(lst, sender=deployer)
    return StakingSystem(x=x, validator=validator, lst=lst, decimals=decimals, governor=governor)


WAD = 10**18
# Kinked curve: 0.5% at 0, 5% at the 90% kink, 40% at 100% (8% staking stays profitable at the kink).
IRM_DEFAULTS = (WAD * 5 // 1_000, WAD * 5 // 100, WAD * 40 // 100, WAD * 90 // 100)
# The oracle tolerates faster growth than the LST can show (its counted gains are capped at 20% a year).
ORACLE_MAX_YEARLY_GROWTH = WAD * 25 // 100
DEFAULT_MAX_LTV = WAD * 98 // 100
DEFAULT_LLTV = WAD * 99 // 100
DEFAULT_RESERVE_FACTOR = WAD * 10 // 100


@dataclass
class LendingSystem:
    """The lending half: rate model, oracle, factory and the default LST/X market."""

    irm: Any
    oracle: Any
    factory: Any
    market: Any


def deploy_lending(
    project: Any,
    deployer: Any,
    staking: StakingSystem,
    treasury: str,
    guardian: str,
    max_ltv: int = DEFAULT_MAX_LTV,
    lltv: int = DEFAULT_LLTV,
    reserve_factor: int = DEFAULT_RESERVE_FACTOR,
) -> LendingSystem:
    """Deploy the rate model, the oracle, the factory (with the market blueprint) and one market."""
    irm = deployer.deploy(project.InterestRateModel, *IRM_DEFAULTS)
    oracle = deployer.deploy(project.ExchangeRateOracle, staking.lst, ORACLE_MAX_YEARLY_GROWTH)
    blueprint = project.LendingMarket.declare(sender=deployer).contract_address
    factory = deployer.deploy(project.MarketFactory, blueprint, treasury, guardian)
    factory.set_pair_allowed(max_ltv, lltv, True, sender=deployer)
    factory.enable_irm(irm, sender=deployer)
    factory.enable_oracle(oracle, staking.lst, sender=deployer)
    tx = factory.create_market(
        staking.x,
        staking.lst,
        oracle,
        irm,
        max_ltv,
        lltv,
        reserve_factor,
        "LevStake X lending",
        "lsX",
        sender=deployer,
    )
    address = tx.events.filter(factory.MarketCreated)[0].market
    market = project.LendingMarket.at(address)
    return LendingSystem(irm=irm, oracle=oracle, factory=factory, market=market)


def deploy_router(
    project: Any, deployer: Any, factory: Any, wrapped_native: str | None = None, markets: Sequence[Any] = ()
) -> Any:
    """Deploy the LeverageRouter for the factory's markets (`wrapped_native` enables `open_native`); it
    remembers each of `markets` at the deployer's cost, not at their first user's."""
    router = deployer.deploy(project.LeverageRouter, factory, wrapped_native or ZERO_ADDRESS)
    for market in markets:
        router.remember_market(market, sender=deployer)
    return router


def deploy_keeper_contracts(
    project: Any, deployer: Any, factory: Any, markets: Sequence[Any] = ()
) -> dict[str, Any]:
    """The Liquidator and the LeverageGuard for the factory's markets (each remembers `markets` at the
    deployer's cost), and the keeper's PositionLens."""
    contracts = {
        "liquidator": deployer.deploy(project.Liquidator, factory),
        "guard": deployer.deploy(project.LeverageGuard, factory),
    }
    for contract in contracts.values():
        for market in markets:
            contract.remember_market(market, sender=deployer)
    return {**contracts, "lens": deployer.deploy(project.PositionLens)}


DEFAULT_REWARD_RESERVE = 1_000  # X the devnet's validator can pay out as rewards


def deploy_protocol(
    project: Any,
    deployer: Any,
    network: Any,
    asset: str | None = None,
    reward_reserve: float = DEFAULT_REWARD_RESERVE,
    treasury: str | None = None,
    guardian: str | None = None,
) -> Deployment:
    """
    The whole system on the connected network: staking (a new WrappedNative as X unless `asset` is given),
    lending with the default 98% / 99% market, the router, the liquidator, the guard and the keeper's
    lens. The validator's reward reserve is funded with
    `reward_reserve` X, wrapped from the deployer's native balance when X is the new WrappedNative.
    """
    treasury = treasury or deployer.address
    # Any ERC-20 (with EIP-2612 for one-transaction opens); WrappedNative's ABI covers both.
    x = project.WrappedNative.at(asset) if asset else None
    staking = deploy_staking(project, deployer, treasury, x=x)
    reserve = staking.units(reward_reserve)
    if reserve:
        if asset is None:
            staking.x.deposit(sender=deployer, value=reserve)
        staking.x.approve(staking.validator, reserve, sender=deployer)
        staking.validator.fund_rewards(reserve, sender=deployer)
    lending = deploy_lending(project, deployer, staking, treasury, guardian or deployer.address)
    router = deploy_router(
        project, deployer, lending.factory, staking.x.address if asset is None else None, [lending.market]
    )
    contracts = {
        "x": staking.x,
        "validator": staking.validator,
        "governor": staking.governor,
        "lst": staking.lst,
        "irm": lending.irm,
        "oracle": lending.oracle,
        "factory": lending.factory,
        "market": lending.market,
        "router": router,
        **deploy_keeper_contracts(project, deployer, lending.factory, [lending.market]),
    }
    return Deployment(
        ecosystem=network.ecosystem.name,
        network=network.name,
        chain_id=int(network.chain_id),
        block=int(network.provider.get_block("latest").number),
        deployer=deployer.address,
        contracts={name: str(contract.address) for name, contract in contracts.items()},
        parameters={
            "x_symbol": staking.x.symbol(),
            "decimals": staking.decimals,
            "native_x": asset is None,
            "max_ltv": DEFAULT_MAX_LTV,
            "lltv": DEFAULT_LLTV,
            "reserve_factor": DEFAULT_RESERVE_FACTOR,
            "validator_apr_bps": DEFAULT_VALIDATOR_APR_BPS,
            "reward_reserve": reserve,
            "treasury": treasury,
        },
        abis=contract_abis(project),
    )


def contract_abis(project: Any) -> dict[str, list[dict[str, Any]]]:
    """The JSON ABI of every contract type a deployment file names, from Ape's compiled project."""
    return {
        name: [
            entry.model_dump(mode="json", by_alias=True, exclude_none=True)
            for entry in getattr(project, name).contract_type.abi
        ]
        for name in ALL_TYPES.values()
    }
