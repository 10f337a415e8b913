"""
Replays a printed hypothesis program of the whole-system machine (`system_machine.py`), step by step, and
stops at the first step that fails: `python tests/fuzz/replay.py PROGRAM DECIMALS`. The programs of the
failures left open are kept in `tests/fuzz/known_failures/` (README, Known gaps), those fixed in
`tests/fuzz/regressions/` (replayed by `test_fixed_failures_replay_clean.py`).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import system_machine as sm  # noqa: E402
from boa_system import WAD  # noqa: E402


def replay(program: str, decimals: int) -> int:
    state = sm.SystemMachine(sm.Deployment(decimals))
    lines = [line for line in program.splitlines() if line.strip() and "teardown" not in line]
    for number, line in enumerate(lines):
        # `invariants` is a hypothesis invariant: called through the class, not the instance.
        line = line.replace("state.invariants()", "SM.invariants(state)")
        try:
            exec(line, {"state": state, "WAD": WAD, "SM": sm.SystemMachine})
        except Exception as error:  # noqa: BLE001 - a replay reports whatever the step raised
            print(f"step {number}: {line}\n  -> {type(error).__name__}: {error}")
            return 1
    print("replayed", len(lines), "lines without failure")
    return 0


if __name__ == "__main__":
    sys.exit(replay(Path(sys.argv[1]).read_text(), int(sys.argv[2])))
