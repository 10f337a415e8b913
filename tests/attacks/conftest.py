"""Attack scenarios: Ape tests use the shared fixtures; the others deploy with the fuzz tests' helpers
(`boa_system.deploy_system`), on revm where they make many calls and on titanoboa where they need its
extras (inline mock contracts, a patched chain id)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fuzz"))
