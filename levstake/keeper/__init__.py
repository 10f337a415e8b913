"""Keeping the protocol running: upkeep jobs (`jobs`) that a devnet loop, a Silverback bot or any other
automation calls the same way."""
