"""`make bench` writes bench/gas.md only when its two runs agree: a run differing on one row, or in the traced
open's breakdown, is refused (exit 1, nothing written)."""

from __future__ import annotations

import copy
import json

from levstake import gasreport

RUN = {
    "commit": "abc1234",
    "clock": {"start": 2_000_000_000, "interval": 12},
    "rows": [
        {"section": "Leverage router", "action": "Router: open 50x", "gas": 318_592, "note": "50.000000x"},
        {"section": "Lending market", "action": "Market: borrow (first)", "gas": 169_667, "note": ""},
    ],
    "breakdown": {},
    "bytecode": {},
}


def test_one_row_off_by_one_gas_is_reported(tmp_path):
    other = copy.deepcopy(RUN)
    other["rows"][1]["gas"] += 1
    assert gasreport.differences(RUN, other) == ["Market: borrow (first): 169667 vs 169668"]
    assert gasreport.differences(RUN, copy.deepcopy(RUN)) == []


def test_differing_runs_write_nothing(tmp_path):
    first, second, out = tmp_path / "1.json", tmp_path / "2.json", tmp_path / "gas.md"
    other = copy.deepcopy(RUN)
    other["breakdown"] = {"external_calls": 50}
    first.write_text(json.dumps(RUN))
    second.write_text(json.dumps(other))
    assert gasreport.main([str(first), str(second), "--write", str(out)]) == 1
    assert not out.exists()
