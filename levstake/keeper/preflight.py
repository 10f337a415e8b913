"""
What `make keeper` checks before it hands over to Silverback, each mistake said in one line (Silverback's own
start-up printed a traceback for each, and one of them the wrong advice):

- the signer: a test account index in range, an alias that exists, a passphrase that unlocks it (or a terminal
  to ask on);
- the network: a node the keeper reads over HTTP, the same chain the deployment file names;
- the deployment: code at every address it names (a market with none ran the bot silently, doing nothing).

    python -m levstake.keeper.preflight NETWORK [SIGNER]
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from levstake.ape_wallet import missing_passphrase, passphrase_variable
from levstake.deployment import Deployment, DeploymentError, default_path
from levstake.devnet import answering

TEST_PREFIX = "TEST::"


def signer_problem(alias: str, accounts: Any, environ: Mapping[str, str], interactive: bool) -> str | None:
    """Why `alias` cannot sign for the keeper, or None (an empty alias: a dry run, nothing signs)."""
    if not alias:
        return None
    if alias.startswith(TEST_PREFIX):
        index = alias[len(TEST_PREFIX) :]
        count = len(accounts.test_accounts)
        if not index.isdigit() or int(index) >= count:
            return f"no test account {alias}: TEST::0 to TEST::{count - 1}"
        return None
    if alias not in set(accounts.aliases):
        return f"no account named {alias!r} (`ape accounts list` shows them; `ape accounts import` adds one)"
    variable = passphrase_variable(alias)
    if variable not in environ:
        return missing_passphrase(alias, environ, interactive)
    try:
        accounts.load(alias).unlock(passphrase=environ[variable])
    except Exception as error:  # noqa: BLE001 - Ape's InvalidPasswordError, or a damaged keyfile
        return f"{variable} does not unlock {alias} ({type(error).__name__})"
    return None


def missing_code(codes: Mapping[str, bytes]) -> str | None:
    """The deployment's contracts with no code on the chain, in a line, or None."""
    missing = [name for name, code in codes.items() if not code]
    if not missing:
        return None
    return f"no code at the deployment's {', '.join(missing)} on this chain (a new devnet? redeploy)"


def network_problem(network_choice: str) -> str | None:
    """Connects to `network_choice` as the bot will: why the keeper cannot keep it, or None."""
    from ape import networks
    from ape.exceptions import ApeException
    from web3 import Web3

    from levstake.reads import Reader
    from levstake.rpc import ReadError, Web3Transport

    host = os.environ.get("APE_FOUNDRY_HOST", "")
    if network_choice.endswith(":foundry") and host.startswith("http") and answering(host) is None:
        # Ape would start a throwaway anvil there, and the check below would then blame the deployment.
        return f"nothing answers at {host}: start the devnet (`make devnet`, with the same DEVNET_PORT)"
    try:
        with networks.parse_network_choice(network_choice) as provider:
            uri = getattr(provider, "http_uri", None)
            if provider.name == "test" or not uri:
                return (
                    f"{network_choice} has no node to read over HTTP (the keeper reads and sends through "
                    "one): use the devnet's, ethereum:local:foundry"
                )
            network = provider.network
            deployment = Deployment.load(default_path(network.ecosystem.name, network.name))
            transport = Web3Transport(Web3(Web3.HTTPProvider(uri, request_kwargs={"timeout": 10})))
            reader = Reader(transport, deployment)  # the chain id and the router's code
            names = sorted(deployment.contracts)
            requests = [("eth_getCode", [deployment.contracts[name], "latest"]) for name in names]
            answers = transport.request_many(requests)
            return missing_code(dict(zip(names, answers, strict=True))) or _same_chain(reader, provider)
    except (ApeException, DeploymentError, ReadError, OSError) as error:
        return (str(error).splitlines() or [type(error).__name__])[0]


def _same_chain(reader: Any, provider: Any) -> str | None:
    if reader.info.chain_id != provider.chain_id:
        return f"the node the keeper reads is chain {reader.info.chain_id}, Ape's network {provider.chain_id}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not 1 <= len(args) <= 2:
        print(__doc__.strip().splitlines()[-1].strip())
        return 2
    network_choice, alias = args[0], args[1] if len(args) == 2 else ""
    from ape import accounts

    interactive = sys.stdin.isatty()
    problem = signer_problem(alias, accounts, os.environ, interactive) or network_problem(network_choice)
    if problem:
        print(f"keeper   {problem}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
