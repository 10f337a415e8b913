"""Callbacks are loans of something not yet paid for: inside any of them nobody can liquidate or flash-borrow,
no callback nests, collateral credited but not yet pulled cannot be withdrawn, and a position repaid but not
yet paid cannot borrow. Borrowing inside the supply callback (the router's one-shot open) still works."""

import ape
import pytest
from lending_math import ORACLE_SCALE

MAX = 2**256 - 1

# Module-scoped and used by every test: built once per decimals (each test's changes are undone by Ape's
# isolation), not once per test.
pytestmark = pytest.mark.usefixtures("mocked", "caller")


@pytest.fixture(scope="module")
def mocked(switch_irm, mock_oracle, create_market, lend_to, post_to, borrower, lender, units):
    """1,000 X lent at 0%; the borrower has 100 LST (1 X each) of collateral and 98 X of debt."""
    switch_irm.set_apr(0, sender=lender)
    market = create_market(switch_irm, mock_oracle)
    lend_to(market, lender, units(1_000))
    post_to(market, borrower, units(100))
    market.borrow(units(98), 0, borrower, borrower, sender=borrower)
    return market


@pytest.fixture(scope="module")
def caller(project, owner, mocked, lst, x, staker, stake, units):
    """A contract that uses the market's callbacks, holding 200 LST and 1,000 X."""
    contract = owner.deploy(project.MockCallbackCaller, mocked)
    stake(staker, units(200))
    lst.transfer(contract, units(200), sender=staker)
    x.mint(contract, units(1_000), sender=owner)
    contract.approve(lst, MAX, sender=owner)
    contract.approve(x, MAX, sender=owner)
    return contract


@pytest.fixture
def indebted(mocked, caller, owner, units):
    """The caller's own position: 100 LST of collateral, 50 X of debt."""
    caller.execute(mocked.supply_collateral.encode_input(units(100), caller, b""), sender=owner)
    caller.execute(mocked.borrow.encode_input(units(50), 0, caller, caller), sender=owner)
    return caller


@pytest.fixture
def liquidatable(mocked, mock_oracle, owner):
    """The borrower's 98 X of debt against collateral worth 98.5 X at the rate: health 0.995."""
    rate = 985 * ORACLE_SCALE // 1_000
    mock_oracle.set_prices(rate, rate, sender=owner)
    return mocked


def test_borrow_inside_supply_callback(mocked, caller, owner, lst, x, units):
    caller.arm(mocked.borrow.encode_input(units(50), 0, caller, caller), sender=owner)
    lst_before, x_before = lst.balanceOf(caller), x.balanceOf(caller)
    caller.supply(units(100), caller, sender=owner)
    assert caller.callbacks() == 1
    assert tuple(mocked.positions(caller))[0] == units(100)
    assert mocked.position(caller)[1] == units(50)
    assert lst_before - lst.balanceOf(caller) == units(100)
    assert x.balanceOf(caller) - x_before == units(50)


def test_borrow_beyond_max_ltv_inside_supply_callback_reverts(mocked, caller, owner, units):
    caller.arm(mocked.borrow.encode_input(units(98) + 1, 0, caller, caller), sender=owner)
    with ape.reverts("market: ltv too high"):
        caller.supply(units(100), caller, sender=owner)


def test_credited_collateral_cannot_be_withdrawn_in_supply_callback(mocked, indebted, owner, units):
    # Even the part of the position that was paid for earlier: the whole position is locked.
    indebted.arm(mocked.withdraw_collateral.encode_input(1, indebted, indebted), sender=owner)
    with ape.reverts("market: collateral not paid yet"):
        indebted.supply(units(10), indebted, sender=owner)
    assert mocked.positions(indebted).collateral == units(100)


def test_other_positions_can_withdraw_collateral_in_supply_callback(
    mocked, indebted, borrower, owner, lst, units
):
    """Only the credited position is locked: the caller may move its own collateral while crediting
    another."""
    before = lst.balanceOf(indebted)
    indebted.arm(mocked.withdraw_collateral.encode_input(units(1), indebted, indebted), sender=owner)
    indebted.supply(units(10), borrower, sender=owner)
    assert mocked.positions(borrower).collateral == units(110)
    assert mocked.positions(indebted).collateral == units(99)
    assert lst.balanceOf(indebted) == before - units(10) + units(1)


@pytest.mark.parametrize("entry", ["supply", "repay", "liquidate"])
def test_no_liquidation_flash_loan_supply_or_nested_callback_inside_any_callback(
    liquidatable, indebted, borrower, owner, x, entry, units
):
    market = liquidatable
    forbidden = {
        "liquidate": market.liquidate.encode_input(borrower, 0, 10**6, b""),
        "liquidate with data": market.liquidate.encode_input(borrower, 0, 10**6, b"\x01"),
        "flash loan": market.flashLoan.encode_input(indebted, x, units(1), b""),
        "nested supply callback": market.supply_collateral.encode_input(units(1), indebted, b"\x01"),
        # A supply callback's payment is the collateral the market receives during it: no supply inside.
        "plain supply": market.supply_collateral.encode_input(units(1), indebted, b""),
        "nested repay callback": market.repay.encode_input(units(1), 0, indebted, b"\x01"),
    }
    for action in forbidden.values():
        indebted.arm(action, sender=owner)
        with ape.reverts("market: callback in progress"):
            enter(market, indebted, borrower, owner, entry, units)
    # The same calls outside a callback are fine (the borrower is liquidatable).
    indebted.execute(forbidden["liquidate"], sender=owner)
    assert indebted.callbacks() == 0


@pytest.mark.parametrize("entry", ["supply", "repay", "liquidate"])
def test_each_callback_runs_and_pays(liquidatable, indebted, borrower, owner, lst, x, entry, units):
    """Unarmed, every entry point with data calls back once and pulls its tokens after."""
    market = liquidatable
    lst_before, x_before = lst.balanceOf(indebted), x.balanceOf(indebted)
    tx = enter(market, indebted, borrower, owner, entry, units)
    assert indebted.callbacks() == 1
    if entry == "supply":
        assert lst_before - lst.balanceOf(indebted) == units(1)
    elif entry == "repay":
        assert x_before - x.balanceOf(indebted) == units(1)
    else:
        event = tx.events.filter(market.Liquidate)[0]
        assert x_before - x.balanceOf(indebted) == event.repaid_assets
        assert lst.balanceOf(indebted) - lst_before == event.seized_assets


def test_repaid_position_cannot_borrow_in_repay_callback(mocked, indebted, owner, units):
    indebted.arm(mocked.borrow.encode_input(units(1), 0, indebted, indebted), sender=owner)
    with ape.reverts("market: repay not paid yet"):
        indebted.repay(units(10), 0, indebted, sender=owner)
    with ape.reverts("market: repay not paid yet"):
        indebted.repay(0, mocked.positions(indebted).borrow_shares, indebted, sender=owner)
    assert mocked.position(indebted)[1] == units(50)


def test_other_positions_can_borrow_in_repay_callback(mocked, indebted, borrower, owner, x, units):
    """Repaying somebody else's debt locks only that position."""
    indebted.arm(mocked.borrow.encode_input(units(1), 0, indebted, indebted), sender=owner)
    before = x.balanceOf(indebted)
    indebted.repay(units(10), 0, borrower, sender=owner)
    assert mocked.position(borrower)[1] == units(88)
    assert mocked.position(indebted)[1] == units(51)
    assert x.balanceOf(indebted) == before - units(10) + units(1)


def test_locks_do_not_outlive_the_callback(project, mocked, indebted, owner, x, units):
    """After a callback transaction the positions are unlocked and flash loans work again."""
    indebted.supply(units(1), indebted, sender=owner)
    indebted.execute(mocked.withdraw_collateral.encode_input(units(1), indebted, indebted), sender=owner)
    indebted.repay(units(1), 0, indebted, sender=owner)
    indebted.execute(mocked.borrow.encode_input(units(1), 0, indebted, indebted), sender=owner)
    assert tuple(mocked.positions(indebted))[0] == units(100)
    assert mocked.position(indebted)[1] == units(50)
    flash = owner.deploy(project.MockFlashBorrower, mocked)
    tx = mocked.flashLoan(flash, x, units(1), b"", sender=owner)
    assert tx.events.filter(mocked.FlashLoan)[0].amount == units(1)


def enter(market, caller, borrower, owner, entry, units):
    if entry == "supply":
        return caller.supply(units(1), caller, sender=owner)
    if entry == "repay":
        return caller.repay(units(1), 0, caller, sender=owner)
    return caller.liquidate(borrower, 0, market.positions(borrower).borrow_shares // 10, sender=owner)
