"""
The keeper's round at one block, as plain code any runner can call (the Silverback bot in `bot.py`, the
devnet's loop, a test): `Keeper.on_block(block)` reads everything in a few batches and sends what is due:

1. upkeep (`jobs.py`): `sync_rewards`, `rebalance`, the oracle snapshot, and the guard's carry checkpoint
   (hourly while anyone is guarded with a carry trigger: `protect` needs checkpoints at most 6 hours apart to
   count a run), each only when its check says it would change something; else the market's accrual, when
   its last one is an hour old and it has debt (see `check_accrual`);
2. `protect(user)` for every guarded user whose `status()` says a trigger holds, when the user's tip covers
   the gas (or always with `altruist`);
3. a capital-free liquidation through the Liquidator of every position below health 1 whose `quote()` profit
   at exit value covers the gas; `min_profit` is that gas cost, so a liquidation that got worse reverts.

Each action is sent at most once per block (a block seen again, by a second handler or a retried task, sends
nothing), one line is logged per action with its gas and profit, and a revert that means another keeper (or
the user) acted first is logged and skipped, never raised. Anything else that fails is raised once the other
actions of the block are done (so the runner counts it), and that action rests for `COOLDOWN_BLOCKS`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from levstake.keeper import jobs, scan
from levstake.keeper.retry import is_rpc_fault
from levstake.model import WAD
from levstake.reads import Reader
from levstake.rpc import Block, ReadError
from levstake.txs import Builder, TxRequest

# A revert with one of these reasons means the state moved since the read (another keeper, the user, a
# liquidation in the same block): nothing is wrong with the bot.
EXPECTED_REVERTS = (
    "market: position is healthy",
    "market: repay exceeds debt",
    "market: seize exceeds collateral",
    "liquidator: profit below minimum",
    "liquidator: would lose money",
    "liquidator: buffer too small",
    "guard: no trigger holds",
    "guard: already at target",
    "guard: not guarded",
    "guard: not authorized",
    "guard: position is insolvent",
    "guard: buffer too small",
    "oracle: snapshot too recent",
)
# A liquidation skipped for the same reason is said again after this many blocks (an hour at 12 s).
SKIP_REPEAT_BLOCKS = 300
# Carry checkpoints: `LeverageGuard.MIN_INTERVAL` is 15 minutes and an interval over 6 hours ends a run.
CHECKPOINT_EVERY = 3_600
# A market prices the interval since its last accrual at the rate its model answers at the accrual, as
# Morpho Blue does: a model that fails (views and accruals then use the last APR) or changes its answer while
# the market sits idle re-prices the whole idle interval at once, past what the keeper's last round saw.
# Accruing an idle market with debt hourly keeps that interval within an hour.
ACCRUE_EVERY = 3_600
COOLDOWN_BLOCKS = 20
# Jobs anybody may run, deciding from the chain's state alone: another keeper may have run them first.
UPKEEP_KINDS = frozenset({*jobs.JOBS, "carry_checkpoint", "accrue_interest"})
# Of those, the ones that do not revert with nothing to do and emit an event (theirs, or a token's) whenever
# they do something: one that lands without an event did nothing. (The oracle's snapshot reverts when early.)
# (Not the accrual: one whose interest rounds to 0 moves the market's clock without an event.)
IDLE_WITHOUT_REVERT = frozenset({"sync_rewards", "rebalance", "carry_checkpoint"})
ESTIMATE_GAS_MARGIN_BPS = 12_000  # estimates are raised by 20% for the gas limit and the cost


class KeeperFailure(Exception):
    """Actions of a block failed for a reason other than a lost race."""


@dataclass(frozen=True)
class Action:
    kind: str  # a job name, "protect" or "liquidate"
    user: str | None
    tx: TxRequest
    why: str
    value: int = 0  # the X the bot expects to receive (a tip, a liquidation's profit at exit value)

    @property
    def key(self) -> tuple[str, str | None]:
        return self.kind, self.user


@dataclass
class Outcome:
    action: Action
    status: str  # "sent", "dry-run", "lost race", "skipped", "failed"
    gas_used: int = 0
    gas_cost: int = 0
    received: int = 0
    detail: str = ""
    landed: int | None = None  # the block the transaction landed in (the line names the block it read)


@dataclass
class Stats:
    sent: int = 0
    lost_races: int = 0
    failed: int = 0
    blocks: int = 0
    skipped_blocks: int = 0
    restarts: int = 0
    outcomes: list[Outcome] = field(default_factory=list)


def revert_reason(error: BaseException) -> str | None:
    """The revert reason an Ape or web3 error carries, or None when the error is not a revert."""
    try:
        from ape.exceptions import ContractLogicError
    except ImportError:  # pragma: no cover
        ContractLogicError = ()  # type: ignore[assignment]  # noqa: N806
    if isinstance(error, ContractLogicError):
        return str(error.message or error)
    if isinstance(error, ReadError):
        return str(error)
    # web3's ContractLogicError carries (message, data): its str() is that tuple, revert data in hex included.
    text = getattr(error, "message", None)
    message = text if isinstance(text, str) and text else str(error)
    if "revert" in message.lower():
        return message.removeprefix("execution reverted: ")
    return None


def expected(reason: str) -> bool:
    return any(known in reason for known in EXPECTED_REVERTS)


class Keeper:
    """
    One market of one deployment. `send(tx, gas_limit)` signs and sends, returning a receipt (Ape's or
    web3's); `estimate(tx)` returns (gas, gas price in wei), raising with the revert reason when the call
    would revert. Gas is priced in X at `x_per_native` (1 for a wrapped native X).
    """

    def __init__(
        self,
        reader: Reader,
        builder: Builder,
        send: Callable[[TxRequest, int], Any],
        estimate: Callable[[TxRequest], tuple[int, int]],
        *,
        dry_run: bool = False,
        altruist: bool = False,
        keep_lst: bool = False,
        x_per_native: float = 1.0,
        log: Callable[[str], None] = print,
        deadline_seconds: int = 600,
    ) -> None:
        reader.deployment.require("liquidator", "guard", "lens")
        self.reader = reader
        self.builder = builder
        self.send = send
        self.estimate = estimate
        self.dry_run = dry_run
        self.altruist = altruist
        self.keep_lst = keep_lst
        self.x_per_native = x_per_native
        self.log = log
        self.deadline_seconds = deadline_seconds
        self.index = scan.EventIndex(reader)
        self.stats = Stats()
        self._lock = threading.Lock()
        self._last_block: int | None = None
        self._genesis: Block | None = None  # the chain's first block: another one is another chain
        self._sent: set[tuple[int, str, str | None]] = set()
        self._skips: dict[str, tuple[int, str]] = {}  # user -> (block, reason) of the skip line last said
        self._cooldown: dict[tuple[str, str | None], int] = {}

    # ------------------------------------------------------------ start-up and chain changes

    def start(self) -> str:
        """Index the borrowers and the guarded users from the deployment block on."""
        block = self.reader.block()
        self.index.update(block.number)
        line = (
            f"indexed  {len(self.index.borrowers)} borrowers and {len(self.index.guarded)} guarded users "
            f"up to block {block.number}{' (dry run: nothing is sent)' if self.dry_run else ''}"
        )
        self.log(line)
        return line

    def _notice_chain(self, block: Block) -> bool:
        """False when the protocol is not on this chain (a new devnet): the block is skipped. A chain
        restarted is noticed by its first block, not only by a head that went back: a new devnet already
        past the old height when the bot reconnects (its back-off reaches 30 s) kept the old index and
        never saw the new chain's borrowers."""
        requests = [
            ("eth_getCode", [self.reader.addresses["liquidator"], hex(block.number)]),
            ("eth_getBlockByNumber", ["0x0", False]),
        ]
        if self._last_block is not None and block.number < self._last_block:
            requests.append(("eth_getBlockByNumber", [hex(self._last_block), False]))
        code, genesis, *last = self.reader.transport.request_many(requests)
        went_back = bool(last)
        # A first block the node did not give (an error in the batch, a pruned history's null) leaves the
        # one known as it is: kept, it broke every later round (an outside review).
        if not isinstance(genesis, Block):
            genesis = self._genesis
        new_chain = (
            self._genesis is not None
            and genesis is not None
            and (genesis.timestamp, genesis.hash) != (self._genesis.timestamp, self._genesis.hash)
        )
        if went_back and not new_chain and isinstance(last[0], Block):
            # The block handled last is still there: this round is older (the 5-minute round read a head the
            # block round has not reached yet), not a chain that went back (an outside review: it reset the
            # index and the memory of what was sent).
            self.log(f"skip     block {block.number}: block {self._last_block} was handled already")
            return False
        if went_back or new_chain:
            self.stats.restarts += 1
            change = (
                f"went back from block {self._last_block} to {block.number}"
                if went_back
                else f"has a new first block (at block {block.number})"
            )
            self.log(f"restart  the chain {change} (a restarted devnet?): indexing again")
            self.index.reset()
            self._sent.clear()
            self._skips.clear()
            self._cooldown.clear()
        # Set on every block, skipped or not, so one restart is noticed once.
        self._last_block, self._genesis = block.number, genesis
        if not code:
            self.log(f"skip     block {block.number}: no liquidator on this chain (a new devnet? redeploy)")
            return False
        return True

    # ------------------------------------------------------------ one block

    def on_block(self, block: Block) -> list[Outcome]:
        """Everything due at `block`, sent once. A call while another block is being handled is skipped."""
        if not self._lock.acquire(blocking=False):
            self.stats.skipped_blocks += 1
            self.log(f"busy     block {block.number} skipped: the previous block is still being handled")
            return []
        try:
            return self._on_block(block)
        finally:
            self._lock.release()

    def _on_block(self, block: Block) -> list[Outcome]:
        if not self._notice_chain(block):
            return []
        # Only this block's keys can match again (a block seen twice); older ones are dropped.
        self._sent = {key for key in self._sent if key[0] >= block.number - 1}
        self.stats.blocks += 1
        self.index.update(block.number)
        outcomes = [self.perform(block, action) for action in self.upkeep_actions(block)]
        if any(outcome.status == "sent" for outcome in outcomes):
            # What an upkeep left (a rebalance moves the buffer a liquidation unstakes through) is what
            # protects and liquidations meet: they are quoted at the head it landed in, not before it (an
            # operator's walk: a liquidation quoted before the round's own rebalance failed its estimate).
            head = self.reader.block()
            if head.number > block.number:
                block = head
                self.index.update(block.number)
        protected, guard_actions = self.guard_actions(block)
        actions = guard_actions + self.liquidation_actions(block, exclude=protected)
        outcomes += [self.perform(block, action) for action in actions]
        failures = [outcome for outcome in outcomes if outcome.status == "failed"]
        if failures:
            raise KeeperFailure(
                "; ".join(f"{f.action.kind} {f.action.user or ''}: {f.detail}".strip() for f in failures)
            )
        return outcomes

    def upkeep_actions(self, block: Block) -> list[Action]:
        state = jobs.read_upkeep(self.reader, block)
        actions = []
        for name, (check, _perform) in jobs.JOBS.items():
            reason = check(state)
            if reason is not None:
                actions.append(Action(name, None, _job_tx(self.builder, name), reason))
        reason = self.check_carry_checkpoint(block)
        if reason is not None:
            # The checkpoint accrues the market too.
            actions.append(Action("carry_checkpoint", None, self.builder.guard_checkpoint(), reason))
            return actions
        reason = self._accrual_due(block)
        if reason is not None:
            actions.append(Action("accrue_interest", None, self.builder.accrue_interest(), reason))
        return actions

    def _accrual_due(self, block: Block) -> str | None:
        # Not strict: a failed read skips the accrual, never the round's protects and liquidations.
        # The debt as of the last accrual: interest never turns none into some.
        last_update, borrowed = self.reader.call_many(
            [("market", "last_update", ()), ("market", "total_borrow_assets", ())], block, strict=False
        )
        if isinstance(last_update, ReadError) or isinstance(borrowed, ReadError):
            return None
        return check_accrual(last_update, block.timestamp, borrowed)

    def check_carry_checkpoint(self, block: Block) -> str | None:
        guarded = list(self.index.guarded)
        if not guarded:
            return None
        calls = [("guard", "carry", (self.reader.addresses["market"],))]
        calls += [("guard", "settings", (self.reader.addresses["market"], user)) for user in guarded]
        (carry, *settings) = self.reader.call_many(calls, block)
        return check_carry_checkpoint(carry[0], block.timestamp, [s[3] for s in settings])

    def guard_actions(self, block: Block) -> tuple[set[str], list[Action]]:
        users = list(self.index.guarded)
        if not users:
            return set(), []
        statuses = scan.guard_statuses(self.reader, users, block)
        due = [status for status in statuses if scan.protect_due(status)]
        if not due:
            return set(), []
        settings = scan.guard_settings(self.reader, [s.user for s in due], block)
        positions = {p.user: p for p in scan.read_positions(self.reader, [s.user for s in due], block)}
        (price,) = self.reader.call_many([("oracle", "price", ())], block)
        actions = []
        for status in due:
            _, target, tip_bps, _ = settings[status.user]
            tip = scan.protect_tip(positions[status.user], price, target, tip_bps)
            actions.append(
                Action(
                    "protect",
                    status.user,
                    self.builder.protect(status.user, tip_bps),
                    f"{scan.protect_due(status)} trigger, health {status.health / WAD:.4f}, "
                    f"leverage {status.leverage / WAD:.1f}x",
                    tip,
                )
            )
        return {status.user for status in due}, actions

    def liquidation_actions(self, block: Block, exclude: set[str]) -> list[Action]:
        positions = scan.read_positions(self.reader, list(self.index.borrowers), block)
        users = [user for user in scan.liquidatable(positions) if user not in exclude]
        if not users:
            return []
        actions = []
        deadline = block.timestamp + self.deadline_seconds
        skipped: dict[str, tuple[int, str]] = {}
        for plan in scan.liquidation_plans(self.reader, users, block, self.keep_lst):
            if plan.reason:
                # Said when it starts, when its reason changes and every SKIP_REPEAT_BLOCKS: a position the
                # buffer cannot liquidate stays so for hours, and a line every block buried the others (an
                # operator's walk: two such lines a block).
                said = self._skips.get(plan.user)
                if said is None or said[1] != plan.reason or block.number >= said[0] + SKIP_REPEAT_BLOCKS:
                    self.log(f"skip     block {block.number}: liquidate {plan.user}: {plan.reason}")
                    said = (block.number, plan.reason)
                skipped[plan.user] = said
                continue
            # min_profit 0 here; `perform` sets it to the gas cost once it is estimated.
            tx = self.builder.liquidate(
                plan.user, plan.seized_assets, plan.repaid_shares, 0, deadline, self.keep_lst
            )
            actions.append(
                Action(
                    "liquidate",
                    plan.user,
                    tx,
                    f"health below 1, quoted profit at exit {self._x(plan.profit)} X",
                    plan.profit,
                )
            )
        self._skips = skipped  # a position no longer skipped is said again if it is skipped later
        return actions

    # ------------------------------------------------------------ sending

    def perform(self, block: Block, action: Action) -> Outcome:
        key = (block.number, *action.key)
        resting = self._cooldown.get(action.key)
        if key in self._sent or (resting is not None and block.number < resting):
            return Outcome(action, "skipped", detail="already sent at this block or resting after a failure")
        try:
            gone = self._no_longer_due(action, block)
        except Exception:  # noqa: BLE001 - a failed re-check is no reason to drop the job: the estimate decides
            gone = None
        if gone is not None:
            return self._lost(block, action, gone)
        try:
            gas, gas_price = self.estimate(action.tx)
        except Exception as error:  # noqa: BLE001 - classified below
            return self._failed(block, action, error, stage="estimate")
        gas_limit = gas * ESTIMATE_GAS_MARGIN_BPS // 10_000
        gas_cost = int(gas_limit * gas_price * self.x_per_native)
        tx = action.tx
        if action.kind == "liquidate":
            if action.value < gas_cost:
                why = f"profit {self._x(action.value)} X below gas cost {self._x(gas_cost)} X"
                return self._skip(block, action, why)
            tx = self._with_min_profit(action, gas_cost)
        elif action.kind == "protect" and action.value < gas_cost and not self.altruist:
            why = f"tip {self._x(action.value)} X below gas cost {self._x(gas_cost)} X"
            return self._skip(block, action, why)
        self._sent.add(key)
        if self.dry_run:
            outcome = Outcome(action, "dry-run", gas, gas_cost)
            self._log(block, outcome)
            return outcome
        try:
            receipt = self.send(tx, gas_limit)
        except Exception as error:  # noqa: BLE001 - classified below
            return self._failed(block, action, error, stage="send")
        used, price = _receipt_gas(receipt)
        paid = gas_price if price is None else price
        cost = int(used * paid * self.x_per_native)
        if action.kind in IDLE_WITHOUT_REVERT and not _receipt_logs(receipt):
            # Rebalance and checkpoint do not revert with nothing to do: another keeper's landed first.
            return self._lost(block, action, f"landed doing nothing (gas {used:,}, {self._x(cost)} X)")
        outcome = Outcome(action, "sent", used, cost, landed=_receipt_block(receipt))
        outcome.received = self._received(action, receipt)
        self.stats.sent += 1
        self.stats.outcomes.append(outcome)
        self._log(block, outcome)
        return outcome

    def _no_longer_due(self, action: Action, block: Block) -> str | None:
        """Why an upkeep job decided at `block` is no longer due at the head, when blocks came since (another
        keeper's transaction in them): its check again at the head. None when it is still due."""
        if action.kind not in UPKEEP_KINDS:
            return None
        head = self.reader.block()
        if head.number == block.number:
            return None
        if action.kind in jobs.JOBS:
            due = jobs.JOBS[action.kind][0](jobs.read_upkeep(self.reader, head))
        elif action.kind == "carry_checkpoint":
            due = self.check_carry_checkpoint(head)
        else:
            due = self._accrual_due(head)
        return None if due is not None else f"no longer due at block {head.number}"

    def _lost(self, block: Block, action: Action, detail: str) -> Outcome:
        self.stats.lost_races += 1
        outcome = Outcome(action, "lost race", detail=detail)
        self.stats.outcomes.append(outcome)
        self._log(block, outcome)
        return outcome

    def _with_min_profit(self, action: Action, gas_cost: int) -> TxRequest:
        function = self.reader.deployment.abi("liquidator").function("liquidate", 7)
        args = _decode_args(function, action.tx.data)
        args[4] = gas_cost
        return TxRequest(action.tx.to, function.encode(*args), action.tx.value, action.tx.label)

    def _received(self, action: Action, receipt: Any) -> int:
        """What the bot got: the liquidation's X (and LST at its book value) or the tip, from the events."""
        from levstake.ape_wallet import events

        receipt = SimpleNamespace(logs=_receipt_logs(receipt))  # Ape's receipt or web3's (a mapping)
        if action.kind == "liquidate":
            found = events(receipt, self.reader.deployment.abi("liquidator"), "Liquidated", action.tx.to)
            shares = sum(event["shares_out"] for event in found)
            # Kept LST (LEVSTAKE_KEEPER_KEEP_LST) counted at its book value in X, not as X shares.
            (worth,) = self.reader.call_many([("lst", "convertToAssets", (shares,))]) if shares else (0,)
            return sum(event["assets_out"] for event in found) + worth
        if action.kind == "protect":
            found = events(receipt, self.reader.deployment.abi("guard"), "Protected", action.tx.to)
            return sum(event["tip"] for event in found)
        return 0

    def _x(self, amount: int) -> str:
        return f"{amount / 10**self.reader.info.decimals:.6f}"

    def _skip(self, block: Block, action: Action, detail: str) -> Outcome:
        outcome = Outcome(action, "skipped", detail=detail)
        self._log(block, outcome)
        return outcome

    def _failed(self, block: Block, action: Action, error: BaseException, stage: str) -> Outcome:
        reason = revert_reason(error)
        if reason is not None and expected(reason):
            self.stats.lost_races += 1
            outcome = Outcome(action, "lost race", detail=f"{stage} reverted: {reason}")
        else:
            self.stats.failed += 1
            self._cooldown[action.key] = block.number + COOLDOWN_BLOCKS
            kind = "rpc fault" if is_rpc_fault(error) else "error"
            outcome = Outcome(action, "failed", detail=f"{stage}: {kind}: {reason or error!r}"[:300])
        self.stats.outcomes.append(outcome)
        self._log(block, outcome)
        return outcome

    def _log(self, block: Block, outcome: Outcome) -> None:
        action = outcome.action
        who = f" {action.user}" if action.user else ""
        if outcome.status == "sent":
            gained = (
                f", received {self._x(outcome.received)} X" if action.kind in ("liquidate", "protect") else ""
            )
            self.log(
                f"{action.kind:<9} block {block.number}{who}: gas {outcome.gas_used:,} "
                f"({self._x(outcome.gas_cost)} X){gained}, "
                f"profit {self._x(outcome.received - outcome.gas_cost)} X ({action.why})"
                + ("" if outcome.landed is None else f"; landed in block {outcome.landed}")
            )
        elif outcome.status == "dry-run":
            self.log(
                f"dry-run  block {block.number}: would send {action.kind}{who}: gas ~{outcome.gas_used:,} "
                f"({self._x(outcome.gas_cost)} X), expected {self._x(action.value)} X ({action.why})"
            )
        else:
            self.log(f"{outcome.status:<9} block {block.number}: {action.kind}{who}: {outcome.detail}")


def check_carry_checkpoint(last_time: int, now: int, carry_hours: list[int]) -> str | None:
    """Due when some guarded user has a carry trigger and the market's last checkpoint is an hour old."""
    if not any(carry_hours):
        return None
    if last_time == 0:
        return "no carry checkpoint yet"
    if now < last_time + CHECKPOINT_EVERY:
        return None
    return "an hour since the guard's last carry checkpoint"


def check_accrual(last_update: int, now: int, borrowed: int) -> str | None:
    """Due when the market has debt and its last accrual is an hour old (`ACCRUE_EVERY`)."""
    if borrowed == 0 or now < last_update + ACCRUE_EVERY:
        return None
    return "an hour since the market's last accrual, with debt outstanding"


def _job_tx(builder: Builder, name: str) -> TxRequest:
    return {
        "sync_rewards": builder.sync_rewards,
        "rebalance": builder.rebalance,
        "oracle_snapshot": builder.update_snapshot,
    }[name]()


def _decode_args(function: Any, data: bytes) -> list[Any]:
    import eth_abi

    return list(eth_abi.decode(list(function.inputs), data[4:]))


def _receipt_logs(receipt: Any) -> list[Any]:
    return list(receipt.get("logs", []) if isinstance(receipt, Mapping) else getattr(receipt, "logs", []))


def _receipt_block(receipt: Any) -> int | None:
    if isinstance(receipt, Mapping):
        number = receipt.get("blockNumber")
    else:
        number = getattr(receipt, "block_number", None)
    return None if number is None else int(number)


def _receipt_gas(receipt: Any) -> tuple[int, int | None]:
    """(gas used, gas price) of an Ape receipt or a web3 one (a mapping)."""
    if isinstance(receipt, Mapping):
        price = receipt.get("effectiveGasPrice")
        return int(receipt["gasUsed"]), None if price is None else int(price)
    return int(receipt.gas_used), getattr(receipt, "gas_price", None)
