"""Moving a position up and down (the dynamic instant fee, a short buffer, `partial`), and the classic loop.

Closing is in test_router_close.py.
"""

import ape
import pytest

from levstake import lst_lens
from levstake.signing import authorization_message, sign_typed_data

# Built once per module and decimals (see conftest.py), before the first test.
pytestmark = pytest.mark.usefixtures("liquidity", "ready")

WAD = 10**18
ORACLE_SCALE = 10**36
BPS = 10_000
NO_AUTHORIZATION = (0, 0, 0, b"\x00" * 32, b"\x00" * 32)


@pytest.mark.parametrize("target", [2, 5, 20, 50])
@pytest.mark.parametrize("idle_days", [0, 30], ids=["fresh", "month-old"])
def test_adjust_moves_to_target(
    router, market, oracle, leverager, opened, deadline, leverage_of, router_is_empty, target, idle_days, warp
):
    if idle_days:  # the oracle's last snapshot is old, as on a live chain: its growth cap no longer binds
        warp(idle_days * 86_400)
    # The router sizes at the oracle price of the block. Going down, the instant-unstake fee it pays stays
    # with stakers and lifts the LST's rate, which the oracle follows as far as its growth cap allows (the
    # older its last snapshot, the further). So the landing is measured at the price the router used.
    price = oracle.price()
    tx = router.adjust(market, target * WAD, 0, deadline(), sender=leverager)
    measured, _, _ = leverage_of(leverager, price)
    _, value, debt = leverage_of(leverager)
    assert abs(measured - target * WAD) <= target * WAD // 10**6
    assert debt * WAD <= value * market.max_ltv()
    event = tx.events.filter(router.Adjusted)[0]
    assert event.target_leverage == target * WAD and event.debt_after == debt
    router_is_empty()


@pytest.mark.parametrize("target", [2, 5])
def test_adjust_down_lands_at_target_while_the_fee_rises(
    router, market, oracle, lst, leverager, opened, deadline, leverage_of, buffer_at, router_is_empty, target
):
    """The step drains the buffer to ~30% of its target: the fee grows along the way, and the router's
    solver (which re-reads the fee for the amount it found) still lands on the target."""
    lst.rebalance(sender=leverager)
    price = oracle.price()
    collateral, debt, _, _ = market.position(leverager)
    value = collateral * price // ORACLE_SCALE
    # X that leaves the buffer, about: the collateral value the position must shed at constant equity.
    step = value - target * (value - debt)
    # Buffer b + s - step = 30% of target(total + s - step): solve for the stake s.
    b0, t0, k = lst.buffer(), lst.totalAssets(), 3 * lst.target_buffer_bps()
    buffer_at(b0 + step + (k * t0 - 100_000 * b0) // (100_000 - k))
    tx = router.adjust(market, target * WAD, 0, deadline(), sender=leverager)
    # The fee did rise: the buffer ended below its target and the fee beat the base rate by far.
    assert lst.buffer() < lst_lens.target_buffer(lst) * 2 // 5
    fee = tx.events.filter(lst.InstantFeePaid)[0].fee
    gross = tx.events.filter(lst.Withdraw)[0].assets + fee
    assert fee * BPS > gross * lst.instant_fee_bps() * 11 // 10
    measured, value, debt = leverage_of(leverager, price)
    # Three rounds of the solver: within 10 ppm here (a solver that ignored the rise misses by ~0.1%).
    assert abs(measured - target * WAD) <= target * WAD // 10**5
    assert debt * WAD <= value * market.max_ltv()
    router_is_empty()


def test_adjust_down_to_1x_repays_all_debt(router, market, leverager, opened, deadline, router_is_empty):
    router.adjust(market, WAD, 0, deadline(), sender=leverager)
    assert market.positions(leverager)[1] == 0
    router_is_empty()


def test_adjust_down_without_partial_reverts_when_the_buffer_is_too_small(
    router, market, lst, leverager, opened, deadline
):
    lst.rebalance(sender=leverager)  # 1,000 X left in the buffer, the step to 2x needs ~8,000
    with ape.reverts("router: buffer too small"):
        router.adjust(market, 2 * WAD, 0, deadline(), sender=leverager)


def test_adjust_down_partial_takes_what_the_buffer_can(
    router, market, lst, leverager, opened, deadline, leverage_of, router_is_empty
):
    lst.rebalance(sender=leverager)
    leverage_before, _, debt_before = leverage_of(leverager)
    collateral_before, _, _, health_before = market.position(leverager)
    room = lst.max_instant_redeem()
    buffer_before = lst.buffer()
    tx = router.adjust(market, 2 * WAD, 0, deadline(), NO_AUTHORIZATION, True, sender=leverager)
    # Exactly the buffer's worth of shares was unstaked, and the buffer is all but empty.
    assert tx.events.filter(lst.Withdraw)[0].shares == room
    assert market.positions(leverager)[0] == collateral_before - room
    assert lst.buffer() * 50 < buffer_before
    measured, _, debt = leverage_of(leverager)
    assert 2 * WAD < measured < leverage_before
    assert debt < debt_before and market.position(leverager)[3] > health_before
    assert tx.events.filter(router.Adjusted)[0].target_leverage == 2 * WAD
    router_is_empty()


def test_adjust_down_partial_with_enough_buffer_lands_at_target(
    router, market, oracle, leverager, opened, deadline, leverage_of, router_is_empty
):
    price = oracle.price()
    router.adjust(market, 4 * WAD, 0, deadline(), NO_AUTHORIZATION, True, sender=leverager)
    measured, _, _ = leverage_of(leverager, price)
    assert abs(measured - 4 * WAD) <= 4 * WAD // 10**6
    router_is_empty()


def test_adjust_down_pulls_matured_unbonding(
    router, market, oracle, lst, leverager, matured_unbonding, deadline, leverage_of, router_is_empty
):
    """The buffer alone cannot take the step; the X the backend has ready for the LST can."""
    assert lst.max_instant_redeem() < market.positions(leverager)[0] // 2
    price = oracle.price()
    tx = router.adjust(market, 2 * WAD, 0, deadline(), sender=leverager)
    assert tx.events.filter(lst.BackendPaidBack)[0].amount > 0
    measured, _, _ = leverage_of(leverager, price)
    assert abs(measured - 2 * WAD) <= 2 * WAD // 10**5
    router_is_empty()


def test_adjust_down_after_the_queue_was_processed_lands_at_target(
    router, market, oracle, lst, leverager, matured_unbonding, deadline, leverage_of, router_is_empty
):
    """The twin of the test above, where somebody pulled the matured X into the buffer first."""
    lst.process_queue(sender=leverager)
    price = oracle.price()
    router.adjust(market, 2 * WAD, 0, deadline(), sender=leverager)
    measured, _, _ = leverage_of(leverager, price)
    assert abs(measured - 2 * WAD) <= 2 * WAD // 10**5
    router_is_empty()


def test_adjust_up_with_a_signed_authorization(
    router, market, chain, accounts, x, units, liquidity, deadline, leverage_of, router_is_empty
):
    """A user who never authorized the router levers up with a signature riding along in the same call."""
    wallet = accounts.generate_test_account()
    accounts[0].transfer(wallet, 10**18)
    x.mint(wallet, units(100), sender=accounts[0])
    x.approve(router, units(100), sender=wallet)
    market.set_authorization(router, True, sender=wallet)
    router.open(market, units(100), 2 * WAD, 0, deadline(), sender=wallet)
    market.set_authorization(router, False, sender=wallet)
    with ape.reverts("market: unauthorized"):
        router.adjust(market, 6 * WAD, 0, deadline(), sender=wallet)
    expiry = deadline()
    nonce = market.authorization_nonce(wallet)
    message = authorization_message(
        chain.chain_id, market.address, wallet.address, router.address, True, nonce, expiry
    )
    v, r, s = sign_typed_data(wallet.private_key, message)
    router.adjust(market, 6 * WAD, 0, expiry, (nonce, expiry, v, r, s), sender=wallet)
    measured, _, _ = leverage_of(wallet)
    assert abs(measured - 6 * WAD) <= 6 * WAD // 10**9
    router_is_empty()


def test_adjust_slippage_bound(router, market, leverager, opened, deadline, leverage_of):
    _, value, debt = leverage_of(leverager)
    # Unstaking instantly costs a fee: the equity cannot stay whole.
    with ape.reverts("router: slippage"):
        router.adjust(market, 2 * WAD, value - debt, deadline(), sender=leverager)


def test_adjust_above_max_reverts(router, market, leverager, opened, deadline):
    with ape.reverts("router: leverage above max"):
        router.adjust(market, market.max_leverage() + 1, 0, deadline(), sender=leverager)


def test_adjust_without_position_reverts(router, market, other, liquidity, deadline):
    with ape.reverts("router: position is insolvent"):
        router.adjust(market, 2 * WAD, 0, deadline(), sender=other)


@pytest.mark.parametrize("steps", [0, 1, 5, 25])
def test_loop_reaches_geometric_leverage(
    router, market, leverager, units, ready, deadline, leverage_of, router_is_empty, steps
):
    router.loop(market, units(1_000), steps, 0, deadline(), sender=leverager)
    measured, value, debt = leverage_of(leverager)
    q = market.max_ltv() / WAD
    expected = (1 - q ** (steps + 1)) / (1 - q)
    assert measured / WAD == pytest.approx(expected, rel=1e-6)
    assert debt * WAD <= value * market.max_ltv()
    router_is_empty()


DAY = 86_400


@pytest.mark.parametrize("books", ["as-is", "rewards-streaming", "loss-pending", "share-below-a-unit"])
def test_loop_credits_exactly_what_each_deposit_minted(
    router, market, lst, x, validator, owner, staker, stake, leverager, units, ready, deadline, warp,
    router_is_empty, books,
):
    """
    The loop prices every round's shares itself from one `share_prices` read (no `previewDeposit` per round)
    and the market credits them before the deposit mints: a round whose deposit minted other shares reverts
    "router: unexpected shares". These loops pass only if that pricing equals the LST's in each state of its
    books: rewards still streaming (deposits price them in), a backend loss the first deposit applies, and a
    share worth less than a unit (pro rata, no virtual position).
    """
    stake(staker, units(100_000))
    lst.rebalance(sender=staker)
    if books == "rewards-streaming":
        warp(DAY)
        lst.sync_rewards(sender=staker)
        assert lst.share_prices()[1] > 0
    elif books == "loss-pending":
        validator.slash(lst, 30, False, sender=owner)  # not reported: the loop's first deposit applies it
    elif books == "share-below-a-unit":
        validator.slash(lst, 1_000, sender=owner)
        total_assets, _, supply = lst.share_prices()
        assert total_assets < supply
    held = lst.balanceOf(market)
    spent = x.balanceOf(leverager)
    tx = router.loop(market, units(1_000), 5, 0, deadline(), sender=leverager)
    minted = [event.shares for event in tx.events.filter(lst.Deposit) if event.owner == market.address]
    collateral = market.positions(leverager)[0]
    assert len(minted) == 6
    assert collateral == sum(minted) == lst.balanceOf(market) - held
    assert tx.events.filter(router.Looped)[0].collateral == collateral
    if books == "loss-pending":
        assert len(tx.events.filter(lst.LossApplied)) == 1
    # The wei the first stake kept back came back with the sweep.
    assert spent - x.balanceOf(leverager) == units(1_000) - 1
    router_is_empty()


def test_loop_min_collateral_bound(router, market, lst, leverager, units, ready, deadline):
    # Without a step the collateral is exactly the shares the deposit mints.
    shares = lst.previewDeposit(units(1_000))
    with ape.reverts("router: slippage"):
        router.loop(market, units(1_000), 0, shares + 1, deadline(), sender=leverager)
    router.loop(market, units(1_000), 0, shares, deadline(), sender=leverager)
    assert market.positions(leverager)[0] == shares


def test_loop_step_limit(router, market, leverager, units, ready, deadline):
    with ape.reverts("router: too many steps"):
        router.loop(market, units(1), 51, 0, deadline(), sender=leverager)
