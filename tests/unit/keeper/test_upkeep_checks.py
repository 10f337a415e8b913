"""
Each upkeep check says a job is due exactly when running it would change something (so a keeper neither wastes
a transaction nor misses one): after random sequences of stakes, instant and queued exits, slashes, time and
syncs on revm, `check_sync_rewards` is due iff `sync_rewards` changes the LST's books, `check_rebalance` (with
no tolerance) iff `rebalance` moves X, and `check_oracle_snapshot` iff `update_snapshot` is accepted.
"""

from __future__ import annotations

import pytest
from boa_system import RevmChain, attempt, deploy_system
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from revm_reads import reader_of

from levstake.devnet import Clock, Upkeep
from levstake.keeper import jobs
from levstake.rpc import one_line

HOUR = 3_600
ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["stake", "exit", "queue", "wait", "sync", "rebalance", "slash"]),
        st.integers(1, 1_000),
    ),
    max_size=12,
)


@pytest.fixture(scope="module")
def keeper_world(decimals):
    system = deploy_system(decimals, RevmChain())
    staker = system.chain.generate_address("staker")
    system.mint_x(staker, system.units(10_000_000))
    system.x.approve(system.lst, 2**256 - 1, sender=system.owner)
    system.x.approve(system.lst, 2**256 - 1, sender=staker)
    system.lst.deposit(system.units(100_000), sender=staker)
    return system, staker, reader_of(system)


def act(system, staker, action: str, size: int) -> None:
    lst, units = system.lst, system.units
    if action == "stake":
        attempt(lst.deposit, units(size * 10), sender=staker)
    elif action == "exit":
        attempt(lst.redeem, lst.maxRedeem(staker) * size // 1_000, staker, staker, sender=staker)
    elif action == "queue":
        attempt(lst.request_unstake, lst.balanceOf(staker) * size // 20_000, sender=staker)
    elif action == "wait":
        system.chain.time_travel(size * HOUR)
    elif action == "sync":
        attempt(lst.sync_rewards)
    elif action == "rebalance":
        attempt(lst.rebalance)
    elif action == "slash":
        attempt(system.validator.slash, lst, size // 100 + 1, sender=system.owner)


def books(system) -> tuple:
    lst, validator = system.lst, system.validator
    return (
        lst.buffer(),
        lst.backend_accounted(),
        lst.stream_end(),
        lst.queue_head(),
        lst.loss_factor(),
        validator.unbonding_balance(lst),
        validator.staked_balance(lst),
    )


def assert_checks_match_the_jobs(system, reader) -> dict[str, bool]:
    """Run each job (undone afterwards) and compare with its check; returns which were due."""
    due_jobs = {}
    for name, run in (
        ("sync_rewards", system.lst.sync_rewards),
        ("rebalance", system.lst.rebalance),
        ("oracle_snapshot", system.oracle.update_snapshot),
    ):
        with system.chain.anchor():
            if name == "rebalance" and jobs.check_sync_rewards(jobs.read_upkeep(reader)):
                # As `run_upkeep` orders them: a pending loss (even of a wei, from the backend's rounding) is
                # applied by the sync first, which any call of the LST would otherwise do.
                system.lst.sync_rewards()
            state = jobs.read_upkeep(reader)
            check = jobs.JOBS[name][0]
            due = jobs.check_rebalance(state, tolerance_bps=0) if name == "rebalance" else check(state)
            before = books(system)
            _, reverted = attempt(run)
            if name == "oracle_snapshot":
                assert (due is not None) == (reverted is None), (name, due, reverted)
            else:
                assert (due is not None) == (reverted is None and books(system) != before), (name, due, state)
        due_jobs[name] = due is not None
    return due_jobs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_checks_are_due_exactly_when_the_job_changes_something(keeper_world, actions) -> None:
    system, staker, reader = keeper_world
    with system.chain.anchor():
        for action, size in actions:
            act(system, staker, action, size)
        assert_checks_match_the_jobs(system, reader)


def test_each_check_through_a_day_in_the_life_of_the_lst(keeper_world) -> None:
    """The states random sequences rarely reach, in order: a buffer above target, gains while the stream still
    runs (no sync), after it ends (sync), matured unbonding, a drained buffer, a slash."""
    system, staker, reader = keeper_world
    lst = system.lst
    with system.chain.anchor():
        assert assert_checks_match_the_jobs(system, reader)["rebalance"]  # the deposit sits in the buffer
        lst.rebalance()
        system.chain.time_travel(30 * HOUR)
        assert assert_checks_match_the_jobs(system, reader)["sync_rewards"]
        lst.sync_rewards()
        system.chain.time_travel(6 * HOUR)
        assert not assert_checks_match_the_jobs(system, reader)["sync_rewards"], "the stream still runs"
        lst.request_unstake(lst.balanceOf(staker) // 10, sender=staker)
        system.chain.time_travel(8 * 24 * HOUR)
        assert assert_checks_match_the_jobs(system, reader)["rebalance"], "matured unbonding waits"
        lst.rebalance()
        lst.redeem(lst.maxRedeem(staker), staker, staker, sender=staker)
        assert assert_checks_match_the_jobs(system, reader)["rebalance"], "the buffer is drained"
        lst.rebalance()
        system.validator.slash(lst, 50, False, sender=system.owner)
        assert assert_checks_match_the_jobs(system, reader)["sync_rewards"], "a loss to apply"


def test_the_tolerance_skips_only_small_buffer_moves(keeper_world) -> None:
    system, staker, reader = keeper_world
    with system.chain.anchor():
        system.lst.rebalance()
        system.lst.deposit(system.units(5), sender=staker)  # 5 X above a 10,000 X target: 0.05%
        state = jobs.read_upkeep(reader)
        assert jobs.check_rebalance(state, tolerance_bps=0) is not None
        assert jobs.check_rebalance(state) is None
        system.lst.deposit(system.units(500), sender=staker)
        assert jobs.check_rebalance(jobs.read_upkeep(reader)) == "the buffer holds more than its target"


def test_the_devnet_clock_runs_speed_days_per_hour() -> None:
    clock = Clock(speed=24, last=0.0)
    # 24 days an hour: each real second is 576 chain seconds, of which the wall clock adds one.
    assert clock.advance(10.0) == 5_750
    assert Clock(speed=0, last=0.0).advance(10.0) == 0
    assert Clock(speed=1 / 48, last=0.0).advance(10.0) == 0  # slower than real time: nothing to add


def test_a_failed_upkeep_round_is_one_line_and_the_devnet_stays_up() -> None:
    # A round that raises (a read timing out on a busy machine) used to stop the devnet and its anvil.
    rounds = iter([TimeoutError("read timed out"), TimeoutError("read timed out"), ["sent     sync_rewards"],
                   TimeoutError("read timed out")])  # fmt: skip

    def tick() -> list[str]:
        outcome = next(rounds)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    upkeep = Upkeep.__new__(Upkeep)  # no node: only the round's handling is under test
    upkeep.last_failure, upkeep.said = None, {}
    upkeep.tick = tick
    failed = "failed   upkeep round: TimeoutError: read timed out"
    assert upkeep.round() == [failed]
    assert upkeep.round() == []  # the same failure again: not repeated
    assert upkeep.round() == ["sent     sync_rewards"]
    assert upkeep.round() == [failed]  # after other lines, said again


def test_a_line_the_rounds_of_one_block_repeat_is_printed_once() -> None:
    """Rounds run every half second: the devnet printed 'skip block 287: liquidate ...: buffer too small' 23
    times a block (an operator's walkthrough: 556 of 591 lines were skips)."""
    skip = "skip     block 287: liquidate 0x9965...A4dc: liquidator: buffer too small"
    rounds = iter([[skip], [skip], [skip, "rebalance block 287: gas 73,689"], [skip.replace("287", "288")]])
    upkeep = Upkeep.__new__(Upkeep)
    upkeep.last_failure, upkeep.said = None, {}
    upkeep.tick = lambda: next(rounds)
    assert upkeep.round() == [skip]
    assert upkeep.round() == []
    assert upkeep.round() == ["rebalance block 287: gas 73,689"]
    assert upkeep.round() == [skip.replace("287", "288")]  # the next block's is said


def test_an_error_logs_as_its_kind_and_first_line_within_the_width() -> None:
    # A node's error can carry a traceback or a whole response: a log line keeps its first line, cut to width.
    error = ValueError("execution reverted: lst: paused\n  at 0x1234\n  {'data': '0x08c379a0...'}")
    assert one_line(error) == "ValueError: execution reverted: lst: paused"
    assert one_line(error, 20) == "ValueError: executio"
    assert one_line(RuntimeError()) == "RuntimeError: "


def test_no_sync_is_due_while_the_books_have_no_room_for_a_gain(keeper_world) -> None:
    """At the books' bound (buffer + accounted balance + the queue's reserve = 2^128 - 1 units) a sync counts
    no gain, whatever the backend earned: the check must not send it round after round."""
    system, staker, reader = keeper_world
    lst = system.lst
    with system.chain.anchor():
        room = lst.maxDeposit(staker)
        system.mint_x(staker, room)
        lst.deposit(room, sender=staker)
        assert lst.maxDeposit(staker) == 0
        lst.rebalance()
        system.chain.time_travel(30 * HOUR)
        state = jobs.read_upkeep(reader)
        assert state.backend_balance > state.backend_accounted  # the backend earned: uncounted rewards
        assert not assert_checks_match_the_jobs(system, reader)["sync_rewards"]
