"""
The LST's lock: every state-changing entry point holds it, and every view that prices shares reverts while it
is held, so a base asset (or anything else called mid-transaction) can neither re-enter nor read a
half-updated rate. The re-entry comes from a base asset that calls out from inside its transfers.
"""

import ape
import pytest

from levstake.model import LST_PARAMETER_DELAY, LST_PARAMETERS

ZERO = "0x0000000000000000000000000000000000000000"


# Module-scoped and used by every test here: built once per decimals (Ape's isolation undoes each test's
# changes), not once per test.
pytestmark = pytest.mark.usefixtures("armed_lst")


@pytest.fixture(scope="module")
def armed_lst(reentrant_x, reentrant_staking, staker, other, decimals):
    """100 X staked over the calling-out base asset, 90 X delegated, one 1 X request queued."""
    x, lst = reentrant_x, reentrant_staking.lst
    unit = 10**decimals
    for account in (staker, other):
        x.mint(account, 1_000 * unit, sender=account)
        x.approve(lst, 2**256 - 1, sender=account)
    lst.deposit(100 * unit, staker, sender=staker)
    lst.rebalance(sender=other)
    lst.request_unstake(unit, staker, staker, sender=staker)
    return lst


def view_calls(lst, staker, unit: int) -> dict[str, bytes]:
    return {
        "totalAssets": lst.totalAssets.encode_input(),
        "convertToShares": lst.convertToShares.encode_input(unit),
        "convertToAssets": lst.convertToAssets.encode_input(unit),
        "book_value": lst.book_value.encode_input(unit),
        "maxDeposit": lst.maxDeposit.encode_input(staker),
        "maxMint": lst.maxMint.encode_input(staker),
        "maxWithdraw": lst.maxWithdraw.encode_input(staker),
        "maxRedeem": lst.maxRedeem.encode_input(staker),
        "previewDeposit": lst.previewDeposit.encode_input(unit),
        "previewMint": lst.previewMint.encode_input(unit),
        "previewWithdraw": lst.previewWithdraw.encode_input(unit),
        "previewRedeem": lst.previewRedeem.encode_input(unit),
        "max_instant_redeem": lst.max_instant_redeem.encode_input(),
        "queue_cover": lst.queue_cover.encode_input(),
        "share_prices": lst.share_prices.encode_input(),
        "request_value": lst.request_value.encode_input(0),
    }


def entry_calls(lst, staker, unit: int) -> dict[str, bytes]:
    return {
        "deposit": lst.deposit.encode_input(unit, staker),
        "mint": lst.mint.encode_input(unit, staker),
        "withdraw": lst.withdraw.encode_input(unit, staker, staker),
        "redeem": lst.redeem.encode_input(unit, staker, staker),
        "request_unstake": lst.request_unstake.encode_input(unit, staker, staker),
        "claim": lst.claim.encode_input(0),
        "process_queue": lst.process_queue.encode_input(),
        "rebalance": lst.rebalance.encode_input(),
        "sync_rewards": lst.sync_rewards.encode_input(),
        "on_backend_report": lst.on_backend_report.encode_input(0),
    }


def test_views_revert_while_the_lock_is_held(armed_lst, reentrant_x, staker, other, decimals):
    lst, unit = armed_lst, 10**decimals
    for name, data in view_calls(lst, staker, unit).items():
        reentrant_x.arm(lst, data, sender=other)
        with ape.reverts("lst: reentrant call"):
            lst.deposit(unit, other, sender=other)
        assert lst.balanceOf(other) == 0, name
    # Outside a call the same views answer.
    assert lst.totalAssets() == 99 * unit


def test_entry_points_cannot_be_reentered(armed_lst, reentrant_x, staker, other, decimals):
    lst, unit = armed_lst, 10**decimals
    for name, data in entry_calls(lst, staker, unit).items():
        # From inside a deposit (the LST pulls X) and from inside a withdrawal (the LST sends X).
        for outer in ("deposit", "withdraw"):
            reentrant_x.arm(lst, data, sender=other)
            with ape.reverts("lst: reentrant call"):
                if outer == "deposit":
                    lst.deposit(unit, staker, sender=staker)
                else:
                    lst.withdraw(unit, staker, staker, sender=staker)
            assert lst.totalSupply() == 99 * unit, name
    # Disarmed, the same outer calls go through: the reverts came from the re-entries.
    reentrant_x.arm(ZERO, b"", sender=other)
    lst.deposit(unit, staker, sender=staker)
    lst.withdraw(unit, staker, staker, sender=staker)


def test_a_due_parameter_change_cannot_apply_inside_an_lst_call(
    armed_lst, reentrant_x, reentrant_staking, owner, staker, other, decimals, chain
):
    """`set_parameter` takes the lock too: the governor's `apply_parameter` (anybody's, once due) cannot
    change a fee or the target in the middle of a deposit or a withdrawal."""
    lst, governor, unit = armed_lst, reentrant_staking.governor, 10**decimals
    parameter = LST_PARAMETERS["instant_fee_bps"]
    governor.announce_parameter(parameter, 50, sender=owner)
    chain.mine(deltatime=LST_PARAMETER_DELAY)
    for outer in ("deposit", "withdraw"):
        reentrant_x.arm(governor, governor.apply_parameter.encode_input(parameter), sender=other)
        with ape.reverts("lst: reentrant call"):
            if outer == "deposit":
                lst.deposit(unit, staker, sender=staker)
            else:
                lst.withdraw(unit, staker, staker, sender=staker)
        assert lst.instant_fee_bps() == 10
    reentrant_x.arm(ZERO, b"", sender=other)
    governor.apply_parameter(parameter, sender=other)
    assert lst.instant_fee_bps() == 50
