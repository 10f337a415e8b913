"""`ape run deploy`: the whole system, the deployment file, and the overwrite rule."""

from __future__ import annotations

import json

import pytest

from levstake.deploy import DEFAULT_LLTV, DEFAULT_MAX_LTV
from levstake.deployment import CONTRACT_KEYS, LEVERAGE_KEYS, Deployment, DeploymentError


def test_deploy_writes_a_complete_file(deployment, chain, project) -> None:
    data = json.loads(deployment.read_text())
    assert set(data["contracts"]) == set(CONTRACT_KEYS) | set(LEVERAGE_KEYS)
    assert data["chain_id"] == chain.chain_id
    assert (data["ecosystem"], data["network"]) == ("ethereum", "local")
    for address in data["contracts"].values():
        assert chain.provider.get_code(address)
    market = project.LendingMarket.at(data["contracts"]["market"])
    assert (market.max_ltv(), market.lltv()) == (DEFAULT_MAX_LTV, DEFAULT_LLTV)
    assert market.collateral_token() == data["contracts"]["lst"]
    # The LST's parameters and treasury are written by its governor only: bound to it, owned by the deployer.
    lst = project.LiquidStaking.at(data["contracts"]["lst"])
    governor = project.StakingGovernor.at(data["contracts"]["governor"])
    assert lst.governor() == governor.address and governor.lst() == lst.address
    assert governor.owner() == data["deployer"] and lst.treasury() == data["parameters"]["treasury"]
    validator = project.SimulatedValidator.at(data["contracts"]["validator"])
    # The devnet's validator is funded with the default 1,000 X reward reserve.
    assert validator.reward_reserve() == 1_000 * 10**18 == data["parameters"]["reward_reserve"]
    router = project.LeverageRouter.at(data["contracts"]["router"])
    assert router.wrapped_native() == data["contracts"]["x"]
    # The liquidator and the guard serve the deployment's factory; the file carries their ABIs.
    for key in ("liquidator", "guard"):
        contract = getattr(project, {"liquidator": "Liquidator", "guard": "LeverageGuard"}[key])
        assert contract.at(data["contracts"][key]).registry() == data["contracts"]["factory"]
    Deployment.load(deployment).require(*LEVERAGE_KEYS)


def test_local_deployment_file_is_replaced(run, tmp_path) -> None:
    path = tmp_path / "local.json"
    assert run("deploy", "--account", "TEST::0", "--deployment", path).exit_code == 0
    first = json.loads(path.read_text())["contracts"]["router"]
    assert run("deploy", "--account", "TEST::0", "--deployment", path).exit_code == 0
    assert json.loads(path.read_text())["contracts"]["router"] != first


def test_non_local_deployment_is_not_overwritten_without_force(deployment, tmp_path) -> None:
    record = Deployment.load(deployment)
    record.network = "sepolia"
    path = tmp_path / "ethereum-sepolia.json"
    record.save(path)
    before = path.read_text()
    with pytest.raises(DeploymentError, match="pass --force"):
        record.save(path)
    assert path.read_text() == before
    record.block += 1
    record.save(path, force=True)
    assert Deployment.load(path).block == record.block


def test_unknown_account_is_a_one_line_error(run, tmp_path) -> None:
    result = run("deploy", "--account", "nobody", "--deployment", tmp_path / "x.json")
    assert result.exit_code != 0
    assert "unknown account 'nobody'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.json").exists()


def test_a_deploy_to_the_in_process_chain_never_replaces_the_devnets_file(tmp_path) -> None:
    # A new user's walk: `ape run deploy --network ethereum:local:test` wrote deployments/ethereum-local.json
    # for a chain gone at exit, and every devnet command then failed on a chain id that was not the devnet's.
    # In a process of its own (these tests' chain is anvil's), in a folder whose deployments/ is the devnet's.
    import os
    import subprocess
    import sys
    from pathlib import Path

    from levstake.deployment import DEPLOYMENTS_ENV

    devnet_file = tmp_path / "deployments" / "ethereum-local.json"
    devnet_file.parent.mkdir()
    devnet_file.write_text('{"the": "devnet"}')
    argv = ["deploy", "--network", "ethereum:local:test", "--account", "TEST::0"]
    code = f"import sys; from levstake.commands.deploy import cli; sys.argv = {argv!r}; cli()"
    env = {key: value for key, value in os.environ.items() if key != DEPLOYMENTS_ENV}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "ethereum:local:test is Ape's in-process chain, gone when this command ends" in output
    assert devnet_file.read_text() == '{"the": "devnet"}'
