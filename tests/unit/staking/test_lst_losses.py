"""
Losses (slashing): a slash of the unbonding the queue counts on is the queue's (through the loss factor),
every other loss the stakers'; applied in the slash transaction (the validator pushes a report), included in
every view before anybody applies them, and leaving the reward stream alone unless the loss is larger than
everything unlocked.
"""

import ape
import pytest
from lst_math import RAY, request_id, to_assets

from levstake import lst_lens

DAY = 86_400


def loss_event(tx, lst):
    found = list(tx.events.filter(lst.LossApplied))
    return found[0] if found else None


def locked_at(lst, timestamp: int) -> int:
    """Rewards still streaming at `timestamp`, as the contract computes them (unlocked part rounds down)."""
    start, end, amount = lst.stream_start(), lst.stream_end(), lst.stream_amount()
    if timestamp >= end:
        return 0
    return amount - amount * (timestamp - start) // (end - start)


def test_the_queue_bears_the_slash_of_its_unbonding_and_the_stakers_that_of_the_stake(
    lst, x, validator, owner, delegated_without_rewards, staker, units
):
    rid = request_id(lst.request_unstake(units(20), staker, staker, sender=staker))
    stakers, queue = lst.totalAssets(), lst_lens.queue_liability(lst)
    assert (stakers, queue) == (units(80), units(20))
    # The request is covered by unbonding (the buffer stays for instant exits): 70 X staked, 20 X unbonding.
    assert (validator.staked_balance(lst), validator.unbonding_balance(lst)) == (units(70), units(20))
    tx = validator.slash(lst, 1_000, sender=owner)
    event = loss_event(tx, lst)
    assert event is not None, "the validator's report applies the loss in the slash transaction"
    # 10% of the backend's 90 X: 2 X of the queue's unbonding, 7 X of the stakers' stake; the buffer's 10 X
    # are not slashed. The queue is charged a unit more per backend entry (each entry's cut rounds down).
    margin = lst.unbonding_requests() + 1
    assert event.loss == units(9) and units(2) <= event.queue_share <= units(2) + margin
    assert RAY * 9 // 10 - RAY * margin // units(20) <= event.loss_factor <= RAY * 9 // 10
    assert stakers - units(7) <= lst.totalAssets() <= stakers - units(7) + margin
    assert (
        queue * 9 // 10 - margin <= lst.request_value(rid) <= lst_lens.queue_liability(lst) <= queue * 9 // 10
    )
    # The X in the buffer is still there; the loss is booked against what the backend holds.
    assert lst.buffer() == units(10) and x.balanceOf(lst) == units(10)
    assert lst.backend_accounted() == validator.total_balance(lst) == units(81)


def test_instant_exit_after_a_slash_pays_the_slashed_rate(lst, validator, delegated, owner, staker):
    """Nobody can leave at the old rate once the slash is on chain: the slash transaction applies it."""
    value = lst.convertToAssets(lst.balanceOf(staker) // 20)
    validator.slash(lst, 5_000, sender=owner)
    shares = lst.balanceOf(staker) // 20
    preview = lst.previewRedeem(shares)
    tx = lst.redeem(shares, staker, staker, sender=staker)
    assert tx.events.filter(lst.Withdraw)[0].assets == preview
    assert preview < value * 6 // 10


def test_small_slash_does_not_cut_the_stream(lst, validator, delegated, owner, other, warp):
    warp(DAY)
    lst.sync_rewards(sender=other)
    warp(DAY // 4)
    stream = (lst.stream_amount(), lst.stream_start(), lst.stream_end())
    accounted = lst.backend_accounted()
    tx = validator.slash(lst, 1, sender=owner)  # 0.01% of the stake: far less than what is unlocked
    event = loss_event(tx, lst)
    assert event.loss == accounted - validator.total_balance(lst, block_id=tx.block_number)
    assert (lst.stream_amount(), lst.stream_start(), lst.stream_end()) == stream
    # Total assets are the pool after the loss less the untouched stream's locked part.
    pool = lst.buffer() + lst.backend_accounted()
    assert lst.totalAssets(block_id=tx.block_number) == pool - locked_at(lst, tx.timestamp)


def test_loss_larger_than_everything_unlocked_cuts_the_stream(
    lst, validator, delegated, owner, staker, other, warp
):
    warp(30 * DAY)
    lst.sync_rewards(sender=other)
    end = lst.stream_end()
    lst.withdraw(lst.maxWithdraw(staker), staker, staker, sender=staker)
    assert lst.buffer() == 0
    tx = validator.slash(lst, 9_990, sender=owner)
    assert loss_event(tx, lst) is not None
    # What is left (0.1% of the backend) is less than the rewards still locked: it becomes the stream,
    # which keeps its end, and nothing is unlocked at the slash.
    left = lst.backend_accounted()
    assert left == validator.total_balance(lst) > 0
    assert (lst.stream_amount(), lst.stream_start(), lst.stream_end()) == (left, tx.timestamp, end)
    assert lst.totalAssets(block_id=tx.block_number) == 0
    warp(end - ape.chain.blocks.head.timestamp)
    assert lst.totalAssets() == left


def test_a_slash_of_an_lst_without_a_stake_changes_nothing(lst, validator, staker, stake, owner, units):
    stake(staker, units(10))
    tx = validator.slash(lst, 5_000, sender=owner)
    assert loss_event(tx, lst) is None
    assert lst.totalAssets() == units(10) and lst.loss_factor() == RAY


# ---------------------------------------------------------------- views and poke independence

VIEWS = [
    ("totalAssets", ()),
    ("queue_cover", ()),
    ("request_value", (0,)),
    ("max_instant_redeem", ()),
]


def read_views(lst, staker, unit: int) -> dict:
    values = {name: getattr(lst, name)(*args) for name, args in VIEWS}
    # The views that left the LST for bytecode room, as the tools answer them from its views.
    values["queue_liability"] = lst_lens.queue_liability(lst)
    values["target_buffer"] = lst_lens.target_buffer(lst)
    values["instant_fee"] = lst_lens.instant_fee(lst, unit // 2)
    for name in ("convertToAssets", "convertToShares", "previewDeposit", "previewMint", "book_value"):
        values[name] = getattr(lst, name)(unit)
    for name in ("previewRedeem", "previewWithdraw"):
        values[name] = getattr(lst, name)(unit // 2)
    for name in ("maxWithdraw", "maxRedeem", "maxDeposit", "maxMint"):
        values[name] = getattr(lst, name)(staker)
    return values


@pytest.fixture
def unreported_loss(lst, validator, owner, delegated_without_rewards, staker, units):
    """
    100 X staked, 90 X delegated (70 X staked, 20 X unbonding for a 20 X request), then 10% of the backend
    slashed without a report (a backend that does not push one): the loss is left for the next call to apply.
    """
    lst.request_unstake(units(20), staker, staker, sender=staker)
    tx = validator.slash(lst, 1_000, False, sender=owner)
    assert len(tx.events.filter(validator.Slashed)) == 1 and loss_event(tx, lst) is None
    assert lst.backend_accounted() == units(90) > validator.total_balance(lst) == units(81)
    assert lst.loss_factor() == RAY
    return lst


def test_views_include_a_pending_loss(unreported_loss, staker, other, units):
    lst = unreported_loss
    before = read_views(lst, staker, units(1))
    # 9 X of the 90 X at the backend: the views already show the queue's 2 X and the stakers' 7 X (up to the
    # unit per backend entry the queue is charged more).
    margin = lst.unbonding_requests() + 1
    assert units(18) - margin <= before["request_value"] <= before["queue_liability"] <= units(18)
    assert units(73) <= before["totalAssets"] <= units(73) + margin
    tx = lst.sync_rewards(sender=other)
    event = loss_event(tx, lst)
    assert event.loss == units(9) and units(2) <= event.queue_share <= units(2) + margin
    assert units(18) - margin <= lst_lens.queue_liability(lst) <= units(18)
    after = read_views(lst, staker, units(1))
    # Save maxDeposit / maxMint: they answer the room the books had before the loss (the accounted balance
    # as stored, for bytecode room), below what a deposit then accepts, never above; applied, it grows by the
    # loss.
    assert after.pop("maxDeposit") == before.pop("maxDeposit") + units(9)
    assert after.pop("maxMint") > before.pop("maxMint")
    assert after == before


def test_poking_after_a_slash_changes_nothing(unreported_loss, chain, staker, other, units):
    """Two worlds that differ only in whether somebody applied the loss first pay everybody the same."""
    lst = unreported_loss

    def act() -> tuple[int, int, int]:
        redeemed = lst.redeem(units(3), staker, staker, sender=staker).events.filter(lst.Withdraw)[0].assets
        tx = lst.request_unstake(units(5), staker, staker, sender=staker)
        return redeemed, tx.events.filter(lst.UnstakeRequested)[0].amount, lst.totalAssets()

    snapshot = chain.snapshot()
    lst.sync_rewards(sender=other)
    poked = act()
    chain.restore(snapshot)
    assert act() == poked


# ---------------------------------------------------------------- the virtual position after a loss


def test_all_shares_are_worth_no_more_than_total_assets_after_a_loss(
    lst, validator, owner, delegated_without_rewards
):
    validator.slash(lst, 1_000, sender=owner)
    total, supply = lst.totalAssets(), lst.totalSupply()
    assert total < supply
    # Invariant 1 of the design: shares x rate never exceed the assets accounted for. Below a rate of 1
    # shares are priced pro rata (the virtual position takes no part of a loss, so it must not count).
    assert lst.convertToAssets(supply) == to_assets(supply, total, supply) == total
    assert lst.convertToShares(total) == supply


def test_the_last_staker_can_leave_through_the_queue_after_a_loss(
    lst, x, validator, owner, delegated_without_rewards, staker, other, warp
):
    validator.slash(lst, 1_000, sender=owner)
    rid = request_id(lst.request_unstake(lst.balanceOf(staker), staker, staker, sender=staker))
    for _ in range(2):
        warp(validator.unbonding_delay())
        lst.rebalance(sender=other)
    before = x.balanceOf(staker)
    lst.claim(rid, sender=staker)
    assert x.balanceOf(staker) > before
