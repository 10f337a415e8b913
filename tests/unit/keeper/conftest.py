"""The keeper's checks against the contracts on revm (the fuzz tests' deploy helpers)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fuzz"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "previews"))
