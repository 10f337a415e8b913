"""CI profile of the whole-system stateful fuzz (`system_machine.py`): X with 18 and 6 decimals at once."""

from __future__ import annotations

from system_machine import CI_EXAMPLES, MUST_REACH, STEPS_PER_EXAMPLE, run_in_parallel, summary


def test_system_keeps_invariants_under_random_use() -> None:
    # Derandomized so that CI is reproducible; `make fuzz` runs random and long.
    results = run_in_parallel([18, 6], CI_EXAMPLES, derandomize=True)
    for decimals, stats in results.items():
        print(f"\nsystem x{decimals}: {summary(stats, stats['seconds'])}")
        print({key: value for key, value in sorted(stats.items())})
        assert stats["steps"] >= CI_EXAMPLES * STEPS_PER_EXAMPLE // 2
        assert stats["seconds"] < 180, "the CI profile of the system fuzz must stay under 3 minutes"
        for path in MUST_REACH:
            assert stats.get(path), f"x{decimals} never reached {path}"
    assert sum(stats["steps"] for stats in results.values()) >= 20_000
