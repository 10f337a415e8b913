"""
Gas of every user-facing action on anvil on a pinned clock: what `ape run bench` (scripts/bench.py) measures.

Anvil stamps blocks with its wall clock, so whether a transaction accrues interest, and over how long, used
to depend on when the benchmark ran (the same open measured 292k, 318k or 352k). `Clock` fixes the next
block's time and makes every later block exactly `BLOCK_INTERVAL` seconds after the one before, so a run is a
pure function of the code: two runs on fresh anvils give the same gas on every row. Rows are measured in the
steady state (each transaction accrues `BLOCK_INTERVAL` seconds of interest, after the treasury holds fee
shares); the first accrual (the treasury's first fee shares) and a transaction in the same second as the last
accrual are rows of their own.

A benchmark, not a test: it measures and asserts nothing about the numbers (`levstake.gasreport` renders and
compares runs; a unit test checks that the pinned clock makes two runs agree).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from eth_utils import keccak

from levstake import ape_wallet, gasreport
from levstake.deploy import deploy_keeper_contracts, deploy_lending, deploy_router, deploy_staking
from levstake.model import CLOSE_TO_LST, ORACLE_SCALE
from levstake.signing import authorization_message, permit_message
from levstake.txs import Signature

DAY = 86_400
# 2033-05-18: later than any wall clock this runs on, so anvil accepts it as the next block's time.
GENESIS_TIMESTAMP = 2_000_000_000
BLOCK_INTERVAL = 12
WAD = 10**18
DEADLINE = 2**63
MAX_UINT = 2**256 - 1

Request = Callable[[str, list[Any]], Any]


@dataclass(frozen=True)
class Row:
    section: str
    action: str
    gas: int
    note: str = ""
    backend: int = 0  # gas spent inside the devnet backend's calls (`backend_gas`)
    floor: dict[str, int] | None = None  # `gasreport.floor_of` for a row above its issue-30 target


class Clock:
    """Anvil's block clock, pinned: every block `interval` seconds after the last, jumps only when asked."""

    def __init__(self, request: Request, start: int = GENESIS_TIMESTAMP, interval: int = BLOCK_INTERVAL):
        self.request = request
        self.interval = interval
        # Pinning moves the chain's clock for good: never on a chain someone uses (`make devnet`'s).
        block = request("eth_getBlockByNumber", ["latest", False])
        if int(block["number"], 16) != 0 or int(block["timestamp"], 16) >= start:
            raise RuntimeError("the bench pins the clock of a fresh anvil only (APE_FOUNDRY_HOST=auto)")
        request("anvil_setBlockTimestampInterval", [interval])
        request("evm_setNextBlockTimestamp", [start])
        request("evm_mine", [])

    def latest(self) -> int:
        return int(self.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    def warp(self, seconds: int) -> None:
        """Mine one empty block `seconds` after the last (with an interval set, anvil ignores
        evm_increaseTime)."""
        self.request("evm_setNextBlockTimestamp", [self.latest() + seconds])
        self.request("evm_mine", [])

    @contextmanager
    def same_second(self) -> Iterator[None]:
        """Blocks mined inside have the last block's timestamp (nothing accrues between them)."""
        self.request("anvil_setBlockTimestampInterval", [0])
        try:
            yield
        finally:
            self.request("anvil_setBlockTimestampInterval", [self.interval])


# `IBackendReportReceiver.on_backend_report(uint256)`: the backend's call back into the LST.
ON_BACKEND_REPORT = "0x" + keccak(text="on_backend_report(uint256)")[:4].hex()


def backend_gas(call_trace: dict[str, Any], backend: str) -> int:
    """Gas spent inside calls to the staking backend at `backend`, from anvil's call tracer: each outermost
    call's gas (before refunds, its X transfers included), less what the LST's report handler it calls back
    spends. On a real chain the backend is the chain's own delegation contract: this part of a row is what the
    devnet's simulator costs."""
    backend = backend.lower()

    def found(frame: dict[str, Any]) -> int:
        if frame.get("to", "").lower() != backend:
            return sum(found(call) for call in frame.get("calls", []))
        reports = (call for call in frame.get("calls", []) if call.get("input", "")[:10] == ON_BACKEND_REPORT)
        return int(frame["gasUsed"], 16) - sum(int(call["gasUsed"], 16) for call in reports)

    return found(call_trace)


def traces(request: Request, tx_hash: str) -> dict[str, Any]:
    """Anvil's three traces of one transaction that `gasreport.breakdown` reads: the call tracer, the struct
    logger (stack on) and the prestate tracer in diff mode."""
    def trace(options: dict[str, Any]) -> Any:
        return request("debug_traceTransaction", [tx_hash, options])

    return {
        "calls": trace({"tracer": "callTracer"}),
        "steps": trace({"disableStorage": True, "enableMemory": False})["structLogs"],
        "diff": trace({"tracer": "prestateTracer", "tracerConfig": {"diffMode": True}}),
    }


def _hash(tx: Any) -> str:
    return tx.txn_hash if isinstance(tx.txn_hash, str) else tx.txn_hash.hex()


class Measure:
    """Rows of one section, and snapshot/restore that keep the pinned interval. With `backend` set (the
    devnet backend's address), each row also says how much of it the backend spent. A row above its issue-30
    target is traced as it lands (a snapshot restored later takes the transaction with it) for its floor."""

    def __init__(self, section: str, chain: Any, clock: Clock, backend: str | None = None):
        self.section, self.chain, self.clock, self.backend = section, chain, clock, backend
        self.rows: list[Row] = []

    def add(self, action: str, tx: Any, note: str = "") -> Any:
        spent = 0
        if self.backend:
            trace = self.clock.request("debug_traceTransaction", [_hash(tx), {"tracer": "callTracer"}])
            spent = backend_gas(trace, self.backend)
        floor = None
        target = gasreport.TARGETS.get(action)
        if target and target.source.startswith(gasreport.ISSUE) and int(tx.gas_used) > target.gas:
            found = traces(self.clock.request, _hash(tx))
            calls, gas = found["calls"], int(tx.gas_used)
            steps, diff, backend = found["steps"], found["diff"], self.backend
            breakdown = gasreport.breakdown(calls, steps, diff, calls["input"], gas, {}, {}, apart=backend)
            floor = gasreport.floor_of(breakdown)
        self.rows.append(Row(self.section, action, int(tx.gas_used), note, spent, floor))
        return tx

    def snapshot(self) -> Any:
        return self.chain.snapshot()

    def restore(self, snapshot: Any) -> Any:
        """Back to `snapshot` (consumed by anvil) and a new snapshot of the same state."""
        self.chain.restore(snapshot)
        self.clock.request("anvil_setBlockTimestampInterval", [self.clock.interval])
        return self.chain.snapshot()


def staking_rows(project: Any, accounts: Any, chain: Any, clock: Clock) -> list[Row]:
    deployer, treasury, staker, second = accounts.test_accounts[0:4]
    system = deploy_staking(project, deployer, treasury.address)
    x, validator, lst, units = system.x, system.validator, system.lst, system.units
    x.deposit(sender=deployer, value=units(1_000))
    x.approve(validator, units(1_000), sender=deployer)
    validator.fund_rewards(units(1_000), sender=deployer)
    for account in (staker, second):
        x.deposit(sender=account, value=units(200))
        x.approve(lst, MAX_UINT, sender=account)

    m = Measure("Staking", chain, clock, validator.address)
    m.add("LST: stake (deposit), first staker", lst.deposit(units(100), staker, sender=staker))
    m.add("LST: stake (deposit), later staker", lst.deposit(units(100), second, sender=second))
    m.add("LST: mint exact shares", lst.mint(units(10), second, sender=second))
    m.add("LST: rebalance (delegate excess buffer)", lst.rebalance(sender=staker))
    clock.warp(DAY)
    m.add("LST: sync_rewards (new cycle, fee minted)", lst.sync_rewards(sender=staker))
    m.add("LST: sync_rewards (mid-cycle, nothing to do)", lst.sync_rewards(sender=staker))
    m.add("Backend: report pushed to the LST", validator.report(lst, sender=staker))
    clock.warp(DAY // 2)
    m.add("LST: instant unstake (withdraw assets)", lst.withdraw(units(5), staker, staker, sender=staker))
    m.add("LST: instant unstake (redeem shares)", lst.redeem(units(5), staker, staker, sender=staker))
    tx = m.add(
        "LST: request queued unstake (asks backend to unbond)",
        lst.request_unstake(units(20), staker, staker, sender=staker),
    )
    request_id = tx.events.filter(lst.UnstakeRequested)[0].request_id
    clock.warp(validator.unbonding_delay() + 1)
    m.add("LST: claim (pulls backend payback, funds queue)", lst.claim(request_id, sender=staker))
    m.add("LST: transfer", lst.transfer(second, units(1), sender=staker))
    # The queue's rows above start from an LST that never had a request: every queue slot goes 0 -> x. A queue
    # in use has requests waiting: a filing behind one, then a claim that lands and funds both.
    first = lst.request_unstake(units(10), staker, staker, sender=staker).events.filter(lst.UnstakeRequested)
    tx = m.add(
        "LST: request queued unstake, another request waiting",
        lst.request_unstake(units(10), second, second, sender=second),
    )
    behind = tx.events.filter(lst.UnstakeRequested)[0].request_id
    clock.warp(validator.unbonding_delay() + 1)
    m.add(
        "LST: claim, funding the request behind it too",
        lst.claim(first[0].request_id, sender=staker),
    )
    m.add("LST: claim of a request already funded", lst.claim(behind, sender=second))
    # The first rows above start from an LST that never had a request; an LST in use sees its queue run empty
    # and fill again: its counters are no longer zero, what emptied with the queue is.
    tx = m.add(
        "LST: request queued unstake, the queue emptied by earlier claims",
        lst.request_unstake(units(10), staker, staker, sender=staker),
    )
    clock.warp(validator.unbonding_delay() + 1)
    m.add(
        "LST: claim, the queue emptied by earlier claims",
        lst.claim(tx.events.filter(lst.UnstakeRequested)[0].request_id, sender=staker),
    )
    return m.rows


@dataclass
class MarketWorld:
    """The market alone (staking APR 0): a lender, a borrower and a warm-up borrower holding X and LST."""

    deployer: Any
    lender: Any
    borrower: Any
    warm: Any
    treasury: Any
    x: Any
    validator: Any
    lst: Any
    market: Any
    units: Callable[[float | int], int]


def market_world(project: Any, accounts: Any) -> MarketWorld:
    deployer, treasury, lender, borrower, warm = accounts.test_accounts[0:5]
    system = deploy_staking(project, deployer, treasury.address)
    x, lst, units = system.x, system.lst, system.units
    market = deploy_lending(project, deployer, system, treasury.address, deployer.address).market
    system.validator.set_apr(0, sender=deployer)
    for account in (lender, borrower, warm):
        x.deposit(sender=account, value=units(500))
        x.approve(market, MAX_UINT, sender=account)
    for account in (borrower, warm):
        x.approve(lst, MAX_UINT, sender=account)
        lst.approve(market, MAX_UINT, sender=account)
        lst.deposit(units(100), account, sender=account)
    lst.rebalance(sender=borrower)
    return MarketWorld(deployer, lender, borrower, warm, treasury, x, system.validator, lst, market, units)


def lend_and_post(world: MarketWorld, m: Measure) -> None:
    """The lender's first deposit, the warm-up borrower's borrow (the market's first: no debt accrues
    yet) and the borrower's collateral: the next block's accrual mints the treasury's first fee shares."""
    market, lender, warm, borrower, units = (
        world.market,
        world.lender,
        world.warm,
        world.borrower,
        world.units,
    )
    m.add("Market: lender deposit (first)", market.deposit(units(300), lender, sender=lender))
    m.add("Market: lender mint", market.mint(10**6 * units(1), lender, sender=lender))
    market.supply_collateral(world.lst.balanceOf(warm), warm, sender=warm)
    market.borrow(units(50), 0, warm, warm, sender=warm)
    m.add(
        "Market: supply_collateral",
        market.supply_collateral(world.lst.balanceOf(borrower), borrower, sender=borrower),
    )


def market_rows(project: Any, accounts: Any, chain: Any, clock: Clock) -> list[Row]:
    """A warm-up borrower borrows first, so the measured borrow is a borrower's first in a market that
    already accrues and whose treasury already holds fee shares."""
    world = market_world(project, accounts)
    x, market, units = world.x, world.market, world.units
    lender, borrower = world.lender, world.borrower
    flash = world.deployer.deploy(project.MockFlashBorrower, market)
    m = Measure("Lending market", chain, clock, world.validator.address)
    lend_and_post(world, m)
    snapshot = m.snapshot()
    m.add(
        "Market: borrow (first), first accrual (treasury's first fee shares)",
        market.borrow(units(90), 0, borrower, borrower, sender=borrower),
    )
    snapshot = m.restore(snapshot)
    market.accrue_interest(sender=lender)
    snapshot = m.snapshot()
    with clock.same_second():
        market.accrue_interest(sender=lender)
        m.add(
            "Market: borrow (first), same second as the last accrual",
            market.borrow(units(90), 0, borrower, borrower, sender=borrower),
        )
    m.restore(snapshot)
    m.add("Market: borrow (first)", market.borrow(units(90), 0, borrower, borrower, sender=borrower))
    clock.warp(DAY)
    m.add("Market: accrue_interest (1 day)", market.accrue_interest(sender=lender))
    m.add("Market: repay by assets", market.repay(units(10), 0, borrower, sender=borrower))
    m.add(
        "Market: withdraw_collateral",
        market.withdraw_collateral(units(5), borrower, borrower, sender=borrower),
    )
    m.add("Market: lender withdraw", market.withdraw(units(10), lender, lender, sender=lender))
    m.add("Market: lender redeem", market.redeem(10**6 * units(1), lender, lender, sender=lender))
    m.add("Market: flash loan (fee 0)", market.flashLoan(flash, x, units(50), b"", sender=lender))
    m.add("Market: set_authorization", market.set_authorization(lender, True, sender=borrower))
    shares = market.positions(borrower).borrow_shares
    m.add("Market: repay all by shares", market.repay(0, shares, borrower, sender=borrower))
    return m.rows


def leverage_of(market: Any, oracle: Any, user: Any) -> str:
    """Collateral value / equity at the oracle's price, as `levstake.previews` computes it."""
    collateral, debt, _, _ = market.position(user)
    value = collateral * oracle.price() // ORACLE_SCALE
    return f"{value / (value - debt):.6f}x"


@dataclass
class RouterWorld:
    deployer: Any
    x: Any
    lst: Any
    validator: Any
    market: Any
    oracle: Any
    factory: Any
    router: Any
    units: Callable[[float | int], int]
    chain_id: int


def router_world(project: Any, accounts: Any, chain: Any) -> RouterWorld:
    deployer, treasury, lender = accounts.test_accounts[0:3]
    system = deploy_staking(project, deployer, treasury.address)
    lending = deploy_lending(project, deployer, system, treasury.address, deployer.address)
    router = deploy_router(project, deployer, lending.factory, system.x.address)
    world = RouterWorld(
        deployer,
        system.x,
        system.lst,
        system.validator,
        lending.market,
        lending.oracle,
        lending.factory,
        router,
        system.units,
        int(chain.chain_id),
    )
    x, units = world.x, world.units
    x.deposit(sender=deployer, value=units(1_000))
    x.approve(world.validator, units(1_000), sender=deployer)
    world.validator.fund_rewards(units(1_000), sender=deployer)
    x.deposit(sender=lender, value=units(5_000))
    x.approve(world.market, MAX_UINT, sender=lender)
    world.market.deposit(units(5_000), lender, sender=lender)
    return world


def fresh_user(world: RouterWorld, accounts: Any, approve: bool = True) -> Any:
    """A new account holding 15 X; with `approve`, the router may pull its X and act on its position."""
    user = accounts.test_accounts.generate_test_account()
    world.deployer.transfer(user, world.units(20))
    world.x.deposit(sender=user, value=world.units(15))
    if approve:
        world.x.approve(world.router, MAX_UINT, sender=user)
        world.market.set_authorization(world.router, True, sender=user)
    return user


def open_with_signatures(world: RouterWorld, user: Any, assets: int, leverage: int) -> Any:
    """`open` from a wallet that never approved the router nor authorized it: permit + authorization."""
    deadline = DEADLINE
    permit = ape_wallet.sign(
        user,
        permit_message(
            world.x.name(),
            world.chain_id,
            world.x.address,
            user.address,
            world.router.address,
            assets,
            world.x.nonces(user),
            deadline,
        ),
    )
    nonce = world.market.authorization_nonce(user)
    authorization = ape_wallet.sign(
        user,
        authorization_message(
            world.chain_id, world.market.address, user.address, world.router.address, True, nonce, deadline
        ),
    )
    return world.router.open(
        world.market,
        assets,
        leverage,
        0,
        deadline,
        _signed(assets, deadline, permit),
        _signed(nonce, deadline, authorization),
        sender=user,
    )


def _signed(first: int, deadline: int, signature: Signature) -> tuple:
    return (first, deadline, signature.v, signature.r, signature.s)


def router_rows(
    project: Any, accounts: Any, chain: Any, clock: Clock, trace: Callable[[Any], None] | None = None
) -> list[Row]:
    """Opens at 2x..50x from one state (each a fresh user), the open's accrual cases, a fresh wallet's open,
    adjust both ways, close, the loop, a guard's protect and a liquidation (direct and capital-free).
    `trace` receives the steady 50x open's receipt."""
    world = router_world(project, accounts, chain)
    market, oracle, router, units = world.market, world.oracle, world.router, world.units
    m = Measure("Leverage router", chain, clock, world.validator.address)

    def lever(user: Any) -> str:
        return leverage_of(market, oracle, user)

    # The market's first borrow accrues nothing (no debt yet); the next open mints the treasury's first fee
    # shares; from then on every block accrues BLOCK_INTERVAL seconds onto existing shares (steady state).
    # The deployment has the router remember its market (`deploy_protocol`), so no user pays for that slot.
    remembered = router.remember_market(market, sender=world.deployer)
    m.add("Router: remember a market (once, by its deployer)", remembered)
    user = fresh_user(world, accounts)
    tx = router.open(market, units(10), 3 * WAD, 0, DEADLINE, sender=user)
    m.add("Router: open 3x, the market's first borrow (nothing accrues yet)", tx, lever(user))
    user = fresh_user(world, accounts)
    tx = router.open(market, units(10), 50 * WAD, 0, DEADLINE, sender=user)
    m.add("Router: open 50x, first accrual (treasury's first fee shares)", tx, lever(user))
    router.open(market, units(10), 3 * WAD, 0, DEADLINE, sender=fresh_user(world, accounts))
    users = {leverage: fresh_user(world, accounts) for leverage in (2, 5, 10, 25, 30, 50)}
    signer = fresh_user(world, accounts, approve=False)
    # Every open below starts from this state, so the rows differ only by what is measured.
    snapshot = m.snapshot()
    for leverage in (2, 5, 10, 25, 50):
        snapshot = m.restore(snapshot)
        user = users[leverage]
        tx = m.add(
            f"Router: open {leverage}x",
            router.open(market, units(10), leverage * WAD, 0, DEADLINE, sender=user),
            lever(user),
        )
        if leverage == 50 and trace is not None:
            trace(tx)
    snapshot = m.restore(snapshot)
    with clock.same_second():
        market.accrue_interest(sender=users[2])
        tx = router.open(market, units(10), 50 * WAD, 0, DEADLINE, sender=users[50])
        m.add("Router: open 50x, same second as the last accrual", tx, lever(users[50]))
    snapshot = m.restore(snapshot)
    tx = open_with_signatures(world, signer, units(10), 50 * WAD)
    m.add("Router: open 50x from a fresh wallet (permit + authorization)", tx, lever(signer))
    m.restore(snapshot)

    for leverage in (10, 30, 50):
        router.open(market, units(10), leverage * WAD, 0, DEADLINE, sender=users[leverage])
    # Loops before any unstake: instant-unstake fees raise the small devnet LST's rate past the oracle's
    # growth cap, which would distort the leverage shown.
    loops: dict[int, int] = {}
    for steps in (5, 10, 25, 50):
        user = fresh_user(world, accounts)
        tx = m.add(
            f"Router: loop {steps} steps",
            router.loop(market, units(10), steps, 0, DEADLINE, sender=user),
            lever(user),
        )
        loops[steps] = int(tx.gas_used)
    m.rows.append(
        Row(m.section, "Router: loop, per step (50 steps - 10 steps) / 40", (loops[50] - loops[10]) // 40)
    )

    guard_and_liquidation(project, world, m, users[50], users[30])

    user = users[10]
    m.add("Router: adjust 10x -> 20x", router.adjust(market, 20 * WAD, 0, DEADLINE, sender=user), lever(user))
    m.add("Router: adjust 20x -> 5x", router.adjust(market, 5 * WAD, 0, DEADLINE, sender=user), lever(user))
    m.add("Router: close 5x to X", router.close(market, 0, DEADLINE, sender=user))
    m.add("Router: close 50x to LST", router.close(market, 0, DEADLINE, CLOSE_TO_LST, sender=users[50]))
    return m.rows


def guard_and_liquidation(project: Any, world: RouterWorld, m: Measure, guarded: Any, victim: Any) -> None:
    """LeverageGuard steps a 50x position down to 20x (its health 1.0102 is under a 1.02 floor); a 30x
    position is liquidated after a 3% slash of the backend (health ~0.997, still solvent), half its debt,
    directly and through the Liquidator from the same state. All measured from snapshots: the chain
    continues as before them."""
    deployer, market = world.deployer, world.market
    # As the deployment has them: each remembers the market at the deployer's cost.
    keeper_contracts = deploy_keeper_contracts(project, deployer, world.factory, [market])
    guard, liquidator = keeper_contracts["guard"], keeper_contracts["liquidator"]
    guard.set_guard(market, WAD * 102 // 100, 20 * WAD, 10, 0, sender=guarded)
    market.set_authorization(guard, True, sender=guarded)
    keeper = world.deployer
    start = m.snapshot()
    m.add("Guard: protect 50x -> 20x, first checkpoint due", guard.protect(market, guarded, 0, sender=keeper))
    start = m.restore(start)
    guard.checkpoint(market, sender=keeper)
    m.add(
        "Guard: protect 50x -> 20x (checkpoint recorded the block before)",
        guard.protect(market, guarded, 0, sender=keeper),
        leverage_of(market, world.oracle, guarded),
    )
    start = m.restore(start)
    # The slash reaches only delegated X: a large stake delegated first (the LST keeps a 10% buffer, which
    # the Liquidator's instant unstake draws on).
    world.x.deposit(sender=keeper, value=world.units(3_000))
    world.x.approve(world.lst, MAX_UINT, sender=keeper)
    world.lst.deposit(world.units(3_000), keeper, sender=keeper)
    world.lst.rebalance(sender=keeper)
    world.validator.slash(world.lst, 300, sender=deployer)
    half = market.positions(victim).borrow_shares // 2
    world.x.deposit(sender=keeper, value=world.units(200))
    world.x.approve(market, MAX_UINT, sender=keeper)
    slashed = m.snapshot()
    m.add(
        "Market: liquidate half the debt (30x after a 3% slash), direct",
        market.liquidate(victim, 0, half, sender=keeper),
    )
    m.restore(slashed)
    m.add(
        "Liquidator: liquidate half the debt (capital-free, seized LST unstaked)",
        liquidator.liquidate(market, victim, 0, half, 0, DEADLINE, sender=keeper),
    )
    m.restore(start)


def asdicts(rows: list[Row]) -> list[dict[str, Any]]:
    return [{key: value for key, value in asdict(row).items() if key != "floor"} for row in rows]


def floors(rows: list[Row]) -> dict[str, dict[str, int]]:
    """The floors of the rows above their issue-30 target, by action (`gasreport.render_floors`)."""
    return {row.action: row.floor for row in rows if row.floor is not None}
