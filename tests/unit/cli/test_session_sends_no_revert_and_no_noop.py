"""
A scripted session of every `leverage` command, with the bad inputs issue 27 found sending transactions
that reverted or did nothing: each bad input is refused before anything is signed (the account's nonce does
not move), and at the end every receipt of the chain since the set-up is read: none reverted, each one
emitted an event (a transaction that changes nothing emits nothing), and there are exactly as many as the
commands printed `ok` lines. The read commands' `--json` output is parsed on the way.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest

from levstake import fmt

LEVERAGER, STAKER, LENDER, OTHER = "TEST::7", "TEST::5", "TEST::6", "TEST::9"


@pytest.fixture(scope="module")
def session_log(lev, liquid_market, accounts, chain) -> dict[str, Any]:
    """What the commands printed, and the chain's height once the deployment and the set-up landed."""
    return {"ok_lines": 0, "start": chain.blocks.height + 1}


def test_every_command_and_bad_input_leaves_no_reverted_or_noop_transaction(
    lev, session, contracts, session_log, accounts, chain
) -> None:
    users = {alias: accounts[int(alias[6:])] for alias in (LEVERAGER, STAKER, LENDER, OTHER)}

    def good(*args: object) -> str:
        result = lev(*args)
        assert result.exit_code == 0, f"{args}\n{result.output}"
        assert "Traceback" not in result.output and "Warning" not in result.output
        session_log["ok_lines"] += sum(line.startswith("ok  ") for line in result.output.splitlines())
        return result.output

    def refused(reason: str, *args: object) -> str:
        account = args[args.index("--account") + 1]
        nonce = users[str(account)].nonce
        result = lev(*args)
        assert result.exit_code != 0, f"{args} was accepted:\n{result.output}"
        assert users[str(account)].nonce == nonce, f"{args} sent a transaction"
        last = result.output.strip().splitlines()[-1]
        assert reason in last, f"{args}:\n{result.output}\n{result.exception!r}"
        assert "Traceback" not in result.output and "inf" not in last.split() and "nan" not in last
        return last

    def as_json(*args: object) -> Any:
        return json.loads(good(*args, "--json"))

    user = users[LEVERAGER].address
    # Exact amounts: 18 decimals credited to the wei, a 19th refused.
    before = contracts.x.balanceOf(users[LEVERAGER])
    good("wrap", "--amount", "1.234567890123456789", "--account", LEVERAGER, "--yes")
    assert contracts.x.balanceOf(users[LEVERAGER]) - before == 1_234567890123456789
    refused("WNAT has 18", "wrap", "--amount", "1.2345678901234567891", "--account", LEVERAGER, "--yes")
    good("unwrap", "--amount", "all", "--account", LEVERAGER, "--yes")
    refused("you hold no WNAT", "unwrap", "--amount", "all", "--account", LEVERAGER, "--yes")

    # Opens: no implied leverage, negative carry asks, dust and a leverage below the position's are refused.
    result = lev("open", "--amount", "10", "--native", "--account", LEVERAGER, "--yes")
    assert result.exit_code == 2 and "Missing option '--leverage'" in result.output
    refused("negative carry", "open", "--amount", "10", "--leverage", "5", "--native", "--account", LEVERAGER)
    opening = ("open", "--accept-risk", "--native", "--account", LEVERAGER, "--yes")
    good(*opening, "--amount", "10", "--leverage", "5")
    refused("too small", *opening, "--amount", "1e-18", "--leverage", "5")
    refused("above the 3x asked", *opening, "--amount", "1", "--leverage", "3")
    refused(
        "within 0.1% of 5x", "adjust", "--leverage", "5", "--accept-risk", "--account", LEVERAGER, "--yes"
    )
    good("adjust", "--leverage", "3", "--account", LEVERAGER, "--yes")

    # Repay from the wallet: part, then all (the collateral comes back as LST).
    good("wrap", "--amount", "30", "--account", LEVERAGER, "--yes")
    refused("repay all of it instead", "repay", "--amount", "1000", "--account", LEVERAGER, "--yes")
    good("repay", "--amount", "5", "--account", LEVERAGER, "--yes")
    good("repay", "--all", "--account", LEVERAGER, "--yes")
    refused("no position to repay", "repay", "--all", "--account", LEVERAGER, "--yes")
    refused("no position to close", "close", "--account", LEVERAGER, "--yes")
    status = as_json("status", "--account", LEVERAGER)
    assert status["account"]["position"] is None and int(status["account"]["lst"]["units"]) > 0

    # Unstake the LST the repay gave back: instantly (fee shown), then the rest queued.
    lst = contracts.lst.balanceOf(users[LEVERAGER])
    last = refused("above your balance", "unstake", "--amount", "100000", "--account", LEVERAGER, "--yes")
    # The balance is rounded for reading, as on the web page; the amount to pass is printed exactly.
    assert f"above your balance {fmt.amount(lst, 18, 'stX')}; exactly: --amount {fmt.exact(lst, 18)}" in last
    output = good("unstake", "--amount", "1", "--account", LEVERAGER, "--yes")
    assert "instant fee" in output
    good("unstake", "--amount", "all", "--queue", "--account", LEVERAGER, "--yes")
    assert contracts.lst.balanceOf(users[LEVERAGER]) == 0 and lst > 0
    (request,) = as_json("requests", "--account", LEVERAGER)["requests"]
    assert not request["due"] and request["receiver"] == user
    refused("claiming now pays nothing", "claim", "--account", LEVERAGER, "--yes")
    refused("only it (or the request's owner)", "claim", "--request", request["id"], "--account", OTHER)

    # The instant fee raised the LST's rate above 1: one wei of X no longer buys a share.
    good("wrap", "--amount", "2", "--account", STAKER, "--yes")
    refused("buys no stX share", "stake", "--amount", "1e-18", "--account", STAKER, "--yes")
    good("stake", "--amount", "2", "--account", STAKER, "--yes")

    # Close into the queue; the request shows in status; claims once due; a second claim is refused.
    good(*opening, "--amount", "4", "--leverage", "10")
    refused("above the market's max", *opening, "--amount", "1", "--leverage", "51")
    good("close", "--queue", "--account", LEVERAGER, "--yes")
    status = as_json("status", "--account", LEVERAGER)
    assert status["account"]["position"] is None and len(status["account"]["requests"]) == 2
    filed = as_json("requests", "--account", LEVERAGER)["requests"]
    chain.mine(deltatime=contracts.validator.unbonding_delay() + 1)
    output = good("claim", "--account", LEVERAGER, "--yes")
    assert output.count("ok  claim") == 2
    # The claims cleared both requests in the LST: their two events still say whose, when, and what each paid.
    claimed = as_json("requests", "--account", LEVERAGER)["requests"]
    assert claimed == [{**request, "funded": True, "due": True, "claimed": True} for request in filed]
    refused("no open unstake request", "claim", "--account", LEVERAGER, "--yes")
    refused("already claimed", "claim", "--request", request["id"], "--account", LEVERAGER, "--yes")

    # A wei lent once interest made a share dearer buys shares worth 0: refused, nothing approved.
    refused("too small: the lender shares it buys are worth 0", "lend", "--amount", "1e-18", "--account",
            LEVERAGER, "--yes")  # fmt: skip

    # The lender leaves: more than supplied is refused, then all of it.
    last = refused("above your supply", "withdraw", "--amount", "1000000", "--account", LENDER, "--yes")
    assert '("all" withdraws all of it)' in last and "exactly" not in last, last
    withdrawn = good("withdraw", "--amount", "all", "--account", LENDER, "--yes")
    # What landed is said, as for an unstake: interest accrued to the block makes it at least the preview.
    previewed = re.search(r"^withdraw ([\d.]+) WNAT from the market", withdrawn, re.M)
    received = re.search(r"^received ([\d.]+) WNAT$", withdrawn, re.M)
    assert previewed and received, withdrawn
    assert Decimal(received.group(1)) >= Decimal(previewed.group(1))
    refused("nothing supplied", "withdraw", "--amount", "all", "--account", LENDER, "--yes")

    # Reads: every one has --json.
    assert as_json("max", "--amount", "1")["kind"] == "max"
    assert as_json("preview", "--amount", "1", "--leverage", "2")["open"]["risks"]
    (watched,) = good("watch", "--blocks", "1", "--json").splitlines()
    assert json.loads(watched)["kind"] == "watch"

    # Every transaction of the session, read back from the chain.
    web3 = chain.provider.web3
    sent = 0
    for number in range(session_log["start"], chain.blocks.height + 1):
        for tx_hash in web3.eth.get_block(number)["transactions"]:
            receipt = web3.eth.get_transaction_receipt(tx_hash)
            assert receipt["status"] == 1, f"block {number}: a reverted transaction was sent"
            assert receipt["logs"], f"block {number}: a transaction that changed nothing was sent"
            sent += 1
    assert sent == session_log["ok_lines"] >= 20
