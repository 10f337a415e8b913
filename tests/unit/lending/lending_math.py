"""The market's integer math in Python (same rounding as the contract) and exact references for the
lending tests."""

from __future__ import annotations

from decimal import Decimal, localcontext

WAD = 10**18
ORACLE_SCALE = 10**36
YEAR = 365 * 86_400
DAY = 86_400
MAX_UINT = 2**256 - 1
MAX_UINT128 = 2**128 - 1
VIRTUAL_SHARES = 10**6
VIRTUAL_ASSETS = 1
MAX_BORROW_APR = 10 * WAD
MAX_EXPONENT = 50 * WAD

# Modes of MockSwitchableRateModel.
IRM_ANSWERS, IRM_REVERTS, IRM_BURNS_GAS, IRM_SHORT_DATA = 0, 1, 2, 3


def down(x: int, y: int, d: int) -> int:
    return x * y // d


def up(x: int, y: int, d: int) -> int:
    return -(-x * y // d)


def to_shares_down(assets: int, total_assets: int, total_shares: int) -> int:
    return down(assets, total_shares + VIRTUAL_SHARES, total_assets + VIRTUAL_ASSETS)


def to_shares_up(assets: int, total_assets: int, total_shares: int) -> int:
    return up(assets, total_shares + VIRTUAL_SHARES, total_assets + VIRTUAL_ASSETS)


def to_assets_down(shares: int, total_assets: int, total_shares: int) -> int:
    return down(shares, total_assets + VIRTUAL_ASSETS, total_shares + VIRTUAL_SHARES)


def to_assets_up(shares: int, total_assets: int, total_shares: int) -> int:
    return up(shares, total_assets + VIRTUAL_ASSETS, total_shares + VIRTUAL_SHARES)


def burnt_value(burnt: int, total_assets: int, total_shares: int) -> int:
    """What burning borrow shares takes off the total borrow assets: their value rounded down, all of it with
    the last share (`LendingMarket._burnt_value`)."""
    if burnt == total_shares:
        return total_assets
    return min(to_assets_down(burnt, total_assets, total_shares), total_assets)


def exact_growth(exponent_wad: int) -> Decimal:
    """e^x - 1 for x = exponent_wad / 1e18, exact to 60 digits (the reference for continuous compounding)."""
    with localcontext() as context:
        context.prec = 60
        return (Decimal(exponent_wad) / WAD).exp() - 1


def small_growth(exponent: int) -> int:
    """The market's e^x - 1 below x = 0.001, both at 1e36 scale: 9 Taylor terms, each floored, plus 8."""
    term = total = exponent
    for k in range(2, 10):
        term = term * exponent // (ORACLE_SCALE * k)
        total += term
    return total + 8


def exact_interest(borrowed: int, apr: int, elapsed: int) -> Decimal:
    """borrowed x (e^(apr x elapsed / YEAR) - 1), with the exponent floored to a wei as the market does."""
    with localcontext() as context:
        context.prec = 60
        return borrowed * exact_growth(min(apr * elapsed // YEAR, MAX_EXPONENT))


def assert_interest_close(actual: int, borrowed: int, apr: int, elapsed: int) -> None:
    """
    The market's interest is e^x - 1 from snekmate's `wad_exp` (within 1e-18 relative of the exact value)
    plus one wei of WAD in the lenders' favour: it is never below the exact interest rounded down, and
    above it by at most borrowed / 1e18 + one unit (rounding and a carried remainder) + 1e-18 relative.
    """
    exact = exact_interest(borrowed, apr, elapsed)
    assert actual >= int(exact), (actual, exact)
    assert actual <= exact + borrowed // WAD + 1 + exact / 10**18, (actual, exact)


def liquidation_incentive(lltv: int) -> int:
    return min(115 * WAD // 100, WAD * WAD // (WAD - 3 * WAD // 10 * (WAD - lltv) // WAD))


def liquidation(
    collateral: int,
    borrow_shares: int,
    total_assets: int,
    total_shares: int,
    rate: int,
    incentive: int,
    dust: int,
    seized_assets: int = 0,
    repaid_shares: int = 0,
) -> dict[str, int]:
    """`LendingMarket.liquidate` step by step (interest already accrued): what it seizes, repays and
    writes off."""
    if seized_assets:
        seized = seized_assets
        # Rounded up once; the whole debt is repaid when it pays what is owed within two units.
        owed = up(seized_assets, rate, incentive * (ORACLE_SCALE // WAD))
        repaid_sh = to_shares_up(owed, total_assets, total_shares)
        if repaid_sh > borrow_shares and to_assets_up(borrow_shares, total_assets, total_shares) + 2 >= owed:
            repaid_sh = borrow_shares
    else:
        repaid_sh = repaid_shares
        seized = down(
            down(to_assets_down(repaid_shares, total_assets, total_shares), incentive, WAD),
            ORACLE_SCALE,
            rate,
        )
    repaid = to_assets_up(repaid_sh, total_assets, total_shares)
    shares_left = borrow_shares - repaid_sh
    collateral_left = collateral - seized
    total_assets -= burnt_value(repaid_sh, total_assets, total_shares)
    total_shares -= repaid_sh
    bad_shares = 0
    if shares_left:
        value = down(collateral_left, rate, ORACLE_SCALE)
        if value < dust:
            seized += collateral_left
            collateral_left = 0
            bad_shares = shares_left
        else:
            left = to_assets_up(shares_left, total_assets, total_shares)
            if value < left:
                bad_shares = min(to_shares_up(left - value + 1, total_assets, total_shares), shares_left)
    bad_assets = 0
    if bad_shares:
        bad_assets = burnt_value(bad_shares, total_assets, total_shares)
        total_assets -= bad_assets
        total_shares -= bad_shares
        shares_left -= bad_shares
    return {
        "seized": seized,
        "repaid": repaid,
        "repaid_shares": repaid_sh,
        "bad_assets": bad_assets,
        "bad_shares": bad_shares,
        "collateral_left": collateral_left,
        "shares_left": shares_left,
        "total_assets": total_assets,
        "total_shares": total_shares,
    }
