"""Previews against the chain on revm: the fuzz tests' deploy helpers (`boa_system`) and a JSON-RPC transport
over their chain, so `levstake.reads.Reader` reads revm exactly as it reads a node."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))
