"""The floor `bench/gas.md` sets beside each row above its target: the refunds of the slots a transaction
clears come off it (at most a fifth of the gas before them, EIP-3529), and a target below its row's floor is
named as such (fewer calls cannot meet it) rather than as gas to cut."""

from __future__ import annotations

import copy
from collections import Counter

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
            "backend": 61_800,
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
    # Below the floor only with the devnet backend's part, which a real chain's backend replaces: said so.
    assert request.endswith("| below the floor by 43,348 (not without the devnet backend's part: 181,548) |")
    assert claim.endswith("| 9,320 to cut, 14,404 above the floor |")
    assert not any(line.startswith("| LST: transfer") for line in lines)


def test_no_floors_no_section():
    assert gasreport.render_floors({"rows": RUN["rows"]}) == []


def test_runs_whose_floors_differ_are_refused():
    other = copy.deepcopy(RUN)
    other["floors"]["LST: claim, funding the request behind it too"]["floor"] += 1
    assert gasreport.differences(RUN, other) == ["the floors of the rows above their target differ"]


def test_the_devnet_backends_part_of_a_floor_is_its_entry_slots_events_and_refunds() -> None:
    backend, lst = "0x" + "bb" * 20, "0x" + "aa" * 20
    changed = {backend: {"0x1": "set (0 -> x)", "0x2": "reset (x -> y)", "0x3": "cleared (x -> 0)"}}
    read_only = {(backend, "0x4"), (lst, "0x5")}
    part = gasreport._floor_apart(backend, lst, {lst, backend}, changed, read_only, Counter({backend: 1_000}))
    assert part == 2_600 + 22_100 + 2 * 5_000 - 4_800 + 2_100 + 1_000
    assert gasreport._floor_apart(None, lst, {lst}, changed, read_only, Counter()) == 0
    # The transaction's own target is entered with the transaction: no cold entry counted for it.
    assert gasreport._floor_apart(lst, lst, {lst}, {}, read_only, Counter()) == 2_100
