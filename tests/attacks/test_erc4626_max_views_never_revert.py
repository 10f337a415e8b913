"""ERC-4626 forbids `max*` views to revert, and integrators treat a reverting view as a broken vault. The
public a16z property suite found the market's `maxMint` reverting in every funded state while the supply cap
was unlimited (`max_uint - totalAssets` then overflowed `x * y // d`), `maxWithdraw` / `maxRedeem` reverting
once shares x assets passed 2^256 (about 3.4e35 wei of supply), and the LST's `maxRedeem` once `buffer *
instant_fee_bps` overflowed.

The defences: 512-bit `mul_div` everywhere, `max*` computed as what still fits in 256 bits, and saturating
where a true maximum would not. Checked here over states and inputs from 1 wei to 2^255 for both vaults:
`max*` never revert and never overstate (the call they allow succeeds), previews and conversions revert only
when the true result does not fit in 256 bits, and each preview equals what its call then does.
"""

from __future__ import annotations

import pytest
from boa_system import MAX_UINT, RevmChain, attempt, deploy_system
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from levstake.model import LST_VIRTUAL, MARKET_VIRTUAL_ASSETS, MARKET_VIRTUAL_SHARES

HUGE = 2**255
amounts = st.one_of(
    st.integers(1, 10**6),
    st.integers(1, 10**30),
    st.integers(1, HUGE),
    st.sampled_from([1, 2, 10**18, 2**128, 2**200, HUGE - 1, HUGE]),
)
SETTINGS = settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@pytest.fixture(scope="module")
def system(decimals):
    return deploy_system(decimals, RevmChain())


def fund(system, user: str, amount: int, spender) -> bool:
    """Mint `amount` of X to `user` (if X's supply has room) and approve `spender`."""
    if system.x.totalSupply() + amount > MAX_UINT:
        return False
    system.mint_x(user, amount)
    system.x.approve(spender, MAX_UINT, sender=user)
    return True


def fits(x: int, y: int, d: int, slack: int = 2) -> bool:
    """Whether x * y / d (with some slack for fees and rounding) fits in 256 bits."""
    return x * y * slack // max(d, 1) <= MAX_UINT


def check_views(vault, owner: str, inputs: list[int], ratio: tuple[int, int]) -> None:
    """Every max* view answers; every conversion and preview answers unless its result cannot fit."""
    for view in ("maxDeposit", "maxMint", "maxWithdraw", "maxRedeem"):
        result, reason = attempt(getattr(vault, view), owner)
        assert reason is None, f"{view} reverted: {reason}"
    assert attempt(vault.totalAssets)[1] is None
    shares_per_asset, assets_per_share = ratio
    for amount in inputs:
        for view, per in (
            ("convertToShares", shares_per_asset),
            ("previewDeposit", shares_per_asset),
            ("previewWithdraw", shares_per_asset),
            ("convertToAssets", assets_per_share),
            ("previewMint", assets_per_share),
            ("previewRedeem", assets_per_share),
        ):
            _, reason = attempt(getattr(vault, view), amount)
            if reason is not None:
                assert not fits(amount, *per), f"{view}({amount}) reverted ({reason}) though it fits"


@given(deposits=st.lists(amounts, min_size=1, max_size=3), inputs=st.lists(amounts, min_size=3, max_size=6))
@SETTINGS
def test_lender_vault_views(system, deposits: list[int], inputs: list[int]) -> None:
    market = system.market
    lender = system.chain.generate_address("lender")
    with system.chain.anchor():
        for amount in deposits:
            amount = min(amount, market.maxDeposit(lender))
            if amount and fund(system, lender, amount, market):
                attempt(market.deposit, amount, sender=lender)
        supply, assets = market.totalSupply(), market.totalAssets()
        ratio = (
            (supply + MARKET_VIRTUAL_SHARES, assets + MARKET_VIRTUAL_ASSETS),
            (assets + MARKET_VIRTUAL_ASSETS, supply + MARKET_VIRTUAL_SHARES),
        )
        check_views(market, lender, inputs, ratio)
        # max* never overstate: what they allow succeeds.
        for view, call in (("maxWithdraw", market.withdraw), ("maxRedeem", market.redeem)):
            limit = getattr(market, view)(lender)
            if limit:
                with system.chain.anchor():
                    assert attempt(call, limit, sender=lender)[1] is None, f"{view} overstated"
        limit = market.maxDeposit(lender)
        newcomer = system.chain.generate_address("newcomer")
        if limit and fund(system, newcomer, limit, market):
            with system.chain.anchor():
                assert attempt(market.deposit, limit, sender=newcomer)[1] is None, "maxDeposit overstated"
        shares = market.maxMint(lender)
        cost = market.previewMint(shares) if shares else 0
        if shares and fund(system, newcomer, cost, market):
            with system.chain.anchor():
                assert attempt(market.mint, shares, sender=newcomer)[1] is None, "maxMint overstated"


def test_lender_vault_views_when_a_share_is_worth_many_units(system) -> None:
    """Forty idle years at full utilization (the default curve's 40% a year: e^16) make a lender share worth
    several units of X: the shares that still fit times that price no longer fit in 256 bits, and maxDeposit
    / maxMint saturate instead of reverting (the supply assets stay within the market's 128-bit totals)."""
    market, lst, units = system.market, system.lst, system.units
    lender = system.chain.generate_address("lender")
    borrower = system.chain.generate_address("borrower")
    with system.chain.anchor():
        fund(system, lender, units(1_000), market)
        market.deposit(units(1_000), lender, sender=lender)
        fund(system, borrower, units(2_000), lst)
        lst.deposit(units(2_000), borrower, sender=borrower)
        lst.approve(market, MAX_UINT, sender=borrower)
        market.supply_collateral(lst.balanceOf(borrower), borrower, sender=borrower)
        market.borrow(units(1_000), 0, borrower, borrower, sender=borrower)
        system.chain.time_travel(40 * 365 * 86_400)
        market.accrue_interest(sender=lender)
        supply, assets = market.totalSupply(), market.totalAssets()
        assert assets > supply + MARKET_VIRTUAL_SHARES  # a share is worth more than a unit
        ratio = (
            (supply + MARKET_VIRTUAL_SHARES, assets + MARKET_VIRTUAL_ASSETS),
            (assets + MARKET_VIRTUAL_ASSETS, supply + MARKET_VIRTUAL_SHARES),
        )
        check_views(market, lender, [1, 10**18, 2**200, HUGE], ratio)
        limit = market.maxDeposit(lender)
        newcomer = system.chain.generate_address("newcomer")
        assert limit and fund(system, newcomer, limit, market)
        assert attempt(market.deposit, limit, sender=newcomer)[1] is None, "maxDeposit overstated"


@given(deposits=st.lists(amounts, min_size=1, max_size=3), inputs=st.lists(amounts, min_size=3, max_size=6))
@SETTINGS
def test_lst_views(system, deposits: list[int], inputs: list[int]) -> None:
    lst = system.lst
    staker = system.chain.generate_address("staker")
    with system.chain.anchor():
        for amount in deposits:
            amount = min(amount, lst.maxDeposit(staker))
            if amount and fund(system, staker, amount, lst):
                attempt(lst.deposit, amount, sender=staker)
        supply, assets = lst.totalSupply(), lst.totalAssets()
        ratio = ((supply + LST_VIRTUAL, assets + LST_VIRTUAL), (assets + LST_VIRTUAL, supply + LST_VIRTUAL))
        check_views(lst, staker, inputs, ratio)
        for view, call in (("maxWithdraw", lst.withdraw), ("maxRedeem", lst.redeem)):
            limit = getattr(lst, view)(staker)
            if limit:
                with system.chain.anchor():
                    result, reason = attempt(call, limit, sender=staker)
                    assert reason in (None, "lst: zero assets"), f"{view} overstated: {reason}"
        limit = lst.maxDeposit(staker)
        newcomer = system.chain.generate_address("newcomer")
        if limit and fund(system, newcomer, limit, lst):
            with system.chain.anchor():
                result, reason = attempt(lst.deposit, limit, sender=newcomer)
                assert reason in (None, "lst: zero shares"), f"maxDeposit overstated: {reason}"


@given(deposit=amounts, amount=amounts)
@SETTINGS
def test_previews_equal_what_the_calls_do(system, deposit: int, amount: int) -> None:
    """In the same state, each preview is exactly what its call returns (both vaults, huge and tiny)."""
    user = system.chain.generate_address("user")
    for vault, limit_view in ((system.market, "maxDeposit"), (system.lst, "maxDeposit")):
        with system.chain.anchor():
            deposit = min(deposit, getattr(vault, limit_view)(user))
            if not deposit or not fund(system, user, deposit, vault):
                continue
            preview = vault.previewDeposit(deposit)
            result, reason = attempt(vault.deposit, deposit, sender=user)
            assert reason is not None or result == preview
            if reason is not None:
                continue
            shares = min(amount, vault.maxRedeem(user))
            if shares:
                preview = vault.previewRedeem(shares)
                result, reason = attempt(vault.redeem, shares, sender=user)
                assert reason is not None or result == preview


def test_lst_max_views_answer_after_a_slash_of_everything(system) -> None:
    """A 100% slash while rewards stream and the buffer is drained leaves total assets at 0 with shares still
    out (found by the differential review of the books change, the same before it): `maxRedeem` and
    `max_instant_redeem` reverted "lst: nothing left to stake into" (no price to convert the buffer's room
    at). Shares worth nothing can redeem nothing: every max view answers 0."""
    lst, validator, units = system.lst, system.validator, system.units
    staker = system.chain.generate_address("staker")
    with system.chain.anchor():
        fund(system, staker, units(1_000), lst)
        lst.deposit(units(1_000), staker, sender=staker)
        lst.rebalance(sender=staker)
        system.chain.time_travel(3 * 86_400)
        lst.sync_rewards(sender=staker)
        lst.withdraw(lst.maxWithdraw(staker), staker, staker, sender=staker)
        validator.slash(lst, 10_000, True, sender=system.owner)
        assert lst.totalAssets() == 0 and lst.totalSupply() > 0
        for view in ("maxDeposit", "maxMint", "maxWithdraw", "maxRedeem"):
            result, reason = attempt(getattr(lst, view), staker)
            assert reason is None and result == 0, f"{view}: {result} {reason}"
        assert attempt(lst.max_instant_redeem) == (0, None)


def test_lst_mint_cannot_take_shares_for_nothing_after_a_slash_of_everything(system) -> None:
    """The same state, nothing left streaming either: the book value is 0, so `mint` priced the shares at 0 X
    and anybody could mint any number for nothing (found by the outside review of issue 30's second pass;
    the same before it), shares that would take nearly all of any value that came back. `deposit` refused
    already ("nothing left to stake into"); `mint` now refuses the same way, as `maxMint` (0) says."""
    lst, validator, units = system.lst, system.validator, system.units
    staker, newcomer = system.chain.generate_address("staker"), system.chain.generate_address("newcomer")
    with system.chain.anchor():
        fund(system, staker, units(1_000), lst)
        lst.deposit(units(1_000), staker, sender=staker)
        lst.rebalance(sender=staker)
        lst.withdraw(lst.maxWithdraw(staker), staker, staker, sender=staker)
        validator.slash(lst, 10_000, True, sender=system.owner)
        assert lst.share_prices()[:2] == (0, 0) and lst.totalSupply() > 0
        assert lst.maxMint(newcomer) == 0
        fund(system, newcomer, units(1), lst)
        for shares in (1, 10**6, units(1_000)):
            reason = attempt(lst.mint, shares, newcomer, sender=newcomer)[1]
            assert reason == "lst: nothing left to stake into", f"{shares} shares minted ({reason})"
        assert lst.balanceOf(newcomer) == 0
