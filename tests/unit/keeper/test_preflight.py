"""`make keeper`'s checks before Silverback starts: each mistake a new operator made (a new operator's
walk) is one line. A wrong alias read "set APE_ACCOUNTS_nosuch_PASSPHRASE" and then a KeyError traceback,
TEST::99 an IndexError, a wrong passphrase a 64-line traceback; a market with no code ran the bot doing
nothing; the in-process test network read another chain's node."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from levstake.keeper import preflight


class Accounts:
    def __init__(self, passphrases: dict[str, str]) -> None:
        self.test_accounts = [object()] * 10
        self.passphrases = passphrases

    @property
    def aliases(self):
        return iter(self.passphrases)

    def load(self, alias: str) -> SimpleNamespace:
        def unlock(passphrase: str) -> None:
            if passphrase != self.passphrases[alias]:
                raise ValueError("Invalid password")

        return SimpleNamespace(unlock=unlock)


ACCOUNTS = Accounts({"keeper": "pw"})


@pytest.mark.parametrize(
    "alias, environ, interactive, said",
    [
        ("", {}, False, None),  # a dry run signs nothing
        ("TEST::7", {}, False, None),
        ("TEST::10", {}, False, "no test account TEST::10: TEST::0 to TEST::9"),
        ("TEST::x", {}, False, "no test account TEST::x: TEST::0 to TEST::9"),
        ("nosuch", {}, False, "no account named 'nosuch' (`ape accounts list` shows them"),
        ("nosuch", {"APE_ACCOUNTS_nosuch_PASSPHRASE": "x"}, True, "no account named 'nosuch'"),
        ("keeper", {}, False, "set APE_ACCOUNTS_keeper_PASSPHRASE: no terminal to ask for keeper's"),
        ("keeper", {}, True, None),  # Silverback asks on the terminal
        ("keeper", {"APE_ACCOUNTS_keeper_PASSPHRASE": "wrong"}, False, "does not unlock keeper (ValueError)"),
        ("keeper", {"APE_ACCOUNTS_keeper_PASSPHRASE": "pw"}, False, None),
    ],
)
def test_a_signer_that_cannot_sign_is_one_line(alias, environ, interactive, said) -> None:
    found = preflight.signer_problem(alias, ACCOUNTS, environ, interactive)
    assert found == said if said is None else said in found


def test_a_deployment_with_no_code_at_an_address_is_named() -> None:
    assert preflight.missing_code({"router": b"\x60", "market": b""}) == (
        "no code at the deployment's market on this chain (a new devnet? redeploy)"
    )
    assert preflight.missing_code({"router": b"\x60"}) is None


def test_the_in_process_test_network_is_refused_for_a_keeper() -> None:
    found = preflight.network_problem("ethereum:local:test")
    assert found is not None and "ethereum:local:test has no node to read over HTTP" in found


def test_a_devnet_that_does_not_answer_is_named_not_started(monkeypatch) -> None:
    # A re-walk: with nothing on the port, Ape started a throwaway anvil there and the check then said "no
    # LevStake router at ... on this chain", blaming the deployment.
    from levstake.devnet import free_port

    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("APE_FOUNDRY_HOST", url)
    assert preflight.network_problem("ethereum:local:foundry") == (
        f"nothing answers at {url}: start the devnet (`make devnet`, with the same DEVNET_PORT)"
    )
