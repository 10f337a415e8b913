"""Whole-system stateful fuzzing: LST, validator backend, market and router under several actors at once.

Run as a script, one process per decimals of X (18 and 6) at once: py-evm is CPU-bound and single-threaded,
so two processes halve the wall time on a 2-core machine. `test_system_stateful.py` runs the CI profile
through it; `make fuzz` a long random run:

    python tests/fuzz/system_machine.py [--examples N | --steps N] [--decimals 18 6] [--random]

Rules: stake, instant and queued unstake, claim, rebalance, sync rewards, fund rewards, slash, lend, redeem,
borrow and repay directly, router open / adjust / close / loop, liquidate, flash loan, time warp. After every
step the five invariants of ../shared/DESIGN.md are checked, mostly from storage reads (cheap enough for the
20k-step CI profile):
1. LST: the value of all shares never exceeds the assets it accounts for, and its cash covers its books.
2. Market: idle books <= cash (so cash + borrows >= lender assets), lender shares and borrow shares add up,
   sum of debts <= total borrows.
3. After any action of a user, that user's position is within max LTV; liquidating a position with health >= 1
   reverts.
4. The router holds no X, no LST and no market shares.
5. Rounding favours the protocol: same-block round trips (stake -> unstake, lend -> redeem, open -> close)
   never return more than was put in.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import boa
from boa_system import MAX_UINT, ORACLE_SCALE, WAD, BoaSystem, attempt, deploy_system, deployer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

ACTORS = 4
BPS = 10_000
STATS: Counter[str] = Counter()
INVARIANTS = 5

actor = st.integers(min_value=0, max_value=ACTORS - 1)
fraction = st.integers(min_value=1, max_value=BPS)
amount = st.one_of(st.integers(1, 1_000), st.integers(1, 10**6), st.just(1))
leverage = st.one_of(st.integers(1, 50), st.just(50))


def outcome(function, *args, **kwargs) -> str | None:
    """Call; None on success, else the revert reason."""
    return attempt(function, *args, **kwargs)[1]


def funded(decimals: int) -> tuple[BoaSystem, list[str], str, object]:
    system = deploy_system(decimals)
    actors = [boa.env.generate_address(f"actor{i}") for i in range(ACTORS)]
    liquidator = boa.env.generate_address("liquidator")
    with boa.env.prank(system.owner):
        borrower = deployer("mocks/MockFlashBorrower.vy").deploy(system.market)
    for user in [*actors, liquidator]:
        system.mint_x(user, system.units(10**9))
        for spender in (system.market, system.lst, system.router):
            system.x.approve(spender, MAX_UINT, sender=user)
        system.lst.approve(system.market, MAX_UINT, sender=user)
        system.lst.approve(system.router, MAX_UINT, sender=user)
        system.market.set_authorization(system.router, True, sender=user)
    # Liquidity and a staked base so that every path has something to work with.
    for user in actors:
        system.market.deposit(system.units(100_000), sender=user)
        system.lst.deposit(system.units(10_000), sender=user)
    system.lst.deposit(system.units(1_000_000), sender=liquidator)
    system.lst.rebalance()
    system.mint_x(borrower.address, system.units(1_000))
    return system, actors, liquidator, borrower


class SystemMachine(RuleBasedStateMachine):
    def __init__(self, deployment) -> None:
        super().__init__()
        self.system, self.actors, self.liquidator, self.flash_borrower = deployment
        s = self.system
        self.x, self.lst, self.market, self.router, self.oracle = s.x, s.lst, s.market, s.router, s.oracle
        self.max_ltv = s.market.max_ltv()
        self.units = s.units
        # Hypothesis checks the invariants once before the first rule, then after every rule.
        self._rules_run = -1
        self._anchor = boa.env.anchor()
        self._anchor.__enter__()

    def teardown(self) -> None:
        self._anchor.__exit__(None, None, None)

    # ------------------------------------------------------------ helpers

    def note(self, rule: str, reason: str | None) -> None:
        # Outcomes, not steps: the keeper rule notes two.
        STATS[f"{rule}: {reason or 'ok'}"] += 1

    def risk(self, user: str) -> tuple[int, int]:
        collateral, debt, _, _ = self.market.position(user)
        return collateral, debt

    def assert_not_left_above_max_ltv(self, user: str, before: tuple[int, int]) -> None:
        """
        Invariant 3 for one action of `user`: the position ends within max LTV, unless it was already above
        it (interest can push it there) and the action neither borrowed more nor took collateral out.
        """
        collateral, debt = self.risk(user)
        if debt * WAD <= collateral * self.oracle.price() // ORACLE_SCALE * self.max_ltv:
            return
        assert debt <= before[1] and collateral >= before[0], "an action left a position above max LTV"

    def act_within_max_ltv(self, rule: str, user: str, function, *args) -> None:
        """`user` calls `function`; invariant 3 is checked on the result, which is noted under `rule`."""
        before = self.risk(user)
        reason = outcome(function, *args, sender=user)
        self.assert_not_left_above_max_ltv(user, before)
        self.note(rule, reason)

    # ------------------------------------------------------------ staking

    @rule(who=actor, size=amount)
    def stake(self, who: int, size: int) -> None:
        self.note("stake", outcome(self.lst.deposit, self.units(size), sender=self.actors[who]))

    @rule(who=actor, share=fraction)
    def instant_unstake(self, who: int, share: int) -> None:
        user = self.actors[who]
        shares = self.lst.balanceOf(user) * share // BPS
        self.note("instant_unstake", outcome(self.lst.redeem, shares, sender=user) if shares else "none")

    @rule(who=actor, share=fraction)
    def queued_unstake(self, who: int, share: int) -> None:
        user = self.actors[who]
        shares = self.lst.balanceOf(user) * share // BPS
        self.note(
            "queued_unstake", outcome(self.lst.request_unstake, shares, sender=user) if shares else "none"
        )

    @rule()
    def claim_oldest(self) -> None:
        count = self.lst.next_request_id()
        reason = "none"
        for request_id in range(count):
            if self.lst.is_claimable(request_id):
                reason = outcome(self.lst.claim, request_id)
                break
        self.note("claim", reason)

    @rule(size=amount)
    def stake_then_unstake_never_profits(self, size: int) -> None:
        user = self.actors[0]
        before = self.x.balanceOf(user)
        with boa.env.anchor():
            held = self.lst.balanceOf(user)
            if outcome(self.lst.deposit, self.units(size), sender=user) is None:
                minted = self.lst.balanceOf(user) - held
                outcome(self.lst.redeem, min(minted, self.lst.maxRedeem(user)), sender=user)
                assert self.x.balanceOf(user) <= before, "stake -> unstake paid out more than staked"
        self.note("stake_round_trip", None)

    @rule()
    def keeper(self) -> None:
        self.note("rebalance", outcome(self.lst.rebalance))
        self.note("sync_rewards", outcome(self.lst.sync_rewards))

    @rule(bps=st.integers(1, 300))
    def slash(self, bps: int) -> None:
        self.note("slash", outcome(self.system.validator.slash, self.lst, bps, sender=self.system.owner))
        outcome(self.lst.sync_rewards)

    @rule(seconds=st.one_of(st.integers(1, 3_600), st.integers(1, 30 * 86_400)))
    def warp(self, seconds: int) -> None:
        boa.env.time_travel(seconds=seconds)
        self.note("warp", None)

    @rule(size=amount)
    def donate(self, size: int) -> None:
        # Donations to the LST and the market must move neither the LST's rate nor the market's books.
        rate, books = self.lst.convertToAssets(10**self.system.decimals), self.market.total_supply_assets()
        self.system.mint_x(self.lst.address, self.units(size))
        self.system.mint_x(self.market.address, self.units(size))
        assert self.lst.convertToAssets(10**self.system.decimals) == rate
        assert self.market.total_supply_assets() == books
        self.note("donate", None)

    # ------------------------------------------------------------ lending

    @rule(who=actor, size=amount)
    def lend(self, who: int, size: int) -> None:
        self.note("lend", outcome(self.market.deposit, self.units(size), sender=self.actors[who]))

    @rule(who=actor, share=fraction)
    def redeem(self, who: int, share: int) -> None:
        user = self.actors[who]
        shares = min(self.market.balanceOf(user) * share // BPS, self.market.maxRedeem(user))
        self.note("redeem", outcome(self.market.redeem, shares, sender=user) if shares else "none")

    @rule(size=amount)
    def lend_then_redeem_never_profits(self, size: int) -> None:
        user = self.actors[1]
        before = self.x.balanceOf(user)
        with boa.env.anchor():
            shares_before = self.market.balanceOf(user)
            if outcome(self.market.deposit, self.units(size), sender=user) is None:
                outcome(self.market.redeem, self.market.balanceOf(user) - shares_before, sender=user)
                assert self.x.balanceOf(user) <= before, "lend -> redeem paid out more than lent"
        self.note("lend_round_trip", None)

    @rule(who=actor, share=fraction)
    def borrow_directly(self, who: int, share: int) -> None:
        user = self.actors[who]
        before = self.risk(user)
        collateral = self.lst.balanceOf(user) * share // BPS
        if collateral:
            outcome(self.market.supply_collateral, collateral, user, sender=user)
        held, debt, _, _ = self.market.position(user)
        room = held * self.oracle.price() // ORACLE_SCALE * self.max_ltv // WAD
        want = max(room - debt, 0) * st_fraction(share) // BPS + (1 if share % 7 == 0 else 0)
        reason = outcome(self.market.borrow, want, 0, user, user, sender=user) if want else "none"
        self.assert_not_left_above_max_ltv(user, before)
        self.note("borrow", reason)

    @rule(who=actor, share=fraction)
    def repay(self, who: int, share: int) -> None:
        user = self.actors[who]
        _, shares = self.market.positions(user)
        part = shares * share // BPS
        self.note("repay", outcome(self.market.repay, 0, part, user, sender=user) if part else "none")

    @rule(who=actor, share=fraction)
    def withdraw_collateral(self, who: int, share: int) -> None:
        user = self.actors[who]
        collateral, _ = self.market.positions(user)
        part = collateral * share // BPS
        if part == 0:
            return self.note("withdraw_collateral", "none")
        self.act_within_max_ltv(
            "withdraw_collateral", user, self.market.withdraw_collateral, part, user, user
        )

    @rule(who=actor, share=fraction)
    def liquidate(self, who: int, share: int) -> None:
        user = self.actors[who]
        _, shares = self.market.positions(user)
        if shares == 0:
            return self.note("liquidate", "none")
        healthy = self.market.position(user)[3] >= WAD
        reason = outcome(
            self.market.liquidate, user, 0, max(shares * share // BPS, 1), sender=self.liquidator
        )
        if healthy:
            assert reason == "market: position is healthy", f"healthy position liquidated ({reason})"
        self.note("liquidate", reason)

    @rule(size=amount)
    def flash_loan(self, size: int) -> None:
        supply = self.market.total_supply_assets()
        reason = outcome(self.market.flashLoan, self.flash_borrower, self.x, self.units(size), b"")
        assert self.market.total_supply_assets() >= supply
        self.note("flash_loan", reason)

    # ------------------------------------------------------------ router

    @rule(who=actor, size=amount, lev=leverage)
    def router_open(self, who: int, size: int, lev: int) -> None:
        self.act_within_max_ltv(
            "router_open",
            self.actors[who],
            self.router.open,
            self.market,
            self.units(size),
            lev * WAD,
            0,
            2**64,
        )

    @rule(who=actor, lev=leverage)
    def router_adjust(self, who: int, lev: int) -> None:
        self.act_within_max_ltv(
            "router_adjust", self.actors[who], self.router.adjust, self.market, lev * WAD, 0, 2**64
        )

    @rule(who=actor, to_lst=st.booleans())
    def router_close(self, who: int, to_lst: bool) -> None:
        self.note(
            "router_close", outcome(self.router.close, self.market, 0, 2**64, to_lst, sender=self.actors[who])
        )

    @rule(who=actor, size=amount, steps=st.integers(1, 5))
    def router_loop(self, who: int, size: int, steps: int) -> None:
        self.act_within_max_ltv(
            "router_loop", self.actors[who], self.router.loop, self.market, self.units(size), steps, 0, 2**64
        )

    @rule(size=amount, lev=leverage)
    def open_then_close_never_profits(self, size: int, lev: int) -> None:
        user = self.actors[2]
        with boa.env.anchor():
            if self.market.positions(user)[0] == 0:
                before = self.x.balanceOf(user)
                if (
                    outcome(self.router.open, self.market, self.units(size), lev * WAD, 0, 2**64, sender=user)
                    is None
                ):
                    outcome(self.router.close, self.market, 0, 2**64, sender=user)
                    assert self.x.balanceOf(user) <= before, "open -> close paid out more than put in"
        self.note("open_round_trip", None)

    # ------------------------------------------------------------ invariants (storage reads)

    @invariant()
    def invariants(self) -> None:
        # Token balances live in snekmate's erc20 module, which boa's storage view does not reach: calls.
        lst, market = self.lst._storage, self.market._storage
        # 1. LST: shares are worth at most the accounted assets; cash covers the buffer and the queue reserve.
        supply = self.lst.totalSupply()
        total_assets = self.lst.totalAssets()
        assert self.lst.convertToAssets(supply) <= total_assets
        assert self.x.balanceOf(self.lst) >= lst.buffer.get() + lst.queue_reserve.get()
        # 2. Market: idle books <= cash; shares add up; debts within total borrows.
        supply_assets, borrow_assets = market.total_supply_assets.get(), market.total_borrow_assets.get()
        assert borrow_assets <= supply_assets
        assert self.x.balanceOf(self.market) >= supply_assets - borrow_assets
        positions = market.positions.get()
        borrow_shares = sum(position.get("borrow_shares", 0) for position in positions.values())
        assert borrow_shares == market.total_borrow_shares.get()
        # 3. is asserted inside the rules (after each user's action); 4. the router keeps nothing.
        router = self.router.address
        assert self.x.balanceOf(router) == self.lst.balanceOf(router) == self.market.balanceOf(router) == 0
        # 5. (round trips) is asserted inside the rules; here: the market's X covers its books to the wei.
        STATS["invariant checks"] += INVARIANTS
        self._rules_run += 1
        STATS["steps"] += min(self._rules_run, 1)


def st_fraction(share: int) -> int:
    """Borrow sizes cluster at the limit: from share 9,000 up, ask for 99-101% of the room."""
    return share if share < 9_000 else 9_900 + share % 201


STEPS_PER_EXAMPLE = 100
# CI: 120 derandomized examples per decimals, ~11,000 steps each (some end early): 20k+ in all.
CI_EXAMPLES = 120
# Paths a run must reach, or it proves little.
MUST_REACH = (
    "router_open: ok",
    "router_adjust: ok",
    "router_close: ok",
    "router_loop: ok",
    "borrow: ok",
    "queued_unstake: ok",
    "flash_loan: ok",
    "liquidate: market: position is healthy",
)


def run(
    decimals: int, examples: int, derandomize: bool, progress_every: int = 0, min_steps: int = 0
) -> dict[str, float]:
    """
    Run the machine in this process; returns the counters (steps, invariant checks, per rule outcome).
    A random run goes on with more examples until `min_steps` steps ran (some examples end early).
    """
    STATS.clear()
    deployment = funded(decimals)
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
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    examples = args.examples or (max(args.steps // STEPS_PER_EXAMPLE, 1) if args.steps else CI_EXAMPLES)
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
        missing = [path for path in MUST_REACH if not stats.get(path)]
        if missing:
            print(f"system x{count}: never reached {missing}")


if __name__ == "__main__":
    main()
