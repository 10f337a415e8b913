"""`guard set | see | revoke` (levstake/commands/guard.py) on the in-process chain: set authorizes the guard
and stores exactly the settings given; see prints them and whether a trigger holds; revoke deletes them and
withdraws the authorization, after which `protect` can no longer act."""

from __future__ import annotations

from click.testing import CliRunner

from levstake.commands import deploy, guard, leverage
from levstake.deployment import Deployment


def invoke(group, *args: object):
    return CliRunner().invoke(group.cli, [str(arg) for arg in args])


def test_guard_set_see_revoke(tmp_path, project, accounts, chain) -> None:
    path = tmp_path / "ethereum-local.json"
    assert invoke(deploy, "--account", "TEST::0", "--deployment", path).exit_code == 0
    for args in (
        ("wrap", "--amount", 500, "--account", "TEST::6"),
        ("lend", "--amount", 500, "--account", "TEST::6"),
    ):
        result = invoke(leverage, *args, "--yes", "--deployment", path)
        assert result.exit_code == 0, result.output
    result = invoke(leverage, "open", "--amount", 1, "--leverage", 30, "--native", "--accept-risk",
                    "--account", "TEST::5", "--yes", "--deployment", path)  # fmt: skip
    assert result.exit_code == 0, result.output
    contracts = Deployment.load(path).contracts
    market, guard_contract = (
        project.LendingMarket.at(contracts["market"]),
        project.LeverageGuard.at(contracts["guard"]),
    )
    user = accounts[5].address

    result = invoke(guard, "set", "--floor", 1.005, "--target", 20, "--tip-bps", 40, "--carry-hours", 24,
                    "--account", "TEST::5", "--yes", "--deployment", path)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert tuple(guard_contract.settings(market, user)) == (10**18 * 1005 // 1000, 20 * 10**18, 40, 24)
    assert market.is_authorized(user, guard_contract)
    seen = invoke(guard, "see", "--account", "TEST::5", "--deployment", path)
    assert "step down to 20.00x when health < 1.0050, or after 24 h of negative carry" in seen.output
    assert "tip at most 0.40%" in seen.output and "trigger  none holds" in seen.output

    # The same settings again change nothing: refused, nothing sent (a walk's second `set` sent a no-op).
    nonce = accounts[5].nonce
    again = invoke(guard, "set", "--floor", 1.005, "--target", 20, "--tip-bps", 40, "--carry-hours", 24,
                   "--account", "TEST::5", "--yes", "--deployment", path)  # fmt: skip
    assert again.exit_code == 1 and "already has these settings" in again.output, again.output
    # A floor past the guard's 6 decimals is 1.000000: said, not sent to revert.
    finer = invoke(guard, "set", "--floor", "1.0000000001", "--target", 20, "--account", "TEST::5", "--yes",
                   "--deployment", path)  # fmt: skip
    assert finer.exit_code == 1 and "to the 6 decimals the guard keeps" in finer.output, finer.output
    assert accounts[5].nonce == nonce
    # A trigger that holds is said with what a keeper's protect would meet now: a walk read "any keeper may
    # protect now" while every keeper's protect reverted.
    result = invoke(guard, "set", "--floor", 1.03, "--target", 20, "--tip-bps", 40, "--account", "TEST::5",
                    "--yes", "--deployment", path)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "steps it down as soon as the guard is set and the LST's buffer pays the step" in result.output
    assert "health holds: any keeper may protect now" in result.output, result.output
    with chain.isolate():
        # The buffer's excess delegated (the devnet's upkeep does it at once): the step cannot be unstaked.
        project.LiquidStaking.at(contracts["lst"]).rebalance(sender=accounts[0])
        seen = invoke(guard, "see", "--account", "TEST::5", "--deployment", path).output
    # Outside the isolation: Ape's `isolate` swallows what is raised inside it.
    assert "health holds, but a keeper's protect would revert now (guard: buffer too small)" in seen, seen

    result = invoke(guard, "revoke", "--account", "TEST::5", "--yes", "--deployment", path)
    assert result.exit_code == 0, result.output
    assert "ok  deauthorize guard" in result.output, result.output
    # What it sends is said before it asks (a walk was asked "Sign and send?" with nothing above it).
    plan = "revoke   delete the guard's settings and withdraw its market authorization (a second transaction)"
    assert result.output.index(plan) < result.output.index("ok  revoke guard"), result.output
    assert tuple(guard_contract.settings(market, user)) == (0, 0, 0, 0)
    assert not market.is_authorized(user, guard_contract)
    assert "none on this market" in invoke(guard, "see", "--account", "TEST::5", "--deployment", path).output
    again = invoke(guard, "revoke", "--account", "TEST::5", "--yes", "--deployment", path)
    assert again.exit_code == 1 and "no guard on this market" in again.output


def test_a_floor_or_target_that_is_not_a_finite_number_is_refused_in_one_line(accounts) -> None:
    # click's float ranges let NaN through and `min=1` lets infinity through: both reached int() and raised.
    nonce = accounts[5].nonce
    for option, value in (("--floor", "nan"), ("--target", "inf"), ("--target", "nan")):
        settings = {"--floor": "1.005", "--target": "20", option: value}
        result = invoke(guard, "set", *[part for pair in settings.items() for part in pair], "--account",
                        "TEST::5", "--yes")  # fmt: skip
        assert result.exit_code == 2, result.output
        # "not a finite number", or for infinity "not in the range" of the target's bound
        assert f"Invalid value for '{option}': {float(value)} is not " in result.output
        assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert accounts[5].nonce == nonce


def test_a_guard_no_keeper_is_paid_for_or_one_that_acts_at_once_is_said_before_signing() -> None:
    """An operator's walkthrough: `--tip-bps 0` was taken silently (profit-seeking keepers skip it every
    block), and a floor above the health now gave no word before the step-down and its tip."""
    from levstake.keeper.scan import GuardStatus

    wad = 10**18
    status = GuardStatus("0x" + "11" * 20, True, True, wad * 10246 // 10_000, 30 * wad, 0, False, False)
    settings = (wad * 103 // 100, 20 * wad, 0, 0)
    lines = guard.set_warnings(settings, status)
    assert lines[0].startswith("WARNING  tip 0: keepers that act for profit never protect it")
    assert lines[1].startswith("WARNING  health is 1.0246 now, below the floor")
    assert guard.set_warnings((wad * 1005 // 1000, 20 * wad, 50, 0), status) == []
    no_debt = GuardStatus("0x" + "11" * 20, True, True, 2**256 - 1, 0, 0, False, False)
    assert guard.set_warnings((wad * 103 // 100, 20 * wad, 50, 0), no_debt) == []


def test_a_target_too_large_for_its_argument_is_refused_in_one_line(accounts) -> None:
    """A walk: `--target 1e60` passed click and failed to encode in 256 bits, with a traceback."""
    nonce = accounts[5].nonce
    for value in ("1e60", "1e308"):
        result = invoke(guard, "set", "--floor", "1.005", "--target", value, "--account", "TEST::5", "--yes")
        assert result.exit_code == 2 and "Invalid value for '--target'" in result.output, result.output
        assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert accounts[5].nonce == nonce
