"""Stateful fuzzing of one market: random lend/redeem/borrow/repay/collateral/liquidate/slash/warp sequences.

After every step it checks the design's invariants 2, 3 and 5:
2. cash + total borrows >= total lender assets; lenders can always take idle liquidity; sum of debts <=
   total borrows.
3. no borrow or collateral withdrawal leaves a position above max LTV (the Python model predicts each outcome
   to the wei and the market must agree); a position with health >= 1 cannot be liquidated.
5. rounding favours the market: same-block round trips never pay out more than was put in, a liquidator never
   receives more than repaid x incentive, and the market's X balance never falls below its books.
"""

from __future__ import annotations

import os
from collections import Counter

import boa
import pytest
from boa_system import (
    MAX_UINT,
    ORACLE_SCALE,
    VIRTUAL_SHARES,
    WAD,
    BoaSystem,
    attempt,
    deploy_system,
    mul_div_up,
)
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

# How often each interesting outcome happened: the test also checks the fuzzer reached them.
OUTCOMES: Counter[str] = Counter()
LENDERS = 3
BORROWERS = 3
BPS = 10_000

actor_index = st.integers(min_value=0, max_value=2)
share_bps = st.integers(min_value=1, max_value=BPS)
# Anywhere up to the limit, and often right at it or a little above (the revert must match the model).
limit_bps = st.one_of(st.integers(min_value=1, max_value=BPS), st.integers(min_value=9_900, max_value=10_100))


def funded_system(decimals: int) -> tuple[BoaSystem, list[str], list[str], str]:
    """A deployment with actors funded and approved; every example starts from a snapshot of it."""
    system = deploy_system(decimals)
    lenders = [boa.env.generate_address(f"lender{i}") for i in range(LENDERS)]
    borrowers = [boa.env.generate_address(f"borrower{i}") for i in range(BORROWERS)]
    liquidator = boa.env.generate_address("liquidator")
    market, lst, x = system.market, system.lst, system.x
    for actor in [*lenders, *borrowers, liquidator]:
        system.mint_x(actor, system.units(100_000_000))
        x.approve(market, MAX_UINT, sender=actor)
        x.approve(lst, MAX_UINT, sender=actor)
        lst.approve(market, MAX_UINT, sender=actor)
    for borrower in borrowers:
        lst.deposit(system.units(1_000_000), sender=borrower)
    lst.rebalance()
    return system, lenders, borrowers, liquidator


class MarketMachine(RuleBasedStateMachine):
    def __init__(self, deployment: tuple[BoaSystem, list[str], list[str], str]) -> None:
        super().__init__()
        self.system, self.lenders, self.borrowers, self.liquidator = deployment
        self.market = self.system.market
        self._anchor = boa.env.anchor()
        self._anchor.__enter__()
        self._price: int | None = None

    def teardown(self) -> None:
        self._anchor.__exit__(None, None, None)

    # ------------------------------------------------------------ helpers

    def units(self, amount: float) -> int:
        return self.system.units(amount)

    def price(self) -> int:
        # Only time, reward syncs and slashing move the LST's rate; their rules clear this cache.
        if self._price is None:
            self._price = self.system.oracle.price()
        return self._price

    def totals(self) -> tuple[int, int, int, int]:
        storage = self.market._storage
        return (
            storage.total_supply_assets.get(),
            storage.total_borrow_assets.get(),
            storage.total_borrow_shares.get(),
            self.market.totalSupply(),
        )

    def debt(self, borrow_shares: int, borrow_assets: int, total_shares: int) -> int:
        return mul_div_up(borrow_shares, borrow_assets + 1, total_shares + VIRTUAL_SHARES)

    def limit(self, collateral: int, price: int, ratio: int) -> int:
        return collateral * price // ORACLE_SCALE * ratio // WAD

    def within(self, user: str, ratio: int) -> bool:
        collateral, shares = self.market.positions(user)
        _, borrow_assets, total_shares, _ = self.totals()
        return shares == 0 or self.debt(shares, borrow_assets, total_shares) <= self.limit(
            collateral, self.price(), ratio
        )

    # ------------------------------------------------------------ lenders

    @initialize(
        liquidity=st.one_of(st.integers(min_value=1, max_value=5_000_000), st.just(3_000_000)),
        collateral=st.lists(share_bps, min_size=BORROWERS, max_size=BORROWERS),
        debt=st.lists(limit_bps, min_size=BORROWERS, max_size=BORROWERS),
    )
    def lend_post_collateral_and_borrow(self, liquidity: int, collateral: list[int], debt: list[int]) -> None:
        """Starts from a used market: positions near max LTV are where rounding and liquidation matter."""
        self.market.deposit(self.units(liquidity), sender=self.lenders[0])
        for who in range(BORROWERS):
            self.supply_collateral(who, collateral[who])
            self.borrow(who, debt[who])

    @rule(who=actor_index, amount=st.one_of(st.integers(1, 1_000), st.integers(1, 10**6)), tiny=st.booleans())
    def deposit(self, who: int, amount: int, tiny: bool) -> None:
        assets = amount if tiny else self.units(amount)
        expected = self.market.previewDeposit(assets)
        shares, reason = attempt(self.market.deposit, assets, sender=self.lenders[who])
        if expected == 0:
            assert reason == "market: zero shares"
        else:
            assert reason is None and shares == expected

    @rule(who=actor_index, fraction=share_bps)
    def redeem(self, who: int, fraction: int) -> None:
        lender = self.lenders[who]
        shares = self.market.maxRedeem(lender) * fraction // BPS
        if shares == 0:
            return
        expected = self.market.previewRedeem(shares)
        before = self.system.x.balanceOf(lender)
        assets, reason = attempt(self.market.redeem, shares, sender=lender)
        if expected == 0:
            assert reason == "market: zero assets"
            return
        assert reason is None and assets == expected
        assert self.system.x.balanceOf(lender) - before == expected

    @rule(who=actor_index, amount=st.integers(min_value=1, max_value=10**6))
    def round_trip_never_profits(self, who: int, amount: int) -> None:
        """Depositing then redeeming in the same block never returns more X than was put in."""
        lender = self.lenders[who]
        assets = self.units(amount)
        shares, reason = attempt(self.market.deposit, assets, sender=lender)
        if reason is not None:
            return
        back, reason = attempt(self.market.redeem, shares, sender=lender)
        if reason is None:
            assert back <= assets

    # ------------------------------------------------------------ borrowers

    @rule(who=actor_index, fraction=share_bps)
    def supply_collateral(self, who: int, fraction: int) -> None:
        borrower = self.borrowers[who]
        assets = self.system.lst.balanceOf(borrower) * fraction // BPS
        if assets == 0:
            return
        before = self.market.positions(borrower)[0]
        self.market.supply_collateral(assets, borrower, sender=borrower)
        assert self.market.positions(borrower)[0] == before + assets

    @rule(who=actor_index, fraction=limit_bps)
    def borrow(self, who: int, fraction: int) -> None:
        borrower = self.borrowers[who]
        self.market.accrue_interest()
        supply, borrow_assets, total_shares, _ = self.totals()
        collateral, shares = self.market.positions(borrower)
        headroom = self.limit(collateral, self.price(), self.market.max_ltv()) - self.debt(
            shares, borrow_assets, total_shares
        )
        assets = max(headroom, 0) * fraction // BPS
        if assets == 0:
            return
        added = mul_div_up(assets, total_shares + VIRTUAL_SHARES, borrow_assets + 1)
        new_debt = self.debt(shares + added, borrow_assets + assets, total_shares + added)
        result, reason = attempt(self.market.borrow, assets, 0, borrower, borrower, sender=borrower)
        OUTCOMES[f"borrow: {reason}"] += 1
        if borrow_assets + assets > supply:
            assert reason == "market: insufficient liquidity"
        elif new_debt > self.limit(collateral, self.price(), self.market.max_ltv()):
            assert reason == "market: ltv too high"
        else:
            assert reason is None and result == (assets, added)
            assert self.within(borrower, self.market.max_ltv())

    @rule(who=actor_index, fraction=share_bps, everything=st.booleans())
    def repay(self, who: int, fraction: int, everything: bool) -> None:
        borrower = self.borrowers[who]
        shares = self.market.positions(borrower)[1]
        if shares == 0:
            return
        self.market.accrue_interest()
        _, borrow_assets, total_shares, _ = self.totals()
        before = self.system.x.balanceOf(borrower)
        if everything:
            repaid, burnt = self.market.repay(0, shares, borrower, sender=borrower)
            assert burnt == shares and self.market.positions(borrower)[1] == 0
            # Repaying by shares rounds the X owed up.
            assert repaid == self.debt(shares, borrow_assets, total_shares)
        else:
            assets = self.debt(shares, borrow_assets, total_shares) * fraction // BPS
            if assets == 0:
                return
            # Repaying by assets rounds the shares burnt down: paying the whole debt in X may burn too many.
            burnt = assets * (total_shares + VIRTUAL_SHARES) // (borrow_assets + 1)
            result, reason = attempt(self.market.repay, assets, 0, borrower, sender=borrower)
            if burnt > shares:
                assert reason == "market: repay exceeds debt"
                return
            assert reason is None and result == (assets, burnt)
            repaid = assets
        assert before - self.system.x.balanceOf(borrower) == repaid

    @rule(who=actor_index)
    def repay_more_than_owed_fails(self, who: int) -> None:
        borrower = self.borrowers[who]
        shares = self.market.positions(borrower)[1]
        _, reason = attempt(self.market.repay, 0, shares + 1, borrower, sender=borrower)
        assert reason == "market: repay exceeds debt"

    @rule(who=actor_index, fraction=limit_bps)
    def withdraw_collateral(self, who: int, fraction: int) -> None:
        borrower = self.borrowers[who]
        self.market.accrue_interest()
        collateral, shares = self.market.positions(borrower)
        assets = collateral * min(fraction, BPS) // BPS
        if assets == 0:
            return
        _, borrow_assets, total_shares, _ = self.totals()
        allowed = shares == 0 or self.debt(shares, borrow_assets, total_shares) <= self.limit(
            collateral - assets, self.price(), self.market.max_ltv()
        )
        _, reason = attempt(self.market.withdraw_collateral, assets, borrower, borrower, sender=borrower)
        OUTCOMES[f"withdraw_collateral: {reason}"] += 1
        if allowed:
            assert reason is None
            assert self.within(borrower, self.market.max_ltv())
        else:
            assert reason == "market: ltv too high"

    @rule(who=actor_index, fraction=share_bps, by_seized=st.booleans())
    def liquidate(self, who: int, fraction: int, by_seized: bool) -> None:
        """Liquidates the first unhealthy position; with none, tries borrower `who` and must be refused."""
        self.market.accrue_interest()
        lltv = self.market.lltv()
        unhealthy = [b for b in self.borrowers if not self.within(b, lltv)]
        borrower = unhealthy[0] if unhealthy else self.borrowers[who]
        collateral, shares = self.market.positions(borrower)
        if shares == 0:
            return
        price, incentive = self.price(), self.market.liquidation_incentive()
        supply_before, bad_before = self.totals()[0], self.market.bad_debt_total()
        if by_seized:
            args = (borrower, max(collateral * fraction // BPS, 1), 0)
        else:
            args = (borrower, 0, max(shares * fraction // BPS, 1))
        result, reason = attempt(self.market.liquidate, *args, sender=self.liquidator)
        OUTCOMES[f"liquidate: {reason}"] += 1
        if not unhealthy:
            assert reason == "market: position is healthy"
            return
        if reason is not None:
            # Asking for more than there is: the only other way an unhealthy liquidation may fail.
            assert reason in ("market: seize exceeds collateral", "market: repay exceeds debt"), reason
            return
        seized, repaid = result
        # The liquidator gets collateral worth at most repaid x incentive.
        assert seized * price * WAD <= repaid * incentive * ORACLE_SCALE
        # Lenders lose exactly the debt written off, nothing more.
        written_off = self.market.bad_debt_total() - bad_before
        assert supply_before - self.totals()[0] == written_off
        if written_off:
            OUTCOMES["liquidate: bad debt"] += 1
            assert self.market.positions(borrower) == (0, 0)

    # ------------------------------------------------------------ the world

    @rule(seconds=st.integers(min_value=1, max_value=120 * 86_400))
    def warp(self, seconds: int) -> None:
        boa.env.time_travel(seconds=seconds)
        self._price = None

    @rule()
    def sync_rewards(self) -> None:
        self.system.lst.sync_rewards()
        self._price = None

    @rule(bps=st.integers(min_value=1, max_value=500))
    def slash(self, bps: int) -> None:
        self.system.validator.slash(self.system.lst, bps, sender=self.system.owner)
        self._price = None

    @rule(amount=st.integers(min_value=1, max_value=10**6), to_lst=st.booleans())
    def donation_moves_nothing(self, amount: int, to_lst: bool) -> None:
        price, assets = self.system.oracle.price(), self.market.totalAssets()
        token = self.system.lst if to_lst else self.system.x
        donor = self.borrowers[0]
        if token.balanceOf(donor) < amount:
            return
        token.transfer(self.market, amount, sender=donor)
        assert self.system.oracle.price() == price and self.market.totalAssets() == assets

    # ------------------------------------------------------------ invariants

    @invariant()
    def cash_and_borrows_cover_lenders(self) -> None:
        supply, borrow_assets, _, lender_shares = self.totals()
        cash = self.system.x.balanceOf(self.market)
        assert borrow_assets <= supply
        assert cash + borrow_assets >= supply
        assert self.market.convertToAssets(lender_shares) <= self.market.totalAssets()

    @invariant()
    def debts_add_up_to_total_borrows(self) -> None:
        _, borrow_assets, total_shares, _ = self.totals()
        shares = [self.market.positions(b)[1] for b in self.borrowers]
        assert sum(shares) == total_shares
        assert (
            sum(s * (borrow_assets + 1) // (total_shares + VIRTUAL_SHARES) for s in shares) <= borrow_assets
        )

    @invariant()
    def lender_shares_add_up(self) -> None:
        holders = [*self.lenders, self.system.treasury]
        assert sum(self.market.balanceOf(h) for h in holders) == self.market.totalSupply()

    @precondition(lambda self: self.market.totalSupply() > 0)
    @invariant()
    def a_lender_can_take_idle_liquidity(self) -> None:
        lender = max(self.lenders, key=self.market.balanceOf)
        supply, borrow_assets = self.market.market_state()[:2]
        assets = self.market.maxWithdraw(lender)
        owned = self.market.convertToAssets(self.market.balanceOf(lender))
        assert assets == min(owned, supply - borrow_assets)
        if assets == 0:
            return
        with boa.env.anchor():
            before = self.system.x.balanceOf(lender)
            self.market.withdraw(assets, sender=lender)
            assert self.system.x.balanceOf(lender) - before == assets

    @invariant()
    def healthy_positions_cannot_be_liquidated(self) -> None:
        with boa.env.anchor():
            self.market.accrue_interest()
            for borrower in self.borrowers:
                if self.market.positions(borrower)[1] == 0 or not self.within(borrower, self.market.lltv()):
                    continue
                _, reason = attempt(self.market.liquidate, borrower, 0, 1, sender=self.liquidator)
                assert reason == "market: position is healthy"

    @invariant()
    def books_never_exceed_cash(self) -> None:
        OUTCOMES["steps"] += 1
        supply, borrow_assets, _, _ = self.totals()
        dust = self.system.x.balanceOf(self.market) - (supply - borrow_assets)
        assert dust >= 0


@pytest.fixture(scope="module")
def deployment(decimals):
    return funded_system(decimals)


def test_market_keeps_invariants_under_random_use(deployment) -> None:
    OUTCOMES.clear()
    # CI: 25 derandomized examples (reproducible, and the reach checks below cannot flake);
    # `make fuzz` sets LEVSTAKE_FUZZ_EXAMPLES for a long random run.
    examples = int(os.environ.get("LEVSTAKE_FUZZ_EXAMPLES", "0"))
    run_state_machine_as_test(
        lambda: MarketMachine(deployment),
        settings=settings(
            max_examples=examples or 25,
            stateful_step_count=40,
            deadline=None,
            derandomize=not examples,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    checks = OUTCOMES["steps"] * len(MarketMachine.setup_state().invariants)
    # A violation fails the test above with hypothesis's shrunk sequence; reaching here means none.
    print(f"\nsteps run {OUTCOMES['steps']:,}, invariant checks {checks:,}, violations 0")
    print(f"outcomes {dict(OUTCOMES)}")
    # The fuzzer must have reached the paths the invariants are about, or the run proves little.
    assert OUTCOMES["steps"] >= 500
    for outcome in (
        "borrow: None",
        "borrow: market: ltv too high",
        "withdraw_collateral: market: ltv too high",
    ):
        assert OUTCOMES[outcome] > 0, outcome
    assert OUTCOMES["liquidate: None"] > 0 and OUTCOMES["liquidate: market: position is healthy"] > 0
