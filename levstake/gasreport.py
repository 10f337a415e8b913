"""
The gas benchmark's report: targets from issue 30, the breakdown of one traced transaction, the comparison of
two runs and `bench/gas.md`. Pure Python over the JSON `levstake.gasbench` writes (no chain, no Ape).

    python -m levstake.gasreport RUN1.json RUN2.json --write bench/gas.md

exits 1 and writes nothing when the two runs differ on any row or in the breakdown.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BLUEPRINT_LIMIT = 24_576  # EIP-170: a blueprint's code (preamble + the market's initcode) is deployed code
TX_BASE = 21_000
COLD_ACCOUNT = 2_600
COLD_SLOAD = 2_100
WARM = 100
SSTORE_SET = 20_000
SSTORE_RESET = 2_900
SSTORE_CLEARS_REFUND = 4_800  # EIP-3529: a slot set to zero from the value it held before the transaction
CALLS = {"CALL", "STATICCALL", "DELEGATECALL", "CALLCODE"}
# Account-touching opcodes other than calls (their first touch of an address is cold).
ACCOUNT_OPS = {"BALANCE", "EXTCODESIZE", "EXTCODECOPY", "EXTCODEHASH"}
# SSTORE costs that include the cold surcharge (EIP-2929): set, reset, no-op.
COLD_SSTORE = {SSTORE_SET + COLD_SLOAD, SSTORE_RESET + COLD_SLOAD, WARM + COLD_SLOAD}


@dataclass(frozen=True)
class Target:
    gas: int
    source: str


ISSUE = "issue 30 target"
OPEN = Target(200_000, f"{ISSUE} (Morpho Blue + helper 215,409, quoted)")
# Targets the issue states; rows it names without a target carry the best figure it quotes instead.
TARGETS: dict[str, Target] = {
    **{f"Router: open {n}x": OPEN for n in (2, 5, 10, 25, 50)},
    "Router: open 50x from a fresh wallet (permit + authorization)": Target(270_000, ISSUE),
    "Market: borrow (first)": Target(130_000, f"{ISSUE} (Accumulated 105,968, quoted)"),
    "Market: repay by assets": Target(104_863, "Morpho Blue, quoted in issue 30 (no target)"),
    "Market: withdraw_collateral": Target(118_773, "Accumulated, quoted in issue 30 (no target)"),
    "Market: liquidate half the debt (30x after a 3% slash), direct": Target(140_000, ISSUE),
    "Liquidator: liquidate half the debt (capital-free, seized LST unstaked)": Target(
        140_000, f"{ISSUE} (market's)"
    ),
    "Router: loop, per step (50 steps - 10 steps) / 40": Target(45_000, f"{ISSUE} (Accumulated ~40,900)"),
    "Router: loop 10 steps": Target(576_696, "Accumulated, quoted in issue 30 (no target)"),
    "Router: loop 50 steps": Target(2_213_532, "Accumulated, quoted in issue 30 (no target)"),
    "LST: instant unstake (withdraw assets)": Target(100_000, ISSUE),
    "LST: instant unstake (redeem shares)": Target(100_000, ISSUE),
    "LST: request queued unstake (asks backend to unbond)": Target(200_000, ISSUE),
    "LST: request queued unstake, the queue emptied by earlier claims": Target(200_000, ISSUE),
    "LST: claim, the queue emptied by earlier claims": Target(120_000, ISSUE),
    "LST: claim (pulls backend payback, funds queue)": Target(120_000, ISSUE),
    "LST: request queued unstake, another request waiting": Target(200_000, ISSUE),
    "LST: claim, funding the request behind it too": Target(120_000, ISSUE),
    "Market: accrue_interest (1 day)": Target(60_000, ISSUE),
}


# ---------------------------------------------------------------- the breakdown of one transaction


def _flatten(frame: dict[str, Any], depth: int = 0) -> list[tuple[int, dict[str, Any]]]:
    found = [(depth, frame)]
    for child in frame.get("calls", []) or []:
        found += _flatten(child, depth + 1)
    return found


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def breakdown(
    call_trace: dict[str, Any],
    struct_logs: list[dict[str, Any]],
    diff: dict[str, Any],
    tx_input: str,
    gas_used: int,
    names: dict[str, str],
    selectors: dict[str, str],
    apart: str | None = None,
) -> dict[str, Any]:
    """
    Calls, storage and events of one transaction from anvil's call tracer (`call_trace`), its struct logger
    (`struct_logs`, stack on) and its prestate tracer in diff mode (`diff`); `names` maps lower-case addresses
    to contract names, `selectors` 0x-selectors to function names.
    """

    def name(address: str) -> str:
        return names.get(address.lower(), address)

    def function(data: str) -> str:
        return selectors.get(data[:10].lower(), data[:10] or "(none)")

    frames = _flatten(call_trace)
    sender, entry = call_trace["from"].lower(), call_trace["to"].lower()
    calls = Counter(
        f"{frame['type']} {name(frame['to'])}.{function(frame.get('input', ''))}"
        for depth, frame in frames
        if depth
    )
    inclusive: dict[str, list[int]] = {}
    for depth, frame in frames:
        if depth:
            label = f"{name(frame['to'])}.{function(frame.get('input', ''))}"
            inclusive.setdefault(label, []).append(_int(frame["gasUsed"]))
    # Gas of the calls after the first to the same function: what reading it once would save at most.
    repeated = {
        label: {"times": len(gas), "first": gas[0], "later": sum(gas[1:])}
        for label, gas in sorted(inclusive.items(), key=lambda item: -sum(item[1][1:]))
        if len(gas) > 1
    }
    calldata = bytes.fromhex(tx_input[2:])
    intrinsic = TX_BASE + sum(16 if byte else 4 for byte in calldata)
    # The refund counter at the end, capped at a fifth of the gas before it (EIP-3529).
    counted = _int(struct_logs[-1].get("refund", 0)) if struct_logs else 0
    refund = min(counted, (gas_used + counted) // 5)
    own_gas: Counter[str] = Counter()
    own_by_function: Counter[str] = Counter()
    for depth, frame in frames:
        children = sum(_int(child["gasUsed"]) for child in frame.get("calls", []) or [])
        # The top frame's gasUsed is the receipt's: intrinsic gas in, refund out.
        top = refund - intrinsic if depth == 0 else 0
        own_gas[name(frame["to"])] += _int(frame["gasUsed"]) - children + top
        own_by_function[f"{name(frame['to'])}.{function(frame.get('input', ''))}"] += (
            _int(frame["gasUsed"]) - children + top
        )

    # The struct logger gives no addresses: follow the call stack by depth (a call's target is on its stack).
    contexts = [entry]
    touched = {sender, entry}
    cold_accounts = 0
    reads: Counter[str] = Counter()
    writes: Counter[str] = Counter()
    read_by: Counter[str] = Counter()
    slots_read: set[tuple[str, str]] = set()
    slots_written: set[tuple[str, str]] = set()
    logs: Counter[str] = Counter()
    log_gas: Counter[str] = Counter()
    by_op: Counter[str] = Counter()
    compute: Counter[str] = Counter()
    for index, step in enumerate(struct_logs):
        depth, op, cost, stack = step["depth"], step["op"], _int(step["gasCost"]), step.get("stack") or []
        del contexts[depth:]
        here = contexts[-1]
        if op in CALLS or op in ACCOUNT_OPS:
            target = "0x" + hex(_int(stack[-2] if op in CALLS else stack[-1]))[2:].zfill(40)[-40:]
            if target not in touched and _int(target) > 0x11:  # precompiles are warm
                touched.add(target)
                cold_accounts += 1
            if op in CALLS:
                entered = index + 1 < len(struct_logs) and struct_logs[index + 1]["depth"] == depth + 1
                if entered:
                    contexts.append(here if op in {"DELEGATECALL", "CALLCODE"} else target)
                continue  # its gasCost includes the gas it forwards
        by_op[_category(op)] += cost
        if _category(op) in {"other opcodes", "memory"}:
            compute[name(here)] += cost
        if op == "SLOAD":
            reads["cold" if cost >= COLD_SLOAD else "warm"] += 1
            read_by[here] += 1
            slots_read.add((here, hex(_int(stack[-1]))))
        elif op == "SSTORE":
            writes[_sstore_kind(cost)] += 1
            slots_written.add((here, hex(_int(stack[-1]))))
        elif op.startswith("LOG"):
            logs[f"{name(here)}: {op}"] += 1
            log_gas[here] += cost

    changed = _changed_slots(diff)
    changed_by = _changed_by_address(diff)
    read_only = slots_read - slots_written
    floor = _floor(intrinsic, len(touched) - 2, changed, len(read_only), by_op)
    storage = {
        name(address): {
            "SLOADs": read_by[address],
            "distinct slots read": sum(1 for owner, _ in slots_read if owner == address),
            "read only": sum(1 for owner, _ in read_only if owner == address),
            "written": sum(1 for owner, _ in slots_written if owner == address),
            "changed at the end": len(changed_by.get(address, {})),
        }
        for address in sorted({owner for owner, _ in slots_read | slots_written})
    }
    return {
        "gas_used": gas_used,
        "intrinsic": intrinsic,
        "external_calls": sum(calls.values()),
        "calls": dict(sorted(calls.items(), key=lambda item: (-item[1], item[0]))),
        "repeated": repeated,
        "own_gas": dict(own_gas.most_common()),
        "own_by_function": dict(own_by_function.most_common()),
        "compute": dict(compute.most_common()),
        "contracts_touched": len(touched) - 2,
        "cold_accounts": cold_accounts,
        "sloads": dict(reads),
        "distinct_slots_read": len(slots_read),
        "sstores": dict(writes),
        "distinct_slots_written": len(slots_written),
        "changed_slots": changed,
        "refund": refund,
        "storage_by_contract": storage,
        "events": dict(sorted(logs.items())),
        "by_op": dict(by_op.most_common()),
        "floor": floor,
        # The floor's part in the contract at `apart` (the devnet's backend, which a real chain replaces).
        "floor_apart": _floor_apart(apart, entry, touched, changed_by, read_only, log_gas),
    }


def _category(op: str) -> str:
    if op in {"SLOAD", "SSTORE", "KECCAK256"} or op.startswith("LOG"):
        return "LOG" if op.startswith("LOG") else op
    if op in {"TLOAD", "TSTORE"}:
        return "TLOAD/TSTORE"
    if op.startswith(("MLOAD", "MSTORE", "MCOPY", "CALLDATACOPY", "RETURNDATACOPY", "CODECOPY")):
        return "memory"
    return "other opcodes"


def _changed_by_address(diff: dict[str, Any]) -> dict[str, dict[str, str]]:
    """{address: {slot: kind}} of the storage the transaction changed (0 -> x, x -> y, x -> 0)."""
    found: dict[str, dict[str, str]] = {}
    pre, post = diff.get("pre", {}), diff.get("post", {})
    for address in pre.keys() | post.keys():
        before = (pre.get(address) or {}).get("storage") or {}
        after = (post.get(address) or {}).get("storage") or {}
        kinds = {}
        for slot in before.keys() | after.keys():
            old = _int(before.get(slot, "0x0"))
            # Diff mode leaves out of `post` a slot that became zero.
            new = _int(after.get(slot, "0x0")) if address in post else old
            if old != new:
                kinds[slot] = (
                    "set (0 -> x)" if old == 0 else ("cleared (x -> 0)" if new == 0 else "reset (x -> y)")
                )
        if kinds:
            found[address.lower()] = kinds
    return found


def _changed_slots(diff: dict[str, Any]) -> dict[str, int]:
    """How many storage slots the transaction changed, by kind."""
    kinds = Counter(kind for slots in _changed_by_address(diff).values() for kind in slots.values())
    return dict(sorted(kinds.items()))


def _sstore_kind(cost: int) -> str:
    cold = cost in COLD_SSTORE
    base = cost - COLD_SLOAD if cold else cost
    kind = {SSTORE_SET: "0 -> x", SSTORE_RESET: "x -> y, first write"}.get(base, "rewrite or no-op")
    return f"{kind} ({base:,}{' + 2,100 cold' if cold else ''})"


def _floor(
    intrinsic: int,
    contracts: int,
    changed: dict[str, int],
    read_only: int,
    by_op: dict[str, int],
) -> dict[str, int]:
    """
    The least a transaction doing the same work can cost: every contract it touches entered once (cold), every
    slot it changes written once (cold), every other slot it reads read once (cold), the same events at their
    measured cost, no other computation, and the refunds the slots it clears earn (at most a fifth of the gas
    before them, EIP-3529). A lower bound, not a design: it ignores the calls' own overhead beyond the cold
    access. A slot set and cleared within the transaction changes nothing and is not counted.
    """
    writes = changed.get("set (0 -> x)", 0) * (SSTORE_SET + COLD_SLOAD) + (
        changed.get("reset (x -> y)", 0) + changed.get("cleared (x -> 0)", 0)
    ) * (SSTORE_RESET + COLD_SLOAD)
    parts = {
        "intrinsic + calldata": intrinsic,
        "contracts entered once, cold": contracts * COLD_ACCOUNT,
        "changed slots written once, cold": writes,
        "other slots read once, cold": read_only * COLD_SLOAD,
        "events as emitted": by_op.get("LOG", 0),
    }
    gross = sum(parts.values())
    parts["refunds of the slots it clears"] = -min(
        changed.get("cleared (x -> 0)", 0) * SSTORE_CLEARS_REFUND, gross // 5
    )
    parts["floor"] = gross + parts["refunds of the slots it clears"]
    return parts


def _floor_apart(
    apart: str | None,
    entry: str,
    touched: set[str],
    changed_by: dict[str, dict[str, str]],
    read_only: set[tuple[str, str]],
    log_gas: Counter[str],
) -> int:
    """`_floor`'s parts that belong to one contract: entering it, its slots, its events, its refunds."""
    if apart is None:
        return 0
    address = apart.lower()
    kinds = Counter(changed_by.get(address, {}).values())
    entered = COLD_ACCOUNT if address in touched and address != entry else 0
    return (
        entered
        + kinds["set (0 -> x)"] * (SSTORE_SET + COLD_SLOAD)
        + (kinds["reset (x -> y)"] + kinds["cleared (x -> 0)"]) * (SSTORE_RESET + COLD_SLOAD)
        - kinds["cleared (x -> 0)"] * SSTORE_CLEARS_REFUND
        + sum(1 for owner, _ in read_only if owner == address) * COLD_SLOAD
        + log_gas[address]
    )


def floor_of(found: dict[str, Any]) -> dict[str, int]:
    """What the table of rows above their target shows of one row's `breakdown`: its floor, the refunds in
    it, and the slots it sets from zero (20,000 each: the part of a floor only a new layout lowers)."""
    return {
        "floor": found["floor"]["floor"],
        "refunds": -found["floor"]["refunds of the slots it clears"],
        "slots set": found["changed_slots"].get("set (0 -> x)", 0),
        "slots changed": sum(found["changed_slots"].values()),
        "events": found["floor"]["events as emitted"],
        "backend": found.get("floor_apart", 0),
    }


# ---------------------------------------------------------------- runs and the Markdown file


def differences(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    """Every row (and breakdown figure) on which two runs disagree; empty when they agree."""
    found = []
    one = {(row["section"], row["action"]): row["gas"] for row in first["rows"]}
    two = {(row["section"], row["action"]): row["gas"] for row in second["rows"]}
    for key in sorted(one.keys() | two.keys()):
        if one.get(key) != two.get(key):
            found.append(f"{key[1]}: {one.get(key)} vs {two.get(key)}")
    if first.get("breakdown") != second.get("breakdown"):
        found.append("the traced open's breakdown differs")
    if first.get("lst_bytes") != second.get("lst_bytes"):
        found.append("the LST's bytes by function differ")
    if first.get("floors") != second.get("floors"):
        found.append("the floors of the rows above their target differ")
    return found


def _ratio(gas: int, target: Target | None) -> str:
    return f"{gas / target.gas:.2f}" if target else ""


def render(run: dict[str, Any], runs: int) -> str:
    lines = [
        f"# Gas per action (anvil, commit {run['commit']})",
        "",
        f"Regenerated by `make bench` from {runs} runs on fresh anvils that agree on every row (the",
        f"clock pinned: first block at {run['clock']['start']}, then a block every"
        f" {run['clock']['interval']} s).",
        "Steady state unless a row says otherwise: each transaction accrues the interval's interest onto",
        "a treasury that already holds fee shares. Target: issue 30's target where it states one, else the",
        "best comparator it quotes (labelled). Ratio: gas / target. Of it, devnet backend: the gas spent",
        "inside calls to the devnet's staking backend (`SimulatedValidator`, before refunds; on a real chain",
        "the chain's own delegation contract takes its place).",
        "",
    ]
    sections: dict[str, list[dict[str, Any]]] = {}
    for row in run["rows"]:
        sections.setdefault(row["section"], []).append(row)
    for title, rows in sections.items():
        lines += [
            f"## {title}",
            "",
            "| action | gas | of it, devnet backend | target | ratio | leverage reached |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for row in rows:
            target = TARGETS.get(row["action"])
            shown = f"{target.gas:,} ({target.source})" if target else ""
            ratio = _ratio(row["gas"], target)
            backend = f"{row['backend']:,}" if row.get("backend") else ""
            cells = (row["action"], f"{row['gas']:,}", backend, shown, ratio, row["note"])
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    lines += render_floors(run)
    lines += render_breakdown(run["breakdown"], run["bytecode"])
    lines += render_lst_bytes(run.get("lst_bytes") or {})
    if NEXT_PASS.exists():
        lines.append(NEXT_PASS.read_text())
    return "\n".join(lines)


def render_floors(run: dict[str, Any]) -> list[str]:
    """The rows above an issue-30 target against their floors (`_floor`, each row traced as the open is):
    where the floor itself is above the target, fewer calls and less computation cannot meet it; only fewer
    slots written (a new storage layout) can."""
    floors = run.get("floors") or {}
    if not floors:
        return []
    rows = []
    for row in run["rows"]:
        found = floors.get(row["action"])
        if found is None:
            continue
        target = TARGETS[row["action"]].gas
        own = found["floor"] - found.get("backend", 0)
        verdict = (
            f"below the floor by {found['floor'] - target:,}"
            if found["floor"] > target
            else f"{row['gas'] - target:,} to cut, {target - found['floor']:,} above the floor"
        )
        if found["floor"] > target >= own:
            verdict += f" (not without the devnet backend's part: {own:,})"
        rows.append(
            (
                row["action"],
                f"{row['gas']:,}",
                f"{target:,}",
                f"{found['floor']:,}",
                f"{found.get('backend', 0):,}",
                f"{found['refunds']:,}",
                f"{found['slots changed']} ({found['slots set']})",
                f"{row['gas'] / found['floor']:.2f}",
                verdict,
            )
        )
    return [
        "## Rows above their target, against their floor",
        "",
        "Each row above an issue-30 target, traced as the open below is: its floor (every contract entered",
        "once, every slot it changes written once, every other slot read once, its events, less the refunds",
        "of the slots it clears; nothing else computed). A target below its row's floor cannot be met by",
        "fewer calls or cheaper code, only by fewer slots written (each slot set from zero is 22,100 of it).",
        "The devnet backend's part (entering it, its slots, its events) is the devnet's",
        "`SimulatedValidator`: a real chain's delegation contract takes its place, with its own cost.",
        "",
        *_table(
            (
                "action",
                "gas",
                "target",
                "floor",
                "of it, devnet backend",
                "of it, refunds",
                "slots changed (set from zero)",
                "gas / floor",
                "the target",
            ),
            rows,
        ),
        "",
    ]


def render_lst_bytes(found: dict[str, int], shown: int = 30) -> list[str]:
    """The LST's runtime bytes by function (`levstake.codesize`): its EIP-170 room decides which of the
    steps left can be taken, and this says where room could come from."""
    if not found:
        return []
    total = sum(found.values())
    rows = [(name, f"{size:,}", f"{size / total:.1%}") for name, size in list(found.items())[:shown]]
    rest = list(found.values())[shown:]
    if rest:
        rows.append((f"{len(rest)} others", f"{sum(rest):,}", f"{sum(rest) / total:.1%}"))
    return [
        "## Where the LST's bytes go",
        "",
        f"`python -m levstake.codesize contracts/staking/LiquidStaking.vy`: its {total:,} deployed bytes",
        f"({BLUEPRINT_LIMIT - total:,} of room under EIP-170's {BLUEPRINT_LIMIT:,}) by the function they",
        "compiled from, from the compiler's source map (`module.function` for an imported module's; an",
        "internal function once, however many call it).",
        "",
        *_table(("function", "bytes", "share"), rows),
        "",
    ]


def _counts(kinds: dict[str, int]) -> str:
    return f"{sum(kinds.values())} ({kinds.get('cold', 0)} cold, {kinds.get('warm', 0)} warm)"


def _table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """A Markdown table: the first column left-aligned, the others (figures) right-aligned."""
    lines = ["| " + " | ".join(columns) + " |", "| --- |" + " ---: |" * (len(columns) - 1)]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def render_breakdown(found: dict[str, Any], bytecode: dict[str, int]) -> list[str]:
    rest = found["gas_used"] + found["refund"] - found["intrinsic"] - sum(found["by_op"].values())
    floor = found["floor"]
    lines = [
        "## Breakdown of one open 50x (steady state)",
        "",
        f"From anvil's `debug_traceTransaction` (call tracer, struct logger, prestate diff) of the"
        f" `Router: open 50x` row: {found['gas_used']:,} gas, {found['external_calls']} external calls into"
        f" {found['contracts_touched']} contracts besides the router, {_counts(found['sloads'])} SLOADs"
        f" ({found['distinct_slots_read']} distinct slots), {sum(found['sstores'].values())} SSTOREs"
        f" ({found['distinct_slots_written']} distinct slots), {sum(found['events'].values())} events,"
        f" a refund of {found['refund']:,}.",
        "",
        "### External calls (by type, target and function)",
        "",
        *_table(("call", "times"), found["calls"].items()),
        "",
        "### Calls repeated within the open (inclusive gas: a call with everything it calls)",
        "",
        *_table(
            ("function", "times", "first call", "the later calls together"),
            (
                (label, figures["times"], f"{figures['first']:,}", f"{figures['later']:,}")
                for label, figures in found["repeated"].items()
            ),
        ),
        "",
        "### Gas spent in each contract's own code (call tracer: a frame less its sub-calls)",
        "",
        *_table(("contract", "gas"), ((name, f"{gas:,}") for name, gas in found["own_gas"].items())),
        "",
        "The same by function (all calls to it together; the router's `open` frame with the intrinsic",
        "gas and the refund taken out, as above):",
        "",
        *_table(
            ("function", "gas"), ((label, f"{gas:,}") for label, gas in found["own_by_function"].items())
        ),
        "",
        "Computation (opcodes other than storage, calls, logs and hashing; memory included) by contract:",
        "where cheaper math would save:",
        "",
        *_table(("contract", "gas"), ((name, f"{gas:,}") for name, gas in found["compute"].items())),
        "",
        "### By opcode (struct logger; calls excluded: their cost includes the gas they forward)",
        "",
        *_table(
            ("opcodes", "gas"),
            [
                ("intrinsic + calldata", f"{found['intrinsic']:,}"),
                *((op, f"{gas:,}") for op, gas in found["by_op"].items()),
                (
                    f"calls (cold account accesses: {found['cold_accounts']}; value, memory expansion)",
                    f"{rest:,}",
                ),
                ("refund", f"-{found['refund']:,}"),
            ],
        ),
        "",
        "### Storage",
        "",
        "SSTOREs by cost (a slot read first is already warm when written):",
        "",
        *_table(("SSTORE", "times"), sorted(found["sstores"].items())),
        "",
        "Slots changed when the transaction ends (prestate diff):",
        "",
        *_table(("kind", "slots"), found["changed_slots"].items()),
        "",
        *_table(
            ("contract", "SLOADs", "distinct slots read", "read only", "written", "changed at the end"),
            ((contract, *figures.values()) for contract, figures in found["storage_by_contract"].items()),
        ),
        "",
        "### Events",
        "",
        *_table(("event", "times"), found["events"].items()),
        "",
        "### Floor for an open that must do what ours does",
        "",
        "Every contract entered once, every slot the open changes written once, every other slot it reads",
        "read once, its events, nothing else computed, less the refunds of the slots it clears:",
        "",
        *_table(
            ("part", "gas"),
            [
                *((part, f"{gas:,}") for part, gas in floor.items() if part != "floor"),
                ("**floor**", f"**{floor['floor']:,}**"),
            ],
        ),
        "",
        f"Measured {found['gas_used']:,} = {found['gas_used'] / floor['floor']:.2f} x the floor.",
        "",
        "### Bytecode",
        "",
        *_table(
            ("code", "bytes", "limit", "room"),
            (
                (label, f"{size:,}", f"{BLUEPRINT_LIMIT:,}", f"{BLUEPRINT_LIMIT - size:,}")
                for label, size in bytecode.items()
            ),
        ),
        "",
    ]
    return lines


# The ranked list for the optimisation pass: written by hand from this breakdown (its figures are estimates
# from the trace at the commit it names), appended to every regenerated bench/gas.md.
NEXT_PASS = Path(__file__).resolve().parent.parent / "bench" / "next-pass.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="JSON files written by `ape run bench`")
    parser.add_argument("--write", type=Path, help="write the Markdown here when the runs agree")
    args = parser.parse_args(argv)
    runs = [json.loads(path.read_text()) for path in args.runs]
    for path, run in zip(args.runs[1:], runs[1:], strict=True):
        found = differences(runs[0], run)
        if found:
            print(f"{args.runs[0]} and {path} differ:", *found, sep="\n  ", file=sys.stderr)
            return 1
    table = render(runs[0], len(runs))
    print(table)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(table)
        print(f"{len(runs)} runs agree on every row; written to {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
