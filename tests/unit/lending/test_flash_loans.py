"""ERC-3156 flash loans of idle X."""

import ape
import pytest

# Module-scoped and used by every test here: built once per decimals (Ape's isolation undoes each test's
# changes), not once per test.
pytestmark = pytest.mark.usefixtures("borrower_contract", "liquid")


@pytest.fixture(scope="module")
def borrower_contract(project, owner, market):
    return owner.deploy(project.MockFlashBorrower, market)


@pytest.fixture(scope="module")
def liquid(lender, lend, units):
    lend(lender, units(100))


def test_flash_loan_repaid(market, x, borrower_contract, other, liquid, units):
    assert market.maxFlashLoan(x) == units(100)
    assert market.flashFee(x, units(50)) == 0
    tx = market.flashLoan(borrower_contract, x, units(50), b"", sender=other)
    assert borrower_contract.seen_amount() == units(50)
    assert tx.events.filter(market.FlashLoan)[0].amount == units(50)
    assert x.balanceOf(market) == units(100)


def test_flash_fee_goes_to_lenders(market, x, borrower_contract, guardian, other, liquid, units):
    market.set_flash_fee(100, sender=guardian)
    fee = market.flashFee(x, units(50))
    assert fee == units(50) // 100
    x.mint(borrower_contract, fee, sender=other)
    market.flashLoan(borrower_contract, x, units(50), b"", sender=other)
    assert market.totalAssets() == units(100) + fee
    with ape.reverts("market: flash fee too high"):
        market.set_flash_fee(101, sender=guardian)


def test_flash_loan_bad_input(market, lst, x, borrower_contract, other, liquid, units):
    with ape.reverts("market: unsupported token"):
        market.flashLoan(borrower_contract, lst, 1, b"", sender=other)
    with ape.reverts("market: insufficient liquidity"):
        market.flashLoan(borrower_contract, x, units(101), b"", sender=other)
    with ape.reverts("market: zero assets"):
        market.flashLoan(borrower_contract, x, 0, b"", sender=other)
    assert market.maxFlashLoan(lst) == 0
