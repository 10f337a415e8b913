"""Lenders: the market as an ERC-4626 vault over X, limited by idle liquidity."""

import ape

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
