"""
The whole-system machine's failing programs whose cause was fixed, replayed step by step (`replay.py`): each
failed on the code before its fix at the step named, and must not fail again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from replay import replay

REGRESSIONS = Path(__file__).parent / "regressions"
# Program -> (decimals, the step it failed at before the fix, what failed).
FIXED = {
    "guard_missed_target_900x_x6.program": (6, 147, "protect refused a ~900x position: missed the target"),
    "guard_missed_target_46x_x6.program": (6, 173, "protect refused a 46x position: missed the target"),
    "guard_status_within_tolerance_of_target_x18.program": (
        18, 7, "the machine expected a carry trigger on a position within the tolerance of its 2x target",
    ),
    "keeper_round_last_borrow_share_written_off_x6.program": (
        6, 23, "the virtual shares' part, written off as a watched liquidation burnt the last borrow share",
    ),
    "keeper_watched_liquidation_left_bad_debt_x6.program": (
        6, 159, "a rate model's new answer re-priced 117 idle days: bad debt after a keeper round",
    ),
    "liquidator_compared_with_an_unfunded_direct_liquidation_x6.program": (
        6, 95, "the direct liquidation the quote is compared with could not pay 1.38 billion X of debt",
    ),
}  # fmt: skip


def test_every_kept_program_is_listed() -> None:
    assert sorted(path.name for path in REGRESSIONS.glob("*.program")) == sorted(FIXED)


@pytest.mark.parametrize("name", sorted(FIXED))
def test_a_fixed_failure_replays_clean(name: str) -> None:
    decimals, step, what = FIXED[name]
    assert replay((REGRESSIONS / name).read_text(), decimals) == 0, f"step {step} fails again: {what}"
