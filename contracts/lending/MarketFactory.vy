# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title MarketFactory
@custom:contract-name MarketFactory
@license MIT
@notice Deploys `LendingMarket`s from a blueprint and keeps the registry. Anyone
        may create a market with an allowed (max LTV, LLTV) pair; the owner
        manages the allowed pairs, the treasury and the guardian given to new
        markets. Markets are immutable once created.
@custom:security The owner cannot touch existing markets or any funds.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC20Detailed
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
MAX_MARKETS_PAGE: constant(uint256) = 100

blueprint: public(immutable(address))
treasury: public(address)
guardian: public(address)
is_pair_allowed: public(HashMap[uint256, HashMap[uint256, bool]])
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
    self.is_pair_allowed[max_ltv][lltv] = allowed
    log PairAllowed(max_ltv=max_ltv, lltv=lltv, allowed=allowed)


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
    @notice Deploys a market. Permissionless for allowed (max LTV, LLTV) pairs.
    @return The market's address.
    """
    assert self.is_pair_allowed[max_ltv][lltv], "factory: pair not allowed"
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
