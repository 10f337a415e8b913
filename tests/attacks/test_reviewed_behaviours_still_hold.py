"""Behaviours an independent review tried to break and found holding, kept as regression tests (titanoboa;
the two that make hundreds of calls run on revm).

Each test pins one of them down with exact outcomes: the revert string, or the balances and views to the wei.
Items already covered exactly elsewhere are not repeated here: an oracle the factory did not enable
(`tests/unit/lending/test_factory.py::test_create_market_refuses_oracle_not_enabled_for_collateral`) and
`loop` reaching (1 - q^(steps+1)) / (1 - q) (`tests/unit/leverage/test_router_adjust_close.py`).
"""

from __future__ import annotations

import boa
import pytest
from boa_system import (
    MAX_UINT,
    ORACLE_SCALE,
    WAD,
    BoaSystem,
    RevmChain,
    attempt,
    deploy_system,
    deployer,
    lend,
    router_user,
    set_lst_parameter,
)
from eth_account import Account

from levstake import lst_lens
from levstake.deploy import (
    LST_NAME,
)
from levstake.signing import permit_message, sign_typed_data

DEADLINE = 2**64
DAY = 86_400
ZERO = "0x" + "00" * 20


@pytest.fixture(scope="module")
def world(decimals) -> BoaSystem:
    system = deploy_system(decimals)
    lend(system, 1_000_000)
    return system


@pytest.fixture(scope="module")
def revm_world(decimals) -> BoaSystem:
    """The same deployment on revm, for the tests that make hundreds of calls."""
    system = deploy_system(decimals, RevmChain())
    lend(system, 1_000_000)
    return system


def router_is_empty(system: BoaSystem) -> None:
    router = system.router
    for token in (system.x, system.lst, system.market):
        assert token.balanceOf(router) == 0
    for token in (system.x, system.lst):
        for spender in (system.lst, system.market):
            assert token.allowance(router, spender) == 0


def staker(system: BoaSystem, alias: str, amount: float) -> str:
    """An account holding `amount` of X approved to the LST and the market."""
    account = system.chain.generate_address(alias)
    system.mint_x(account, system.units(amount))
    system.x.approve(system.lst, MAX_UINT, sender=account)
    system.x.approve(system.market, MAX_UINT, sender=account)
    return account


def borrower_with_collateral(system: BoaSystem, alias: str, amount: float) -> tuple[str, int]:
    """A borrower who staked `amount` of X and posted all the LST as collateral."""
    borrower = staker(system, alias, amount)
    shares = system.lst.deposit(system.units(amount), sender=borrower)
    system.lst.approve(system.market, MAX_UINT, sender=borrower)
    system.market.supply_collateral(shares, borrower, sender=borrower)
    return borrower, shares


def max_borrow(system: BoaSystem, collateral: int) -> int:
    value = collateral * system.oracle.price() // ORACLE_SCALE
    return value * system.market.max_ltv() // WAD


def slashed(system: BoaSystem, bps: int) -> None:
    """Delegate the LST's excess buffer to the validator and slash `bps` of it."""
    system.lst.rebalance()
    system.validator.slash(system.lst, bps, sender=system.owner)


def test_adjust_and_close_leave_the_router_empty_after_one_wei_gifts(world) -> None:
    """Third parties send the router 1 wei of X and of LST, repay 1 wei of the borrower's debt and add 1 wei
    of collateral for him: adjust and close still work, and the router ends holding nothing and no
    allowance."""
    system = world
    market, router, x, lst = system.market, system.router, system.x, system.lst
    with boa.env.anchor():
        borrower = router_user(system, "borrower", 1_000)
        router.open(market, system.units(1_000), 10 * WAD, 0, DEADLINE, sender=borrower)
        attacker = staker(system, "attacker", 10)
        gift = lst.deposit(system.units(5), sender=attacker)
        lst.approve(market, MAX_UINT, sender=attacker)
        x.transfer(router, 1, sender=attacker)
        lst.transfer(router, 1, sender=attacker)
        market.repay(1, 0, borrower, sender=attacker)
        market.supply_collateral(1, borrower, sender=attacker)
        assert lst.balanceOf(attacker) == gift - 2
        router.adjust(market, 5 * WAD, 0, DEADLINE, sender=borrower)
        router_is_empty(system)
        router.close(market, 0, DEADLINE, sender=borrower)
        assert market.positions(borrower) == (0, 0)
        router_is_empty(system)


def test_min_collateral_stops_an_open_after_the_lst_rate_rose(world) -> None:
    """An open sized with `min_collateral` from before the LST's rate was pushed up (rewards synced after a
    warp) reverts with `router: slippage`; the same open at the old rate gets exactly that collateral."""
    system = world
    market, router, lst = system.market, system.router, system.lst
    with boa.env.anchor():
        holder = staker(system, "staker", 100_000)
        lst.deposit(system.units(100_000), sender=holder)
        lst.rebalance()
        borrower = router_user(system, "borrower", 1_000)
        with boa.env.anchor():
            router.open(market, system.units(1_000), 10 * WAD, 0, DEADLINE, sender=borrower)
            expected = market.positions(borrower)[0]
        rate = lst.convertToAssets(ORACLE_SCALE)
        boa.env.time_travel(seconds=10 * DAY)
        lst.sync_rewards()
        boa.env.time_travel(seconds=DAY)
        assert lst.convertToAssets(ORACLE_SCALE) > rate
        _, reason = attempt(
            router.open, market, system.units(1_000), 10 * WAD, expected, DEADLINE, sender=borrower
        )
        assert reason == "router: slippage"
        assert market.positions(borrower) == (0, 0)


def test_withdraw_collateral_to_exactly_max_ltv_and_not_one_wei_more(world) -> None:
    """Collateral can be withdrawn down to exactly the max LTV; one wei more reverts
    `market: ltv too high`."""
    system = world
    market, lst = system.market, system.lst
    with boa.env.anchor():
        borrower, shares = borrower_with_collateral(system, "borrower", 1_000)
        debt = system.units(600)
        market.borrow(debt, 0, borrower, borrower, sender=borrower)
        owed = market.position(borrower)[1]
        # The least collateral that still covers the debt at max LTV.
        low, high = 0, shares
        while low < high:
            middle = (low + high) // 2
            if max_borrow(system, middle) >= owed:
                high = middle
            else:
                low = middle + 1
        most = shares - low
        _, reason = attempt(market.withdraw_collateral, most + 1, borrower, borrower, sender=borrower)
        assert reason == "market: ltv too high"
        market.withdraw_collateral(most, borrower, borrower, sender=borrower)
        assert lst.balanceOf(borrower) == most
        assert market.positions(borrower)[0] == low
        _, reason = attempt(market.withdraw_collateral, 1, borrower, borrower, sender=borrower)
        assert reason == "market: ltv too high"


@pytest.mark.parametrize("collateral_wei", [50, 99, 300])
def test_liquidating_dust_positions_pays_the_liquidator_nothing(world, collateral_wei: int) -> None:
    """A position of at most a few hundred wei of collateral, maxed out and made liquidatable by a slash,
    pays its liquidator no profit: seizing all of it costs at least what the LST is worth at the LST's own
    rate (the 0.3% incentive rounds away at this size; at 1,000 wei it is 2 wei, the nominal incentive)."""
    system = world
    market, lst, x = system.market, system.lst, system.x
    with boa.env.anchor():
        holder = staker(system, "staker", 10_000)
        lst.deposit(system.units(10_000), sender=holder)
        borrower = staker(system, "borrower", 1)
        lst.deposit(system.units(1), sender=borrower)
        lst.approve(market, MAX_UINT, sender=borrower)
        market.supply_collateral(collateral_wei, borrower, sender=borrower)
        limit = max_borrow(system, collateral_wei)
        if limit == 0:
            pytest.skip("too small to borrow anything")
        market.borrow(limit, 0, borrower, borrower, sender=borrower)
        slashed(system, 500)
        liquidator = staker(system, "liquidator", 10)
        x_before = x.balanceOf(liquidator)
        seized, repaid = market.liquidate(borrower, collateral_wei, 0, sender=liquidator)
        assert seized == collateral_wei
        assert x_before - x.balanceOf(liquidator) == repaid
        assert lst.balanceOf(liquidator) == seized
        assert lst.convertToAssets(seized) <= repaid
        # Nothing is left: the rest of the debt is written off in the same call.
        assert market.positions(borrower) == (0, 0)


def test_self_liquidation_gains_nothing(world) -> None:
    """A 50x borrower made liquidatable (but still solvent) by a slash who liquidates half of his own position
    ends with no more than he had: his X, his LST at the rate and his position's equity together do not grow,
    and nothing is written off."""
    system = world
    market, lst, x, oracle = system.market, system.lst, system.x, system.oracle
    with boa.env.anchor():
        holder = staker(system, "staker", 100_000)
        lst.deposit(system.units(100_000), sender=holder)
        borrower = router_user(system, "borrower", 1_000)
        system.router.open(market, system.units(1_000), 50 * WAD, 0, DEADLINE, sender=borrower)
        system.mint_x(borrower, system.units(100_000))
        x.approve(market, MAX_UINT, sender=borrower)
        slashed(system, 200)

        def wealth() -> int:
            collateral, debt, _, _ = market.position(borrower)
            equity = collateral * oracle.rate() // ORACLE_SCALE - debt
            return x.balanceOf(borrower) + lst.convertToAssets(lst.balanceOf(borrower)) + equity

        assert market.position(borrower)[3] < WAD
        before = wealth()
        shares = market.positions(borrower)[1]
        market.liquidate(borrower, 0, shares // 2, sender=borrower)
        assert wealth() <= before
        assert market.bad_debt_total() == 0


def test_six_hundred_lst_round_trips_never_gain(decimals) -> None:
    """600 deposit / redeem round trips on the LST (no instant fee, an odd rate; the review ran 6 decimals)
    each return at most what went in, and together lose."""
    round_trips(deploy_system(decimals, RevmChain()))


def round_trips(system: BoaSystem) -> None:
    lst, x = system.lst, system.x
    holder = staker(system, "staker", 100_000)
    lst.deposit(system.units(100_000), sender=holder)
    lst.rebalance()
    system.chain.time_travel(3 * DAY + 17)
    lst.sync_rewards()
    system.chain.time_travel(DAY + 3)
    set_lst_parameter(system, "instant_fee_bps", 0, max_instant_fee_bps=0)
    assert lst_lens.instant_fee(lst, system.units(1)) == 0
    attacker = staker(system, "attacker", 1_000)
    start = x.balanceOf(attacker)
    for i in range(600):
        size = 1_000_003 + 7_919 * i
        before = x.balanceOf(attacker)
        shares = lst.deposit(size, sender=attacker)
        lst.redeem(shares, sender=attacker)
        assert x.balanceOf(attacker) <= before
    assert lst.balanceOf(attacker) == 0
    assert x.balanceOf(attacker) < start


def test_a_redeem_split_in_200_pieces_pays_no_less_fee(revm_world) -> None:
    """Redeeming the LST in 200 pieces pays in total no more X than one redeem of the same shares (the
    instant fee, rising as the buffer drains, cannot be dodged by splitting)."""
    system = revm_world
    lst, x = system.lst, system.x
    with system.chain.anchor():
        holder = staker(system, "staker", 200_000)
        lst.deposit(system.units(200_000), sender=holder)
        lst.rebalance()
        shares = lst.max_instant_redeem() * 9 // 10
        with system.chain.anchor():
            one_shot = lst.redeem(shares, sender=holder)
        before = x.balanceOf(holder)
        piece = shares // 200
        for size in [piece] * 199 + [shares - 199 * piece]:
            lst.redeem(size, sender=holder)
        split = x.balanceOf(holder) - before
        assert split <= one_shot
        # The fee is real: both pay less than the shares' value at the rate.
        assert one_shot < lst.convertToAssets(shares)


def test_a_slash_shows_in_every_view_in_the_same_block(world) -> None:
    """Right after `slash`, in the same block, the LST's totalAssets drops by exactly the X slashed, and
    convertToAssets, previewRedeem and the oracle's rate() and price() show the new rate, unchanged by a
    poke."""
    system = world
    lst, oracle, validator = system.lst, system.oracle, system.validator
    with boa.env.anchor():
        holder = staker(system, "staker", 100_000)
        lst.deposit(system.units(100_000), sender=holder)
        lst.rebalance()
        unit = system.units(1)
        total, to_assets, redeem = lst.totalAssets(), lst.convertToAssets(unit), lst.previewRedeem(unit)
        rate, price = oracle.rate(), oracle.price()
        slashed_before = validator.slashed_total()
        validator.slash(lst, 1_000, sender=system.owner)
        loss = validator.slashed_total() - slashed_before
        assert loss > 0
        assert lst.totalAssets() == total - loss
        views = (lst.convertToAssets(unit), lst.previewRedeem(unit), oracle.rate(), oracle.price())
        assert views[0] < to_assets and views[1] < redeem and views[2] < rate and views[3] < price
        assert views[3] == lst.convertToAssets(ORACLE_SCALE)
        lst.sync_rewards()
        assert lst.totalAssets() == total - loss
        assert (lst.convertToAssets(unit), lst.previewRedeem(unit), oracle.rate(), oracle.price()) == views


def test_permits_reject_forged_replayed_and_foreign_signatures_and_follow_the_chain_id(world) -> None:
    """EIP-2612 `permit` on the LST and on WrappedNative: a signature by another key, a replayed one and one
    made for the other token all revert `erc20: invalid signature`; after a chain-id change the old chain's
    signature is refused and one for the new chain works."""
    system = world
    wrapped = deployer("devnet/WrappedNative.vy").deploy("Wrapped Native", "WNAT")
    owner_key, forger = Account.create(), Account.create()
    spender = boa.env.generate_address("spender")
    deadline = boa.env.evm.patch.timestamp + 3_600
    tokens = [(system.lst, LST_NAME), (wrapped, "Wrapped Native")]

    def signed(token, name: str, chain_id: int, key, value: int = 123) -> tuple:
        nonce = token.nonces(owner_key.address)
        message = permit_message(
            name, chain_id, token.address, owner_key.address, spender, value, nonce, deadline
        )
        return sign_typed_data(key.key, message)

    chain_id = boa.env.evm.patch.chain_id
    for (token, name), (other, other_name) in zip(tokens, tokens[::-1], strict=True):
        with boa.env.anchor():
            permit = token.permit
            for forged in (
                signed(token, name, chain_id, forger),
                signed(other, other_name, chain_id, owner_key),
                signed(token, name, chain_id + 1, owner_key),
            ):
                _, reason = attempt(
                    permit, owner_key.address, spender, 123, deadline, *forged, sender=spender
                )
                assert reason == "erc20: invalid signature"
            good = signed(token, name, chain_id, owner_key)
            permit(owner_key.address, spender, 123, deadline, *good, sender=spender)
            assert token.allowance(owner_key.address, spender) == 123
            assert token.nonces(owner_key.address) == 1
            _, reason = attempt(permit, owner_key.address, spender, 123, deadline, *good, sender=spender)
            assert reason == "erc20: invalid signature"
            separator = token.DOMAIN_SEPARATOR()
            old_chain = signed(token, name, chain_id, owner_key, 7)
            boa.env.evm.patch.chain_id = chain_id + 5
            try:
                assert token.DOMAIN_SEPARATOR() != separator
                _, reason = attempt(
                    permit, owner_key.address, spender, 7, deadline, *old_chain, sender=spender
                )
                assert reason == "erc20: invalid signature"
                new_chain = signed(token, name, chain_id + 5, owner_key, 7)
                permit(owner_key.address, spender, 7, deadline, *new_chain, sender=spender)
                assert token.allowance(owner_key.address, spender) == 7
            finally:
                boa.env.evm.patch.chain_id = chain_id


def test_a_hostile_guardian_traps_nobody(world) -> None:
    """The guardian pauses everything, sets both caps below the current totals, raises the flash fee to 1% and
    hands its role to address 0: repay, withdraw_collateral, a lender's redeem and a router close still work,
    and nobody can act as guardian any more."""
    system = world
    market, lst, x, router = system.market, system.lst, system.x, system.router
    with boa.env.anchor():
        borrower, shares = borrower_with_collateral(system, "borrower", 1_000)
        market.borrow(system.units(500), 0, borrower, borrower, sender=borrower)
        leverager = router_user(system, "leverager", 1_000)
        router.open(market, system.units(1_000), 10 * WAD, 0, DEADLINE, sender=leverager)
        lender = staker(system, "lender", 1_000)
        lent = market.deposit(system.units(1_000), sender=lender)
        guardian = system.guardian
        market.set_paused(True, True, sender=guardian)
        market.set_caps(1, 1, sender=guardian)
        market.set_flash_fee(100, sender=guardian)
        market.set_guardian(ZERO, sender=guardian)
        assert market.guardian() == ZERO
        _, reason = attempt(market.set_paused, False, False, sender=guardian)
        assert reason == "market: caller is not the guardian"

        borrow_shares = market.positions(borrower)[1]
        market.repay(0, borrow_shares, borrower, sender=borrower)
        market.withdraw_collateral(shares, borrower, borrower, sender=borrower)
        assert market.positions(borrower) == (0, 0)
        assert lst.balanceOf(borrower) == shares
        x_before = x.balanceOf(lender)
        expected = market.previewRedeem(lent)
        assert market.redeem(lent, sender=lender) == expected
        assert x.balanceOf(lender) - x_before == expected >= system.units(1_000) - 1
        router.close(market, 0, DEADLINE, sender=leverager)
        assert market.positions(leverager) == (0, 0)
        router_is_empty(system)


def test_erc3156_views_conform_and_the_fee_goes_to_lenders(world) -> None:
    """maxFlashLoan is the idle X for X and 0 for any other token; flashFee rounds up and reverts for another
    token; a flash loan at 1% grows total_supply_assets by exactly the fee it charged."""
    system = world
    market, x, lst = system.market, system.x, system.lst
    with boa.env.anchor():
        borrower, _ = borrower_with_collateral(system, "borrower", 1_000)
        market.borrow(system.units(500), 0, borrower, borrower, sender=borrower)
        idle = market.total_supply_assets() - market.total_borrow_assets()
        assert market.maxFlashLoan(x) == idle
        assert market.maxFlashLoan(lst) == 0
        _, reason = attempt(market.flashFee, lst, 1)
        assert reason == "market: unsupported token"
        assert market.flashFee(x, system.units(1_000)) == 0
        market.set_flash_fee(100, sender=system.guardian)
        amount = system.units(10_000) + 1
        fee = market.flashFee(x, amount)
        assert fee == -(-amount // 100)
        receiver = deployer("mocks/MockFlashBorrower.vy").deploy(market.address)
        system.mint_x(receiver.address, fee)
        supplied, held = market.total_supply_assets(), x.balanceOf(market)
        _, reason = attempt(market.flashLoan, receiver, x, idle + 1, b"")
        assert reason == "market: insufficient liquidity"
        assert market.flashLoan(receiver, x, amount, b"")
        assert market.total_supply_assets() == supplied + fee
        assert x.balanceOf(market) == held + fee
        assert x.balanceOf(receiver) == 0


def test_a_deposit_before_a_30_day_accrual_earns_less_than_one_block(world) -> None:
    """A lender who deposits after 30 days without accrual, just before it, gets none of those 30 days: out in
    the same block he loses, and 12 s later he earns less than one 12-second block of interest."""
    system = world
    market, x = system.market, system.x
    with boa.env.anchor():
        borrower, _ = borrower_with_collateral(system, "borrower", 1_000_000)
        market.borrow(system.units(900_000), 0, borrower, borrower, sender=borrower)
        boa.env.time_travel(seconds=30 * DAY)
        lender = staker(system, "lender", 1_000_000)
        deposit = system.units(1_000_000)
        shares = market.deposit(deposit, sender=lender)
        market.accrue_interest()
        with boa.env.anchor():
            assert market.redeem(shares, sender=lender) <= deposit
        supplied = market.total_supply_assets()
        boa.env.time_travel(seconds=12)
        market.accrue_interest()
        block_interest = market.total_supply_assets() - supplied
        assert block_interest > 0
        out = market.redeem(shares, sender=lender)
        assert out - deposit < block_interest * deposit // supplied + 1
        assert x.balanceOf(lender) == out


def native_system() -> tuple[BoaSystem, object]:
    """The protocol on WrappedNative as X, with a router that knows it (as the devnet deploys it)."""
    system = deploy_system(18, native=True)
    return system, system.x


def test_open_native_lands_at_exactly_50x(decimals) -> None:
    """`open_native` with 10 of the native coin at the market's max leverage (50x at 98% max LTV) posts
    500 X of LST, borrows 490 X, and leaves the router holding nothing, native coin included."""
    if decimals != 18:
        pytest.skip("the native coin has 18 decimals")
    with boa.env.anchor():
        system, wrapped = native_system()
        market, router = system.market, system.router
        lender = boa.env.generate_address("lender")
        boa.env.set_balance(lender, 10_000 * WAD)
        wrapped.deposit(sender=lender, value=10_000 * WAD)
        wrapped.approve(market, MAX_UINT, sender=lender)
        market.deposit(10_000 * WAD, sender=lender)
        leverager = boa.env.generate_address("leverager")
        boa.env.set_balance(leverager, 10 * WAD)
        market.set_authorization(router, True, sender=leverager)
        assert market.max_leverage() == 50 * WAD
        router.open_native(market, 50 * WAD, 0, DEADLINE, sender=leverager, value=10 * WAD)
        collateral, debt, _, _ = market.position(leverager)
        value = collateral * system.oracle.price() // ORACLE_SCALE
        # 500 X of collateral to within the router's rounding margin of a few wei per 1x.
        assert abs(value - 500 * WAD) <= 6 * 50 + 2
        assert value - debt == 10 * WAD
        assert value * WAD // (value - debt) == pytest.approx(50 * WAD, rel=1e-15)
        assert debt * WAD <= value * market.max_ltv()
        assert boa.env.get_balance(leverager) == 0
        assert boa.env.get_balance(router.address) == 0
        router_is_empty(system)
