# pragma version 0.4.3
"""
@title ExchangeRateOracle
@custom:contract-name ExchangeRateOracle
@license MIT
@notice Prices an LST in its base asset at the LST's own redemption rate
        (`convertToAssets`), never at a market price, so price swings cannot
        liquidate anybody. Scaled by 1e36: value in X units = LST units * price / 1e36.
@custom:security Defence in depth (CAPO-style): `price()` may grow at most
                 `max_yearly_growth` a year. The cap starts at the rate at deployment
                 and grows linearly from an anchor; anybody may move the anchor to the
                 current cap once a day, which compounds it. No call can lower the cap,
                 now or later, so nobody can shrink its headroom. `rate()` is the
                 uncapped book value of a share (rewards still streaming included):
                 markets use it to decide liquidations, so the cap can only make
                 borrowing and collateral withdrawal more conservative and never
                 liquidates a position that is healthy at the LST's real rate, nor can
                 a late reward sync (whose gain streams slowly) liquidate anybody for
                 rewards the LST has counted. A loss (slashing) passes through both
                 at once.
"""

from ethereum.ercs import IERC4626
from snekmate.utils import math
from interfaces import IPriceOracle


interface IBookValue:
    def book_value(shares: uint256) -> uint256: view


implements: IPriceOracle

ORACLE_SCALE: constant(uint256) = 10**36
WAD: constant(uint256) = 10**18
YEAR: constant(uint256) = 365 * 86_400
MIN_SNAPSHOT_DELAY: constant(uint256) = 86_400
MAX_GROWTH_BOUND: constant(uint256) = WAD  # 100% a year
# The snapshot's price takes the low 208 bits of its slot, its time the 48 above.
PRICE_BITS: constant(uint256) = 208
PRICE_MASK: constant(uint256) = (1 << PRICE_BITS) - 1

lst: public(immutable(IERC4626))
max_yearly_growth: public(immutable(uint256))
# The cap's anchor: the cap was `snapshot_price` at `snapshot_time` and grows linearly from there. One
# slot (every `price()` reads both; two slots cost a second cold read in every borrow and open).
_snapshot: uint256


event SnapshotUpdated:
    price: uint256
    timestamp: uint256


@deploy
def __init__(lst_: IERC4626, max_yearly_growth_: uint256):
    """
    @param lst_ The liquid staking token (ERC-4626 over the base asset).
    @param max_yearly_growth_ Cap on the yearly growth of the price (WAD), e.g. 0.25e18.
    """
    assert lst_.address != empty(address), "oracle: zero lst"
    assert max_yearly_growth_ != 0 and max_yearly_growth_ <= MAX_GROWTH_BOUND, "oracle: growth out of bounds"
    lst = lst_
    max_yearly_growth = max_yearly_growth_
    self._set_snapshot(self._rate())


@internal
def _set_snapshot(price: uint256):
    # 2^208 / 1e36: a rate above 4e26 units of X per unit of share is refused rather than cut.
    assert price <= PRICE_MASK, "oracle: price too large"
    self._snapshot = price | (block.timestamp << PRICE_BITS)
    log SnapshotUpdated(price=price, timestamp=block.timestamp)


@view
@external
def snapshot_price() -> uint256:
    """
    @notice The cap's anchor price, scaled by 1e36.
    """
    return self._snapshot & PRICE_MASK


@view
@external
def snapshot_time() -> uint256:
    """
    @notice When the cap's anchor was set.
    """
    return self._snapshot >> PRICE_BITS


@view
@internal
def _rate() -> uint256:
    # Asking for 1e36 units keeps full precision whatever the decimals.
    return staticcall lst.convertToAssets(ORACLE_SCALE)


@view
@internal
def _cap() -> uint256:
    snapshot: uint256 = self._snapshot
    anchor: uint256 = snapshot & PRICE_MASK
    elapsed: uint256 = block.timestamp - (snapshot >> PRICE_BITS)
    return anchor + math._mul_div(anchor, max_yearly_growth * elapsed, WAD * YEAR, False)


@view
@external
def price() -> uint256:
    """
    @notice The LST's exchange rate scaled by 1e36, capped by the allowed growth:
            the price borrowing and collateral withdrawal are checked against.
    """
    return min(self._rate(), self._cap())


@view
@external
def rate() -> uint256:
    """
    @notice The price liquidations use, scaled by 1e36: the LST's book value of a
            share, uncapped, counting the rewards it has counted but still streams.
    """
    return staticcall IBookValue(lst.address).book_value(ORACLE_SCALE)


@view
@external
def cap() -> uint256:
    """
    @notice The most `price()` can be now, scaled by 1e36.
    """
    return self._cap()


@external
def update_snapshot():
    """
    @notice Moves the cap's anchor to the current cap, so that the cap compounds.
            Permissionless, at most once per `MIN_SNAPSHOT_DELAY`; it never lowers
            the cap, now or at any later time.
    """
    assert block.timestamp >= (self._snapshot >> PRICE_BITS) + MIN_SNAPSHOT_DELAY, "oracle: snapshot too recent"
    new_anchor: uint256 = self._cap()
    self._set_snapshot(new_anchor)
