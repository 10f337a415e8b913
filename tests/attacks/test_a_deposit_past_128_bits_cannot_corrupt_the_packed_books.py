"""The LST's books share two storage slots (issue 30's gas pass): the buffer (low 128 bits) with the accounted
backend balance, and the free unbonding (low) with the unbonding expected. A half wider than 128 bits would
spill into its neighbour: X deposited past 2^128 - 1 would read as stake the backend holds (or the buffer's
high bits would be cut off: the LST would owe more X than it counts), a gain counted past the bound would turn
into buffer the LST does not hold, and unbonding past it would turn into unbonding the LST expects back.

The bounds: the buffer plus the accounted balance stay within 2^128 - 1 (a deposit or mint past it is refused,
"lst: amount too large", with nothing moved, and `maxDeposit` / `maxMint` answer exactly the room left; a
backend gain is counted only up to it, the rest waiting for the next sync; X paid back beyond it stays in the
LST uncounted), and each unbonding half within 2^128 - 1 (a rebalance that would write more reverts). A
test-only backend that reports and pays whatever the test sets drives every field to its bound, past it, and
to odd values with the top bit clear (2^127 - 1), where a half shifted by one bit would show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from boa_system import MAX_UINT, deploy_lst, reverts
from revm_chain import RevmChain

from levstake.model import LST_PARAMETER_DELAY, LST_PARAMETERS

BOOKS_MAX = 2**128 - 1
ODD = 2**127 - 1
YEAR = 365 * 86_400
TOO_LARGE = "lst: amount too large"


@dataclass
class World:
    chain: RevmChain
    owner: str
    x: Any
    backend: Any
    lst: Any
    governor: Any

    def holder(self, alias: str, amount: int) -> str:
        account = self.chain.generate_address(alias)
        self.x.mint(account, amount, sender=self.owner)
        self.x.approve(self.lst, MAX_UINT, sender=account)
        return account


@pytest.fixture
def books_world(decimals: int) -> World:
    chain = RevmChain()
    alone = deploy_lst(chain, decimals, "mocks/MockBackend.vy")
    owner, x, backend, lst = alone.owner, alone.x, alone.backend, alone.lst
    return World(chain, owner, x, backend, lst, alone.governor)


def books(lst: Any) -> tuple[int, int, int, int]:
    return lst.buffer(), lst.backend_accounted(), lst.free_unbonding(), lst.unbonding_expected()


def test_a_deposit_or_mint_past_the_bound_is_refused_with_nothing_moved(books_world: World) -> None:
    world = books_world
    lst, x = world.lst, world.x
    whale = world.holder("whale", 2**129)
    assert (lst.maxDeposit(whale), lst.maxMint(whale)) == (BOOKS_MAX, BOOKS_MAX), "empty, at a rate of 1"
    for entry in (lst.deposit, lst.mint):
        with reverts(TOO_LARGE):
            entry(BOOKS_MAX + 1, sender=whale)
    assert (x.balanceOf(whale), x.balanceOf(lst), lst.totalSupply()) == (2**129, 0, 0), "nothing moved"
    assert books(lst) == (0, 0, 0, 0)
    # Odd, the top bit clear: the room left is exactly 2^127, which a buffer shifted a bit would not show.
    lst.deposit(ODD, sender=whale)
    assert books(lst) == (ODD, 0, 0, 0)
    assert (lst.maxDeposit(whale), lst.maxMint(whale)) == (2**127, 2**127)
    with reverts(TOO_LARGE):
        lst.deposit(2**127 + 1, sender=whale)
    with reverts(TOO_LARGE):
        lst.mint(2**127 + 1, sender=whale)
    assert lst.mint(2**127, sender=whale) == 2**127
    assert books(lst) == (BOOKS_MAX, 0, 0, 0), "every bit of the low half, none in the high"
    assert (lst.maxDeposit(whale), lst.maxMint(whale)) == (0, 0)
    for entry in (lst.deposit, lst.mint):
        with reverts(TOO_LARGE):
            entry(1, sender=whale)
    assert lst.totalAssets() == lst.totalSupply() == BOOKS_MAX
    assert x.balanceOf(lst) == BOOKS_MAX and x.balanceOf(whale) == 2**129 - BOOKS_MAX
    # An exit takes exactly its X out of the low half.
    lst.withdraw(ODD, sender=whale)
    assert books(lst) == (2**127, 0, 0, 0)
    assert lst.maxDeposit(whale) == ODD


def test_the_buffer_and_the_accounted_balance_keep_their_halves(books_world: World) -> None:
    world = books_world
    lst, backend = world.lst, world.backend
    whale = world.holder("whale", 2**129)
    lst.deposit(ODD, sender=whale)
    lst.rebalance()
    delegated = backend.staked_balance(lst)
    target = ODD * lst.target_buffer_bps() // 10_000
    assert delegated == ODD - target
    assert books(lst) == (target, delegated, 0, 0)
    # The room is the same: a delegation moves X from one half to the other.
    assert lst.maxDeposit(whale) == 2**127
    with reverts(TOO_LARGE):
        lst.deposit(2**127 + 1, sender=whale)
    lst.deposit(2**127, sender=whale)
    assert books(lst) == (target + 2**127, delegated, 0, 0)
    assert lst.totalAssets() == BOOKS_MAX and lst.maxDeposit(whale) == 0
    # A delegation of all of that leaves the sum at the bound, each half whole.
    lst.rebalance()
    buffer, accounted, _, _ = books(lst)
    assert accounted == backend.staked_balance(lst) and buffer + accounted == BOOKS_MAX
    assert accounted > 2**127 > buffer


def test_a_gain_of_2_to_the_200_is_counted_only_up_to_the_bound(books_world: World) -> None:
    world = books_world
    chain, lst, backend, owner = world.chain, world.lst, world.backend, world.owner
    world.governor.announce_parameter(LST_PARAMETERS["max_apr_bps"], 5_000, sender=owner)
    chain.time_travel(LST_PARAMETER_DELAY)
    world.governor.apply_parameter(LST_PARAMETERS["max_apr_bps"])
    whale = world.holder("whale", 2**129)
    lst.deposit(2**126, sender=whale)
    lst.rebalance()
    buffer, accounted, _, _ = books(lst)
    # 30 years at the APR cap's 50% bound: the cap (15 times the stake) is far past the room (3 times).
    chain.time_travel(30 * YEAR)
    backend.set_staked(lst, 2**200, sender=owner)
    lst.sync_rewards()
    room = BOOKS_MAX - 2**126
    assert books(lst) == (buffer, accounted + room, 0, 0), "the gain is counted up to the bound, not past it"
    fee = room * lst.protocol_fee_bps() // 10_000
    assert lst.stream_amount() == room - fee
    assert lst.maxDeposit(whale) == lst.maxMint(whale) == 0
    with reverts(TOO_LARGE):
        lst.mint(1, sender=whale)
    with reverts(TOO_LARGE):
        lst.deposit(10**6, sender=whale)
    # The rest waits: once the stream has ended, a sync at the bound counts nothing and reverts nothing.
    chain.time_travel(lst.stream_end() - chain.timestamp)
    lst.sync_rewards()
    assert books(lst) == (buffer, accounted + room, 0, 0)
    assert lst.share_prices()[:2] == (BOOKS_MAX, 0)
    # An exit opens room: deposits fit it exactly (at a rate above 1 now), and the next sync counts it.
    exit_amount = 2**120 + 1
    lst.withdraw(exit_amount, sender=whale)
    assert lst.maxDeposit(whale) == exit_amount
    shares = lst.maxMint(whale)
    assert lst.previewMint(shares) <= exit_amount < lst.previewMint(shares + 1)
    with reverts(TOO_LARGE):
        lst.mint(shares + 1, sender=whale)
    chain.time_travel(86_400)
    lst.sync_rewards()
    assert books(lst) == (buffer - exit_amount, accounted + room + exit_amount, 0, 0)


def test_x_paid_back_past_the_bound_stays_uncounted(books_world: World) -> None:
    world = books_world
    lst, backend, x, owner = world.lst, world.backend, world.x, world.owner
    whale = world.holder("whale", 2**129)
    lst.deposit(BOOKS_MAX, sender=whale)
    lst.rebalance()
    buffer, accounted, _, _ = books(lst)
    # The backend pays back all it holds and 2^100 more (a gain it never reported to the LST).
    x.mint(backend, 2**100, sender=owner)
    backend.set_payback(accounted + 2**100, sender=owner)
    lst.process_queue()
    assert books(lst) == (BOOKS_MAX, 0, 0, 0), "counted up to the bound"
    assert x.balanceOf(lst) == BOOKS_MAX + 2**100, "the rest sits in the LST, like X sent to it"
    assert lst.totalAssets() == BOOKS_MAX


def test_unbonding_past_the_bound_is_refused_and_each_half_is_kept(books_world: World) -> None:
    world = books_world
    chain, lst, backend, owner = world.chain, world.lst, world.backend, world.owner
    whale = world.holder("whale", 2**129)
    lst.deposit(ODD, sender=whale)
    lst.rebalance()
    _, accounted, _, _ = books(lst)
    # The backend reports unbonding the LST never asked for: counted as free unbonding up to the bound.
    backend.set_unbonding(lst, 2**128, sender=owner)
    with reverts(TOO_LARGE):
        lst.rebalance()
    backend.set_unbonding(lst, BOOKS_MAX, sender=owner)
    lst.rebalance()
    assert (lst.free_unbonding(), lst.unbonding_expected()) == (BOOKS_MAX, 0)
    backend.set_unbonding(lst, ODD, sender=owner)
    lst.rebalance()
    assert (lst.free_unbonding(), lst.unbonding_expected()) == (ODD, 0)
    backend.set_unbonding(lst, 0, sender=owner)
    lst.rebalance()
    assert (lst.free_unbonding(), lst.unbonding_expected()) == (0, 0)
    # Unbonding the LST asks for lands in both halves: the buffer drained, a rebalance asks for its target.
    lst.withdraw(lst.maxWithdraw(whale) // 2, sender=whale)
    chain.time_travel(60)
    lst.rebalance()
    asked = backend.unbonding_balance(lst)
    assert asked > 2**120
    assert (lst.free_unbonding(), lst.unbonding_expected()) == (asked, asked)
    assert lst.backend_accounted() == accounted == backend.total_balance(lst)
