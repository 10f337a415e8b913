"""
The keeper bot's settings from the environment (a Silverback bot takes no arguments of its own), each read
strictly: a value the bot does not understand stops it at start-up with the variable's name, never a default
taken silently (`DRY_RUN=on` ran a bot live) nor a crash later in a round.
"""

from __future__ import annotations

import math
import os

DRY_RUN_ENV = "LEVSTAKE_KEEPER_DRY_RUN"
ALTRUIST_ENV = "LEVSTAKE_KEEPER_ALTRUIST"
KEEP_LST_ENV = "LEVSTAKE_KEEPER_KEEP_LST"
X_PER_NATIVE_ENV = "LEVSTAKE_KEEPER_X_PER_NATIVE"
POLL_ENV = "LEVSTAKE_KEEPER_POLL"
FLAGS = {"": False, "0": False, "false": False, "no": False, "1": True, "true": True, "yes": True}


class SettingError(SystemExit):
    """A setting the bot does not understand: ends the bot at start-up with one line."""


def flag(name: str) -> bool:
    raw = os.environ.get(name, "")
    value = FLAGS.get(raw.strip().lower())
    if value is None:
        raise SettingError(f"{name}={raw!r}: use 1, true or yes to turn it on; 0, false, no or unset for off")
    return value


def positive(name: str, default: str) -> float:
    """A finite number above 0 (a poll interval of 0 busy-loops; a price of 0 makes every gas cost 0)."""
    raw = os.environ.get(name, default)
    try:
        value = float(raw)
    except ValueError:
        raise SettingError(f"{name}={raw!r}: not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise SettingError(f"{name}={raw!r}: a number above 0")
    return value


MIN_POLL = 0.05  # seconds: below it the runner asks for the head in a busy loop


def poll_interval() -> float:
    """Seconds between two asks for the head (`LEVSTAKE_KEEPER_POLL`, 1 by default, at least MIN_POLL)."""
    value = positive(POLL_ENV, "1")
    if value < MIN_POLL:
        raise SettingError(f"{POLL_ENV}={os.environ[POLL_ENV]!r}: at least {MIN_POLL:g} s")
    return value


def check_all() -> None:
    """Every setting read once, so a bad one ends the bot before it indexes anything."""
    for name in (DRY_RUN_ENV, ALTRUIST_ENV, KEEP_LST_ENV):
        flag(name)
    poll_interval()
    if X_PER_NATIVE_ENV in os.environ:
        positive(X_PER_NATIVE_ENV, "1")
