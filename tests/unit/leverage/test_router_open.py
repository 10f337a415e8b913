"""Opening leveraged positions in one transaction: X, native and LST entry, bounds and bad input."""

import ape
import pytest

from levstake.signing import authorization_message, permit_message, sign_typed_data

WAD = 10**18

# Built once per module and decimals (see conftest.py), before the first test.
pytestmark = pytest.mark.usefixtures("liquidity")


@pytest.fixture
def authorized(authorize_router, liquidity):
    """`ready` (conftest.py), but function-scoped: test_open_with_lst and its minimum-collateral test start
    from a leverager who has not authorized the router, so the authorization must not outlive the test."""
    authorize_router()


@pytest.mark.parametrize("leverage", [1, 2, 5, 10, 25, 50])
def test_open_lands_at_target_leverage(
    router, market, leverager, units, authorized, deadline, leverage_of, router_is_empty, leverage
):
    router.open(market, units(1_000), leverage * WAD, 0, deadline(), sender=leverager)
    measured, value, debt = leverage_of(leverager)
    # Within rounding of the target (a few wei of X per unit of leverage); never above max LTV.
    assert abs(measured - leverage * WAD) * units(1_000) <= leverage * WAD * leverage * 10
    assert debt * WAD <= value * market.max_ltv()
    router_is_empty()


def test_open_emits_and_borrows_only_what_is_missing(
    router, market, x, lst, leverager, units, authorized, deadline
):
    assets = units(100)
    idle_before = market.maxFlashLoan(x)
    tx = router.open(market, assets, 10 * WAD, 0, deadline(), sender=leverager)
    event = tx.events.filter(router.Opened)[0]
    collateral, debt, _, _ = market.position(leverager)
    # `borrowed` is the X the market lent; the debt counts it rounded up (shares up, then assets up).
    assert event.collateral == collateral and event.borrowed == tx.events.filter(market.Borrow)[0].assets
    assert 0 <= debt - event.borrowed <= 1
    assert event.user == leverager and event.target_leverage == 10 * WAD
    # Idle liquidity needed = the borrowed amount only.
    assert idle_before - market.maxFlashLoan(x) == debt
    assert abs(debt - 9 * assets) <= 2


def test_open_above_max_leverage_reverts(router, market, leverager, units, authorized, deadline):
    with ape.reverts("router: leverage above max"):
        router.open(market, units(1), market.max_leverage() + 1, 0, deadline(), sender=leverager)


def test_open_below_1x_reverts(router, market, leverager, units, authorized, deadline):
    with ape.reverts("router: leverage below 1x"):
        router.open(market, units(1), WAD - 1, 0, deadline(), sender=leverager)


def test_open_after_deadline_reverts(router, market, leverager, units, authorized, chain):
    with ape.reverts("router: deadline passed"):
        router.open(market, units(1), 2 * WAD, 0, chain.pending_timestamp - 1, sender=leverager)


def test_open_below_min_collateral_reverts(router, market, lst, leverager, units, authorized, deadline):
    expected = lst.convertToShares(units(10))
    with ape.reverts("router: slippage"):
        router.open(market, units(1), 10 * WAD, expected + 1, deadline(), sender=leverager)


def test_open_on_market_not_from_factory_reverts(router, leverager, lst, units, authorized, deadline):
    with ape.reverts("router: unknown market"):
        router.open(lst, units(1), 2 * WAD, 0, deadline(), sender=leverager)


def test_open_without_authorization_reverts(router, market, fund, other, units, liquidity, deadline):
    fund(other, units(10), spender=router)
    with ape.reverts("market: unauthorized"):
        router.open(market, units(10), 2 * WAD, 0, deadline(), sender=other)
    assert market.positions(other) == (0, 0)


def test_open_with_zero_assets_reverts(router, market, leverager, authorized, deadline):
    with ape.reverts("router: zero assets"):
        router.open(market, 0, 2 * WAD, 0, deadline(), sender=leverager)


def test_callbacks_only_from_the_market_in_use(router, attacker):
    with ape.reverts("router: unexpected callback"):
        router.on_supply_collateral(1, b"\x00" * 128, sender=attacker)
    with ape.reverts("router: unexpected callback"):
        router.on_repay(1, b"\x00" * 128, sender=attacker)
    with ape.reverts("router: unexpected callback"):
        router.on_liquidate(1, b"", sender=attacker)


def test_fresh_wallet_opens_in_one_transaction_with_signatures(
    router, market, x, accounts, chain, units, liquidity, deadline, leverage_of, router_is_empty
):
    """A permit for X and a signed market authorization ride along: no approve transactions."""
    wallet = accounts.generate_test_account()
    accounts[0].transfer(wallet, 10**18)
    x.mint(wallet, units(100), sender=accounts[0])
    expiry = deadline()
    permit = permit_message(
        x.name(), chain.chain_id, x.address, wallet.address, router.address, units(100), 0, expiry
    )
    auth = authorization_message(
        chain.chain_id, market.address, wallet.address, router.address, True, 0, expiry
    )
    pv, pr, ps = sign_typed_data(wallet.private_key, permit)
    av, ar, as_ = sign_typed_data(wallet.private_key, auth)
    nonce_before = wallet.nonce
    router.open(
        market,
        units(100),
        20 * WAD,
        0,
        expiry,
        (units(100), expiry, pv, pr, ps),
        (0, expiry, av, ar, as_),
        sender=wallet,
    )
    assert wallet.nonce == nonce_before + 1
    assert market.is_authorized(wallet, router)
    measured, _, _ = leverage_of(wallet)
    assert abs(measured - 20 * WAD) <= 20 * WAD // 10**9
    router_is_empty()


def test_open_with_lst(
    router, market, lst, stake, leverager, units, liquidity, deadline, leverage_of, router_is_empty
):
    market.set_authorization(router, True, sender=leverager)
    shares = stake(leverager, units(50))
    lst.approve(router, shares, sender=leverager)
    router.open_with_lst(market, shares, 8 * WAD, 0, deadline(), sender=leverager)
    measured, _, _ = leverage_of(leverager)
    assert abs(measured - 8 * WAD) <= 8 * WAD // 10**9
    assert lst.balanceOf(leverager) == 0
    router_is_empty()


def test_open_with_lst_below_min_collateral_reverts(
    router, market, lst, stake, leverager, units, liquidity, deadline
):
    market.set_authorization(router, True, sender=leverager)
    shares = stake(leverager, units(50))
    lst.approve(router, shares, sender=leverager)
    # 1x adds exactly the shares brought in.
    with ape.reverts("router: slippage"):
        router.open_with_lst(market, shares, WAD, shares + 1, deadline(), sender=leverager)
    router.open_with_lst(market, shares, WAD, shares, deadline(), sender=leverager)
    assert market.positions(leverager) == (shares, 0)


def test_open_native_needs_a_native_market(router, market, leverager, authorized, deadline):
    with ape.reverts("router: market is not native"):
        router.open_native(market, 2 * WAD, 0, deadline(), sender=leverager, value=10**18)


def test_adding_to_a_levered_position_keeps_it_within_max_ltv(
    router, market, leverager, units, authorized, deadline, leverage_of, router_is_empty
):
    router.open(market, units(100), 50 * WAD, 0, deadline(), sender=leverager)
    router.open(market, units(100), 50 * WAD, 0, deadline(), sender=leverager)
    _, value, debt = leverage_of(leverager)
    assert debt * WAD <= value * market.max_ltv()
    router_is_empty()
