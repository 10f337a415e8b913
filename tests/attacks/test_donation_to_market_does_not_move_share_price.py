"""Plain transfers of X or LST to the market: share price, idle liquidity and positions do not move."""


def test_donation_of_x_does_not_move_share_price(market, x, lender, attacker, lend, fund, units):
    lend(lender, units(10))
    rate = market.convertToAssets(10**6 * units(1))
    fund(attacker, units(1_000))
    x.transfer(market, units(1_000), sender=attacker)
    assert market.convertToAssets(10**6 * units(1)) == rate
    assert market.totalAssets() == units(10)
    # Idle liquidity is booked, not read from balanceOf: the gift cannot be borrowed or flash-borrowed.
    assert market.maxFlashLoan(x) == units(10)
    assert market.maxWithdraw(lender) == units(10)
    # Every lender leaving takes out exactly what was lent; the gift stays stuck, not paid to anyone.
    market.redeem(market.balanceOf(lender), lender, lender, sender=lender)
    assert x.balanceOf(lender) == units(10)
    assert x.balanceOf(market) == units(1_000)


def test_donation_of_lst_does_not_move_positions(
    market, lst, oracle, lender, borrower, attacker, lend, stake, post_collateral, units
):
    lend(lender, units(100))
    post_collateral(borrower, units(10))
    market.borrow(units(5), 0, borrower, borrower, sender=borrower)
    # Stored books (the views add interest for every new block, donation or not).
    books = (market.positions(borrower), market.total_supply_assets(), market.total_borrow_assets())
    price = oracle.price()
    stake(attacker, units(50))
    lst.transfer(market, lst.balanceOf(attacker), sender=attacker)
    assert (market.positions(borrower), market.total_supply_assets(), market.total_borrow_assets()) == books
    assert oracle.price() == price
