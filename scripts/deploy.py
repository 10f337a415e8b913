"""
Deploy the whole protocol to the network and write its deployment file.

    ape run deploy --network ethereum:local:foundry --account <alias>

On a local network X is a new WrappedNative and the SimulatedValidator gets a reward reserve wrapped from the
deployer's native balance; elsewhere pass `--asset` for an existing X (or let it deploy a WrappedNative) and
`--reward-reserve` to fund rewards. An existing deployment file of a non-local network is never overwritten
without `--force`.
"""

from levstake.commands.deploy import cli

__all__ = ["cli"]
