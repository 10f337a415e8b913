# pragma version 0.4.3
"""
@title deleverage
@custom:contract-name deleverage
@license MIT
@notice Step-down math shared by the router's `adjust` down and the guard's `protect`:
        how many LST shares to unstake instantly so that, once what they pay is
        repaid, a position lands at a target leverage. A module: stateless, internal
        functions only, imported by `LeverageRouter` and `LeverageGuard`.
@custom:security - Views only: every figure is read from the LST as it is now, so a
                   caller that sizes and unstakes in one transaction, with nothing in
                   between that moves the LST, is paid what it sized for.
                 - Each size rounds up (the position ends at or a few wei below its
                   target, never above it) and is capped at the collateral held.
                 - Failures are returned as a status, not raised, so each caller
                   reverts with its own reason.
"""

from ethereum.ercs import IERC4626
from snekmate.utils import math

WAD: constant(uint256) = 10**18
ORACLE_SCALE: constant(uint256) = 10**36
# Rounds of the unstake-size solvers: the instant fee depends on the amount unstaked. `_unstake_size`
# takes its number of rounds (the router's adjust uses DECREASE_ROUNDS; a position with little equity
# left needs more to land within a few ppm of its target) and when to stop early (see `settle`).
DECREASE_ROUNDS: constant(uint256) = 3
MAX_DECREASE_ROUNDS: constant(uint256) = 16
UNSTAKE_FOR_ROUNDS: constant(uint256) = 8

# What `_unstake_size` / `_step_down` report besides the amount.
SIZED: constant(uint256) = 0
BELOW_TARGET: constant(uint256) = 1
FEE_TOO_HIGH: constant(uint256) = 2


@view
@internal
def _unstake_size(
    lst: IERC4626,
    price: uint256,
    collateral: uint256,
    debt: uint256,
    worth: uint256,
    target: uint256,
    rounds: uint256,
    settle: uint256,
) -> (uint256, uint256):
    """
    @dev (shares dC, status) to unstake instantly and repay with, so that C' * p / (C' * p - D') = L
         with C' = C - dC and D' = D - dC * q (q: X per share after the instant fee):
         dC = (L * D - (L - 1) * C * p) / (L * q - (L - 1) * p). The fee grows with the
         amount, so q is re-read for the amount found, `rounds` times at most. It stops
         early when a round moves the size by at most 1 / `settle` of it (`settle` 0: only
         when the size repeats, which every later round would do too, so the result is
         that of all the rounds). `worth` is C * p;
         `price` p and q are scaled by 1e36, `target` L by 1e18. Status `BELOW_TARGET`
         when L * D <= (L - 1) * C * p, `FEE_TOO_HIGH` when L * q <= (L - 1) * p.
    """
    numerator: uint256 = target * debt
    reduce: uint256 = (target - WAD) * worth
    if numerator <= reduce:
        return 0, BELOW_TARGET
    numerator -= reduce
    q: uint256 = staticcall lst.convertToAssets(ORACLE_SCALE)
    amount: uint256 = 0
    for _: uint256 in range(rounds, bound=MAX_DECREASE_ROUNDS):
        gain: uint256 = target * q
        cost: uint256 = (target - WAD) * price
        if gain <= cost:
            return 0, FEE_TOO_HIGH
        found: uint256 = min(math._mul_div(numerator, ORACLE_SCALE, gain - cost, True), collateral)
        moved: uint256 = max(found, amount) - min(found, amount)
        amount = found
        if moved == 0 or (settle != 0 and moved * settle <= found):
            break
        if amount == 0:
            break
        q = math._mul_div(staticcall lst.previewRedeem(amount), ORACLE_SCALE, amount, False)
    return amount, SIZED


@view
@internal
def _unstake_for(lst: IERC4626, debt: uint256, collateral: uint256) -> uint256:
    """
    @dev The fewest shares (up to `collateral`) whose instant redemption pays at least
         `debt`: a redeem's fee is taken on its gross value, so a few rounds top up what
         `previewWithdraw` says.
    """
    amount: uint256 = min(staticcall lst.previewWithdraw(debt), collateral)
    for _: uint256 in range(UNSTAKE_FOR_ROUNDS):
        proceeds: uint256 = staticcall lst.previewRedeem(amount)
        if proceeds >= debt or amount == collateral:
            break
        amount = min(amount + staticcall lst.convertToShares(debt - proceeds) + 1, collateral)
    return amount


@view
@internal
def _step_down(
    lst: IERC4626,
    price: uint256,
    collateral: uint256,
    debt: uint256,
    worth: uint256,
    target: uint256,
    rounds: uint256,
    settle: uint256,
) -> (uint256, uint256):
    """
    @dev (shares, status) to unstake for a step down to `target`: back to 1x, enough to
         pay all of `debt`; else `_unstake_size` with `rounds` and `settle`.
    """
    if target == WAD:
        return self._unstake_for(lst, debt, collateral), SIZED
    return self._unstake_size(lst, price, collateral, debt, worth, target, rounds, settle)
