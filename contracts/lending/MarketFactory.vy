# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title MarketFactory
@custom:contract-name MarketFactory
@license MIT
@notice Deploys `LendingMarket`s from a blueprint and keeps the registry. Anyone
        may create a market with an allowed (max LTV, LLTV) pair, a rate model the
        owner enabled and an oracle the owner enabled for that collateral (Morpho's
        `enableIrm`); the owner also sets the treasury and the guardian given to new
        markets. Markets are immutable once created.
@custom:security - The owner cannot touch existing markets or any funds. Enabling a
                   rate model or an oracle cannot be undone, so every listed market
                   keeps the parameters it was listed with.
                 - A market's own parameters can never block its exits: only enabled
                   (audited, stateless) rate models and oracles can be listed, and
                   the market bounds and falls back on the rate model anyway.
                 - Every listed market lends the asset its collateral is an LST of:
                   the oracle enabled for a collateral prices it in that asset, so
                   no pair is checked on one token only.
                 - Max LTV is at most 98%: a position at the limit keeps equity of at
                   least 2% of its collateral, twice the LST's 1% instant-fee ceiling,
                   so every position can pay its way out.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC20Detailed
from ethereum.ercs import IERC4626
from snekmate.auth import ownable
from snekmate.auth import ownable_2step
from interfaces import IPriceOracle
from interfaces import IInterestRateModel

initializes: ownable
initializes: ownable_2step[ownable := ownable]

exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
)

WAD: constant(uint256) = 10**18
MAX_RESERVE_FACTOR: constant(uint256) = 500_000_000_000_000_000
MAX_MARKETS_PAGE: constant(uint256) = 100
MAX_MAX_LTV: constant(uint256) = 980_000_000_000_000_000

blueprint: public(immutable(address))
treasury: public(address)
guardian: public(address)
is_pair_allowed: public(HashMap[uint256, HashMap[uint256, bool]])
is_irm_enabled: public(HashMap[address, bool])
# Oracle => collateral it may price.
is_oracle_enabled: public(HashMap[address, HashMap[address, bool]])
is_market: public(HashMap[address, bool])
markets: public(HashMap[uint256, address])
market_count: public(uint256)


event PairAllowed:
    max_ltv: uint256
    lltv: uint256
    allowed: bool

event MarketCreated:
    market: indexed(address)
    asset: indexed(address)
    collateral: indexed(address)
    oracle: address
    irm: address
    max_ltv: uint256
    lltv: uint256
    reserve_factor: uint256

event IrmEnabled:
    irm: indexed(address)

event OracleEnabled:
    oracle: indexed(address)
    collateral: indexed(address)

event TreasurySet:
    treasury: indexed(address)

event GuardianSet:
    guardian: indexed(address)


@deploy
def __init__(blueprint_: address, treasury_: address, guardian_: address):
    """
    @param blueprint_ The LendingMarket blueprint.
    @param treasury_ Treasury of new markets.
    @param guardian_ Guardian of new markets.
    """
    assert blueprint_ != empty(address), "factory: zero blueprint"
    assert treasury_ != empty(address), "factory: zero treasury"
    ownable.__init__()
    ownable_2step.__init__()
    blueprint = blueprint_
    self.treasury = treasury_
    self.guardian = guardian_


@external
def set_pair_allowed(max_ltv: uint256, lltv: uint256, allowed: bool):
    """
    @notice Allows or forbids a (max LTV, LLTV) pair for new markets (owner).
    """
    ownable._check_owner()
    assert max_ltv != 0 and lltv > max_ltv, "factory: lltv must exceed max ltv"
    assert lltv < WAD, "factory: lltv too high"
    assert max_ltv <= MAX_MAX_LTV, "factory: max ltv too high"
    self.is_pair_allowed[max_ltv][lltv] = allowed
    log PairAllowed(max_ltv=max_ltv, lltv=lltv, allowed=allowed)


@external
def enable_irm(irm: IInterestRateModel):
    """
    @notice Lets new markets use `irm` (owner; cannot be undone).
    """
    ownable._check_owner()
    assert irm.address != empty(address), "factory: zero irm"
    self.is_irm_enabled[irm.address] = True
    log IrmEnabled(irm=irm.address)


@external
def enable_oracle(oracle: IPriceOracle, collateral: address):
    """
    @notice Lets new markets with `collateral` use `oracle` (owner; cannot be undone).
    """
    ownable._check_owner()
    assert oracle.address != empty(address) and collateral != empty(address), "factory: zero oracle"
    self.is_oracle_enabled[oracle.address][collateral] = True
    log OracleEnabled(oracle=oracle.address, collateral=collateral)


@external
def set_treasury(treasury_: address):
    """
    @notice Treasury given to markets created from now on (owner).
    """
    ownable._check_owner()
    assert treasury_ != empty(address), "factory: zero treasury"
    self.treasury = treasury_
    log TreasurySet(treasury=treasury_)


@external
def set_guardian(guardian_: address):
    """
    @notice Guardian given to markets created from now on (owner).
    """
    ownable._check_owner()
    self.guardian = guardian_
    log GuardianSet(guardian=guardian_)


@external
def create_market(
    asset: IERC20Detailed,
    collateral: IERC20,
    oracle: IPriceOracle,
    irm: IInterestRateModel,
    max_ltv: uint256,
    lltv: uint256,
    reserve_factor: uint256,
    name: String[25],
    symbol: String[5],
) -> address:
    """
    @notice Deploys a market. Permissionless for allowed (max LTV, LLTV) pairs, enabled
            rate models and oracles enabled for the collateral, whose asset must be
            the market's loan asset (the collateral is an LST of it).
    @return The market's address.
    """
    # The market's constructor relies on these checks (see LendingMarket.__init__).
    assert self.is_pair_allowed[max_ltv][lltv], "factory: pair not allowed"
    assert asset.address != empty(address) and collateral.address != empty(address), "factory: zero token"
    assert reserve_factor <= MAX_RESERVE_FACTOR, "factory: reserve factor too high"
    assert self.is_irm_enabled[irm.address], "factory: irm not enabled"
    assert self.is_oracle_enabled[oracle.address][collateral.address], "factory: oracle not enabled"
    # The oracle is enabled per collateral and prices it in the collateral's own asset: the
    # market must lend that asset, or a listed market misprices a foreign loan token.
    assert staticcall IERC4626(collateral.address).asset() == asset.address, (
        "factory: collateral is not an lst of the asset"
    )
    market: address = create_from_blueprint(
        blueprint,
        asset.address,
        collateral,
        oracle,
        irm,
        max_ltv,
        lltv,
        reserve_factor,
        self.treasury,
        self.guardian,
        name,
        symbol,
        staticcall asset.decimals(),
    )
    index: uint256 = self.market_count
    self.markets[index] = market
    self.market_count = index + 1
    self.is_market[market] = True
    log MarketCreated(
        market=market,
        asset=asset.address,
        collateral=collateral.address,
        oracle=oracle.address,
        irm=irm.address,
        max_ltv=max_ltv,
        lltv=lltv,
        reserve_factor=reserve_factor,
    )
    return market
