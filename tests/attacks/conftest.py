"""Attack scenarios: Ape tests use the shared fixtures, titanoboa ones the fuzz tests' deployment helpers."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))
