"""
Where a contract's runtime bytes go, by the function (or imported module's function) that compiled into them,
from the compiler's own source map: what `bench/gas.md` shows of the LST, whose EIP-170 room decides which gas
steps can be taken next.

    python -m levstake.codesize contracts/staking/LiquidStaking.vy [--top 30]

Bytes the source map ties to no source (the selector table, the data section) are counted apart, and so are
the immutables Vyper appends to the runtime code at deployment: the rows add up to the deployed code's length,
which EIP-170 limits.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

UNMAPPED = "(selector table, data section: no source)"
IMMUTABLES = "(immutables, appended at deployment)"
DEF = re.compile(r"^def (\w+)\(")
PUSH1, PUSH32 = 0x60, 0x7F


def _functions(source: str) -> list[tuple[int, str]]:
    """(first line, name) of every top-level function, in order; lines before the first are "(top level)"."""
    lines = enumerate(source.splitlines(), 1)
    return [(number, match.group(1)) for number, line in lines if (match := DEF.match(line))]


def _enclosing(functions: list[tuple[int, str]], line: int) -> str:
    name = "(top level)"
    for first, function in functions:
        if first > line:
            break
        name = function
    return name


def _module_paths(ast: Any) -> dict[int, str]:
    """Source id -> path of every module the compiled contract is built from."""
    found: dict[int, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("ast_type") == "Module" and node.get("source_id", -1) >= 0:
                found.setdefault(node["source_id"], node.get("resolved_path") or node["path"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(ast)
    return found


def _immutable_bytes(layout: Any) -> int:
    """The end of the last immutable in the code layout (`vyper -f layout`): what deployment appends."""
    if not isinstance(layout, dict):
        return 0
    if "offset" in layout and "length" in layout:
        return layout["offset"] + layout["length"]
    return max((_immutable_bytes(value) for value in layout.values()), default=0)


def runtime_bytes(path: str | Path, search_paths: list[str] | None = None) -> dict[str, int]:
    """Deployed bytes of the contract at `path` by function: `name` for its own, `module.name` for an imported
    module's, largest first, with the immutables appended at deployment; they add up to the deployed code's
    length."""
    from vyper.cli import vyper_compile  # the compiler is only needed here

    formats = ("source_map_runtime", "bytecode_runtime", "annotated_ast", "layout")
    (compiled,) = vyper_compile.compile_files([str(path)], formats, paths=search_paths or ["."]).values()
    code = bytes.fromhex(compiled["bytecode_runtime"].removeprefix("0x"))
    size = len(code)
    source_map = compiled["source_map_runtime"]
    modules = _module_paths(compiled["annotated_ast_dict"])
    functions = {source_id: _functions(Path(file).read_text()) for source_id, file in modules.items()}
    # Keys are pcs (strings once the map has been through JSON).
    nodes = {int(pc): node for pc, node in source_map["pc_ast_map"].items()}
    positions = {int(pc): position for pc, position in source_map["pc_pos_map"].items()}
    starts = sorted(nodes)
    # Each mapped instruction runs to the next one; the last only to its own end (what follows is data).
    last = starts[-1]
    width = code[last] - PUSH1 + 1 if PUSH1 <= code[last] <= PUSH32 else 0
    ends = [*starts[1:], last + 1 + width]
    found: Counter[str] = Counter()
    for pc, end in zip(starts, ends, strict=True):
        source_id = nodes[pc][0]
        line = positions.get(pc, [0])[0]
        function = _enclosing(functions.get(source_id, []), line)
        prefix = "" if source_id == 0 else Path(modules.get(source_id, "?")).stem + "."
        found[prefix + function] += end - pc
    found[UNMAPPED] = size - sum(found.values())
    immutables = _immutable_bytes(compiled["layout"].get("code_layout", {}))
    if immutables:
        found[IMMUTABLES] = immutables
    return dict(found.most_common())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1].strip())
    parser.add_argument("contract", type=Path)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    found = runtime_bytes(args.contract)
    total = sum(found.values())
    for name, size in list(found.items())[: args.top]:
        print(f"{size:6,} {size / total:6.1%}  {name}")
    print(f"{total:6,}  deployed bytes in all (EIP-170: at most 24,576)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
