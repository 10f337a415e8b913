"""A malicious ERC-3156 borrower: re-entering the market from its callback, or not paying the loan back."""

import ape
import pytest

# Module-scoped and used by every test here: built once per decimals (Ape's isolation undoes each test's
# changes), not once per test.
pytestmark = pytest.mark.usefixtures("evil_borrower", "flash_ready")


@pytest.fixture(scope="module")
def evil_borrower(project, owner, market):
    return owner.deploy(project.MockFlashBorrower, market)


@pytest.fixture(scope="module")
def flash_ready(lender, borrower, lend, post_collateral, market, units):
    """Idle X to flash-borrow, and a borrower whose position the callback could touch."""
    lend(lender, units(100))
    post_collateral(borrower, units(10))
    market.borrow(units(1), 0, borrower, borrower, sender=borrower)


# Every state-changing entry point of the market, as the borrower contract would call it mid-loan.
ENTRY_POINTS = {
    "deposit": lambda m, me, other: m.deposit.encode_input(1, me),
    "mint": lambda m, me, other: m.mint.encode_input(1, me),
    "withdraw": lambda m, me, other: m.withdraw.encode_input(1, me, me),
    "redeem": lambda m, me, other: m.redeem.encode_input(1, me, me),
    "supply_collateral": lambda m, me, other: m.supply_collateral.encode_input(1, me),
    "withdraw_collateral": lambda m, me, other: m.withdraw_collateral.encode_input(1, me, me),
    "borrow": lambda m, me, other: m.borrow.encode_input(1, 0, me, me),
    "repay": lambda m, me, other: m.repay.encode_input(1, 0, other),
    "liquidate": lambda m, me, other: m.liquidate.encode_input(other, 0, 1),
    "flashLoan": lambda m, me, other: m.flashLoan.encode_input(me, m.asset(), 1, b""),
    "accrue_interest": lambda m, me, other: m.accrue_interest.encode_input(),
}


@pytest.mark.parametrize("entry_point", sorted(ENTRY_POINTS))
def test_callback_cannot_reenter_the_market(
    market, x, evil_borrower, borrower, other, flash_ready, units, entry_point
):
    books = (market.total_supply_assets(), market.total_borrow_assets(), market.positions(borrower))
    evil_borrower.set_mode(3, sender=other)
    data = ENTRY_POINTS[entry_point](market, evil_borrower.address, borrower.address)
    with ape.reverts("market: flash loan in progress"):
        market.flashLoan(evil_borrower, x, units(50), data, sender=other)
    assert (market.total_supply_assets(), market.total_borrow_assets(), market.positions(borrower)) == books
    assert x.balanceOf(market) == units(99)


def test_borrower_that_does_not_pay_back_gets_nothing(market, x, evil_borrower, other, flash_ready, units):
    evil_borrower.set_mode(1, sender=other)  # never approves the repayment
    with ape.reverts():
        market.flashLoan(evil_borrower, x, units(50), b"", sender=other)
    evil_borrower.set_mode(2, sender=other)  # wrong ERC-3156 return value
    with ape.reverts("market: flash callback failed"):
        market.flashLoan(evil_borrower, x, units(50), b"", sender=other)
    assert x.balanceOf(market) == units(99)
    assert x.balanceOf(evil_borrower) == 0
