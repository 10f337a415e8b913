"""Stateful fuzzing of one market: random lend/redeem/borrow/repay/collateral/liquidate/slash/warp sequences.

After every step it checks the design's invariants 2, 3 and 5:
2. cash + total borrows >= total lender assets; lenders can always take idle liquidity; sum of debts <=
   total borrows.
3. no borrow or collateral withdrawal leaves a position above max LTV at the oracle's capped `price()` (the
   Python model predicts each outcome to the wei and the market must agree); a position with health >= 1 at
   the uncapped `rate()` cannot be liquidated.
5. rounding favours the market: same-block round trips never pay out more than was put in, a liquidator never
   receives more than repaid x incentive (plus the dust it sweeps), and the market's X balance never falls
   below its books.

Liquidations are predicted to the wei as well, with the write-off rule: collateral left worth less than
`dust()` at the rate goes to the liquidator and all the debt left is written off; collateral left worth less
than the debt left has the shortfall written off in the same transaction. Interest is checked against
continuous compounding of the rate model's APR.
"""

from __future__ import annotations

import math
import os
from collections import Counter

import pytest
from boa_system import (
    MAX_UINT,
    ORACLE_SCALE,
    VIRTUAL_SHARES,
    WAD,
    BoaSystem,
    RevmChain,
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
YEAR = 365 * 86_400

actor_index = st.integers(min_value=0, max_value=2)
share_bps = st.integers(min_value=1, max_value=BPS)
# Anywhere up to the limit, and often right at it or a little above (the revert must match the model).
limit_bps = st.one_of(st.integers(min_value=1, max_value=BPS), st.integers(min_value=9_900, max_value=10_100))


def funded_system(decimals: int) -> tuple[BoaSystem, list[str], list[str], str]:
    """A deployment with actors funded and approved; every example starts from a snapshot of it."""
    system = deploy_system(decimals, RevmChain())
    chain = system.chain
    lenders = [chain.generate_address(f"lender{i}") for i in range(LENDERS)]
    borrowers = [chain.generate_address(f"borrower{i}") for i in range(BORROWERS)]
    liquidator = chain.generate_address("liquidator")
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
        self.chain = self.system.chain
        self._anchor = self.chain.anchor()
        self._anchor.__enter__()
        self._price: int | None = None
        self._rate: int | None = None

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

    def rate(self) -> int:
        # The uncapped rate liquidations use (cleared with the price).
        if self._rate is None:
            self._rate = self.system.oracle.rate()
        return self._rate

    def forget_prices(self) -> None:
        self._price = None
        self._rate = None

    def totals(self) -> tuple[int, int, int, int]:
        market = self.market
        return (
            market.total_supply_assets(),
            market.total_borrow_assets(),
            market.total_borrow_shares(),
            market.totalSupply(),
        )

    @staticmethod
    def burnt_value(burnt: int, borrow_assets: int, total_shares: int) -> int:
        """What a burn takes off the total borrow assets: the shares' value rounded down, all at the last."""
        if burnt == total_shares:
            return borrow_assets
        return min(burnt * (borrow_assets + 1) // (total_shares + VIRTUAL_SHARES), borrow_assets)

    def debt(self, borrow_shares: int, borrow_assets: int, total_shares: int) -> int:
        return mul_div_up(borrow_shares, borrow_assets + 1, total_shares + VIRTUAL_SHARES)

    def limit(self, collateral: int, price: int, ratio: int) -> int:
        return collateral * price // ORACLE_SCALE * ratio // WAD

    def within(self, user: str, ratio: int, price: int | None = None) -> bool:
        collateral, shares = self.market.positions(user)
        _, borrow_assets, total_shares, _ = self.totals()
        return shares == 0 or self.debt(shares, borrow_assets, total_shares) <= self.limit(
            collateral, price or self.price(), ratio
        )

    def healthy(self, user: str) -> bool:
        """Health >= 1 at the uncapped rate: what decides a liquidation."""
        return self.within(user, self.market.lltv(), self.rate())

    def predict_liquidation(self, borrower: str, seized_assets: int, repaid_shares: int) -> dict | str:
        """`LendingMarket.liquidate` to the wei (interest accrued): the outcome, or the revert reason."""
        collateral, shares = self.market.positions(borrower)
        _, total_assets, total_shares, _ = self.totals()
        rate, incentive, dust = self.rate(), self.market.liquidation_incentive(), self.market.dust()
        clamped = False
        if seized_assets:
            seized = seized_assets
            # Rounded up once; the whole debt is repaid when it pays what is owed within two units.
            owed = mul_div_up(seized_assets, rate, incentive * (ORACLE_SCALE // WAD))
            repaid_sh = mul_div_up(owed, total_shares + VIRTUAL_SHARES, total_assets + 1)
            if repaid_sh > shares and self.debt(shares, total_assets, total_shares) + 2 >= owed:
                repaid_sh, clamped = shares, True
        else:
            repaid_sh = repaid_shares
            owed = repaid_shares * (total_assets + 1) // (total_shares + VIRTUAL_SHARES)
            seized = owed * incentive // WAD * ORACLE_SCALE // rate
        if repaid_sh > shares:
            return "market: repay exceeds debt"
        if seized > collateral:
            return "market: seize exceeds collateral"
        repaid = self.debt(repaid_sh, total_assets, total_shares)
        shares -= repaid_sh
        collateral -= seized
        total_assets -= self.burnt_value(repaid_sh, total_assets, total_shares)
        total_shares -= repaid_sh
        bad_shares, swept = 0, 0
        if shares:
            value = collateral * rate // ORACLE_SCALE
            if value < dust:
                swept, collateral, bad_shares = collateral, 0, shares
            else:
                left = self.debt(shares, total_assets, total_shares)
                if value < left:
                    # A unit past the shortfall, rounded up (ceil division).
                    shortfall = -(-(left - value + 1) * (total_shares + VIRTUAL_SHARES) // (total_assets + 1))
                    bad_shares = min(shortfall, shares)
        bad_assets = 0
        if bad_shares:
            bad_assets = self.burnt_value(bad_shares, total_assets, total_shares)
            shares -= bad_shares
        return {
            "result": (seized + swept, repaid),
            "swept": swept,
            "position": (collateral, shares),
            "bad_assets": bad_assets,
            "clamped": clamped,
        }

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

    @rule(
        who=actor_index,
        fraction=share_bps,
        by_seized=st.booleans(),
        leave=st.one_of(st.none(), st.integers(min_value=0, max_value=10**4)),
    )
    def liquidate(self, who: int, fraction: int, by_seized: bool, leave: int | None) -> None:
        """
        Liquidates the first unhealthy position; with none, tries borrower `who` and must be refused. With
        `leave`, seizes all the collateral but `leave` wei (dust at 18 decimals, not always at 6).
        """
        self.market.accrue_interest()
        if self.rate() > self.price():
            OUTCOMES["liquidate: rate above capped price"] += 1
        unhealthy = [b for b in self.borrowers if not self.healthy(b)]
        borrower = unhealthy[0] if unhealthy else self.borrowers[who]
        collateral, shares = self.market.positions(borrower)
        if shares == 0:
            return
        if by_seized and leave is not None:
            args = (max(collateral - leave, 1), 0)
        elif by_seized:
            args = (max(collateral * fraction // BPS, 1), 0)
        else:
            args = (0, max(shares * fraction // BPS, 1))
        if not unhealthy:
            _, reason = attempt(self.market.liquidate, borrower, *args, sender=self.liquidator)
            OUTCOMES[f"liquidate: {reason}"] += 1
            assert reason == "market: position is healthy"
            return
        self.liquidate_as_predicted(borrower, *args)

    def liquidate_as_predicted(self, borrower: str, seized_assets: int, repaid_shares: int) -> None:
        """Liquidates an unhealthy `borrower` (interest accrued) and checks every wei against the model."""
        rate, incentive = self.rate(), self.market.liquidation_incentive()
        supply_before, bad_before = self.totals()[0], self.market.bad_debt_total()
        expected = self.predict_liquidation(borrower, seized_assets, repaid_shares)
        lst_before = self.system.lst.balanceOf(self.liquidator)
        x_before = self.system.x.balanceOf(self.liquidator)
        result, reason = attempt(
            self.market.liquidate, borrower, seized_assets, repaid_shares, sender=self.liquidator
        )
        OUTCOMES[f"liquidate: {reason}"] += 1
        if isinstance(expected, str):
            # Asking for more than there is: the only other way an unhealthy liquidation may fail.
            assert reason == expected
            return
        assert reason is None and tuple(result) == expected["result"]
        seized, repaid = result
        assert self.system.lst.balanceOf(self.liquidator) - lst_before == seized
        assert x_before - self.system.x.balanceOf(self.liquidator) == repaid
        assert tuple(self.market.positions(borrower)) == expected["position"]
        # The liquidator gets collateral worth at most repaid x incentive, plus dust not worth keeping; when
        # a seize by amount repays the whole debt because it pays the seize within two units, two units more.
        paid = repaid + 2 if expected["clamped"] else repaid
        assert (seized - expected["swept"]) * rate * WAD <= paid * incentive * ORACLE_SCALE
        if expected["clamped"]:
            OUTCOMES["liquidate: whole debt repaid for a seize within two units"] += 1
        assert expected["swept"] * rate // ORACLE_SCALE < self.market.dust()
        # Lenders lose exactly the debt written off, nothing more.
        written_off = self.market.bad_debt_total() - bad_before
        assert written_off == expected["bad_assets"]
        assert supply_before - self.totals()[0] == written_off
        collateral, shares = self.market.positions(borrower)
        if expected["swept"]:
            OUTCOMES["liquidate: dust swept"] += 1
            assert (collateral, shares) == (0, 0)
        elif written_off:
            OUTCOMES["liquidate: shortfall written off"] += 1
        if shares:
            # No hidden shortfall is left behind: what is still owed is covered by what is still held.
            _, borrow_assets, total_shares, _ = self.totals()
            assert self.debt(shares, borrow_assets, total_shares) <= collateral * rate // ORACLE_SCALE

    def check_interest_over(self, seconds: int) -> None:
        """Interest over `seconds` is borrows x (e^(APR x t) - 1), the APR the rate model gives now."""
        self.market.accrue_interest()
        supply, borrow_assets, _, lender_shares = self.totals()
        if borrow_assets == 0:
            return
        apr = min(self.system.irm.borrow_apr(borrow_assets * WAD // supply), 10 * WAD)
        treasury = self.market.treasury()
        treasury_before = self.market.balanceOf(treasury)
        with self.chain.anchor():
            self.chain.time_travel(seconds)
            self.market.accrue_interest()
            supply_after, borrow_after, _, shares_after = self.totals()
            fee_shares = self.market.balanceOf(treasury) - treasury_before
            fee_value = self.market.convertToAssets(fee_shares)
        interest = borrow_after - borrow_assets
        expected = borrow_assets * math.expm1(apr * seconds / YEAR / WAD)
        # `wad_exp` is exact to a few wei of WAD, the exponent is floored, and the growth gets one wei more.
        assert abs(interest - expected) <= expected * 1e-12 + borrow_assets * 100 / WAD + 2
        # Lenders are owed exactly what borrowers owe more; the reserve share goes to the treasury.
        assert supply_after - supply == interest
        assert shares_after - lender_shares == fee_shares
        fee = interest * self.market.reserve_factor() // WAD
        assert fee_value <= fee and fee - fee_value <= fee // 10**6 + 2
        OUTCOMES["interest checked"] += 1

    # ------------------------------------------------------------ the world

    @rule(seconds=st.integers(min_value=1, max_value=120 * 86_400), snapshot=st.booleans())
    def warp(self, seconds: int, snapshot: bool) -> None:
        self.check_interest_over(seconds)
        self.chain.time_travel(seconds)
        if snapshot:
            self.oracle_snapshot()
        self.forget_prices()

    @rule()
    def sync_rewards(self) -> None:
        self.system.lst.sync_rewards()
        self.forget_prices()

    # Often more than the 1% between max LTV and LLTV, so that liquidations happen.
    @rule(bps=st.one_of(st.integers(min_value=1, max_value=500), st.integers(min_value=120, max_value=400)))
    def slash(self, bps: int) -> None:
        self.system.validator.slash(self.system.lst, bps, sender=self.system.owner)
        self.forget_prices()

    def oracle_snapshot(self) -> None:
        # Moves the cap's anchor to the cap (at most once a day): neither the price nor the rate moves.
        oracle = self.system.oracle
        before = (oracle.price(), oracle.rate(), oracle.cap())
        _, reason = attempt(oracle.update_snapshot)
        OUTCOMES[f"snapshot: {reason}"] += 1
        assert (oracle.price(), oracle.rate(), oracle.cap()) == before

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
        with self.chain.anchor():
            before = self.system.x.balanceOf(lender)
            self.market.withdraw(assets, sender=lender)
            assert self.system.x.balanceOf(lender) - before == assets

    @invariant()
    def healthy_positions_cannot_be_liquidated(self) -> None:
        with self.chain.anchor():
            self.market.accrue_interest()
            for borrower in self.borrowers:
                if self.market.positions(borrower)[1] == 0 or not self.healthy(borrower):
                    continue
                _, reason = attempt(self.market.liquidate, borrower, 0, 1, sender=self.liquidator)
                assert reason == "market: position is healthy"

    @invariant()
    def unhealthy_positions_liquidate_as_predicted(self) -> None:
        """Every unhealthy position, liquidated (then rolled back) by half its debt, all of it, or all its
        collateral but one wei (the dust rule), in turn with the step count."""
        kind = OUTCOMES["steps"] % 3
        with self.chain.anchor():
            self.market.accrue_interest()
            for borrower in self.borrowers:
                collateral, shares = self.market.positions(borrower)
                if shares == 0 or self.healthy(borrower):
                    continue
                with self.chain.anchor():
                    args = [(0, max(shares // 2, 1)), (0, shares), (max(collateral - 1, 1), 0)][kind]
                    self.liquidate_as_predicted(borrower, *args)

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
    # CI: 100 derandomized examples (reproducible, and the reach checks below cannot flake);
    # `make fuzz` sets LEVSTAKE_FUZZ_EXAMPLES for a long random run.
    examples = int(os.environ.get("LEVSTAKE_FUZZ_EXAMPLES", "0"))
    run_state_machine_as_test(
        lambda: MarketMachine(deployment),
        settings=settings(
            max_examples=examples or 100,
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
    assert OUTCOMES["interest checked"] > 0
    for outcome in ("liquidate: shortfall written off", "liquidate: dust swept"):
        assert OUTCOMES[outcome] > 0, outcome
