"""Run the `ape run` scripts' click commands in-process, each module against an anvil of its own."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from ape.managers._contractscache import ContractCache
from click.testing import CliRunner, Result

from levstake.devnet import free_port


@pytest.fixture(scope="module", autouse=True)
def anvil(networks, chain) -> Iterator[object]:
    """The module's commands and checks run on a fresh anvil (Ape's foundry provider on a free port), the
    chain the commands are for (`make devnet` is anvil), and not on the in-process py-evm chain: a command
    makes ~80 reads, which anvil answers natively in one JSON-RPC batch each (the transport's batch path,
    the one a user's command takes) where py-evm interpreted each call through web3's middleware, most of
    this folder's time (user+sys CPU of tests/unit/cli: 86 s -> 17 s, anvil's ~1 s included). Each test's
    changes are undone with anvil's snapshots, as Ape does on any chain that has them."""
    # Ape caches contract types by address per network name, and both chains are "local": the deployments
    # here land at the addresses the session's first deployments have on the in-process chain, so what this
    # module caches is forgotten when the in-process chain comes back.
    local = ContractCache._caches.get("ethereum", {}).get("local", {})
    kept = {key: dict(cache.memory) for key, cache in local.items()}
    with networks.ethereum.local.use_provider(
        "foundry", provider_settings={"host": f"http://127.0.0.1:{free_port()}"}, disconnect_after=True
    ) as provider:
        assert provider.name == "foundry" and chain.provider is provider
        # A second between blocks, as on the in-process chain (whose blocks are at least a second apart) and
        # unlike anvil's wall clock, which stamps the blocks of one second alike: interest accrues between
        # any two transactions, as on a chain with real block times.
        provider.make_request("anvil_setBlockTimestampInterval", [1])
        yield provider
    for key, cache in ContractCache._caches.get("ethereum", {}).get("local", {}).items():
        cache.memory = kept.get(key, {})


@pytest.fixture(scope="session")
def scripts() -> dict[str, ModuleType]:
    """The commands `ape run deploy | leverage | devnet` run (`scripts/*.py` re-export them)."""
    return {
        name: importlib.import_module(f"levstake.commands.{name}")
        for name in ("deploy", "leverage", "devnet")
    }


@pytest.fixture(scope="session")
def run(scripts) -> Callable[..., Result]:
    """`run("leverage", "open", "--amount", 1, ...)`: the command's result (exit code, output)."""

    def invoke(script: str, *args: object, answer: str | None = None) -> Result:
        return CliRunner().invoke(scripts[script].cli, [str(arg) for arg in args], input=answer)

    return invoke


@pytest.fixture(scope="module")
def deployment(run, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("deployments") / "ethereum-local.json"
    result = run("deploy", "--account", "TEST::0", "--deployment", path)
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def lev(run, deployment) -> Callable[..., Result]:
    """`lev("open", ...)`: a `leverage` command against the module's deployment."""

    def invoke(*args: object, answer: str | None = None) -> Result:
        return run("leverage", *args, "--deployment", deployment, answer=answer)

    return invoke


@pytest.fixture(scope="module")
def session(deployment, chain):
    """Reads and previews of the module's deployment, through the chain's web3 (as the commands read)."""
    from levstake.cli import Session
    from levstake.deployment import Deployment

    return Session(chain.provider.web3, Deployment.load(deployment))


@pytest.fixture(scope="module")
def contracts(deployment, project) -> SimpleNamespace:
    """The deployment's contracts as Ape contract instances, for what the tests do besides the commands."""
    from levstake.deployment import CONTRACT_TYPES, Deployment

    addresses = Deployment.load(deployment).contracts
    return SimpleNamespace(
        **{key: getattr(project, name).at(addresses[key]) for key, name in CONTRACT_TYPES.items()}
    )


@pytest.fixture(scope="module")
def figures(session) -> Callable:
    """`figures(user)`: the account's position figures now, as `status` prints them."""
    from levstake.previews import position_figures

    return lambda user: position_figures(session.info, session.snapshot(str(user)))


@pytest.fixture(scope="module")
def liquid_market(lev) -> None:
    """A lender wraps and supplies 5,000 X; a staker stakes 100 X (so the LST has a buffer)."""
    for command in (("wrap", "5000"), ("lend", "5000")):
        result = lev(command[0], "--amount", command[1], "--account", "TEST::6", "--yes")
        assert result.exit_code == 0, result.output
    for command in (("wrap", "100"), ("stake", "100")):
        result = lev(command[0], "--amount", command[1], "--account", "TEST::5", "--yes")
        assert result.exit_code == 0, result.output
