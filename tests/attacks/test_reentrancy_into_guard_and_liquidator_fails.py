"""Re-entering the guard or the liquidator while it is in the middle of a call: a malicious base asset X calls
back from inside the transfer of the X that the LST's instant unstake pays (the guard then holds a user's
withdrawn collateral turned into X, the liquidator the seized LST's proceeds), and a hostile caller contract
calls the callbacks itself in the same transaction as its own `protect` / `liquidate`.

The defences: every entry point of both contracts holds a reentrancy lock (Vyper's, which reverts without a
reason); the callbacks are accepted only from the market of the call in progress, and that is cleared when the
market returns.
"""

import ape
import pytest
from ape.exceptions import ContractLogicError

from levstake.deploy import deploy_lending, deploy_router, deploy_staking

WAD = 10**18
ORACLE_SCALE = 10**36
FLOOR = 1_005 * WAD // 1_000
LOCK_REVERT = "Transaction failed."


@pytest.fixture(scope="module")
def evil_world(project, owner, treasury, guardian, accounts, chain):
    """The protocol over a base asset that calls back from its transfers, a guard and a liquidator on it, a
    guarded 50x position and a borrower at max LTV, both pushed under by a 2% slash."""
    evil = owner.deploy(project.MockReentrantToken, 18)
    staking = deploy_staking(project, owner, treasury.address, x=evil)
    lending = deploy_lending(project, owner, staking, treasury.address, guardian.address)
    router = deploy_router(project, owner, lending.factory)
    guard = owner.deploy(project.LeverageGuard, lending.factory)
    liquidator = owner.deploy(project.Liquidator, lending.factory)
    market, lst = lending.market, staking.lst
    lender, victim, borrower, staker = accounts[6], accounts[7], accounts[8], accounts[9]
    for account, spender, amount in (
        (lender, market, 1_000_000),
        (victim, router, 100),
        (borrower, lst, 1_000),
        (staker, lst, 100_000),
    ):
        evil.mint(account, amount * WAD, sender=account)
        evil.approve(spender, 2**256 - 1, sender=account)
    market.deposit(1_000_000 * WAD, sender=lender)
    market.set_authorization(router, True, sender=victim)
    router.open(market, 100 * WAD, 50 * WAD, 0, chain.pending_timestamp + 3_600, sender=victim)
    market.set_authorization(guard, True, sender=victim)
    guard.set_guard(market, FLOOR, 20 * WAD, 100, 0, sender=victim)
    lst.deposit(1_000 * WAD, borrower, sender=borrower)
    lst.approve(market, 2**256 - 1, sender=borrower)
    market.supply_collateral(lst.balanceOf(borrower), borrower, sender=borrower)
    value = market.positions(borrower).collateral * lending.oracle.price() // ORACLE_SCALE
    market.borrow(value * market.max_ltv() // WAD - 10, 0, borrower, borrower, sender=borrower)
    lst.deposit(100_000 * WAD, staker, sender=staker)
    lst.rebalance(sender=staker)
    staking.validator.slash(lst, 200, sender=owner)
    assert guard.status(market, victim).health_trigger and market.position(borrower)[3] < WAD
    return evil, market, lst, guard, liquidator, victim, borrower


def reverted_with(call, *args, sender) -> str:
    with pytest.raises(ContractLogicError) as error:
        call(*args, sender=sender)
    return error.value.revert_message


def test_x_reentering_protect_during_protect_fails(evil_world, attacker):
    evil, market, _, guard, _, victim, _ = evil_world
    position = market.positions(victim)
    for data in (
        guard.protect.encode_input(market, victim, 100),
        guard.checkpoint.encode_input(market),
        guard.set_guard.encode_input(market, FLOOR, 2 * WAD, 100, 0),
    ):
        evil.arm(guard, data, sender=attacker)
        assert reverted_with(guard.protect, market, victim, 100, sender=attacker) == LOCK_REVERT
        assert market.positions(victim) == position
    # Disarmed, the same call works: the revert came from the re-entry.
    evil.arm(ape.utils.ZERO_ADDRESS, b"", sender=attacker)
    guard.protect(market, victim, 100, sender=attacker)
    assert market.positions(victim).collateral < position.collateral


def test_x_calling_the_guards_callback_during_protect_fails(evil_world, attacker):
    evil, market, lst, guard, _, victim, _ = evil_world
    position = market.positions(victim)
    steal = guard.on_repay.encode_input(0, b"\x00" * 64)
    evil.arm(guard, steal, sender=attacker)
    with ape.reverts("guard: unexpected callback"):
        guard.protect(market, victim, 100, sender=attacker)
    assert market.positions(victim) == position and lst.balanceOf(guard) == 0


def test_x_reentering_the_liquidator_during_a_liquidation_fails(evil_world, attacker):
    evil, market, lst, _, liquidator, _, borrower = evil_world
    shares = market.positions(borrower).borrow_shares // 2
    position = market.positions(borrower)
    evil.arm(
        liquidator,
        liquidator.liquidate.encode_input(market, borrower, 0, 1, 0, 2**64, False),
        sender=attacker,
    )
    assert (
        reverted_with(liquidator.liquidate, market, borrower, 0, shares, 0, 2**64, sender=attacker)
        == LOCK_REVERT
    )
    evil.arm(liquidator, liquidator.on_liquidate.encode_input(0, b"\x00" * 32), sender=attacker)
    with ape.reverts("liquidator: unexpected callback"):
        liquidator.liquidate(market, borrower, 0, shares, 0, 2**64, sender=attacker)
    assert market.positions(borrower) == position
    evil.arm(ape.utils.ZERO_ADDRESS, b"", sender=attacker)
    liquidator.liquidate(market, borrower, 0, shares, 0, 2**64, sender=attacker)
    assert market.positions(borrower).borrow_shares == position.borrow_shares - shares
    assert evil.balanceOf(attacker) > 0


def test_a_caller_contract_cannot_call_the_callbacks_after_its_own_call(project, evil_world, owner, attacker):
    """A batching contract protects, then calls `on_repay` itself in the same transaction (the guard's
    transient market is cleared when the market returns); the same for the liquidator."""
    evil, market, lst, guard, liquidator, victim, borrower = evil_world
    batch = owner.deploy(project.MockBatch)
    data = b"\x00" * 12 + bytes.fromhex(victim.address[2:]) + WAD.to_bytes(32, "big")
    steal = guard.on_repay.encode_input(0, data)
    with ape.reverts("guard: unexpected callback"):
        batch.run([(guard, guard.protect.encode_input(market, victim, 100)), (guard, steal)], sender=attacker)
    shares = market.positions(borrower).borrow_shares // 2
    with ape.reverts("liquidator: unexpected callback"):
        batch.run(
            [
                (liquidator, liquidator.liquidate.encode_input(market, borrower, 0, shares, 0, 2**64, True)),
                (liquidator, liquidator.on_liquidate.encode_input(0, b"\x00" * 32)),
            ],
            sender=attacker,
        )
