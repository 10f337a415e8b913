# pragma version 0.4.3
"""
@title InterestRateModel
@custom:contract-name InterestRateModel
@license MIT
@notice Kinked borrow-rate curve: linear from `base_apr` at 0% utilization to
        `kink_apr` at `kink` utilization, then linear to `max_apr` at 100%.
        Stateless: a market reads it through views only.
@custom:security Immutable parameters; no owner.
"""

WAD: constant(uint256) = 10**18
YEAR: constant(uint256) = 365 * 86_400
# A borrow rate above 1,000% a year is refused at deployment.
MAX_APR: constant(uint256) = 10 * WAD

base_apr: public(immutable(uint256))
kink_apr: public(immutable(uint256))
max_apr: public(immutable(uint256))
kink: public(immutable(uint256))


@deploy
def __init__(base_apr_: uint256, kink_apr_: uint256, max_apr_: uint256, kink_: uint256):
    """
    @param base_apr_ Yearly borrow rate at 0% utilization (WAD).
    @param kink_apr_ Yearly borrow rate at the kink (WAD).
    @param max_apr_ Yearly borrow rate at 100% utilization (WAD).
    @param kink_ Kink utilization (WAD), strictly between 0 and 1.
    """
    assert kink_ > 0 and kink_ < WAD, "irm: kink out of bounds"
    assert base_apr_ <= kink_apr_ and kink_apr_ <= max_apr_, "irm: rates not increasing"
    assert max_apr_ <= MAX_APR, "irm: max apr too high"
    base_apr = base_apr_
    kink_apr = kink_apr_
    max_apr = max_apr_
    kink = kink_


@view
@internal
def _apr(utilization: uint256) -> uint256:
    u: uint256 = min(utilization, WAD)
    if u <= kink:
        return base_apr + (kink_apr - base_apr) * u // kink
    return kink_apr + (max_apr - kink_apr) * (u - kink) // (WAD - kink)


@view
@external
def borrow_apr(utilization: uint256) -> uint256:
    """
    @notice Yearly borrow rate (WAD) at `utilization` (WAD, capped at 100%).
    """
    return self._apr(utilization)


@view
@external
def borrow_rate(utilization: uint256) -> uint256:
    """
    @notice Per-second borrow rate (WAD) at `utilization` (WAD).
    """
    return self._apr(utilization) // YEAR
