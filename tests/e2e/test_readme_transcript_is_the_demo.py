"""
The README's transcript is a piece of a real run of today's demo: `ape run demo` on a throwaway anvil (as
`make demo` runs it: the clock fixed, so the output is the same at every run), and every line of the README's
block found in its output, in the README's order. A change to a command's output or to the numbers fails here
until the README shows the new run (`python tests/e2e/update_readme_transcript.py` rewrites the block from
one, line by line, and prints the lines it could not match).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

from levstake.devnet import free_port

ROOT = Path(__file__).resolve().parents[2]
INTRO = "`make demo` tells the whole story"


def readme_transcript() -> list[str]:
    text = (ROOT / "README.md").read_text()
    after = text[text.index(INTRO) :]
    block = re.search(r"```\n(.*?)```", after, re.S)
    assert block is not None, "no transcript block after the `make demo` paragraph"
    return [line for line in block.group(1).splitlines() if line.strip()]


def missing_in_order(expected: list[str], output: list[str]) -> list[str]:
    """The lines of `expected` not found in `output` after the previous one found (in order, exact lines)."""
    missing, position = [], 0
    for line in expected:
        try:
            position = output.index(line, position) + 1
        except ValueError:
            missing.append(line)
    return missing


def test_missing_in_order_catches_a_changed_or_reordered_line() -> None:
    output = ["a", "b", "c"]
    assert missing_in_order(["a", "c"], output) == []
    assert missing_in_order(["c", "a"], output) == ["a"]
    assert missing_in_order(["a", "b 2"], output) == ["b 2"]


def test_the_readme_transcript_comes_from_a_run_of_the_demo(tmp_path) -> None:
    expected = readme_transcript()
    assert len(expected) > 40 and any(line.startswith("ok  open") for line in expected)
    env = {
        **os.environ,
        "APE_FOUNDRY_HOST": f"http://127.0.0.1:{free_port()}",
        "LEVSTAKE_DEPLOYMENTS": str(tmp_path / "deployments"),
    }
    started = time.monotonic()
    demo = subprocess.run(
        ["ape", "run", "demo", "--network", "ethereum:local:foundry"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    print(f"demo ran in {time.monotonic() - started:.1f} s")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "Traceback" not in demo.stdout + demo.stderr
    missing = missing_in_order(expected, demo.stdout.splitlines())
    assert not missing, "README lines the demo no longer prints (run `make demo`, update the README):\n" + (
        "\n".join(missing)
    )
