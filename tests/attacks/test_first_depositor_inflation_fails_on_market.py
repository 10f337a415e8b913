"""ERC-4626 inflation on the market: lend 1 wei, donate a lot, hope the next lender's deposit rounds to 0."""


def test_first_lender_cannot_steal_from_next(market, x, attacker, lender, fund, units):
    fund(attacker, units(1_000) + 1, spender=market)
    market.deposit(1, attacker, sender=attacker)
    x.transfer(market, units(1_000), sender=attacker)
    fund(lender, units(10), spender=market)
    market.deposit(units(10), lender, sender=lender)
    # The donation is not booked, so the victim's shares are priced as if it never happened.
    assert market.previewRedeem(market.balanceOf(lender)) >= units(10) - 1
    # And the attacker's 1 wei is still worth at most 1 wei: the donation is lost to it.
    assert market.previewRedeem(market.balanceOf(attacker)) <= 1


def test_first_lender_minting_one_share_cannot_round_next_to_zero(market, x, attacker, lender, fund, units):
    fund(attacker, units(1_000) + 1, spender=market)
    market.mint(1, attacker, sender=attacker)
    x.transfer(market, units(1_000), sender=attacker)
    for amount in (1, 999, units(1)):
        fund(lender, amount, spender=market)
        held = market.balanceOf(lender)
        market.deposit(amount, lender, sender=lender)
        assert market.balanceOf(lender) - held >= amount * 10**6 // 2, "a victim's deposit was rounded away"
