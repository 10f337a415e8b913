# pragma version 0.4.3
"""
@title ExchangeRateOracle
@custom:contract-name ExchangeRateOracle
@license MIT
@notice Prices an LST in its base asset at the LST's own redemption rate
        (`convertToAssets`), never at a market price, so price swings cannot
        liquidate anybody. Scaled by 1e36: value in X units = LST units * price / 1e36.
@custom:security Defence in depth (CAPO-style): the price may grow at most
                 `max_yearly_growth` per year above a snapshot; anybody may move
                 the snapshot forward once `MIN_SNAPSHOT_DELAY` has passed, to the
                 capped price only. A falling rate (slashing) is passed on at once.
"""

from ethereum.ercs import IERC4626
from interfaces import IPriceOracle

implements: IPriceOracle

ORACLE_SCALE: constant(uint256) = 10**36
WAD: constant(uint256) = 10**18
YEAR: constant(uint256) = 365 * 86_400
MIN_SNAPSHOT_DELAY: constant(uint256) = 86_400
MAX_GROWTH_BOUND: constant(uint256) = WAD  # 100% a year

lst: public(immutable(IERC4626))
max_yearly_growth: public(immutable(uint256))
snapshot_price: public(uint256)
snapshot_time: public(uint256)


event SnapshotUpdated:
    price: uint256
    timestamp: uint256


@deploy
def __init__(lst_: IERC4626, max_yearly_growth_: uint256):
    """
    @param lst_ The liquid staking token (ERC-4626 over the base asset).
    @param max_yearly_growth_ Cap on the yearly growth of the price (WAD), e.g. 0.2e18.
    """
    assert lst_.address != empty(address), "oracle: zero lst"
    assert max_yearly_growth_ != 0 and max_yearly_growth_ <= MAX_GROWTH_BOUND, "oracle: growth out of bounds"
    lst = lst_
    max_yearly_growth = max_yearly_growth_
    self.snapshot_price = self._rate()
    self.snapshot_time = block.timestamp
    log SnapshotUpdated(price=self.snapshot_price, timestamp=block.timestamp)


@view
@internal
def _rate() -> uint256:
    # Asking for 1e36 units keeps full precision whatever the decimals.
    return staticcall lst.convertToAssets(ORACLE_SCALE)


@view
@internal
def _cap() -> uint256:
    snapshot: uint256 = self.snapshot_price
    elapsed: uint256 = block.timestamp - self.snapshot_time
    return snapshot + snapshot * max_yearly_growth * elapsed // (WAD * YEAR)


@view
@external
def price() -> uint256:
    """
    @notice The LST's exchange rate scaled by 1e36, capped by the allowed growth.
    """
    return min(self._rate(), self._cap())


@view
@external
def rate() -> uint256:
    """
    @notice The uncapped exchange rate scaled by 1e36.
    """
    return self._rate()


@external
def update_snapshot():
    """
    @notice Moves the snapshot to the current (capped) price. Permissionless, at
            most once per `MIN_SNAPSHOT_DELAY`.
    """
    assert block.timestamp >= self.snapshot_time + MIN_SNAPSHOT_DELAY, "oracle: snapshot too recent"
    new_price: uint256 = min(self._rate(), self._cap())
    self.snapshot_price = new_price
    self.snapshot_time = block.timestamp
    log SnapshotUpdated(price=new_price, timestamp=block.timestamp)
