"""`ape run leverage ...` in-process on anvil: every command, its numbers, and its one-line errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from eth_utils import to_checksum_address

from levstake import fmt, previews
from levstake.cli import ClientError
from levstake.model import CLOSE_TO_LST, CLOSE_TO_QUEUE, WAD

LEVERAGER = "TEST::7"
NEWCOMER = "TEST::8"


def number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in:\n{text}"
    return float(match.group(1).replace(",", ""))


def tenth_of_idle(session) -> str:
    """A tenth of the market's idle X, as an exact `--amount`: at 50x it borrows far more than is idle."""
    market = session.snapshot().market
    return fmt.exact((market.total_supply_assets - market.total_borrow_assets) // 10, session.info.decimals)


def test_preview_signs_nothing_and_matches_the_open_to_the_wei(
    lev, session, contracts, liquid_market, accounts
) -> None:
    user = accounts[7]
    nonce = user.nonce
    result = lev("preview", "--amount", "10", "--leverage", "50")
    assert result.exit_code == 0, result.output
    for field in (
        "collateral",
        "debt",
        "LTV",
        "health",
        "net APR",
        "time to liquidation",
        "entry",
        "premium",
    ):
        assert field in result.output
    assert user.nonce == nonce
    expected = previews.preview_open(
        session.info, session.snapshot(user.address), session.units(10), 50 * WAD
    )
    assert number(r"leverage ([\d.]+)x", result.output) == pytest.approx(expected.after.leverage, abs=0.005)
    result = lev(
        "open",
        "--accept-risk",
        "--amount",
        "10",
        "--leverage",
        "50",
        "--native",
        "--account",
        LEVERAGER,
        "--yes",
    )
    assert result.exit_code == 0, result.output
    landed = expected.state_after.position
    # No reward stream and no earlier borrows: the LST rate and the debt shares do not move between blocks.
    assert contracts.market.positions(user) == (landed.collateral, landed.borrow_shares)
    assert contracts.market.position(user)[1] == landed.debt
    assert user.nonce == nonce + 1, "open_native with a signed authorization is one transaction"
    assert "leverage 50.00x" in result.output


def test_a_new_wallet_opens_with_permit_and_authorization_in_one_transaction(
    lev, contracts, figures, liquid_market, accounts
) -> None:
    newcomer = accounts[8]
    assert lev("wrap", "--amount", "3", "--account", NEWCOMER, "--yes").exit_code == 0
    assert contracts.x.allowance(newcomer, contracts.router) == 0
    assert not contracts.market.is_authorized(newcomer, contracts.router)
    nonce = newcomer.nonce
    result = lev("open", "--accept-risk", "--amount", "3", "--leverage", "10", "--account", NEWCOMER, "--yes")
    assert result.exit_code == 0, result.output
    assert newcomer.nonce == nonce + 1
    assert contracts.market.is_authorized(newcomer, contracts.router)
    assert figures(newcomer).leverage == pytest.approx(10, rel=1e-6)
    assert contracts.x.balanceOf(newcomer) == 0


def test_declining_the_confirmation_sends_nothing(lev, figures, liquid_market, accounts) -> None:
    nonce = accounts[7].nonce
    result = lev(
        "open",
        "--accept-risk",
        "--amount",
        "1",
        "--leverage",
        "5",
        "--native",
        "--account",
        LEVERAGER,
        answer="n\n",
    )
    assert result.exit_code == 1
    assert "cancelled, nothing was signed" in result.output
    assert accounts[7].nonce == nonce
    assert figures(accounts[7]) is None


def test_confirming_sends(lev, figures, liquid_market, accounts) -> None:
    result = lev(
        "open",
        "--accept-risk",
        "--amount",
        "1",
        "--leverage",
        "5",
        "--native",
        "--account",
        LEVERAGER,
        answer="y\n",
    )
    assert result.exit_code == 0, result.output
    assert figures(accounts[7]).leverage == pytest.approx(5, rel=1e-6)


def test_open_on_a_position_previews_the_whole_position_it_levers(
    lev, session, contracts, figures, liquid_market, accounts
) -> None:
    # The case: a 2x position, then `open --amount 1 --leverage 10` re-levers all of it.
    assert (
        lev(
            "open",
            "--accept-risk",
            "--amount",
            "5",
            "--leverage",
            "2",
            "--native",
            "--account",
            LEVERAGER,
            "--yes",
        ).exit_code
        == 0
    )
    user = accounts[7]
    preview = lev("preview", "--amount", "1", "--leverage", "10")
    assert preview.exit_code == 0, preview.output
    expected = previews.preview_open(session.info, session.snapshot(user.address), session.units(1), 10 * WAD)
    result = lev(
        "open",
        "--accept-risk",
        "--amount",
        "1",
        "--leverage",
        "10",
        "--native",
        "--account",
        LEVERAGER,
        "--yes",
    )
    assert result.exit_code == 0, result.output
    assert "the router levers your whole position" in result.output
    landed = figures(user)
    assert landed.leverage == pytest.approx(10, rel=1e-4)
    assert expected.after.leverage == pytest.approx(10, rel=1e-4)
    # About 6 X of equity at 10x: about 54 X of debt (not the 9 X an open of the new 1 X alone would take).
    assert landed.debt == pytest.approx(expected.after.debt, rel=1e-6)
    assert landed.debt > session.units(50)


def test_dust_amounts_get_a_reason_not_inf_or_nan(lev, liquid_market) -> None:
    result = lev("preview", "--amount", "1e-18", "--leverage", "20")
    assert result.exit_code == 1
    assert "is too small: the router would add no collateral" in result.output
    assert "inf" not in result.output and "nan" not in result.output


def test_adjust_then_close(lev, session, contracts, figures, liquid_market, accounts) -> None:
    user = accounts[7]
    assert (
        lev(
            "open",
            "--accept-risk",
            "--amount",
            "10",
            "--leverage",
            "50",
            "--native",
            "--account",
            LEVERAGER,
            "--yes",
        ).exit_code
        == 0
    )
    assert figures(user).leverage == pytest.approx(50, rel=1e-4)
    result = lev("adjust", "--leverage", "20", "--account", LEVERAGER, "--yes")
    assert result.exit_code == 0, result.output
    assert figures(user).leverage == pytest.approx(20, rel=1e-4)
    result = lev("adjust", "--leverage", "30", "--account", LEVERAGER, "--yes")
    assert result.exit_code == 1 and "negative carry" in result.output, "adjusting up asks too"
    result = lev("adjust", "--leverage", "30", "--accept-risk", "--account", LEVERAGER, "--yes")
    assert result.exit_code == 0, result.output
    # The fees of the move down raised the LST's rate; the oracle trails it (growth cap), so new collateral
    # costs a little more than the market values it and the router lands slightly above the target.
    assert figures(user).leverage == pytest.approx(30, rel=0.02)
    expected = previews.preview_close(session.info, session.snapshot(user.address)).x_out
    before = contracts.x.balanceOf(user)
    result = lev("close", "--account", LEVERAGER, "--yes")
    assert result.exit_code == 0, result.output
    received = contracts.x.balanceOf(user) - before
    # Blocks are a second apart (conftest's anvil): the close lands a block after the preview's state, and
    # that second adds interest on the 490 X debt (about 1.6e-7 X a second at 1% APR); nothing else moves.
    assert received == pytest.approx(expected, abs=session.units(1e-5))
    assert received <= expected
    assert figures(user) is None
    assert number(r"received ([\d,.]+)", result.output) == pytest.approx(received / 1e18, abs=1e-4)


def test_close_to_lst(lev, session, contracts, liquid_market, accounts) -> None:
    user = accounts[7]
    opened = lev(
        "open",
        "--accept-risk",
        "--amount",
        "2",
        "--leverage",
        "8",
        "--native",
        "--account",
        LEVERAGER,
        "--yes",
    )
    assert opened.exit_code == 0
    expected = previews.preview_close(session.info, session.snapshot(user.address), CLOSE_TO_LST).lst_out
    result = lev("close", "--to-lst", "--account", LEVERAGER, "--yes")
    assert result.exit_code == 0, result.output
    # Blocks are a second apart (conftest's anvil): the second between preview and close adds about 1e-9
    # of the 14 X debt in interest.
    assert contracts.lst.balanceOf(user) == pytest.approx(expected, rel=1e-7)
    assert contracts.lst.balanceOf(user) <= expected


def test_status_shows_the_position(lev, liquid_market) -> None:
    opened = lev(
        "open",
        "--accept-risk",
        "--amount",
        "4",
        "--leverage",
        "25",
        "--native",
        "--account",
        LEVERAGER,
        "--yes",
    )
    assert opened.exit_code == 0
    result = lev("status", "--account", LEVERAGER)
    assert result.exit_code == 0, result.output
    assert "leverage 25.00x" in result.output
    # Health = value x LLTV / debt; at 25x the debt is 24/25 of the value.
    assert number(r"health ([\d.]+)", result.output) == pytest.approx(0.99 * 25 / 24, rel=1e-3)
    for figure in ("time to liquidation", "if closed now", "at book value", "liquidated within a year"):
        assert figure in result.output


def test_max_reports_what_liquidity_allows(lev, session, liquid_market) -> None:
    result = lev("max")
    assert result.exit_code == 0, result.output
    assert "max leverage 50.00x" in result.output
    assert "you can open up to 50.00x" in result.output
    # 1,000 X at 50x would need 49,000 X of the 5,000 idle: liquidity caps it near 1 + 5,000 / 1,000.
    result = lev("max", "--amount", "1000")
    available = number(r"you can open up to ([\d.]+)x", result.output)
    assert available == pytest.approx(6, rel=0.01)
    snapshot, assets = session.snapshot(), session.units(1000)
    assignable = previews.max_leverage_for(session.info, snapshot, assets)
    assert previews.preview_open(session.info, snapshot, assets, int(assignable * WAD)).fits_liquidity
    assert not previews.preview_open(
        session.info, snapshot, assets, int((assignable + 0.01) * WAD)
    ).fits_liquidity
    assert assignable == round(assignable, 2)  # rounded down to what a user types back, never up
    # Dust no open can take: the open's own reason, not "up to 1.00x" (a new user's walk).
    dust = lev("max", "--amount", "1e-18")
    assert dust.exit_code == 1 and "you can open" not in dust.output, dust.output
    refused = lev("preview", "--amount", "1e-18", "--leverage", "1").output.strip().splitlines()[-1]
    assert refused.startswith("Error: ") and dust.output.strip() == refused


def test_watch_shows_positions_and_flags_those_near_liquidation(
    lev, contracts, liquid_market, accounts
) -> None:
    assert (
        lev(
            "open",
            "--accept-risk",
            "--amount",
            "5",
            "--leverage",
            "50",
            "--native",
            "--account",
            LEVERAGER,
            "--yes",
        ).exit_code
        == 0
    )
    result = lev("watch", "--blocks", "1")
    assert result.exit_code == 0, result.output
    assert accounts[7].address in result.output
    assert "50.00x" in result.output
    assert "near liquidation" not in result.output
    # Slashing 1% of the delegated stake (most of the LST's assets) takes health from 1.0102 to about 1.001.
    contracts.lst.rebalance(sender=accounts[0])
    contracts.validator.slash(contracts.lst, 100, sender=accounts[0])
    contracts.lst.sync_rewards(sender=accounts[0])
    result = lev("watch", "--blocks", "1")
    assert "near liquidation" in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (("open", "--amount", "1", "--leverage", "51", "--native"), "above the market's max 50.00x"),
        (("open", "--amount", "1", "--leverage", "0.5", "--native"), "below 1x"),
        (("open", "--amount", "1000000000", "--leverage", "2", "--native"), "is above your native balance"),
        (("open", "--amount", "1.0000000000000000001", "--leverage", "2", "--native"), "WNAT has 18"),
        (("open", "--amount", "1", "--leverage", "5"), "is above your WNAT balance"),
        (("adjust", "--leverage", "5"), "no position to adjust"),
        (("close",), "no position to close"),
    ],
)
def test_bad_input_is_a_one_line_error(lev, liquid_market, accounts, args, message) -> None:
    nonce = accounts[9].nonce
    result = lev(*args, "--account", "TEST::9", "--yes")
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.strip().count("\n") <= 8 and "Traceback" not in result.output
    assert accounts[9].nonce == nonce


def test_sending_the_native_coin_the_gas_needs_is_refused_before_signing(
    lev, liquid_market, accounts
) -> None:
    # What a transaction sends and its gas come from one balance. Ape checks the value plus one unit of gas's
    # fee, the node the value plus the gas limit times the fee cap: between the two, Ape signed and the node
    # refused ("insufficient funds for gas * price + value"); at the balance, Ape's own "Transfer value meets
    # or exceeds account balance ... Are you using the correct account / chain / provider combination?".
    # Both are refused before the question now, with the most that can be sent, which then goes through.
    account = accounts[9]
    nonce, balance = account.nonce, account.balance
    for sent in (balance, balance - 10**16):
        result = lev("wrap", "--amount", fmt.exact(sent, 18), "--account", "TEST::9", "--yes")
        assert result.exit_code == 1
        last = result.output.strip().splitlines()[-1]
        assert last.startswith(f"Error: wrap sends {fmt.exact(sent, 18)} native and its gas may"), last
        assert last.endswith("; nothing was signed") and account.nonce == nonce and account.balance == balance
    most = re.search(r"send at most ([\d.]+) native", last).group(1)
    result = lev("wrap", "--amount", most, "--account", "TEST::9", "--yes")
    assert result.exit_code == 0, result.output
    assert account.nonce == nonce + 1


def test_negative_carry_needs_accept_risk_and_says_why(lev, liquid_market, accounts) -> None:
    # No reward stream on this chain: the staking APR is 0, below any borrow APR.
    nonce = accounts[9].nonce
    result = lev("open", "--amount", "1", "--leverage", "2", "--native", "--account", "TEST::9", "--yes")
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: negative carry: after your borrow the borrow APR")
    # What the consent is for, also where the net APR stays positive (a 1x open that borrows dust).
    assert "what you borrow costs more than it earns, the position's net APR" in last
    assert "pass --accept-risk" in last
    assert accounts[9].nonce == nonce


def test_open_without_leverage_is_refused_not_50x(lev, liquid_market, accounts) -> None:
    nonce = accounts[9].nonce
    result = lev("open", "--amount", "1", "--native", "--account", "TEST::9", "--yes")
    assert result.exit_code == 2 and "Missing option '--leverage'" in result.output
    assert accounts[9].nonce == nonce


def test_unknown_account(lev) -> None:
    result = lev("status", "--account", "no-such-wallet")
    assert result.exit_code == 1
    assert "unknown account 'no-such-wallet'" in result.output


def test_missing_deployment_file(run, tmp_path) -> None:
    result = run("leverage", "max", "--deployment", tmp_path / "none.json")
    assert result.exit_code == 1
    assert "no deployment file" in result.output and "make devnet" in result.output


def test_deployment_of_another_network(run, deployment, tmp_path) -> None:
    data = json.loads(deployment.read_text())
    data["chain_id"], data["network"] = 11155111, "sepolia"
    foreign = tmp_path / "ethereum-sepolia.json"
    foreign.write_text(json.dumps(data))
    result = run("leverage", "max", "--deployment", foreign)
    assert result.exit_code == 1
    assert "is for chain 11155111" in result.output


def test_deployment_whose_contracts_are_gone(run, deployment, tmp_path) -> None:
    data = json.loads(deployment.read_text())
    data["contracts"]["router"] = "0x" + "12" * 20
    stale = tmp_path / "stale.json"
    stale.write_text(json.dumps(data))
    result = run("leverage", "max", "--deployment", stale)
    assert result.exit_code == 1
    assert "no LevStake router" in result.output and "make devnet" in result.output


def test_borrowers_are_read_incrementally_and_survive_a_devnet_rewind(
    lev, session, liquid_market, accounts, chain
) -> None:
    leverager = accounts[7].address
    reader = session.reader
    before = reader.borrowers()
    assert leverager not in before
    snapshot = chain.snapshot()
    assert (
        lev(
            "open",
            "--accept-risk",
            "--amount",
            "5",
            "--leverage",
            "50",
            "--native",
            "--account",
            LEVERAGER,
            "--yes",
        ).exit_code
        == 0
    )
    assert reader.borrowers() == [*before, leverager]
    assert reader._supplies.scanned == chain.blocks.height + 1  # the next call reads only new blocks
    chain.restore(snapshot)
    assert reader.borrowers() == before


def test_close_into_the_queue_says_so_and_claim_pays_once_due(
    lev, session, contracts, liquid_market, accounts, chain
) -> None:
    user = accounts[7]
    opened = lev(
        "open",
        "--accept-risk",
        "--amount",
        "4",
        "--leverage",
        "10",
        "--native",
        "--account",
        LEVERAGER,
        "--yes",
    )
    assert opened.exit_code == 0, opened.output
    expected = previews.preview_close(session.info, session.snapshot(user.address), CLOSE_TO_QUEUE)
    assert expected.mode == CLOSE_TO_QUEUE and expected.queued > 0
    result = lev("close", "--queue", "--account", LEVERAGER, "--yes")
    assert result.exit_code == 0, result.output
    assert "queues" in result.output and "claim it in about 7.0 days" in result.output
    request_id = int(number(r"queued   request (\d+)", result.output))
    request = session.reader.request(request_id)
    assert request.receiver == user.address and not request.due
    assert request.value == pytest.approx(expected.queued, rel=1e-8)
    nonce = user.nonce
    result = lev("claim", "--request", request_id, "--account", LEVERAGER, "--yes")
    assert result.exit_code == 1, result.output
    assert "claiming now pays nothing" in result.output and user.nonce == nonce
    chain.mine(deltatime=contracts.validator.unbonding_delay() + 1)
    x_before = contracts.x.balanceOf(user)
    result = lev("claim", "--request", request_id, "--account", LEVERAGER, "--yes")
    assert result.exit_code == 0, result.output
    assert contracts.x.balanceOf(user) - x_before == request.value


def test_adjust_past_the_buffer_needs_partial(
    lev, session, contracts, figures, liquid_market, accounts
) -> None:
    user = accounts[7]
    assert (
        lev(
            "open",
            "--accept-risk",
            "--amount",
            "10",
            "--leverage",
            "50",
            "--native",
            "--account",
            LEVERAGER,
            "--yes",
        ).exit_code
        == 0
    )
    contracts.lst.rebalance(sender=accounts[0])  # the buffer falls to its target, far below the step down
    result = lev("adjust", "--leverage", "2", "--account", LEVERAGER, "--yes")
    assert result.exit_code == 1
    assert "add --partial" in result.output
    # No close runs either: every way out is named, the wallet's own `repay` (no buffer needed) among them.
    result = lev("close", "--account", LEVERAGER, "--yes")
    assert result.exit_code == 1
    assert "an adjust down with --partial (on the page: step as far as the buffer allows)" in result.output
    assert "a repay from your wallet lowers the debt at once" in result.output
    estimate = previews.preview_adjust(session.info, session.snapshot(user.address), 2 * WAD, partial=True)
    assert estimate.partial and 2 < estimate.after.leverage < 50
    result = lev("adjust", "--leverage", "2", "--partial", "--account", LEVERAGER, "--yes")
    assert result.exit_code == 0, result.output
    assert "(the buffer's limit)" in result.output
    assert figures(user).leverage == pytest.approx(estimate.after.leverage, rel=1e-3)


def test_an_announced_parameter_change_is_shown_with_its_time(
    lev, contracts, liquid_market, accounts
) -> None:
    contracts.governor.announce_parameter(3, 50, sender=accounts[0])
    commands = (
        ("status", "--account", LEVERAGER),
        ("preview", "--amount", "1", "--leverage", "2"),
        ("watch", "--blocks", "1"),
    )
    for args in commands:
        result = lev(*args)
        assert result.exit_code == 0, result.output
        expected = "pending  LST instant_fee_bps 10 -> 50: announced by the owner, applies in 10.0 days"
        assert expected in result.output


def test_a_governor_the_lst_does_not_answer_to_is_flagged(
    run, deployment, contracts, liquid_market, accounts, project, tmp_path
) -> None:
    """Pending parameter changes are read from the governor the LST names, and only count if that governor is
    bound to the LST: a deployment file naming another governor, or an LST whose governor is bound elsewhere
    (`bind` is once), is said so before any figure."""
    data = json.loads(Path(deployment).read_text())

    def status(**contracts_: str) -> str:
        path = tmp_path / f"{'-'.join(contracts_)}.json"
        path.write_text(json.dumps({**data, "contracts": {**data["contracts"], **contracts_}}))
        result = run("leverage", "status", "--account", LEVERAGER, "--deployment", path)
        assert result.exit_code == 0, result.output
        return result.output

    stale = accounts[0].deploy(project.StakingGovernor)
    output = status(governor=stale.address)
    named = f"WARNING  the deployment file names {stale.address} as the LST's governor but the LST names"
    assert named in output
    assert "is not bound to it" not in output
    # An LST that names the protocol's governor, which is bound to the protocol's LST: nothing it announces
    # reaches this one.
    decoy = accounts[0].deploy(
        project.LiquidStaking, contracts.x, contracts.validator, accounts[0], "D", "D", 18, contracts.governor
    )
    output = status(lst=decoy.address)
    assert (
        f"WARNING  the LST's governor {contracts.governor.address} is not bound to it "
        f"(it answers {contracts.lst.address}): the changes it announces never reach this LST"
    ) in output
    assert "is not bound to it" not in status()


def test_a_market_the_factory_does_not_list_is_flagged(
    lev, contracts, liquid_market, accounts, project
) -> None:
    market = contracts.market
    stray = accounts[0].deploy(
        project.LendingMarket,
        contracts.x,
        contracts.lst,
        market.oracle(),
        market.irm(),
        market.max_ltv(),
        market.lltv(),
        0,
        accounts[0],
        accounts[0],
        "Stray",
        "STRAY",
        18,
    )
    result = lev("status", "--account", LEVERAGER, "--market", stray.address)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"WARNING  market {stray.address} is not listed by the LevStake factory")
    result = lev("status", "--account", LEVERAGER)
    assert "WARNING" not in result.output


def test_adjust_up_past_idle_liquidity_is_refused_before_its_figures(
    lev, session, liquid_market, accounts
) -> None:
    # An adjust up borrows from the market's idle X: past it the router reverts "market: insufficient
    # liquidity". It was refused only by the simulation, after figures of a borrow the market cannot lend.
    amount = tenth_of_idle(session)
    opened = lev("open", "--amount", amount, "--leverage", "2", "--native", "--accept-risk", "--account",
                 "TEST::9", "--yes")  # fmt: skip
    assert opened.exit_code == 0, opened.output
    nonce = accounts[9].nonce
    result = lev("adjust", "--leverage", "50", "--accept-risk", "--account", "TEST::9", "--yes")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [result.output.strip().splitlines()[-1]], "no figures first"
    fits = number(r"up to ([\d.]+)x fits now", result.output)
    assert result.output.startswith("Error: liquidity short for 50x: the market has ")
    assert accounts[9].nonce == nonce
    snapshot = session.snapshot(accounts[9].address)
    assert previews.preview_adjust(session.info, snapshot, int(fits * WAD)).fits_liquidity
    assert not previews.preview_adjust(session.info, snapshot, int((fits + 0.01) * WAD)).fits_liquidity


def test_an_open_past_idle_liquidity_is_refused_before_its_figures_with_what_fits(
    lev, session, liquid_market, accounts
) -> None:
    # A new user's walk: `open` printed a whole preview (utilization 48,571.66%, borrow APR 40%) and then
    # "not enough idle liquidity for 50x", without the leverage that fits; the README says before any figure.
    amount = tenth_of_idle(session)
    nonce = accounts[8].nonce
    for command in ("open", "preview"):
        args = ["--account", "TEST::8", "--yes", "--native"] if command == "open" else []
        result = lev(command, "--amount", amount, "--leverage", "50", *args)
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert lines[-1].startswith("Error: liquidity short for 50x: the market has "), result.output
        figures = [line for line in lines if "after your open" in line or line.startswith("position")]
        assert not figures, result.output
        assert number(r"up to ([\d.]+)x fits now", result.output) < 50
    assert accounts[8].nonce == nonce


def test_a_refusal_for_slippage_says_how_to_allow_some() -> None:
    # `--slippage 0` lets no price move between the preview and the block: the refusal says what to change.
    from levstake.cli import Session
    from levstake.reads import Outcome

    session = Session.__new__(Session)  # no node: only the refusal's wording is under test
    for reason, hint in (("router: slippage", True), ("router: deadline passed", False)):
        refusal = [Outcome("open", True, reason, b"")]
        session.reader = SimpleNamespace(simulate=lambda txs, sender, found=refusal: found)
        with pytest.raises(ClientError) as refused:
            session.refuse([SimpleNamespace()], "0x" + "00" * 20)
        assert str(refused.value).startswith(f"open would revert ({reason}); nothing was sent")
        assert str(refused.value).endswith("; allow some loss with --slippage (50 bps by default)") == hint


def test_a_malformed_market_address_is_refused_in_one_line(lev) -> None:
    # It reached the reader's address normalisation and printed a traceback (`Unknown format '0x1234'`).
    for command in (("preview", "--amount", "10", "--leverage", "10"), ("status",)):
        result = lev(*command, "--market", "0x1234")
        assert result.exit_code == 2, result.output
        refusal = "Invalid value for '--market': '0x1234' is not an address (0x and 40 hex digits)"
        assert refusal in result.output
        assert "Traceback" not in result.output
    # Without 0x, or with a checksum a typo broke (EIP-55 mixed case), also refused before any read.
    market = to_checksum_address("0x" + "d3cda913deb6f67967b99d67acdfa1712c293601")
    first = next(index for index, char in enumerate(market) if index > 1 and char.isalpha())
    typo = market[:first] + market[first].swapcase() + market[first + 1 :]  # one letter's case flipped
    for value, reason in ((market[2:], "is not an address"), ("0X" + market[2:], "is not an address"),
                          (typo, "has a wrong checksum: a typo?")):  # fmt: skip
        result = lev("status", "--market", value)
        assert result.exit_code == 2 and reason in result.output, result.output
