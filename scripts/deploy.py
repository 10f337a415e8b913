"""`ape run deploy`: runs `levstake.commands.deploy.cli` (usage there and in `--help`)."""

from levstake.commands.deploy import cli

__all__ = ["cli"]
