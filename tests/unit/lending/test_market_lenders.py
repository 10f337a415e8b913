"""Lenders: the market as an ERC-4626 vault over X, limited by idle liquidity."""

import ape
from lending_math import MAX_UINT, MAX_UINT128, VIRTUAL_SHARES, WAD, YEAR

ZERO = "0x0000000000000000000000000000000000000000"


def test_deposit_and_redeem_preview_equals_actual(market, x, lender, lend, fund, units):
    preview = market.previewDeposit(units(100))
    lend(lender, units(100))
    assert market.balanceOf(lender) == preview
    assert market.totalAssets() == units(100)
    shares = market.balanceOf(lender) // 3
    out = market.previewRedeem(shares)
    before = x.balanceOf(lender)
    market.redeem(shares, lender, lender, sender=lender)
    assert x.balanceOf(lender) - before == out


def test_mint_and_withdraw_round_against_user(market, x, lender, lend, fund, units):
    lend(lender, units(10))
    fund(lender, units(10), spender=market)
    shares = 10**6 * units(1) + 1
    paid = market.previewMint(shares)
    before = x.balanceOf(lender)
    market.mint(shares, lender, sender=lender)
    assert before - x.balanceOf(lender) == paid
    burn = market.previewWithdraw(units(1))
    bal = market.balanceOf(lender)
    market.withdraw(units(1), lender, lender, sender=lender)
    assert bal - market.balanceOf(lender) == burn


def test_withdraw_limited_by_idle_liquidity(market, lender, borrower, lend, post_collateral, units):
    lend(lender, units(100))
    post_collateral(borrower, units(100))
    market.borrow(units(60), 0, borrower, borrower, sender=borrower)
    assert market.maxWithdraw(lender) == units(40)
    with ape.reverts("market: insufficient liquidity"):
        market.withdraw(units(41), lender, lender, sender=lender)
    market.withdraw(units(40), lender, lender, sender=lender)


def test_bad_input(market, lender, lend, units):
    lend(lender, units(1))
    with ape.reverts("market: zero assets"):
        market.deposit(0, lender, sender=lender)
    with ape.reverts("market: zero address"):
        market.deposit(1, ZERO, sender=lender)
    with ape.reverts("market: zero shares"):
        market.redeem(0, lender, lender, sender=lender)
    with ape.reverts("market: zero assets"):
        market.withdraw(0, lender, lender, sender=lender)


def test_pause_blocks_new_supply_only(market, guardian, lender, lend, fund, units, attacker):
    lend(lender, units(10))
    with ape.reverts("market: caller is not the guardian"):
        market.set_paused(True, True, sender=attacker)
    market.set_paused(True, True, sender=guardian)
    fund(lender, units(1), spender=market)
    assert market.maxDeposit(lender) == 0
    with ape.reverts("market: supply paused"):
        market.deposit(units(1), lender, sender=lender)
    # Lender withdrawals are never paused.
    market.withdraw(units(5), lender, lender, sender=lender)


def test_supply_cap(market, guardian, lender, lend, fund, units):
    market.set_caps(units(50), units(10), sender=guardian)
    lend(lender, units(40))
    assert market.maxDeposit(lender) == units(10)
    fund(lender, units(11), spender=market)
    with ape.reverts("market: supply cap exceeded"):
        market.deposit(units(11), lender, sender=lender)


def test_lender_shares_have_no_permit(market):
    """Lender shares are plain ERC-20 now (no EIP-2612: the market's bytecode has to fit a blueprint)."""
    names = {abi.name for abi in market.contract_type.abi if abi.type == "function"}
    assert {"transfer", "approve", "transferFrom", "allowance"} <= names
    assert not names & {"permit", "nonces", "DOMAIN_SEPARATOR", "eip712Domain"}


def test_lender_shares_are_transferable(market, lender, other, lend, units):
    lend(lender, units(10))
    shares = market.balanceOf(lender)
    market.transfer(other, shares // 2, sender=lender)
    market.approve(other, shares // 4, sender=lender)
    market.transferFrom(lender, other, shares // 4, sender=other)
    assert market.balanceOf(other) == shares // 2 + shares // 4
    assert market.allowance(lender, other) == 0
    # Whoever holds the shares owns the X behind them.
    assert market.maxWithdraw(other) == market.convertToAssets(market.balanceOf(other))


def test_max_deposit_and_mint_default_to_unlimited_but_fit_in_128_bits(market):
    """With the default cap (max uint) the limits are what the market's totals hold: supply assets are
    stored in 128 bits, shares minted at 10^6 per unit of X."""
    assert market.supply_cap() == MAX_UINT
    assert market.maxDeposit(ZERO) == MAX_UINT128
    assert market.maxMint(ZERO) == MAX_UINT128 * VIRTUAL_SHARES
    assert market.previewDeposit(market.maxDeposit(ZERO)) == market.maxMint(ZERO)


def test_deposit_of_max_deposit_and_huge_balances(market, x, lender, other, fund):
    """The largest deposit allowed goes through; afterwards no max/preview/convert view overflows, and
    the lender gets every unit back, as previewed."""
    largest = market.maxDeposit(lender)
    fund(lender, largest, spender=market)
    preview = market.previewDeposit(largest)
    market.deposit(largest, lender, sender=lender)
    balance = market.balanceOf(lender)
    assert balance == preview == largest * VIRTUAL_SHARES
    # Nothing is left to deposit, and the views still answer.
    assert market.maxMint(other) == 0
    assert market.maxDeposit(other) == 0
    assert market.maxRedeem(lender) == balance
    assert market.maxWithdraw(lender) == balance * (largest + 1) // (balance + VIRTUAL_SHARES)
    assert market.convertToAssets(balance) == market.maxWithdraw(lender)
    assert market.convertToShares(largest) <= balance
    assert market.previewWithdraw(market.maxWithdraw(lender)) <= balance
    out = market.previewRedeem(balance)
    before = x.balanceOf(lender)
    market.redeem(balance, lender, lender, sender=lender)
    assert x.balanceOf(lender) - before == out
    assert largest - out <= 1
    assert market.totalSupply() == 0


def test_deposit_above_max_deposit_is_refused(market, x, lender, fund):
    """One unit more than maxDeposit would not fit the 128-bit supply total: refused, where a deposit near
    2^256 shares used to be accepted and brick every conversion."""
    amount = market.maxDeposit(lender) + 1
    fund(lender, amount, spender=market)
    with ape.reverts("market: supply cap exceeded"):
        market.deposit(amount, lender, sender=lender)


def test_max_deposit_zero_when_cap_below_supply(market, guardian, lender, lend, units):
    lend(lender, units(40))
    market.set_caps(units(10), MAX_UINT, sender=guardian)
    assert market.maxDeposit(lender) == 0
    assert market.maxMint(lender) == 0
    market.set_caps(units(50), MAX_UINT, sender=guardian)
    assert market.maxDeposit(lender) == units(10)
    assert market.maxMint(lender) == units(10) * (market.totalSupply() + VIRTUAL_SHARES) // (units(40) + 1)
    assert market.maxMint(lender) == market.previewDeposit(units(10))


def test_previews_equal_actual_at_a_grown_share_price(
    switch_irm, oracle, create_market, lend_to, post_to, fund, x, lender, other, borrower, units, warp
):
    """Interest first lifts the share price, then the model drops to 0% so that the price stays put between
    the preview and the transaction."""
    market = create_market(switch_irm, oracle, reserve_factor=WAD // 10)
    lend_to(market, lender, units(1_000))
    post_to(market, borrower, units(1_000))
    market.borrow(units(700), 0, borrower, borrower, sender=borrower)
    warp(YEAR)
    market.accrue_interest(sender=lender)
    switch_irm.set_apr(0, sender=lender)
    market.accrue_interest(sender=lender)
    assert market.convertToAssets(10**12) > 10**12 // VIRTUAL_SHARES
    fund(other, units(100), spender=market)
    for action in ("deposit", "mint", "withdraw", "redeem"):
        shares_before, x_before = market.balanceOf(other), x.balanceOf(other)
        if action == "deposit":
            preview = market.previewDeposit(units(10) + 7)
            market.deposit(units(10) + 7, other, sender=other)
            assert market.balanceOf(other) - shares_before == preview
        elif action == "mint":
            preview = market.previewMint(10**6 * units(3) + 3)
            market.mint(10**6 * units(3) + 3, other, sender=other)
            assert x_before - x.balanceOf(other) == preview
        elif action == "withdraw":
            preview = market.previewWithdraw(units(5) + 1)
            market.withdraw(units(5) + 1, other, other, sender=other)
            assert shares_before - market.balanceOf(other) == preview
        else:
            assert market.maxRedeem(other) == market.balanceOf(other)
            preview = market.previewRedeem(market.balanceOf(other))
            assert preview == market.maxWithdraw(other)
            market.redeem(market.balanceOf(other), other, other, sender=other)
            assert x.balanceOf(other) - x_before == preview
