"""The floor `bench/gas.md` sets beside each row above its target: the refunds of the slots a transaction
clears come off it (at most a fifth of the gas before them, EIP-3529), and a target below its row's floor is
named as such (fewer calls cannot meet it) rather than as gas to cut."""

from __future__ import annotations

import copy

from levstake import gasreport


def floor(changed: dict[str, int], events: int = 0) -> dict[str, int]:
    return gasreport._floor(21_204, 2, changed, 3, {"LOG": events})


def test_cleared_slots_earn_their_refund_in_the_floor():
    found = floor({"cleared (x -> 0)": 4, "reset (x -> y)": 11}, events=10_792)
    gross = 21_204 + 2 * 2_600 + 15 * 5_000 + 3 * 2_100 + 10_792
    assert found["refunds of the slots it clears"] == -4 * 4_800
    assert found["floor"] == gross - 4 * 4_800


def test_the_refund_in_the_floor_is_capped_at_a_fifth():
    found = floor({"cleared (x -> 0)": 40})
    gross = 21_204 + 2 * 2_600 + 40 * 5_000 + 3 * 2_100
    assert found["refunds of the slots it clears"] == -(gross // 5)
    assert found["floor"] == gross - gross // 5


def test_slots_set_from_zero_cost_a_new_slot_and_earn_nothing():
    assert floor({"set (0 -> x)": 2})["floor"] == 21_204 + 2 * 2_600 + 2 * 22_100 + 3 * 2_100


RUN = {
    "rows": [
        {
            "section": "Staking",
            "action": "LST: request queued unstake (asks backend to unbond)",
            "gas": 282_422,
        },
        {"section": "Staking", "action": "LST: claim, funding the request behind it too", "gas": 129_320},
        {"section": "Staking", "action": "LST: transfer", "gas": 34_290},
    ],
    "floors": {
        "LST: request queued unstake (asks backend to unbond)": {
            "floor": 243_348,
            "refunds": 0,
            "slots set": 8,
            "slots changed": 13,
            "events": 8_560,
        },
        "LST: claim, funding the request behind it too": {
            "floor": 105_596,
            "refunds": 19_200,
            "slots set": 0,
            "slots changed": 15,
            "events": 10_792,
        },
    },
}


def test_a_target_below_the_floor_is_named_so():
    lines = gasreport.render_floors(RUN)
    request = next(line for line in lines if line.startswith("| LST: request queued"))
    claim = next(line for line in lines if line.startswith("| LST: claim"))
    assert request.endswith("| below the floor by 43,348 |")
    assert claim.endswith("| 9,320 to cut, 14,404 above the floor |")
    assert not any(line.startswith("| LST: transfer") for line in lines)


def test_no_floors_no_section():
    assert gasreport.render_floors({"rows": RUN["rows"]}) == []


def test_runs_whose_floors_differ_are_refused():
    other = copy.deepcopy(RUN)
    other["floors"]["LST: claim, funding the request behind it too"]["floor"] += 1
    assert gasreport.differences(RUN, other) == ["the floors of the rows above their target differ"]
