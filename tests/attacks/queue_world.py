"""Set-up shared by the attack files on the unstake queue and slashes: stakers on the revm system world, the
daily keeper the README assumes, a slash, and what a slash took from a request."""

from __future__ import annotations

from boa_system import BoaSystem

DAY = 86_400
HOUR = 3_600
SLASH_BPS = 1_000
BPS = 10_000


def keeper(system: BoaSystem) -> None:
    """The daily upkeep the README assumes: `rebalance` (pulls paybacks, funds requests, unbonds or
    delegates), then `sync_rewards`."""
    system.lst.rebalance()
    system.lst.sync_rewards()


def slash(system: BoaSystem) -> None:
    """The backend burns SLASH_BPS of the LST's stake and of every unbonding entry, and reports it."""
    system.validator.slash(system.lst, SLASH_BPS, True, sender=system.owner)


def lost_bps(system: BoaSystem, request_id: int, before: int) -> float:
    """What the request lost since it was worth `before`, in basis points of `before`."""
    return (before - system.lst.request_value(request_id)) * BPS / before
