"""Whole-system stateful fuzzing: LST, validator backend, two markets and the router under several actors.

Runs on revm (`revm_chain.py`): the same bytecode as the rest of the suite, executed natively. Run as a
script, one process per decimals of X (18 and 6) at once; `test_system_stateful.py` runs the CI profile
through it, `make fuzz` a long random run:

    python tests/fuzz/system_machine.py [--examples N | --steps N] [--decimals 18 6] [--random] [--profile F]

Rules: stake, instant and queued unstake (also a request claimed in the same block), claim, drain the
instant buffer, rebalance, sync rewards, slash (reported or not), oracle snapshot updates, lend, redeem,
borrow and repay directly, withdraw collateral, router open / adjust (also partial) / close (three modes) /
loop, liquidate (also all but dust), flash loan, donations, signed authorizations revoked before use, a
second factory market whose own rate model reverts, burns its gas or answers garbage, long and short time
warps. After every step the invariants of ../shared/DESIGN.md are checked from one read of the state:
1. LST: the value of all shares never exceeds the assets it accounts for, and its cash covers its books.
2. Markets: borrows <= books, idle books <= cash, borrow shares add up, and a rate model's failure never
   stops accrual.
3. After any action of a user, that user's position is within max LTV; liquidating a position with health
   >= 1 reverts.
4. The router holds no X, no LST and no market shares, and no allowance of its own survives a call.
5. Rounding favours the protocol: same-block round trips (stake -> unstake, lend -> redeem, open -> close,
   mint -> withdraw) never return more than was put in.
6. ERC-4626, both vaults (the LST and the default market's lender shares): every preview equals what the
   call then does in the same state, `max*` never overstates what succeeds, `convertTo*` round toward the
   vault.
7. The unstake queue (issue 26), with a keeper that calls `rebalance` and `sync_rewards` at least daily
   (`keep_time`), whatever instant exits, extra `rebalance` calls and requests larger than the stake happen:
   a. cover, after every step: for every unfunded request i, in FIFO order, the part of the buffer instant
      exits cannot take plus the backend's unbonding entries that mature by i's `ready_at` are worth at
      least the requests up to i (their value as the next call pays it), slashes (reported or not, with
      rewards the LST has not counted yet at the backend) included: no request is exempt;
   b. liveness, after every `rebalance`, `process_queue` and `claim` at time t: every request due by t is
      funded, unless that call funded its 64 requests or the backend still holds
      matured entries (it pays 32 per call);
   c. need, after every call that opens unbonding (`rebalance`, `request_unstake`, a close to the queue):
      the LST's unbonding at the backend is at most the queue's liability plus the buffer's target
      shortfall `max(0, target - buffer)`, exactly (the `min_request` threshold only defers the buffer's
      part, so no tolerance is needed); and no `rebalance` both unbonds and delegates.
8. Transient storage: a batching smart account (`MockBatcher`) makes two closes, or a close then an open,
   in one transaction; the batch must leave exactly the state the same calls leave one transaction each,
   each call must deliver what it delivers alone, and a close's `min_out` must count only what that close
   delivered (its exact value passes, one unit more reverts `router: slippage`).
9. and 10. The guard and the Liquidator (issue 29; invariants 6 and 7 of the design) with their users, a
   keeper and a liquidator as actors: `leverage_actors.py` says what each checks, and
   `check_machine_mutations.py` shows that each of those checks fails when what it guards is broken.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from boa_system import (
    MAX_UINT,
    ORACLE_SCALE,
    WAD,
    BoaSystem,
    assert_unbonding_within_need,
    attempt,
    deploy_system,
    largest_paid_withdraw,
    rebalance_checked,
)
from eth_account import Account
from eth_utils import keccak
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from leverage_actors import LeverageActors, LeverageWorld
from revm_chain import Contract, RevmChain

from levstake import lst_lens

ACTORS = 4
BPS = 10_000
STATS: Counter[str] = Counter()
INVARIANTS = 8
DAY = 86_400
# Requests one call funds, entries the backend pays per call (LiquidStaking.MAX_FUNDED_PER_CALL,
# SimulatedValidator.MAX_PAYOUTS_PER_CALL).
FUNDED_PER_CALL = 64
DEADLINE = 2**64
AUTHORIZATION_TYPEHASH = keccak(
    text="Authorization(address authorizer,address authorized,bool is_authorized,"
    "uint256 nonce,uint256 deadline)"
)
# Rate model modes of MockSwitchableRateModel: answers, reverts, burns all its gas, answers 16 bytes.
RATE_MODEL_MODES = 4
SECOND_MARKET_APR = 8 * WAD // 100

actor = st.integers(min_value=0, max_value=ACTORS - 1)
fraction = st.integers(min_value=1, max_value=BPS)
amount = st.one_of(st.integers(1, 1_000), st.integers(1, 10**6), st.just(1))
leverage = st.one_of(st.integers(1, 50), st.just(50))
which_market = st.integers(0, 1)


def outcome(function, *args, **kwargs) -> str | None:
    """Call; None on success, else the revert reason."""
    return attempt(function, *args, **kwargs)[1]


class Deployment:
    """The system, its second market and the funded actors; deployed once per process."""

    def __init__(self, decimals: int) -> None:
        self.chain = chain = RevmChain()
        self.system: BoaSystem = deploy_system(decimals, chain)
        s = self.system
        owner = s.owner
        self.flash_borrower = chain.deploy("mocks/MockFlashBorrower.vy", s.market, sender=owner)
        # A second market listed by the factory with a rate model of its own, which the fuzz makes misbehave.
        self.rate_model = chain.deploy("mocks/MockSwitchableRateModel.vy", SECOND_MARKET_APR, sender=owner)
        s.factory.enable_irm(self.rate_model, sender=owner)
        address = s.factory.create_market(
            s.x,
            s.lst,
            s.oracle,
            self.rate_model,
            s.market.max_ltv(),
            s.market.lltv(),
            0,
            "Second X lending",
            "lsX2",
            sender=owner,
        )
        self.markets = [s.market, chain.at("lending/LendingMarket.vy", address)]
        self.keys = [keccak(text=f"levstake fuzz actor {i}") for i in range(ACTORS)]
        self.actors = [Account.from_key(key).address for key in self.keys]
        for address in self.actors:
            chain.evm.set_balance(address, 10**24)
        self.liquidator = chain.generate_address("liquidator")
        units = s.units
        for user in [*self.actors, self.liquidator]:
            s.mint_x(user, units(10**9))
            s.x.approve(s.lst, MAX_UINT, sender=user)
            s.x.approve(s.router, MAX_UINT, sender=user)
            s.lst.approve(s.router, MAX_UINT, sender=user)
            for market in self.markets:
                s.x.approve(market, MAX_UINT, sender=user)
                s.lst.approve(market, MAX_UINT, sender=user)
                market.set_authorization(s.router, True, sender=user)
        # Liquidity and a staked base so that every path has something to work with.
        for user in self.actors:
            s.market.deposit(units(100_000), sender=user)
            self.markets[1].deposit(units(20_000), sender=user)
            s.lst.deposit(units(10_000), sender=user)
        s.lst.deposit(units(1_000_000), sender=self.liquidator)
        s.lst.rebalance()
        s.mint_x(self.flash_borrower.address, units(1_000))
        # A smart account that batches router calls in one transaction, with positions of its own.
        self.batcher = chain.deploy(
            "mocks/MockBatcher.vy",
            s.router,
            s.x,
            s.lst,
            [market.address for market in self.markets],
            sender=owner,
        )
        s.mint_x(self.batcher.address, units(10**9))
        # The guard, the Liquidator and a keeper without capital (9. and 10.: `leverage_actors.py`).
        self.leverage = LeverageWorld(self)


class SystemMachine(LeverageActors, RuleBasedStateMachine):
    def __init__(self, deployment: Deployment) -> None:
        super().__init__()
        d = deployment
        self.chain, self.system, self.actors, self.keys = d.chain, d.system, d.actors, d.keys
        self.liquidator, self.flash_borrower, self.rate_model = d.liquidator, d.flash_borrower, d.rate_model
        self.batcher = d.batcher
        s = self.system
        self.x, self.lst, self.router, self.oracle, self.validator = (
            s.x,
            s.lst,
            s.router,
            s.oracle,
            s.validator,
        )
        self.markets = d.markets
        self.market = d.markets[0]
        self.max_ltv = self.market.max_ltv()
        self.units = s.units
        self.one = 10**s.decimals
        self.holders = [*self.actors, self.liquidator]
        self.borrowers = [*self.actors, self.batcher.address]
        self.attach_leverage(d.leverage, STATS)
        # Queue checks (7.): caches of what never changes (a request's scaled amount and ready_at) or changes
        # only with a slash (a backend entry's amount).
        self.larger_than_stake: set[int] = set()
        self._requests: dict[int, int] = {}
        self._entries: dict[int, tuple[int, int]] = {}
        # Hypothesis checks the invariants once before the first rule, then after every rule.
        self._rules_run = -1
        self._anchor = self.chain.anchor()
        self._anchor.__enter__()

    def teardown(self) -> None:
        self._anchor.__exit__(None, None, None)

    # ------------------------------------------------------------ helpers

    def note(self, rule: str, reason: str | None) -> None:
        # Outcomes, not steps: the keeper rule notes two.
        STATS[f"{rule}: {reason or 'ok'}"] += 1

    def risk(self, market: Contract, user: str) -> tuple[int, int]:
        collateral, debt, _, _ = market.position(user)
        return collateral, debt

    def assert_not_left_above_max_ltv(self, market: Contract, user: str, before: tuple[int, int]) -> None:
        """
        Invariant 3 for one action of `user`: the position ends within max LTV, unless it was already above
        it (interest can push it there) and the action neither borrowed more nor took collateral out.
        """
        collateral, debt = self.risk(market, user)
        if debt * WAD <= collateral * self.oracle.price() // ORACLE_SCALE * self.max_ltv:
            return
        assert debt <= before[1] and collateral >= before[0], "an action left a position above max LTV"

    def act_within_max_ltv(self, rule: str, market: Contract, user: str, function, *args) -> str | None:
        """`user` calls `function`; invariant 3 is checked on the result, which is noted under `rule`."""
        before = self.risk(market, user)
        reason = outcome(function, *args, sender=user)
        self.assert_not_left_above_max_ltv(market, user, before)
        self.note(rule, reason)
        return reason

    # ------------------------------------------------------------ the queue (7.)

    def ready_at(self, request_id: int) -> int:
        """A request's `ready_at`: fixed at filing."""
        if request_id not in self._requests:
            self._requests[request_id] = self.lst.requests(request_id).ready_at
        return self._requests[request_id]

    def entries(self) -> list[tuple[int, int]]:
        """The backend's unbonding entries for the LST not yet paid out: (amount, ready_at)."""
        head, tail = self.validator.unbonding_head(self.lst), self.validator.unbonding_tail(self.lst)
        for index in range(head, tail):
            if index not in self._entries:
                self._entries[index] = tuple(self.validator.unbondings(self.lst, index))
        return [self._entries[index] for index in range(head, tail)]

    def queue_held(self) -> int:
        """X the buffer holds for the queue (the liability less the unbonding it counts on), after any pending
        loss as the next call applies it."""
        return self.lst.queue_cover()[1]

    def cover_shortfalls(self) -> dict[int, int]:
        """7a. For each unfunded request whose cover falls short: by how much. The cover of request i is the
        buffer instant exits cannot take plus the unbonding entries maturing by i's `ready_at`; it must be
        worth the requests up to i."""
        lst = self.lst
        head, end = lst.queue_head(), lst.next_request_id()
        if head == end:
            return {}
        protected = min(lst.buffer(), self.queue_held())
        entries = sorted(self.entries(), key=lambda entry: entry[1])
        shortfalls, owed, matured, index = {}, 0, protected, 0
        for request_id in range(head, end):
            ready_at = self.ready_at(request_id)
            # What is set aside already (a head funded in part) is in the reserve: only the rest needs cover.
            owed += lst.request_value(request_id) - lst.requests(request_id).paid
            while index < len(entries) and entries[index][1] <= ready_at:
                matured += entries[index][0]
                index += 1
            if matured < owed:
                shortfalls[request_id] = owed - matured
        return shortfalls

    def assert_due_requests_funded(self, head_before: int) -> None:
        """7b, after a call that pulls paybacks and funds due requests."""
        lst = self.lst
        head, end = lst.queue_head(), lst.next_request_id()
        STATS["requests funded by a pulling call"] += head - head_before
        if head - head_before >= FUNDED_PER_CALL or self.validator.withdrawable(lst) > 0:
            STATS["queue: a call hit its per-call bound"] += 1
            return
        now = self.chain.timestamp
        for request_id in range(head, end):
            if self.ready_at(request_id) > now:
                break
            raise AssertionError(f"request {request_id} is due and was not funded")

    def pulling(self, rule: str, function, *args, sender: str | None = None) -> str | None:
        """A call that pulls matured unbonding and funds due requests (`process_queue`, `claim`), then 7b."""
        head = self.lst.queue_head()
        result, reason = attempt(function, *args, sender=sender)
        if reason is None:
            self.assert_due_requests_funded(head)
        self.note(rule, reason)
        return reason if reason is not None else result

    def rebalance(self, rule: str) -> None:
        """`rebalance`, then 7b and 7c (`boa_system.rebalance_checked`: unbonding only for the need, and never
        both unbonding and delegating in one call)."""
        head = self.lst.queue_head()
        result, reason = attempt(rebalance_checked, self.system)
        self.note(rule, reason)
        if reason is None:
            self.assert_due_requests_funded(head)
            if result[1] > 0:
                STATS["queue: rebalance delegated"] += 1

    def queued(self) -> bool:
        return self.lst.queue_head() != self.lst.next_request_id()

    def file_request(self, rule: str, user: str, shares: int) -> tuple[int | None, str | None]:
        """`request_unstake`, then 7c if it opened unbonding; notes requests larger than the stake."""
        lst, validator = self.lst, self.validator
        entries, staked = validator.unbonding_tail(lst), validator.staked_balance(lst)
        carried = lst.free_unbonding()
        request_id, reason = attempt(lst.request_unstake, shares, sender=user)
        self.note(rule, reason)
        if reason is None:
            if lst.request_value(request_id) > staked:  # what it was filed for, at a factor of RAY
                STATS["queue: request larger than the stake"] += 1
                self.larger_than_stake.add(request_id)
            if validator.unbonding_tail(lst) > entries:
                assert_unbonding_within_need(self.system, carried)
        return request_id, reason

    @rule(share=fraction)
    def queue_most_of_the_lst(self, share: int) -> None:
        """The largest holder queues a large part of the LST: often more than the backend's stake, so the
        buffer must hold the rest for the request."""
        shares = self.lst.balanceOf(self.liquidator) * share // BPS
        if not shares:
            return self.note("queue_large", "none")
        self.file_request("queue_large", self.liquidator, shares)

    @rule(times=st.one_of(*[st.integers(2, 8)] * 7, st.just(60)))
    def rebalance_repeatedly(self, times: int) -> None:
        """Anybody calls `rebalance` many times in a row (the review's 60 calls an hour before `ready_at`)."""
        if self.queued():
            STATS["queue: repeated rebalances while requests wait"] += 1
            if any(request_id >= self.lst.queue_head() for request_id in self.larger_than_stake):
                STATS["queue: repeated rebalances while a request larger than the stake waits"] += 1
        for _ in range(times):
            self.rebalance("rebalance_repeated")

    @rule(share=fraction, times=st.integers(2, 8))
    def large_request_then_rebalances(self, share: int, times: int) -> None:
        """The two rules above back to back: a large request, then `rebalance` called repeatedly while it
        waits (the derandomized CI profile met a request larger than the stake waiting through repeated
        rebalances only twice per decimals, one rule added elsewhere from losing it)."""
        self.queue_most_of_the_lst(share)
        self.rebalance_repeatedly(times)

    @rule(days=st.integers(1, 8), hop=st.integers(8 * 3_600, DAY))
    def keep_time(self, days: int, hop: int) -> None:
        """Time passes with the keeper the README assumes: `rebalance` and `sync_rewards` at least daily."""
        end = self.chain.timestamp + days * DAY
        while self.chain.timestamp < end:
            self.chain.time_travel(min(hop, end - self.chain.timestamp))
            self.rebalance("keeper_rebalance")
            self.note("keeper_sync", outcome(self.lst.sync_rewards))

    # ------------------------------------------------------------ staking

    @rule(who=actor, size=amount)
    def stake(self, who: int, size: int) -> None:
        self.note("stake", outcome(self.lst.deposit, self.units(size), sender=self.actors[who]))

    @rule(who=actor, share=fraction)
    def instant_unstake(self, who: int, share: int) -> None:
        user = self.actors[who]
        shares = min(self.lst.balanceOf(user) * share // BPS, self.lst.maxRedeem(user))
        self.note("instant_unstake", outcome(self.lst.redeem, shares, sender=user) if shares else "none")

    @rule(who=st.integers(0, ACTORS))
    def drain_buffer(self, who: int) -> None:
        """A holder takes everything the instant buffer gives (the fee rises as it empties)."""
        user = self.holders[who]
        shares = self.lst.maxRedeem(user)
        reason = outcome(self.lst.redeem, shares, sender=user) if shares else "none"
        if reason is None and self.queued():
            STATS["queue: buffer drained while requests wait"] += 1
            # X that landed or that the buffer held for a filing is set aside at once (the reserve), which
            # instant exits cannot reach.
            if self.lst.queue_reserve() != 0:
                STATS["queue: buffer drained while X is set aside for the queue"] += 1
        self.note("drain_buffer", reason)

    @rule(keep=st.integers(1, 10**6), size=amount)
    def lst_near_empty(self, keep: int, size: int) -> None:
        """Every holder files queued unstakes for all but `keep` wei of its shares (and redeems what it can),
        leaving a near-empty LST with fees and losses in its books; a stake then loses at most one share's
        worth to rounding (the README's bound)."""
        for user in self.holders:
            shares = self.lst.balanceOf(user)
            if shares > keep:
                self.file_request("lst_near_empty_request", user, shares - keep)
            rest = self.lst.maxRedeem(user)
            if rest > 1:
                outcome(self.lst.redeem, rest - 1, sender=user)
        user = self.actors[3]
        # What one share costs to mint now (book value, rounded up): the most rounding can take.
        share_value = self.lst.previewMint(1)
        held = self.lst.balanceOf(user)
        assets = self.units(size)
        minted, reason = attempt(self.lst.deposit, assets, sender=user)
        if reason is None:
            assert self.lst.balanceOf(user) - held == minted
            # Valued as it was bought: at the book value (the stream it paid for unlocks to it).
            value = self.lst.book_value(minted)
            assert assets - value <= share_value + 1, f"a stake into a near-empty LST lost {assets - value}"
        self.note("lst_near_empty", reason)

    @rule(who=actor, share=fraction, claim_now=st.booleans())
    def queued_unstake(self, who: int, share: int, claim_now: bool) -> None:
        user = self.actors[who]
        shares = self.lst.balanceOf(user) * share // BPS
        if not shares:
            return self.note("queued_unstake", "none")
        request_id, reason = self.file_request("queued_unstake", user, shares)
        if reason is None and claim_now:
            # A request is never paid before it is due, whatever the buffer holds.
            paid = self.pulling("claim_same_block_call", self.lst.claim, request_id, sender=user)
            assert isinstance(paid, str) or paid == 0, "a request was paid in the block it was filed"
            self.note(
                "claim_same_block", paid if isinstance(paid, str) else ("unpaid" if paid == 0 else "paid")
            )

    @rule()
    def claim_oldest(self) -> None:
        head, count = self.lst.queue_head(), self.lst.next_request_id()
        for request_id in range(max(head - 1, 0), count):
            _, receiver, _, ready_at, _, claimed = self.lst.requests(request_id)
            # Funded (below the head), due and not claimed: `claim` pays it.
            if request_id < head and ready_at <= self.chain.timestamp and not claimed:
                if receiver == self.batcher.address:
                    paid = self.pulling(
                        "claim_call", self.batcher.claim, request_id, sender=self.system.owner
                    )
                else:
                    paid = self.pulling("claim_call", self.lst.claim, request_id, sender=receiver)
                return self.note("claim", paid if isinstance(paid, str) else ("paid" if paid else "unpaid"))
        self.note("claim", "none")

    @rule(size=amount)
    def stake_then_unstake_never_profits(self, size: int) -> None:
        user = self.actors[0]
        before = self.x.balanceOf(user)
        with self.chain.anchor():
            held = self.lst.balanceOf(user)
            if outcome(self.lst.deposit, self.units(size), sender=user) is None:
                minted = self.lst.balanceOf(user) - held
                outcome(self.lst.redeem, min(minted, self.lst.maxRedeem(user)), sender=user)
                assert self.x.balanceOf(user) <= before, "stake -> unstake paid out more than staked"
        self.note("stake_round_trip", None)

    @rule()
    def keeper(self) -> None:
        self.rebalance("rebalance")
        self.note("sync_rewards", outcome(self.lst.sync_rewards))

    @rule()
    def process_queue(self) -> None:
        self.pulling("process_queue", self.lst.process_queue)

    @rule(bps=st.integers(1, 300), reported=st.booleans())
    def slash(self, bps: int, reported: bool) -> None:
        # Unreported: nobody touches the LST until some later rule does (a lagged keeper).
        reason = outcome(self.validator.slash, self.lst, bps, reported, sender=self.system.owner)
        self.note("slash" if reported else "slash_unreported", reason)
        # The entries shrank (7a, checked after this step, then sees whether a request's cover shrank more
        # than the request did).
        self._entries.clear()
        if reason is None and self.queued():
            STATS["queue: slashes while requests wait"] += 1

    @rule()
    def update_snapshot(self) -> None:
        """Anyone may move the oracle's snapshot at any time; the cap never drops below where it was."""
        cap = self.oracle.cap()
        self.note("update_snapshot", outcome(self.oracle.update_snapshot))
        assert self.oracle.cap() >= cap, "a snapshot update lowered the oracle's cap"

    @rule(seconds=st.one_of(st.integers(1, 3_600), st.integers(1, 30 * 86_400), st.integers(1, 200 * 86_400)))
    def warp(self, seconds: int) -> None:
        self.chain.time_travel(seconds)
        self.note("warp", None)

    @rule(size=amount)
    def donate(self, size: int) -> None:
        # Donations to the LST and the market must move neither the LST's rate nor the market's books.
        rate, books = self.lst.convertToAssets(self.one), self.market.total_supply_assets()
        self.system.mint_x(self.lst.address, self.units(size))
        self.system.mint_x(self.market.address, self.units(size))
        assert self.lst.convertToAssets(self.one) == rate
        assert self.market.total_supply_assets() == books
        self.note("donate", None)

    # ------------------------------------------------------------ lending

    @rule(who=actor, size=amount, which=which_market)
    def lend(self, who: int, size: int, which: int) -> None:
        self.note("lend", outcome(self.markets[which].deposit, self.units(size), sender=self.actors[who]))

    @rule(who=actor, share=fraction, which=which_market)
    def redeem(self, who: int, share: int, which: int) -> None:
        user, market = self.actors[who], self.markets[which]
        shares = min(market.balanceOf(user) * share // BPS, market.maxRedeem(user))
        self.note("redeem", outcome(market.redeem, shares, sender=user) if shares else "none")

    @rule(size=amount)
    def lend_then_redeem_never_profits(self, size: int) -> None:
        user = self.actors[1]
        before = self.x.balanceOf(user)
        with self.chain.anchor():
            shares_before = self.market.balanceOf(user)
            if outcome(self.market.deposit, self.units(size), sender=user) is None:
                outcome(self.market.redeem, self.market.balanceOf(user) - shares_before, sender=user)
                assert self.x.balanceOf(user) <= before, "lend -> redeem paid out more than lent"
        self.note("lend_round_trip", None)

    @rule(who=actor, share=fraction)
    def borrow_directly(self, who: int, share: int) -> None:
        user = self.actors[who]
        before = self.risk(self.market, user)
        collateral = self.lst.balanceOf(user) * share // BPS
        if collateral:
            outcome(self.market.supply_collateral, collateral, user, b"", sender=user)
        held, debt = self.risk(self.market, user)
        room = held * self.oracle.price() // ORACLE_SCALE * self.max_ltv // WAD
        want = max(room - debt, 0) * st_fraction(share) // BPS + (1 if share % 7 == 0 else 0)
        reason = outcome(self.market.borrow, want, 0, user, user, sender=user) if want else "none"
        self.assert_not_left_above_max_ltv(self.market, user, before)
        self.note("borrow", reason)

    @rule(who=actor, share=fraction, which=which_market)
    def repay(self, who: int, share: int, which: int) -> None:
        user, market = self.actors[who], self.markets[which]
        shares = market.positions(user)[1]
        part = shares * share // BPS
        self.note("repay", outcome(market.repay, 0, part, user, b"", sender=user) if part else "none")

    @rule(who=actor, share=fraction)
    def withdraw_collateral(self, who: int, share: int) -> None:
        user = self.actors[who]
        collateral = self.market.positions(user)[0]
        part = collateral * share // BPS
        if part == 0:
            return self.note("withdraw_collateral", "none")
        self.act_within_max_ltv(
            "withdraw_collateral", self.market, user, self.market.withdraw_collateral, part, user, user
        )

    @rule(who=actor, share=fraction, which=which_market, dust=st.booleans())
    def liquidate(self, who: int, share: int, which: int, dust: bool) -> None:
        user, market = self.actors[who], self.markets[which]
        collateral, shares = market.positions(user)
        if shares == 0:
            return self.note("liquidate", "none")
        healthy = market.position(user)[3] >= WAD
        bad_debt = market.bad_debt_total()
        if dust and collateral > 1:
            # Seize all but one wei: what is left is dust, so the shortfall must be written off now.
            seized, repaid = collateral - 1, 0
        else:
            seized, repaid = 0, max(shares * share // BPS, 1)
        self.fund_liquidator(market, user)
        reason = outcome(market.liquidate, user, seized, repaid, sender=self.liquidator)
        if healthy:
            assert reason == "market: position is healthy", f"healthy position liquidated ({reason})"
        if reason is None:
            left, debt = market.positions(user)
            value = left * self.oracle.rate() // ORACLE_SCALE
            # Invariant 2: no liquidation leaves debt on dust, or on collateral worth less than the debt.
            assert debt == 0 or (value * 10_000 >= self.one and value >= market.position(user)[1]), (
                "a liquidation left bad debt on the books"
            )
            if market.bad_debt_total() > bad_debt:
                self.note("bad_debt_written_off", None)
        self.note("liquidate_dust" if dust else "liquidate", reason)

    @rule(size=amount)
    def flash_loan(self, size: int) -> None:
        supply = self.market.total_supply_assets()
        reason = outcome(self.market.flashLoan, self.flash_borrower, self.x, self.units(size), b"")
        assert self.market.total_supply_assets() >= supply
        self.note("flash_loan", reason)

    @rule(who=actor, operator=actor, revoke=st.booleans())
    def revoked_signature_is_dead(self, who: int, operator: int, revoke: bool) -> None:
        """A user signs an authorization for an operator, then revokes it (or voids her nonces) before it
        is submitted: the signature must not work afterwards."""
        user, spender = self.actors[who], self.actors[operator]
        nonce = self.market.authorization_nonce(user)
        deadline = self.chain.timestamp + 3_600
        struct_hash = keccak(
            AUTHORIZATION_TYPEHASH
            + bytes(12)
            + bytes.fromhex(user[2:])
            + bytes(12)
            + bytes.fromhex(spender[2:])
            + (1).to_bytes(32, "big")
            + nonce.to_bytes(32, "big")
            + deadline.to_bytes(32, "big")
        )
        digest = keccak(b"\x19\x01" + self.market.authorization_domain_separator() + struct_hash)
        signed = Account.unsafe_sign_hash(digest, self.keys[who])
        signature = (signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big"))
        if revoke:
            self.market.set_authorization(spender, False, sender=user)
        else:
            self.market.invalidate_nonce(sender=user)
        reason = outcome(
            self.market.set_authorization_with_sig,
            user,
            spender,
            True,
            nonce,
            deadline,
            *signature,
            sender=spender,
        )
        assert reason == "market: invalid nonce", f"a revoked signature was accepted ({reason})"
        assert user == spender or not self.market.is_authorized(user, spender)
        self.note("revoked_signature", reason)

    @rule(mode=st.integers(0, RATE_MODEL_MODES - 1))
    def rate_model_misbehaves(self, mode: int) -> None:
        """The second market's own rate model switches mode; accrual (so every exit) goes on regardless."""
        self.rate_model.set_mode(mode, sender=self.system.owner)
        reason = outcome(self.markets[1].accrue_interest)
        assert reason is None, f"a failing rate model froze the market ({reason})"
        self.note(f"rate_model_mode_{mode}", reason)

    # ------------------------------------------------------------ router

    @rule(who=actor, size=amount, lev=leverage, which=which_market)
    def router_open(self, who: int, size: int, lev: int, which: int) -> None:
        market = self.markets[which]
        self.act_within_max_ltv(
            "router_open",
            market,
            self.actors[who],
            self.router.open,
            market,
            self.units(size),
            lev * WAD,
            0,
            DEADLINE,
        )

    @rule(who=actor, lev=leverage, partial=st.booleans(), which=which_market)
    def router_adjust(self, who: int, lev: int, partial: bool, which: int) -> None:
        market = self.markets[which]
        empty_authorization = (0, 0, 0, b"\x00" * 32, b"\x00" * 32)
        # What the LST's instant room pays now: a partial step refuses only when it pays nothing.
        room_pays = self.lst.previewRedeem(self.lst.max_instant_redeem())
        reason = self.act_within_max_ltv(
            "router_adjust_partial" if partial else "router_adjust",
            market,
            self.actors[who],
            self.router.adjust,
            market,
            lev * WAD,
            0,
            DEADLINE,
            empty_authorization,
            partial,
        )
        if partial and room_pays != 0:
            # A partial step down never needs the buffer to cover all of it, only to pay something.
            assert reason != "router: buffer too small", "a partial adjust demanded the whole buffer"

    @rule(who=actor, mode=st.integers(0, 2), which=which_market)
    def router_close(self, who: int, mode: int, which: int) -> None:
        market = self.markets[which]
        entries, carried = self.validator.unbonding_tail(self.lst), self.lst.free_unbonding()
        reason = outcome(self.router.close, market, 0, DEADLINE, mode, sender=self.actors[who])
        if reason is None and self.validator.unbonding_tail(self.lst) > entries:
            assert_unbonding_within_need(self.system, carried)
        self.note(f"router_close_{mode}", reason)

    # ------------------------------------------------------------ one transaction, many router calls (8.)

    @rule(size=amount, lev=leverage, which=which_market)
    def batcher_opens(self, size: int, lev: int, which: int) -> None:
        """The batching account opens (or adds to) a position of its own."""
        call = (True, self.markets[which].address, self.units(size), lev * WAD, 0, 0)
        self.note("batcher_open", outcome(self.batcher.run, [call], DEADLINE, sender=self.system.owner))

    def batcher_holds(self, market: Contract, size: int, lev: int) -> None:
        """The batching account opens a position on `market` first if it has none."""
        if market.positions(self.batcher.address)[0] == 0:
            self.batcher_opens(size, lev, self.markets.index(market))

    @rule(first=st.integers(0, 2), second=st.integers(0, 2), size=amount, lev=leverage)
    def batched_closes(self, first: int, second: int, size: int, lev: int) -> None:
        """Two closes in one transaction: the second market's position, then the default market's."""
        for market in self.markets:
            self.batcher_holds(market, size, lev)
        calls = [self.close_call(self.markets[1], first), self.close_call(self.markets[0], second)]
        self.batch(f"batch_close{first}_close{second}", calls)

    @rule(mode=st.integers(0, 2), closed=which_market, opened=which_market, size=amount, lev=leverage)
    def batched_close_then_open(self, mode: int, closed: int, opened: int, size: int, lev: int) -> None:
        self.batcher_holds(self.markets[closed], size, lev)
        calls = [
            self.close_call(self.markets[closed], mode),
            (True, self.markets[opened].address, self.units(size), lev * WAD, 0, 0),
        ]
        self.batch(f"batch_close{mode}_open", calls)

    @staticmethod
    def close_call(market: Contract, mode: int, min_out: int = 0) -> tuple:
        return (False, market.address, 0, 0, min_out, mode)

    def batch_state(self) -> tuple:
        user, lst = self.batcher.address, self.lst
        return (
            tuple(market.positions(user) for market in self.markets),
            self.x.balanceOf(user),
            lst.balanceOf(user),
            lst.next_request_id(),
            lst.buffer(),
            lst_lens.queue_liability(lst),
            lst.totalSupply(),
            self.validator.unbonding_balance(lst),
        )

    def delivered(self, index: int) -> tuple[int, int, int]:
        batcher = self.batcher
        return batcher.x_out(index), batcher.lst_out_value(index), batcher.queued_out(index)

    def batch(self, rule: str, calls: list[tuple]) -> None:
        """8.: the calls in one transaction against the same calls one transaction each."""
        run, owner = self.batcher.run, self.system.owner
        with self.chain.anchor():
            alone, failure = [], None
            for call in calls:
                failure = outcome(run, [call], DEADLINE, sender=owner)
                if failure is not None:
                    break
                alone.append(self.delivered(0))
            separate = self.batch_state()
        with self.chain.anchor():
            reason = outcome(run, calls, DEADLINE, sender=owner)
            together = self.batch_state()
            delivered = [self.delivered(index) for index in range(len(calls))] if reason is None else []
        if failure is not None:
            assert reason == failure, f"a batch failed with {reason!r}, its calls one by one with {failure!r}"
        else:
            assert reason is None, f"a batch failed ({reason}) where its calls one by one did not"
            assert together == separate, "a batch left another state than its calls one transaction each"
            assert delivered == alone, "a call in a batch delivered another amount than alone"
            last = calls[-1]
            if not last[0]:
                # The last close's min_out counts exactly what it delivered: not one unit of another close.
                value = sum(delivered[-1])
                for bound, expected in ((value, None), (value + 1, "router: slippage")):
                    with self.chain.anchor():
                        bounded = [*calls[:-1], (False, last[1], 0, 0, bound, last[5])]
                        got = outcome(run, bounded, DEADLINE, sender=owner)
                        assert got == expected, f"a batched close with min_out {bound} of {value}: {got!r}"
                if any(not call[0] and call[5] == 2 for call in calls[:-1]):
                    STATS["batch: close after a queued close, min_out checked"] += 1
        self.note(rule, outcome(run, calls, DEADLINE, sender=owner))

    @rule(who=actor, size=amount, steps=st.integers(1, 5))
    def router_loop(self, who: int, size: int, steps: int) -> None:
        # The loop prices each round's shares from one `share_prices` read; a deposit minting other shares
        # would mean that pricing drifted from the LST's.
        reason = self.act_within_max_ltv(
            "router_loop",
            self.market,
            self.actors[who],
            self.router.loop,
            self.market,
            self.units(size),
            steps,
            0,
            DEADLINE,
        )
        assert reason != "router: unexpected shares", "a loop's deposit minted other shares than it priced"

    @rule(size=amount, lev=leverage)
    def open_then_close_never_profits(self, size: int, lev: int) -> None:
        user = self.actors[2]
        with self.chain.anchor():
            if self.market.positions(user)[0] == 0:
                before = self.x.balanceOf(user)
                opened = outcome(
                    self.router.open, self.market, self.units(size), lev * WAD, 0, DEADLINE, sender=user
                )
                if opened is None:
                    outcome(self.router.close, self.market, 0, DEADLINE, 0, sender=user)
                    assert self.x.balanceOf(user) <= before, "open -> close paid out more than put in"
        self.note("open_round_trip", None)

    # ------------------------------------------------------------ ERC-4626 (invariant 6)

    @rule(who=actor, size=amount, share=fraction, vault=st.integers(0, 1))
    def erc4626_previews_are_exact(self, who: int, size: int, share: int, vault: int) -> None:
        """In one state: each preview equals what its call does, each max* call succeeds, and the
        conversions and round trips favour the vault."""
        user = self.actors[who]
        token = self.lst if vault == 0 else self.market
        name = "lst" if vault == 0 else "market"
        assets = self.units(size)
        shares = token.convertToShares(assets)
        assert token.convertToAssets(shares) <= assets, f"{name}: convertTo* round toward the user"
        assert token.convertToShares(token.convertToAssets(shares)) <= shares
        held = token.balanceOf(user)
        with self.chain.anchor():
            preview = token.previewDeposit(assets)
            minted, reason = attempt(token.deposit, assets, sender=user)
            if reason is None:
                assert minted == preview, f"{name}: deposit minted {minted}, previewed {preview}"
                # Deposit -> redeem in one block never returns more than was put in.
                back, redeemed = attempt(token.redeem, minted, sender=user)
                assert redeemed is not None or back <= assets, f"{name}: deposit -> redeem gained"
        with self.chain.anchor():
            want = max(shares, 1)
            preview = token.previewMint(want)
            paid, reason = attempt(token.mint, want, sender=user)
            if reason is None:
                assert paid == preview, f"{name}: mint took {paid}, previewed {preview}"
                burned, withdrew = attempt(token.withdraw, paid, sender=user)
                assert withdrew is not None or burned >= want, f"{name}: mint -> withdraw gained"
        part = held * share // BPS
        if part:
            with self.chain.anchor():
                preview = token.previewRedeem(part)
                got, reason = attempt(token.redeem, part, sender=user)
                assert reason is not None or got == preview, f"{name}: redeem paid {got}, previewed {preview}"
            with self.chain.anchor():
                wanted = token.convertToAssets(part) // 2
                if wanted:
                    preview = token.previewWithdraw(wanted)
                    burned, reason = attempt(token.withdraw, wanted, sender=user)
                    assert reason is not None or burned == preview, (
                        f"{name}: withdraw burned {burned} != {preview}"
                    )
        for limit, call in (("maxRedeem", token.redeem), ("maxWithdraw", token.withdraw)):
            most = getattr(token, limit)(user)
            if most:
                with self.chain.anchor():
                    reason = outcome(call, most, sender=user)
                    assert reason is None, f"{name}: a call of its {limit} failed ({reason})"
        if vault == 0 and held:
            # `maxWithdraw` is a lower bound; `withdraw` takes the largest X whose `previewWithdraw` fits the
            # balance (within the buffer's instant worth, which the router and the Liquidator check).
            room = token.convertToAssets(token.max_instant_redeem())
            paid = largest_paid_withdraw(
                token, held, min(room, token.convertToAssets(held)), token.maxWithdraw(user)
            )
            if paid:
                with self.chain.anchor():
                    burned, reason = attempt(token.withdraw, paid, sender=user)
                    assert reason is None, f"lst: a withdraw the balance pays failed ({reason})"
                    assert burned <= held, f"lst: withdraw burned {burned} of a balance of {held}"
        most = min(token.maxDeposit(user), self.x.balanceOf(user))
        if most:
            with self.chain.anchor():
                reason = outcome(token.deposit, most, sender=user)
                assert reason is None, f"{name}: deposit within maxDeposit failed ({reason})"
        self.note(f"erc4626_{name}", None)

    # ------------------------------------------------------------ invariants (one read per step)

    @invariant()
    def invariants(self) -> None:
        lst, x = self.lst, self.x
        # 1. LST: shares are worth at most the accounted assets; cash covers the buffer and the queue reserve.
        total_assets = lst.totalAssets()
        assert lst.convertToAssets(lst.totalSupply()) <= total_assets
        assert x.balanceOf(lst) >= lst.buffer() + lst.queue_reserve()
        router = self.router.address
        for market in self.markets:
            # 2. Markets: idle books <= cash; borrow shares add up.
            supply_assets, borrow_assets = market.total_supply_assets(), market.total_borrow_assets()
            assert borrow_assets <= supply_assets
            assert x.balanceOf(market) >= supply_assets - borrow_assets
            borrow_shares = sum(market.positions(user)[1] for user in self.borrowers)
            assert borrow_shares == market.total_borrow_shares()
            # 4. The router keeps no market shares and leaves no allowance on the market behind.
            assert market.balanceOf(router) == 0
            assert x.allowance(router, market) == lst.allowance(router, market) == 0
        # 4. The router keeps nothing.
        assert x.balanceOf(router) == lst.balanceOf(router) == 0
        assert x.allowance(router, lst) == 0
        # 7a. Every unfunded request is covered by its ready_at (7b, 7c and 8. are asserted inside the rules,
        # 3., 5. and 6. too).
        for request_id, short in self.cover_shortfalls().items():
            raise AssertionError(f"request {request_id}'s cover is short by {short} of its ready_at")
        STATS["invariant checks"] += INVARIANTS
        self._rules_run += 1
        STATS["steps"] += min(self._rules_run, 1)


def st_fraction(share: int) -> int:
    """Borrow sizes cluster at the limit: from share 9,000 up, ask for 99-101% of the room."""
    return share if share < 9_000 else 9_900 + share % 201


STEPS_PER_EXAMPLE = 100
# CI: 130 derandomized examples per decimals, ~90 steps each (some end early): ~23,000 steps in all, the
# issue's floor being 20,000.
CI_EXAMPLES = 130
# Paths a run must reach, or it proves little.
MUST_REACH = (
    "router_open: ok",
    "router_adjust: ok",
    "router_close_0: ok",
    "router_close_2: ok",
    "router_loop: ok",
    "borrow: ok",
    "queued_unstake: ok",
    "claim: paid",
    "flash_loan: ok",
    "liquidate: market: position is healthy",
    "drain_buffer: ok",
    "revoked_signature: market: invalid nonce",
    "rate_model_mode_1: ok",
    "erc4626_lst: ok",
    "erc4626_market: ok",
    # The queue's scenarios (issue 26) and the transient-storage batches.
    "keeper_rebalance: ok",
    "queue: request larger than the stake",
    "queue: repeated rebalances while a request larger than the stake waits",
    "queue: buffer drained while X is set aside for the queue",
    "queue: slashes while requests wait",
    "requests funded by a pulling call",
    "batch: close after a queued close, min_out checked",
    "batch_close2_open: ok",
    # The guard, the Liquidator and the keeper (issue 29, `leverage_actors.py`).
    "guard_set: ok",
    "guard_set: guard: target not above the floor",
    "guard: protected on the health trigger",
    "guard: protected on the carry trigger",
    "protect_anyone: guard: no trigger holds",
    "protect_after_revoke: guard: not guarded",
    "protect_after_revoke: guard: not authorized",
    "keeper_protect: ok",
    "liquidator: ok",
    "keeper_liquidate: ok",
    "keeper_liquidate_direct: ok",
    "keeper: liquidated a watched position without bad debt",
)


def run(
    decimals: int, examples: int, derandomize: bool, progress_every: int = 0, min_steps: int = 0
) -> dict[str, float]:
    """
    Run the machine in this process; returns the counters (steps, invariant checks, per rule outcome).
    A random run goes on with more examples until `min_steps` steps ran (some examples end early).
    """
    STATS.clear()
    deployment = Deployment(decimals)
    started = time.monotonic()
    runs = 0

    class Machine(SystemMachine):
        def teardown(self) -> None:
            nonlocal runs
            super().teardown()
            runs += 1
            if progress_every and runs % progress_every == 0:
                seconds = time.monotonic() - started
                print(
                    f"x{decimals}: {runs:,} examples, {STATS['steps']:,} steps, {seconds:.0f} s", flush=True
                )

    batch = examples
    while True:
        run_state_machine_as_test(
            lambda: Machine(deployment),
            settings=settings(
                max_examples=batch,
                stateful_step_count=STEPS_PER_EXAMPLE,
                deadline=None,
                derandomize=derandomize,
                database=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
        missing = min_steps - STATS["steps"]
        if derandomize or missing <= 0:
            break
        batch = missing // STEPS_PER_EXAMPLE + 1
    return {**STATS, "seconds": time.monotonic() - started}


def summary(stats: Counter[str] | dict[str, float], seconds: float) -> str:
    # A violation raises, so a finished run has none.
    return (
        f"steps run {stats['steps']:,}, invariant checks {stats['invariant checks']:,}, violations 0, "
        f"{seconds:.0f} s ({stats['steps'] / seconds:.0f} steps/s)"
    )


def run_in_parallel(
    decimals: list[int], examples: int, derandomize: bool, stream: bool = False, steps: int = 0
) -> dict[int, dict[str, float]]:
    """
    Run one process per decimals at once (`steps`, if given, instead of `examples`); returns each one's
    counters. Raises AssertionError with the process's output (hypothesis's falsifying example) if any of
    them found a violation.
    """
    with tempfile.TemporaryDirectory() as folder:
        processes = {}
        for count in decimals:
            log = None if stream else open(Path(folder) / f"x{count}.log", "w+")  # noqa: SIM115
            command = [
                sys.executable,
                __file__,
                "--child",
                "--decimals",
                str(count),
                *(["--steps", str(steps)] if steps else ["--examples", str(examples)]),
            ]
            command += ["--json", str(Path(folder) / f"x{count}.json")] + (
                ["--random"] if not derandomize else []
            )
            processes[count] = (subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT), log)
        results, failures = {}, []
        for count, (process, log) in processes.items():
            if process.wait() != 0:
                output = ""
                if log is not None:
                    log.seek(0)
                    output = log.read()[-20_000:]
                failures.append(f"x{count} exited {process.returncode}:\n{output}")
                continue
            results[count] = json.loads((Path(folder) / f"x{count}.json").read_text())
    assert not failures, "\n".join(failures)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--decimals", type=int, nargs="+", default=[18, 6])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--examples", type=int, help=f"examples of {STEPS_PER_EXAMPLE} steps per decimals")
    size.add_argument("--steps", type=int, help="steps per decimals (a random run goes on until reached)")
    parser.add_argument("--random", action="store_true", help="random instead of derandomized examples")
    parser.add_argument(
        "--profile", help="run one process under cProfile and print its top costs to this file"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    examples = args.examples or (max(args.steps // STEPS_PER_EXAMPLE, 1) if args.steps else CI_EXAMPLES)
    if args.profile:
        profiler = cProfile.Profile()
        stats = profiler.runcall(run, args.decimals[0], examples, not args.random, 0, args.steps or 0)
        with open(args.profile, "w") as out:
            out.write(summary(stats, stats["seconds"]) + "\n")
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(summary(stats, stats["seconds"]))
        return
    if args.child:
        stats = run(
            args.decimals[0],
            examples,
            derandomize=not args.random,
            progress_every=max(examples // 20, 1),
            min_steps=args.steps or 0,
        )
        Path(args.json).write_text(json.dumps(stats))
        return
    results = run_in_parallel(
        args.decimals, examples, derandomize=not args.random, stream=True, steps=args.steps or 0
    )
    for count, stats in results.items():
        print(f"system x{count}: {summary(stats, stats['seconds'])}")
        print(f"system x{count} counters: {json.dumps(dict(sorted(stats.items())))}")
        missing = [path for path in MUST_REACH if not stats.get(path)]
        if missing:
            print(f"system x{count}: never reached {missing}")


if __name__ == "__main__":
    main()
