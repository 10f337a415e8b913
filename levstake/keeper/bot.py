"""
The LevStake keeper as a Silverback bot: thin handlers around `levstake.keeper.keeper.Keeper`.

    SILVERBACK_SIGNER_ALIAS=TEST::7 silverback run levstake.keeper.bot:bot \\
        --network ethereum:local:foundry --runner levstake.keeper.runner:KeeperRunner

(`make keeper` runs exactly that against `make devnet`.) On a real network pass `--account <alias>` of a
keyfile account and its passphrase in APE_ACCOUNTS_<alias>_PASSPHRASE (Silverback turns autosign on). Without
a signer, or with LEVSTAKE_KEEPER_DRY_RUN=1, it reads and decides but sends nothing.

- start-up: the positions and guards are indexed from the logs since the deployment block;
- every new block: upkeep, then `protect` and liquidations decided on what the upkeep left, each only when due
  (see `Keeper`);
- every 5 minutes (wall clock): the same round at the latest block, so that a time-based job (the oracle's
  daily snapshot, the hourly carry checkpoint) is not starved if block handlers are skipped or missed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ape import chain
from ape.logging import logger
from silverback import SilverbackBot

from levstake.keeper.ape_keeper import make_keeper
from levstake.keeper.keeper import Keeper, Outcome
from levstake.keeper.retry import round_or_skip
from levstake.rpc import Block

bot = SilverbackBot()
_keeper: list[Keeper] = []


def _log(line: str) -> None:
    logger.success(line) if not line.startswith(
        ("failed", "rpc", "skip", "restart", "busy", "warning", "lost race")
    ) else logger.warning(line)


def keeper() -> Keeper:
    if not _keeper:
        _keeper.append(make_keeper(bot.provider, bot.signer, _log))
        _keeper[0].start()
    return _keeper[0]


@bot.on_startup()
def index_positions(startup_state: Any) -> dict[str, int]:
    current = keeper()
    return {"borrowers": len(current.index.borrowers), "guarded": len(current.index.guarded)}


def _round(what: str, run: Callable[[], list[Outcome]]) -> dict[str, int]:
    outcomes = round_or_skip(what, run, _log, [])
    return {"actions": sum(outcome.status == "sent" for outcome in outcomes)}


@bot.on_(chain.blocks)
def on_block(block: Any) -> dict[str, int]:
    number, timestamp = int(block.number), int(block.timestamp)
    return _round(f"block {number}", lambda: keeper().on_block(Block(number, timestamp)))


@bot.cron("*/5 * * * *")
def time_based_jobs(time: Any) -> dict[str, int]:
    return _round("5-minute round", lambda: keeper().on_block(keeper().reader.block()))
