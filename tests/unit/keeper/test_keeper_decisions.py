"""
The keeper's decisions and fault handling as plain functions, no chain and no runner: an action is sent at
most once per block; a revert meaning another keeper acted first is a lost race (logged, not counted, not
raised) while any other failure is counted and rests the action; a liquidation is sent only when its profit
covers the gas, with that gas cost as `min_profit`; a dry run sends nothing; RPC faults are retried with
back-off and nothing else is; the carry checkpoint falls due hourly and only for a carry guard; the market's
accrual hourly and only while it has debt.
"""

from __future__ import annotations

from types import SimpleNamespace

import eth_abi
import pytest
import requests

from levstake.keeper import keeper as keeper_module
from levstake.keeper import retry, scan
from levstake.keeper.keeper import COOLDOWN_BLOCKS, Action, Keeper, check_accrual, check_carry_checkpoint
from levstake.rpc import Block, ReadError
from levstake.txs import TxRequest

ADDRESS = "0x" + "11" * 20
LIQUIDATE_ABI = [
    {
        "type": "function",
        "name": "liquidate",
        "inputs": [{"name": n, "type": t} for n, t in [
            ("market", "address"), ("borrower", "address"), ("seized_assets", "uint256"),
            ("repaid_shares", "uint256"), ("min_profit", "uint256"), ("deadline", "uint256"),
            ("keep_lst", "bool"),
        ]],
        "outputs": [],
    },
    {
        "type": "event",
        "name": "Liquidated",
        "inputs": [{"name": n, "type": "uint256", "indexed": False} for n in ("assets_out", "shares_out")],
        "anonymous": False,
    },
]  # fmt: skip


SOME_LOG = {"address": "0x" + "33" * 20, "topics": ["0x" + "44" * 32], "data": "0x"}


class FakeDeployment:
    block = 0

    def require(self, *keys: str) -> None:
        pass

    def abi(self, key: str):
        from levstake.abi import ContractAbi

        return ContractAbi(LIQUIDATE_ABI)


def make_keeper(send_error: BaseException | None = None, gas: int = 100_000, price: int = 10**9, **options):
    sent: list[tuple[TxRequest, int]] = []
    lines: list[str] = []

    def send(tx: TxRequest, gas_limit: int):
        if send_error is not None:
            raise send_error
        sent.append((tx, gas_limit))
        return {"gasUsed": gas, "effectiveGasPrice": price, "logs": [SOME_LOG]}  # it did something

    head: list[Block] = []  # the chain's head when a test sets one; else the block being handled
    reader = SimpleNamespace(
        deployment=FakeDeployment(),
        addresses={"market": ADDRESS, "liquidator": ADDRESS},
        info=SimpleNamespace(decimals=18),
        head=head,
        block=lambda: head[-1],
    )
    keeper = Keeper(reader, None, send, lambda tx: (gas, price), log=lines.append, **options)  # type: ignore[arg-type]
    return keeper, sent, lines


def liquidation(value: int) -> Action:
    function = FakeDeployment().abi("liquidator").function("liquidate", 7)
    data = function.encode(ADDRESS, ADDRESS, 0, 5, 0, 2**40, False)
    return Action("liquidate", ADDRESS, TxRequest(ADDRESS, data, 0, "liquidate"), "health below 1", value)


def test_an_action_is_sent_once_per_block_however_often_the_block_is_handled() -> None:
    keeper, sent, _ = make_keeper()
    action = Action("sync_rewards", None, TxRequest(ADDRESS, b"", 0, "sync"), "due")
    keeper.reader.head.append(Block(7, 0))
    assert keeper.perform(Block(7, 0), action).status == "sent"
    assert keeper.perform(Block(7, 0), action).status == "skipped"
    assert len(sent) == 1
    keeper.reader.head.append(Block(8, 0))
    assert keeper.perform(Block(8, 0), action).status == "sent"


def test_an_upkeep_job_another_keeper_ran_since_its_block_is_a_lost_race_not_sent(monkeypatch) -> None:
    """An operator's walkthrough: three keepers decided `rebalance` at one block and all three sent it; the
    second and third landed doing nothing (it does not revert) and were logged as done, gas paid."""
    keeper, sent, lines = make_keeper()
    action = Action("rebalance", None, TxRequest(ADDRESS, b"", 0, "rebalance"), "due")
    states = {9: "due at 9", 10: None}  # another keeper's rebalance landed in block 10
    monkeypatch.setattr(keeper_module.jobs, "read_upkeep", lambda reader, head: states[head.number])
    monkeypatch.setitem(keeper_module.jobs.JOBS, "rebalance", (lambda state: state, None))
    keeper.reader.head.append(Block(10, 0))
    outcome = keeper.perform(Block(9, 0), action)
    assert (outcome.status, outcome.detail) == ("lost race", "no longer due at block 10") and not sent
    keeper.reader.head.append(Block(11, 0))
    states[11] = "due again"
    assert keeper.perform(Block(9, 0), action).status == "sent"


def test_an_upkeep_job_that_landed_doing_nothing_is_a_lost_race_with_its_gas() -> None:
    keeper, _, lines = make_keeper()
    keeper.send = lambda tx, gas_limit: {"gasUsed": 73_689, "effectiveGasPrice": 10**9, "logs": []}
    keeper.reader.head.append(Block(7, 0))
    action = Action("rebalance", None, TxRequest(ADDRESS, b"", 0, "rebalance"), "due")
    outcome = keeper.perform(Block(7, 0), action)
    assert outcome.status == "lost race" and keeper.stats.sent == 0 and keeper.stats.lost_races == 1
    assert lines[-1] == "lost race block 7: rebalance: landed doing nothing (gas 73,689, 0.000074 X)"


@pytest.mark.parametrize(
    "reason", ["market: position is healthy", "guard: no trigger holds", "oracle: snapshot too recent"]
)
def test_a_revert_from_a_lost_race_is_logged_not_counted(reason) -> None:
    keeper, _, lines = make_keeper(send_error=ReadError(reason))
    outcome = keeper.perform(Block(7, 0), liquidation(10**18))
    assert outcome.status == "lost race" and keeper.stats.failed == 0 and keeper.stats.lost_races == 1
    assert reason in lines[-1] and lines[-1].startswith("lost race")


def test_an_unexpected_failure_is_counted_and_the_action_rests() -> None:
    keeper, _, _ = make_keeper(send_error=ReadError("market: something new"))
    action = liquidation(10**18)
    assert keeper.perform(Block(7, 0), action).status == "failed"
    assert keeper.stats.failed == 1
    assert keeper.perform(Block(8, 0), action).detail.startswith("already sent")
    keeper.send = lambda tx, gas: {"gasUsed": 1, "effectiveGasPrice": 1}
    assert keeper.perform(Block(7 + COOLDOWN_BLOCKS, 0), action).status == "sent"


def test_a_failure_raises_only_after_the_blocks_other_actions(monkeypatch) -> None:
    keeper, sent, _ = make_keeper()
    bad = Action("rebalance", None, TxRequest("0x" + "22" * 20, b"", 0, "rebalance"), "due")
    good = Action("sync_rewards", None, TxRequest(ADDRESS, b"", 0, "sync"), "due")

    def send(tx, gas_limit):
        if tx.to != ADDRESS:
            raise RuntimeError("boom")
        sent.append(tx)
        return {"gasUsed": 1, "effectiveGasPrice": 1, "logs": [SOME_LOG]}

    keeper.send = send
    monkeypatch.setattr(keeper, "_notice_chain", lambda block: True)
    keeper.reader.head.append(Block(9, 0))
    monkeypatch.setattr(keeper.index, "update", lambda height: False)
    monkeypatch.setattr(keeper, "upkeep_actions", lambda block: [bad, good])
    monkeypatch.setattr(keeper, "guard_actions", lambda block: (set(), []))
    monkeypatch.setattr(keeper, "liquidation_actions", lambda block, exclude: [])
    with pytest.raises(keeper_module.KeeperFailure, match="rebalance"):
        keeper.on_block(Block(9, 0))
    assert sent == [good.tx]


def test_a_liquidation_is_sent_only_when_its_profit_covers_the_gas_and_asks_for_that_much() -> None:
    gas, price = 250_000, 2 * 10**9
    cost = gas * keeper_module.ESTIMATE_GAS_MARGIN_BPS // 10_000 * price
    keeper, sent, lines = make_keeper(gas=gas, price=price)
    assert keeper.perform(Block(7, 0), liquidation(cost - 1)).status == "skipped"
    assert not sent and "X below gas cost 0.000600 X" in lines[-1]  # in X, as every other line (was wei)
    assert keeper.perform(Block(8, 0), liquidation(cost)).status == "sent"
    ((tx, gas_limit),) = sent
    arguments = eth_abi.decode(
        ["address", "address", "uint256", "uint256", "uint256", "uint256", "bool"], tx.data[4:]
    )
    assert arguments[4] == cost and arguments[3] == 5 and gas_limit == cost // price


def test_a_dry_run_sends_nothing_and_says_what_it_would_send() -> None:
    keeper, sent, lines = make_keeper(dry_run=True)
    assert keeper.perform(Block(7, 0), liquidation(10**18)).status == "dry-run"
    assert not sent and lines[-1].startswith("dry-run") and "would send liquidate" in lines[-1]


def test_rpc_faults_are_retried_with_back_off_and_reverts_are_not() -> None:
    calls, delays = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise requests.ConnectionError("refused")
        return "answer"

    assert retry.with_retries(flaky, sleep=delays.append) == "answer"
    assert delays == [0.25, 0.5]
    with pytest.raises(ValueError):
        retry.with_retries(lambda: (_ for _ in ()).throw(ValueError("revert")), sleep=delays.append)
    assert delays == [0.25, 0.5]
    always = retry.with_retries
    with pytest.raises(requests.Timeout):
        always(lambda: (_ for _ in ()).throw(requests.Timeout()), attempts=3, sleep=delays.append)
    assert delays[2:] == [0.25, 0.5]


def test_a_round_the_node_cannot_answer_is_skipped_with_a_line_and_a_bug_still_raises() -> None:
    # A new operator's walk: with the devnet stopped, every 5-minute round raised after the reads' retries;
    # the third such failure made Silverback stop each running bot for good, with no line saying why.
    lines: list[str] = []

    def down() -> list[str]:
        raise requests.ConnectionError("HTTPConnectionPool(host='127.0.0.1', port=8545): refused")

    assert retry.round_or_skip("5-minute round", down, lines.append, []) == []
    assert lines == [
        "rpc      5-minute round skipped, no answer from the node (ConnectionError: HTTPConnectionPool(host="
        "'127.0.0.1', port=8545): refused): next round retries"
    ]
    assert retry.round_or_skip("block 7", lambda: ["sent"], lines.append, []) == ["sent"]
    with pytest.raises(ZeroDivisionError):  # not the node's fault: the task fails, as it should
        retry.round_or_skip("block 8", lambda: 1 // 0, lines.append, [])
    assert len(lines) == 1


def test_the_carry_checkpoint_is_due_hourly_and_only_for_a_carry_guard() -> None:
    assert check_carry_checkpoint(1_000, 1_000 + 3_600, [0, 0]) is None
    assert check_carry_checkpoint(1_000, 1_000 + 3_599, [24]) is None
    assert check_carry_checkpoint(1_000, 1_000 + 3_600, [0, 24]) is not None
    assert check_carry_checkpoint(0, 5, [24]) == "no carry checkpoint yet"


def test_an_idle_market_with_debt_is_accrued_hourly() -> None:
    # Within the hour, or without debt, an accrual changes nothing a round could miss.
    assert check_accrual(1_000, 1_000 + 3_599, 10**18) is None
    assert check_accrual(1_000, 1_000 + 10 * 3_600, 0) is None
    assert check_accrual(1_000, 1_000 + 3_600, 1) is not None


@pytest.mark.parametrize("checkpoint_due", [False, True])
def test_a_round_accrues_the_market_unless_its_carry_checkpoint_does(monkeypatch, checkpoint_due) -> None:
    keeper, _, _ = make_keeper()
    monkeypatch.setattr(keeper_module.jobs, "JOBS", {})
    monkeypatch.setattr(keeper_module.jobs, "read_upkeep", lambda reader, block: None)
    monkeypatch.setattr(keeper, "check_carry_checkpoint", lambda block: "due" if checkpoint_due else None)
    # `last_update`, then `total_borrow_assets`.
    keeper.reader.call_many = lambda calls, block, strict: [1_000, 10**19]
    keeper.builder = SimpleNamespace(
        accrue_interest=lambda: TxRequest(ADDRESS, b"accrue", 0, "accrue interest"),
        guard_checkpoint=lambda: TxRequest(ADDRESS, b"checkpoint", 0, "carry checkpoint"),
    )
    kinds = [action.kind for action in keeper.upkeep_actions(Block(9, 1_000 + 3_600))]
    assert kinds == (["carry_checkpoint"] if checkpoint_due else ["accrue_interest"])
    early = [action.kind for action in keeper.upkeep_actions(Block(9, 1_000 + 3_599))]
    assert early == (["carry_checkpoint"] if checkpoint_due else [])
    # A failed read skips the accrual (and nothing else of the round).
    keeper.reader.call_many = lambda calls, block, strict: [ReadError("reverted"), ReadError("reverted")]
    late = [action.kind for action in keeper.upkeep_actions(Block(9, 1_000 + 3_600))]
    assert late == (["carry_checkpoint"] if checkpoint_due else [])


def test_the_lens_answer_is_read_as_the_abi_says() -> None:
    pairs = [(1, 2), (2**255, 0), (0, 7)]
    data = eth_abi.encode(["(uint256,uint256)[]"], [pairs])
    assert scan._pairs(data) == pairs
    assert scan._pairs(eth_abi.encode(["(uint256,uint256)[]"], [[]])) == []


def test_a_liquidation_plan_with_a_reason_or_a_loss_is_skipped() -> None:
    plan = scan.LiquidationPlan(ADDRESS, 0, 5, 10, 10, 11, 1, "")
    assert scan.worth_liquidating(plan, 1) is None
    assert "below the gas cost" in scan.worth_liquidating(plan, 2)
    losing = scan.LiquidationPlan(ADDRESS, 0, 5, 10, 10, 9, -1, "liquidator: would lose money")
    assert scan.worth_liquidating(losing, 0) == "liquidator: would lose money"


def test_a_liquidation_skipped_for_the_same_reason_is_said_once_an_hour_not_every_block(monkeypatch) -> None:
    # An operator's walk: a whale the buffer could not liquidate logged "skip ... buffer too small" at every
    # block, two lines a block for as long as it stayed so.
    keeper, _, lines = make_keeper()
    stuck, other = "0x" + "aa" * 20, "0x" + "bb" * 20
    reasons = {stuck: "liquidator: buffer too small", other: "liquidator: would lose money"}

    def plans(reader, users, block, keep):
        return [scan.LiquidationPlan(user, 0, 1, 0, 0, 0, 0, reasons[user]) for user in users]

    monkeypatch.setattr(keeper_module.scan, "read_positions", lambda reader, users, block: users)
    monkeypatch.setattr(keeper_module.scan, "liquidatable", lambda positions: positions)
    monkeypatch.setattr(keeper_module.scan, "liquidation_plans", plans)
    keeper.index.borrowers = {stuck: None, other: None}
    repeat = keeper_module.SKIP_REPEAT_BLOCKS
    for number in range(100, 171 + repeat):
        if number == 150:
            reasons[stuck] = "liquidator: would lose money"  # a new reason is said at once
        if number == 160:
            keeper.index.borrowers = {stuck: None}  # the other one left (liquidated, healthy) ...
        if number == 170:
            keeper.index.borrowers = {stuck: None, other: None}  # ... and came back: said again
        assert keeper.liquidation_actions(Block(number, number * 12), set()) == []
    said = [(int(line.split()[2].rstrip(":")), line.split()[4].rstrip(":")) for line in lines]
    assert said == [
        (100, stuck),
        (100, other),
        (150, stuck),
        (170, other),
        (150 + repeat, stuck),
        (170 + repeat, other),
    ]


def test_a_web3_revert_logs_as_its_reason_not_as_a_tuple_with_hex_data() -> None:
    # web3's ContractLogicError is (message, data): its str() put "('execution reverted: ...', '0x08c3...')"
    # in the devnet's log line.
    from web3.exceptions import ContractLogicError

    data = "0x08c379a0" + eth_abi.encode(["string"], ["oracle: snapshot too recent"]).hex()
    error = ContractLogicError("execution reverted: oracle: snapshot too recent", data)
    assert keeper_module.revert_reason(error) == "oracle: snapshot too recent"
    assert keeper_module.expected(keeper_module.revert_reason(error))
    assert keeper_module.revert_reason(RuntimeError("connection reset")) is None


def test_a_restarted_chain_is_noticed_once_by_its_first_block_even_past_the_old_height(monkeypatch) -> None:
    """An operator's walkthrough: a new devnet already past the old height when the bot reconnected kept the
    old index (only a head that went back was noticed) and never saw its borrowers; a devnet redeploying
    was noticed again at every skipped block (0, then 6, then 30)."""
    keeper, _, lines = make_keeper()
    answers: dict[str, tuple[bytes, Block]] = {}
    # The code and the first block; the last block handled, when asked, is gone (a chain that went back).
    keeper.reader.transport = SimpleNamespace(
        request_many=lambda requests: (*answers["now"], None)[: len(requests)]
    )
    resets: list[int] = []
    monkeypatch.setattr(keeper.index, "reset", lambda: resets.append(1))
    old, new = Block(0, 1_000, "0xaa"), Block(0, 2_000, "0xbb")
    answers["now"] = (b"\x01", old)
    assert keeper._notice_chain(Block(104, 0)) and not resets
    answers["now"] = (b"", new)  # the new devnet, not deployed yet
    assert not keeper._notice_chain(Block(0, 0))
    assert not keeper._notice_chain(Block(6, 0))
    answers["now"] = (b"\x01", new)
    assert keeper._notice_chain(Block(30, 0))
    assert keeper._notice_chain(Block(500, 0))
    assert len(resets) == 1 and keeper.stats.restarts == 1
    answers["now"] = (b"\x01", Block(0, 3_000, "0xcc"))  # another one, past the height already
    assert keeper._notice_chain(Block(900, 0))
    assert len(resets) == 2
    restarts = [line for line in lines if line.startswith("restart")]
    assert "went back from block 104 to 0" in restarts[0] and "new first block (at block 900)" in restarts[1]


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("LEVSTAKE_KEEPER_DRY_RUN", "on", "use 1, true or yes"),
        ("LEVSTAKE_KEEPER_KEEP_LST", "y", "use 1, true or yes"),
        ("LEVSTAKE_KEEPER_POLL", "abc", "not a number"),
        ("LEVSTAKE_KEEPER_POLL", "0", "a number above 0"),
        ("LEVSTAKE_KEEPER_POLL", "1e-9", "at least 0.05 s"),
        ("LEVSTAKE_KEEPER_X_PER_NATIVE", "nan", "a number above 0"),
        ("LEVSTAKE_KEEPER_X_PER_NATIVE", "-1", "a number above 0"),
    ],
)
def test_a_setting_the_bot_does_not_understand_stops_it_at_start_up_by_name(
    monkeypatch, name, value, reason
) -> None:
    """An operator's walkthrough: DRY_RUN=on ran a bot live, POLL=abc crashed a round and exited 0, POLL=0
    would busy-loop the back-off, a price of 0 or below made every gas cost 0."""
    from levstake.keeper import settings

    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        settings.check_all()
    assert str(stopped.value) == f"{name}={value!r}: {reason}" or str(stopped.value).startswith(
        f"{name}={value!r}: {reason}"
    )
    monkeypatch.setenv(name, "1")
    settings.check_all()


def test_lst_kept_from_a_liquidation_counts_at_its_book_value_in_x() -> None:
    """With LEVSTAKE_KEEPER_KEEP_LST the liquidation pays LST shares: 'received' added them to the X as if
    one share were one X (an operator's walkthrough, read in the code)."""
    keeper, _, lines = make_keeper()
    event = FakeDeployment().abi("liquidator").event("Liquidated")
    log = {
        "address": ADDRESS,
        "topics": [event.topic],
        "data": eth_abi.encode(["uint256"] * 2, [10**18, 4 * 10**18]),
    }
    keeper.send = lambda tx, gas_limit: {
        "gasUsed": 100_000,
        "effectiveGasPrice": 10**9,
        "logs": [log],
        "blockNumber": 8,
    }
    asked: list[tuple] = []

    def call_many(calls, block="latest"):
        asked.extend(calls)
        return [calls[0][2][0] * 11 // 10]  # 1.1 X a share

    keeper.reader.call_many = call_many
    keeper.reader.head.append(Block(7, 0))
    outcome = keeper.perform(Block(7, 0), liquidation(10**18))
    assert asked == [("lst", "convertToAssets", (4 * 10**18,))]
    assert outcome.received == 10**18 + 44 * 10**17 and "received 5.400000 X" in lines[-1]
    assert lines[-1].endswith("; landed in block 8")  # the line names the block read, then where it landed


def test_a_first_block_the_node_did_not_give_breaks_no_round() -> None:
    """An outside review: an error for block 0 in the batch (a rate limit) was kept as the chain's first
    block and every later round raised AttributeError, for good; a pruned node's null likewise."""
    keeper, _, lines = make_keeper()
    answers = [(b"\x01", ReadError("429 Too Many Requests")), (b"\x01", Block(0, 1_000, "0xaa"))]
    answers += [(b"\x01", None), (b"\x01", Block(0, 1_000, "0xaa"))]
    keeper.reader.transport = SimpleNamespace(request_many=lambda requests: answers.pop(0)[: len(requests)])
    for number in (100, 101, 102, 103):
        assert keeper._notice_chain(Block(number, 0))
    assert keeper.stats.restarts == 0 and not [line for line in lines if line.startswith("restart")]


def test_a_failed_re_check_at_the_head_leaves_the_job_to_the_estimate(monkeypatch) -> None:
    """An outside review: a read failing in the re-check escaped the round and dropped its liquidations."""
    keeper, sent, _ = make_keeper()

    def unreadable(reader, head):
        raise ReadError("header not found")

    monkeypatch.setattr(keeper_module.jobs, "read_upkeep", unreadable)
    keeper.reader.head.append(Block(10, 0))
    action = Action("rebalance", None, TxRequest(ADDRESS, b"", 0, "rebalance"), "due")
    assert keeper.perform(Block(9, 0), action).status == "sent" and len(sent) == 1


def test_an_older_round_after_a_newer_one_is_skipped_not_taken_for_a_restart(monkeypatch) -> None:
    """An outside review: the 5-minute round can read a head the block round reaches only later; that later,
    lower block looked like a chain that went back (index reset, the memory of what was sent cleared)."""
    keeper, _, lines = make_keeper()
    first = Block(0, 1_000, "0xaa")
    still_there: list[object] = [Block(105, 0)]
    keeper.reader.transport = SimpleNamespace(
        request_many=lambda requests: (b"\x01", first, *still_there)[: len(requests)]
    )
    resets: list[int] = []
    monkeypatch.setattr(keeper.index, "reset", lambda: resets.append(1))
    assert keeper._notice_chain(Block(105, 0))
    assert not keeper._notice_chain(Block(104, 0))  # older: skipped, no restart
    assert lines[-1] == "skip     block 104: block 105 was handled already" and not resets
    assert keeper._notice_chain(Block(106, 0))
    still_there[0] = None  # now block 106 is gone: the chain went back
    assert keeper._notice_chain(Block(50, 0)) and len(resets) == 1


def test_a_block_the_node_does_not_have_reads_as_none_not_an_error() -> None:
    """What the restart check asks for (the block handled last, on a chain that went back): a node answers
    null, which the batch decoder took for a block (TypeError: the round failed)."""
    from levstake.rpc import _decode

    assert _decode("eth_getBlockByNumber", None) is None
    assert _decode("eth_getBlockByNumber", {"number": "0x5", "timestamp": "0x9", "hash": "0xab"}) == Block(
        5, 9
    )


@pytest.mark.parametrize("upkeep_lands", [True, False])
def test_liquidations_are_quoted_after_the_rounds_own_upkeep_lands(monkeypatch, upkeep_lands) -> None:
    """An operator's walk: the round quoted a liquidation at its block, sent its own rebalance (which moved
    the buffer the seized LST is unstaked through), and the liquidation then failed its estimate as a "lost
    race". Protects and liquidations are decided at the head the upkeep landed in; with nothing landed, at
    the round's block."""
    keeper, sent, _ = make_keeper()
    rebalance = Action("rebalance", None, TxRequest(ADDRESS, b"", 0, "rebalance"), "due")
    decided: list[int] = []
    indexed: list[int] = []
    send = keeper.send

    def send_and_mine(tx, gas_limit):
        keeper.reader.head.append(Block(11, 0))  # the rebalance lands in the next block
        return send(tx, gas_limit)

    keeper.send = send_and_mine
    keeper.reader.head.append(Block(10, 0))
    monkeypatch.setattr(keeper, "_notice_chain", lambda block: True)
    monkeypatch.setattr(keeper.index, "update", indexed.append)
    monkeypatch.setattr(keeper, "upkeep_actions", lambda block: [rebalance] if upkeep_lands else [])

    def decide(block, exclude=None):
        decided.append(block.number)
        return (set(), []) if exclude is None else []

    monkeypatch.setattr(keeper, "guard_actions", decide)
    monkeypatch.setattr(keeper, "liquidation_actions", decide)
    keeper.on_block(Block(10, 0))
    expected = 11 if upkeep_lands else 10
    assert decided == [expected, expected] and indexed[-1] == expected and len(sent) == int(upkeep_lands)


def test_a_mined_revert_carries_the_nodes_reason_and_a_lost_race_is_told_by_it() -> None:
    """The devnet's upkeep raced `devnet advance`: its oracle snapshot was mined and reverted, and the error
    ("oracle snapshot reverted in block 91") had no reason, so the race was counted as a failure."""
    from levstake.keeper.jobs import mined_revert

    error_data = "0x08c379a0" + eth_abi.encode(["string"], ["oracle: snapshot too recent"]).hex()
    asked: list[str] = []

    class Node:
        def request_many(self, requests):
            asked.extend(method for method, _ in requests)
            return [{"output": error_data}]

    tx = TxRequest(ADDRESS, b"\x01\x02", 0, "oracle snapshot")
    error = mined_revert(Node(), tx, "0x" + "ab" * 32, ADDRESS, {"blockNumber": 91})
    assert asked == ["debug_traceTransaction"]
    reason = keeper_module.revert_reason(error)
    assert reason == "oracle: snapshot too recent" and keeper_module.expected(reason)
    keeper, _, lines = make_keeper(send_error=error)
    action = Action("oracle_snapshot", None, tx, "due")
    keeper.reader.head.append(Block(91, 0))
    assert keeper.perform(Block(91, 0), action).status == "lost race"
    assert lines[-1].endswith("oracle_snapshot: send reverted: oracle: snapshot too recent"), lines[-1]
