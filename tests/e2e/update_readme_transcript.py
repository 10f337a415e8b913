"""Runs the demo as tests/e2e/test_readme_transcript_is_the_demo.py does and rewrites the README's
transcript block line by line: each README line is matched (numbers, hashes and addresses as wildcards) to the
next demo output line of the same shape, and replaced by it. Prints the lines it could not match."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from test_readme_transcript_is_the_demo import INTRO  # noqa: E402

from levstake.devnet import free_port  # noqa: E402


def shape(line: str) -> re.Pattern:
    parts = re.split(r"(0x[0-9a-fA-F]+|[0-9][0-9,.]*)", line)
    pattern = "".join(
        r"(0x[0-9a-fA-F]+|[0-9][0-9,.]*)" if i % 2 else re.escape(part) for i, part in enumerate(parts)
    )
    return re.compile("^" + pattern + "$")


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "APE_FOUNDRY_HOST": f"http://127.0.0.1:{free_port()}",
            "LEVSTAKE_DEPLOYMENTS": str(Path(folder) / "deployments"),
        }
        demo = subprocess.run(
            ["ape", "run", "demo", "--network", "ethereum:local:foundry"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=400, check=True,
        )
    output = demo.stdout.splitlines()
    (ROOT / ".cache" / "demo-output.txt").write_text(demo.stdout)
    readme = ROOT / "README.md"
    text = readme.read_text()
    start = text.index(INTRO)
    match = re.search(r"```\n(.*?)```", text[start:], re.S)
    assert match
    block = match.group(1)
    lines, position, unmatched = [], 0, []
    for line in block.splitlines():
        if not line.strip():
            lines.append(line)
            continue
        pattern = shape(line)
        for index in range(position, len(output)):
            if pattern.match(output[index]):
                lines.append(output[index])
                position = index + 1
                break
        else:
            unmatched.append(line)
            lines.append(line)
    new_block = "\n".join(lines) + ("\n" if block.endswith("\n") else "")
    at = start + match.start(1)
    readme.write_text(text[:at] + new_block + text[at + len(block) :])
    print(f"{len(unmatched)} unmatched", *unmatched, sep="\n")
    return 1 if unmatched else 0


if __name__ == "__main__":
    sys.exit(main())
