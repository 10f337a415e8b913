"""The LST's buffer and accounted backend balance share one slot, 128 bits each, and hold at most
BOOKS_MAX = 2^128 - 1 X together. Two ways that bound could refuse what the LST says it takes, both found by
an outside review of the packing, each run with the honest devnet backend (SimulatedValidator):

1. `maxDeposit` offering a room worth less than one share: at a rate above 1, a room of a unit buys no share,
   and `deposit(maxDeposit())` reverted "lst: zero shares" (ERC-4626: the max is what `deposit` accepts).
   `maxDeposit` now answers 0 then, and a room worth a share or more is accepted whole.
2. A queued exit worth less than the bound refused "lst: amount too large": with rewards the LST cannot count
   left in the stake (the gain clamp at the bound) and free unbonding on its way, a filing asked the backend
   to unbond its amount from the stake on top of the free unbonding, and the expected-unbonding half passed
   128 bits. The LST now asks at most up to the bound (never less than the stake it counts).
"""

from __future__ import annotations

from typing import Any

import pytest
from boa_system import MAX_UINT, attempt, deploy_lst
from revm_chain import RevmChain

from levstake.model import LST_BOOKS_MAX

ODD = 2**127 - 1
YEAR = 365 * 86_400


def world(decimals: int, apr_bps: int) -> tuple[RevmChain, Any, Any, Any, str]:
    chain = RevmChain()
    alone = deploy_lst(chain, decimals, "staking/SimulatedValidator.vy", apr_bps)
    owner, x, validator, lst = alone.owner, alone.x, alone.backend, alone.lst
    x.mint(owner, 2**129, sender=owner)
    x.approve(validator, 2**129, sender=owner)
    validator.fund_rewards(2**129, sender=owner)
    whale = chain.generate_address("whale")
    x.mint(whale, 2**130, sender=owner)
    x.approve(lst, MAX_UINT, sender=whale)
    return chain, x, validator, lst, whale


@pytest.mark.parametrize("decimals", [6, 18])
def test_max_deposit_never_offers_a_room_that_buys_no_share(decimals: int) -> None:
    chain, _, _, lst, whale = world(decimals, 500)
    lst.deposit(ODD, sender=whale)
    lst.rebalance()
    chain.time_travel(30 * 86_400)
    lst.sync_rewards()
    price = lst.previewMint(1)
    assert price > 1, "a share costs more than a unit now"
    # A room of exactly one share's price: offered, and accepted whole.
    with chain.anchor():
        lst.deposit(lst.maxDeposit(whale) - price, sender=whale)
        assert (lst.maxDeposit(whale), lst.maxMint(whale)) == (price, 1)
        assert lst.deposit(price, sender=whale) == 1
        assert lst.maxDeposit(whale) == 0
    # A room of a unit (less than a share's price): no room at all.
    lst.deposit(lst.maxDeposit(whale) - 1, sender=whale)
    assert lst.maxMint(whale) == 0
    assert lst.maxDeposit(whale) == 0, "a unit of room buys no share: deposit(1) would revert"
    _, reason = attempt(lst.deposit, 1, sender=whale)
    assert reason == "lst: zero shares"


@pytest.mark.parametrize("decimals", [6, 18])
def test_a_queued_exit_at_the_bound_with_uncounted_rewards_is_accepted(decimals: int) -> None:
    chain, _, validator, lst, whale = world(decimals, 10_000)
    lst.deposit(LST_BOOKS_MAX, sender=whale)
    lst.rebalance()
    # Half a year at the bound: the backend's rewards cannot be counted (no room), they stay in the stake.
    chain.time_travel(YEAR // 2)
    lst.sync_rewards()
    assert validator.total_balance(lst) > LST_BOOKS_MAX > lst.backend_accounted()
    # An instant exit of the buffer; the upkeep asks for the buffer's target (free unbonding), and the room
    # the exit left is staked again.
    lst.withdraw(lst.maxWithdraw(whale), sender=whale)
    lst.rebalance()
    assert lst.free_unbonding() > 0
    lst.deposit(lst.maxDeposit(whale), sender=whale)
    shares = lst.balanceOf(whale)
    worth = lst.convertToAssets(shares)
    assert worth <= LST_BOOKS_MAX, "the request fits its 128 bits"
    _, reason = attempt(lst.request_unstake, shares, sender=whale)
    assert reason is None, f"a queued exit worth {worth} reverted {reason!r}"
    assert lst.unbonding_expected() <= LST_BOOKS_MAX
    # And it is paid whole when due (the stake the LST counts covered it).
    request = lst.requests(lst.next_request_id() - 1)
    assert lst.request_value(lst.next_request_id() - 1) == worth
    chain.time_travel(request.ready_at - chain.timestamp)
    assert lst.claim(lst.next_request_id() - 1, sender=whale) == worth
