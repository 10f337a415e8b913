"""
Reward sync: a gain streams linearly over max(reward_cycle, time since the last counted gain), capped at
max_apr_bps of total assets for that time (at the books' bound: tests/attacks/test_a_dust_room_... and
test_a_gain_cut_short_...); the protocol fee is minted to the treasury; backend reports.
(Losses are in test_lst_losses.py.)
"""

import ape
import pytest
from lst_math import BPS, VIRTUAL, YEAR, to_shares

DAY = 86_400


def synced(tx, lst):
    found = list(tx.events.filter(lst.RewardsSynced))
    return found[0] if found else None


@pytest.fixture
def staked(delegated):
    """100 X staked, 90 X delegated at the backend's 8% APR (see conftest)."""
    return delegated


def test_gain_streams_linearly_over_one_cycle(lst, validator, staked, other, units, warp, next_block_at):
    last_gain = lst.last_gain_time()
    next_block_at(last_gain + DAY)
    gain = validator.total_balance(lst) - lst.backend_accounted()
    assert gain > 0
    before = lst.totalAssets()
    tx = lst.sync_rewards(sender=other)
    event = synced(tx, lst)
    counted = event.counted_gain
    # Below the 20% cap, the whole backend gain of the day is counted.
    assert counted == validator.total_balance(lst, block_id=tx.block_number) - units(90)
    fee = counted * lst.protocol_fee_bps() // BPS
    # At the sync block only the fee (priced at the old rate) is added: no jump for stakers.
    assert lst.totalAssets() == before + fee
    start, end = lst.stream_start(), lst.stream_end()
    assert (start, end - start) == (tx.timestamp, DAY)
    assert event.stream_end == end and event.stream_amount == counted - fee
    warp(DAY // 2)
    elapsed = ape.chain.blocks.head.timestamp - start
    stream = event.stream_amount
    assert lst.totalAssets() == before + fee + stream * elapsed // DAY
    warp(DAY)
    assert lst.totalAssets() == before + counted


def test_late_sync_streams_over_the_time_the_gain_took(
    lst, validator, staked, other, units, warp, next_block_at
):
    last_gain = lst.last_gain_time()
    next_block_at(last_gain + 30 * DAY)
    tx = lst.sync_rewards(sender=other)
    event = synced(tx, lst)
    # 30 days of 8% on 90 X are under the 20% cap on 100 X: all counted, and unlocked over 30 days.
    assert event.counted_gain == validator.total_balance(lst, block_id=tx.block_number) - units(90)
    assert lst.stream_end() - lst.stream_start() == 30 * DAY
    assert lst.last_gain_time() == tx.timestamp
    # Whoever joins just before such a sync earns a thirtieth of it per day, not all of it at once.
    before = lst.totalAssets()
    warp(DAY)
    elapsed = ape.chain.blocks.head.timestamp - lst.stream_start()
    assert lst.totalAssets() == before + event.stream_amount * elapsed // (30 * DAY)


def test_a_sync_after_two_and_a_half_days_streams_over_them(lst, staked, other, next_block_at):
    next_block_at(lst.last_gain_time() + 5 * DAY // 2)
    lst.sync_rewards(sender=other)
    assert lst.stream_end() - lst.stream_start() == 5 * DAY // 2


def test_daily_syncs_stream_over_one_day(lst, staked, other, next_block_at):
    for _ in range(3):
        # The earliest a sync can count: when the previous stream ends.
        next_block_at(max(lst.stream_end(), lst.last_gain_time() + DAY))
        tx = lst.sync_rewards(sender=other)
        assert synced(tx, lst) is not None
        assert lst.stream_end() - lst.stream_start() == DAY


def test_longer_reward_cycle_sets_the_minimum_stream(lst, staked, other, set_lst_parameter, next_block_at):
    set_lst_parameter("reward_cycle", 30 * DAY)
    # Ten days (the parameter delay) have passed: shorter than the cycle, so the cycle applies.
    lst.sync_rewards(sender=other)
    assert lst.stream_end() - lst.stream_start() == 30 * DAY


def test_sync_during_a_stream_counts_nothing(lst, validator, staked, other, warp):
    warp(DAY)
    lst.sync_rewards(sender=other)
    accounted = lst.backend_accounted()
    warp(DAY // 2)
    assert validator.total_balance(lst) > accounted
    tx = lst.sync_rewards(sender=other)
    assert synced(tx, lst) is None
    assert lst.backend_accounted() == accounted


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
    total, supply = lst.totalAssets(), lst.totalSupply()
    tx = lst.sync_rewards(sender=other)
    event = synced(tx, lst)
    fee = event.counted_gain * lst.protocol_fee_bps() // BPS
    # Priced at the rate before the sync, rounded down.
    assert event.fee_shares == to_shares(fee, total, supply) > 0
    assert lst.balanceOf(treasury) == event.fee_shares
    at_sync = lst.convertToAssets(event.fee_shares, block_id=tx.block_number)
    assert fee - 2 <= at_sync <= fee


def test_fee_goes_to_the_new_treasury(lst, governor, staked, owner, other, warp):
    governor.set_treasury(other, sender=owner)
    warp(DAY)
    tx = lst.sync_rewards(sender=other)
    assert lst.balanceOf(other) == synced(tx, lst).fee_shares > 0


def test_gain_is_capped_at_max_apr_and_excess_carried(lst, validator, staked, owner, other, next_block_at):
    validator.set_apr(10_000, sender=owner)  # backend pays 100% APR, cap is 20%
    start = lst.last_gain_time()
    next_block_at(start + DAY)
    total = lst.totalAssets()
    tx = lst.sync_rewards(sender=other)
    counted = synced(tx, lst).counted_gain
    assert counted == total * 2_000 * DAY // (BPS * YEAR)
    uncounted = validator.total_balance(lst) - lst.backend_accounted()
    assert uncounted > counted
    # A sync before the stream ends counts nothing more.
    assert synced(lst.sync_rewards(sender=other), lst) is None
    # The excess is counted in later streams once the backend stops paying.
    validator.set_apr(0, sender=owner)
    for _ in range(10):
        next_block_at(lst.stream_end())
        lst.sync_rewards(sender=other)
        if validator.total_balance(lst) == lst.backend_accounted():
            break
    assert validator.total_balance(lst) == lst.backend_accounted()


def test_late_sync_is_capped_for_the_whole_time(lst, validator, staked, owner, other, next_block_at):
    validator.set_apr(10_000, sender=owner)
    start = lst.last_gain_time()
    next_block_at(start + 30 * DAY)
    total = lst.totalAssets()
    tx = lst.sync_rewards(sender=other)
    assert synced(tx, lst).counted_gain == total * 2_000 * (30 * DAY) // (BPS * YEAR)
    assert lst.stream_end() - lst.stream_start() == 30 * DAY


def test_higher_max_apr_counts_more(lst, validator, staked, owner, other, set_lst_parameter, next_block_at):
    validator.set_apr(10_000, sender=owner)
    set_lst_parameter("max_apr_bps", 5_000)
    # The parameter delay (10 days) counts as time the gain took.
    total, start = lst.totalAssets(), lst.last_gain_time()
    tx = lst.sync_rewards(sender=other)
    assert synced(tx, lst).counted_gain == total * 5_000 * (tx.timestamp - start) // (BPS * YEAR)


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
    assert synced(tx, lst) is None


def test_book_value_counts_the_rewards_still_streaming(lst, staked, other, units, warp):
    warp(DAY)
    lst.sync_rewards(sender=other)
    warp(DAY // 3)
    now = ape.chain.blocks.head.timestamp
    start, end, amount = lst.stream_start(), lst.stream_end(), lst.stream_amount()
    locked = amount - amount * (now - start) // (end - start)
    total, supply = lst.totalAssets(), lst.totalSupply()
    assert locked > 0
    # (totalAssets + locked stream + 1e6) / (supply + 1e6), rounded down.
    assert lst.book_value(units(1)) == units(1) * (total + locked + VIRTUAL) // (supply + VIRTUAL)
    assert lst.book_value(units(1)) > lst.convertToAssets(units(1))
    # Once the stream has ended both say the same.
    warp(end - now)
    assert lst.book_value(units(1)) == lst.convertToAssets(units(1))
