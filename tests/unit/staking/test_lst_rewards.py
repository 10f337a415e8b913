"""Reward sync: linear streaming, APR cap, protocol fee, losses, backend reports."""

import ape
import pytest

DAY = 86_400
YEAR = 365 * DAY


@pytest.fixture
def staked(lst, staker, other, stake, units):
    """100 X staked and delegated (10% stays in the buffer)."""
    stake(staker, units(100))
    lst.rebalance(sender=other)
    return units(100)


def test_rebalance_delegates_above_target_buffer(lst, validator, staked, units):
    assert lst.buffer() == units(10)
    assert lst.backend_accounted() == units(90)
    assert validator.staked_balance(lst) == units(90)
    assert lst.totalAssets() == staked


def test_gain_streams_linearly_over_the_cycle(lst, validator, staked, other, warp):
    warp(DAY)
    gain = validator.total_balance(lst) - lst.backend_accounted()
    assert gain > 0
    before = lst.totalAssets()
    tx = lst.sync_rewards(sender=other)
    event = tx.events.filter(lst.RewardsSynced)[0]
    counted = event.counted_gain
    assert counted > 0
    fee = counted * lst.protocol_fee_bps() // 10_000
    # At the sync block only the fee (priced at the old rate) is added: no jump for stakers.
    assert lst.totalAssets() == before + fee
    start, end = lst.stream_start(), lst.stream_end()
    assert end - start == lst.reward_cycle() == DAY
    warp(DAY // 2)
    elapsed = ape.chain.blocks.head.timestamp - start
    stream = event.stream_amount
    assert lst.totalAssets() == before + fee + stream * elapsed // DAY
    warp(DAY)
    assert lst.totalAssets() == before + counted


def test_sync_does_not_move_the_rate(lst, staked, other, warp, units):
    """A reward sync cannot be sandwiched: the rate right after it equals the rate right before it."""
    warp(DAY)
    probe = units(1)
    before = lst.convertToAssets(probe)
    lst.sync_rewards(sender=other)
    after = lst.convertToAssets(probe)
    assert before <= after <= before + 1


def test_protocol_fee_minted_to_treasury(lst, staked, other, treasury, warp):
    warp(DAY)
    tx = lst.sync_rewards(sender=other)
    event = tx.events.filter(lst.RewardsSynced)[0]
    assert event.fee_shares > 0
    assert lst.balanceOf(treasury) == event.fee_shares
    # At the sync the treasury owns 10% of the counted gain (shares rounded down);
    # afterwards its shares earn the stream like everybody else's.
    fee = event.counted_gain * lst.protocol_fee_bps() // 10_000
    at_sync = lst.convertToAssets(event.fee_shares, block_id=tx.block_number)
    assert fee - 2 <= at_sync <= fee


def test_gain_is_capped_at_max_apr_and_excess_carried(lst, validator, staked, owner, other, warp):
    validator.set_apr(10_000, sender=owner)  # backend pays 100% APR, cap is 20%
    start = lst.last_gain_time()
    warp(DAY)
    total = lst.totalAssets()
    tx = lst.sync_rewards(sender=other)
    elapsed = tx.timestamp - start
    counted = tx.events.filter(lst.RewardsSynced)[0].counted_gain
    assert counted == total * 2_000 * elapsed // (10_000 * YEAR)
    uncounted = validator.total_balance(lst) - lst.backend_accounted()
    assert uncounted > counted
    # A sync before the cycle ends counts nothing more.
    tx = lst.sync_rewards(sender=other)
    assert len(tx.events.filter(lst.RewardsSynced)) == 0
    # The excess is counted in later cycles once the backend slows down.
    validator.set_apr(0, sender=owner)
    for _ in range(6):
        warp(DAY + 1)
        lst.sync_rewards(sender=other)
    assert validator.total_balance(lst) == lst.backend_accounted()


def test_slashing_applies_at_once(lst, validator, staked, owner, other, warp, units):
    validator.set_apr(0, sender=owner)
    before = lst.totalAssets()
    validator.slash(lst, 1_000, sender=owner)  # 10% of the 90 delegated (and of its tiny uncounted gain)
    loss = lst.backend_accounted() - validator.total_balance(lst)
    assert units(9) * 99 // 100 < loss <= units(9)
    # Views include the pending loss even before anybody syncs.
    assert lst.totalAssets() == before - loss
    tx = lst.sync_rewards(sender=other)
    assert tx.events.filter(lst.LossApplied)[0].loss == loss
    assert lst.totalAssets() == before - loss
    assert lst.backend_accounted() == validator.total_balance(lst)


def test_slashing_is_absorbed_by_streaming_rewards_first(lst, validator, staked, owner, other, warp):
    warp(DAY)
    lst.sync_rewards(sender=other)
    locked_before = lst.stream_amount()
    assert locked_before > 0
    validator.set_apr(0, sender=owner)
    total_before = lst.totalAssets()
    small = 1  # 0.01% of the stake: less than the rewards still streaming
    validator.slash(lst, small, sender=owner)
    tx = lst.sync_rewards(sender=other)
    event = tx.events.filter(lst.LossApplied)[0]
    assert event.absorbed_by_stream == event.loss
    assert lst.totalAssets() >= total_before - 1


def test_withdrawal_after_unsynced_slash_pays_the_slashed_rate(lst, validator, staked, owner, staker, units):
    """Front-running a slash with an instant unstake gains nothing: the loss applies first."""
    validator.set_apr(0, sender=owner)
    validator.slash(lst, 5_000, sender=owner)
    shares = lst.balanceOf(staker) // 20
    preview = lst.previewRedeem(shares)
    tx = lst.redeem(shares, staker, staker, sender=staker)
    assert tx.events.filter(lst.Withdraw)[0].assets == preview
    assert preview < shares * 6 // 10


def test_report_only_from_backend(lst, validator, staked, attacker, other, warp):
    warp(DAY)
    with ape.reverts("lst: caller is not the backend"):
        lst.on_backend_report(10**30, sender=attacker)
    assert lst.stream_amount() == 0
    tx = validator.report(lst, sender=other)
    assert len(tx.events.filter(lst.RewardsSynced)) == 1
    assert lst.stream_amount() > 0


def test_no_gain_no_event(lst, other):
    tx = lst.sync_rewards(sender=other)
    assert len(tx.events.filter(lst.RewardsSynced)) == 0
