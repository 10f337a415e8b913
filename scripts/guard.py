"""`ape run guard`: runs `levstake.commands.guard.cli` (set, see, revoke; usage there and in `--help`)."""

from levstake.commands.guard import cli

__all__ = ["cli"]
