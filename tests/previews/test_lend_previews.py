"""A lend's preview, shared by the page and the CLI, refuses what the market would take for nothing or refuse,
and quotes the supply APR that lands. A new user's walk lent 1e-18 (the market mints shares for a wei worth 0
of it, and "all" could not take it back: "market: zero assets"), saw an enabled Lend button on a paused
market, and was quoted the supply APR from before the deposit. On revm, read as the page and the CLI read."""

from __future__ import annotations

import pytest
from boa_system import fifty_x_world
from revm_reads import reader_of

from levstake import projections
from levstake.previews import PreviewError, preview_lender_withdraw


@pytest.fixture
def lent_market(decimals):
    system, _ = fifty_x_world(decimals)
    # A month of the borrower's interest: a lender share is worth more than its first price, as in the walk.
    system.chain.time_travel(30 * 86_400)
    system.market.accrue_interest()
    return system, reader_of(system)


def test_a_lend_whose_shares_are_worth_nothing_is_refused_and_one_worth_something_is_not(lent_market) -> None:
    system, reader = lent_market
    lender = system.chain.generate_address("dust lender")
    system.mint_x(lender, 10)
    snapshot = reader.snapshot(lender)
    assert reader.lend_quote(1, lender).worth == 0
    dust = r"^0\.0+1 \w+ is too small: the lender shares it buys are worth 0"
    with pytest.raises(PreviewError, match=dust):
        projections.preview_lend(reader.info, snapshot, 1, reader.lend_quote(1, lender))
    quote = reader.lend_quote(10, lender)
    assert quote.worth and quote.worth <= 10 and quote.room and quote.room >= 10
    assert projections.preview_lend(reader.info, snapshot, 10, quote).assets == 10


def test_a_supply_worth_nothing_is_refused_before_the_market_refuses_it(lent_market) -> None:
    system, reader = lent_market
    lender = system.chain.generate_address("dust lender")
    system.mint_x(lender, 1)
    system.x.approve(system.market, 1, sender=lender)
    system.market.deposit(1, sender=lender)  # the market takes it: what the refusal above keeps users from
    snapshot = reader.snapshot(lender)
    assert snapshot.account.lender_shares > 0
    with pytest.raises(PreviewError, match=r"^your supply is worth 0 \w+: nothing to withdraw$"):
        preview_lender_withdraw(reader.info, snapshot, None)


def test_a_lend_past_the_markets_room_is_refused_as_the_market_refuses_it(lent_market) -> None:
    """A walk: a paused market previewed an enabled Lend button (only the submit's simulation refused)."""
    system, reader = lent_market
    lender = system.chain.generate_address("lender of a paused market")
    system.mint_x(lender, 10)
    system.market.set_paused(True, False, sender=system.guardian)
    quote = reader.lend_quote(10, lender)
    assert quote.room == 0
    refusal = r"^the market takes no deposits now \(paused, or its supply cap reached\)$"
    with pytest.raises(PreviewError, match=refusal):
        projections.preview_lend(reader.info, reader.snapshot(lender), 10, quote)
    # Capped 7 base units above the supply: the room left is offered, exactly.
    system.market.set_paused(False, False, sender=system.guardian)
    system.market.set_caps(system.market.totalAssets() + 7, 2**128 - 1, sender=system.guardian)
    quote = reader.lend_quote(10, lender)
    assert quote.room == 7
    with pytest.raises(PreviewError, match=r"now \(its supply cap\)$") as capped:
        projections.preview_lend(reader.info, reader.snapshot(lender), 10, quote)
    assert [fill.value for fill in capped.value.fills] == [f"0.{'0' * (reader.info.decimals - 1)}7"]


def test_the_supply_apr_a_lend_previews_is_the_one_after_it_lands(lent_market) -> None:
    """A walk: `lend` printed the supply APR before the deposit (34.43%) where 2.31% landed; the CLI now
    prints the preview's, which the page showed already."""
    system, reader = lent_market
    lender = system.chain.generate_address("large lender")
    amount = system.units(100_000)
    system.mint_x(lender, amount)
    before = reader.snapshot(lender)
    preview = projections.preview_lend(reader.info, before, amount, reader.lend_quote(amount, lender))
    system.x.approve(system.market, amount, sender=lender)
    system.market.deposit(amount, sender=lender)
    after = reader.snapshot(lender).rates.supply_apr / 10**18
    assert preview.supply_apr_after == pytest.approx(after, rel=1e-12)
    assert after < before.rates.supply_apr / 10**18 * 0.8, "the lend itself moves the rate"
