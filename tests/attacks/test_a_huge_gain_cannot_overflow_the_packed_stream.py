"""The LST's reward stream is one storage slot (issue 30's gas pass): its amount in the low 176 bits, its
start and end times above. A gain counted whole past 2^176 - 1 units would spill into the start time (the
stream would unlock from a time that never was, or not at all), and a loss that eats into the stream
rewrites its amount and start and must keep its end. No devnet backend can hold that much (the validator's
stake units overflow first), so a backend that reports whatever the test sets stands in: 2^126 X staked,
the APR cap at its 50% bound, 30 years without a sync, then a backend balance of 2^200. The sync counts at
most what the LST's books hold (the buffer plus the accounted balance within 2^128 - 1, far below the
stream's 176 bits; the rest is left for later syncs, as the APR cap leaves its excess: see
`test_a_deposit_past_128_bits_cannot_corrupt_the_packed_books.py`) and streams it over its share of the time
since the last gain (what it counts over what the APR cap allows: the rest of the time waits for the next
sync, `test_a_dust_room_at_the_bound_cannot_stall_reward_counting.py`); a loss of everything but the buffer
must leave the stream's end where it was.
"""

from __future__ import annotations

import pytest
from boa_system import MAX_UINT, deploy_lst
from revm_chain import RevmChain

from levstake.model import LST_PARAMETER_DELAY, LST_PARAMETERS

BOOKS_MAX = 2**128 - 1
YEAR = 365 * 86_400
STAKE = 2**126
# What the sync counts: the room the books have left (nothing delegated: the stake is all in the buffer).
COUNTED = BOOKS_MAX - STAKE
REPORTED = 2**200


@pytest.fixture
def stream_world(decimals):
    chain = RevmChain()
    staker = chain.generate_address("staker")
    alone = deploy_lst(chain, decimals, "mocks/MockBackend.vy")
    owner, x, backend, lst = alone.owner, alone.x, alone.backend, alone.lst
    alone.governor.announce_parameter(LST_PARAMETERS["max_apr_bps"], 5_000, sender=owner)
    chain.time_travel(LST_PARAMETER_DELAY)
    alone.governor.apply_parameter(LST_PARAMETERS["max_apr_bps"])
    x.mint(staker, STAKE, sender=owner)
    x.approve(lst, MAX_UINT, sender=staker)
    lst.deposit(STAKE, sender=staker)
    chain.time_travel(30 * YEAR)
    backend.set_staked(lst, REPORTED, sender=owner)
    return chain, lst, backend, owner


def test_a_sync_counts_at_most_what_the_books_hold(stream_world) -> None:
    chain, lst, _, _ = stream_world
    last_gain, total = lst.last_gain_time(), lst.totalAssets()
    lst.sync_rewards()
    now = chain.timestamp
    fee = COUNTED * lst.protocol_fee_bps() // 10_000
    assert lst.backend_accounted() == COUNTED, "the gain is counted up to the books' bound, not past it"
    assert lst.stream_amount() == COUNTED - fee
    assert lst.stream_start() == now
    # The APR cap (50%) over 30 years allows 15 x the stake; the room holds 3 x: a fifth of the time is spent.
    owed = total * 5_000 * (now - last_gain) // (10_000 * YEAR)
    spent = -(-(now - last_gain) * COUNTED // owed)  # rounded up
    assert (now - last_gain) // 6 < spent < (now - last_gain) // 4
    assert (lst.stream_end(), lst.last_gain_time()) == (now + spent, last_gain + spent)
    # Half-way through, half of it is still locked (rounded up).
    chain.time_travel(spent // 2)
    total_assets, locked, _ = lst.share_prices()
    elapsed = chain.timestamp - now
    assert locked == COUNTED - fee - (COUNTED - fee) * elapsed // spent
    assert total_assets + locked == BOOKS_MAX
    # Once this stream has ended, the stream unlocked whole and a sync at the bound counts nothing more.
    chain.time_travel(lst.stream_end() - chain.timestamp)
    lst.sync_rewards()
    assert lst.backend_accounted() == COUNTED
    assert lst.stream_start() == now
    assert lst.share_prices()[:2] == (BOOKS_MAX, 0)


def test_a_loss_into_the_stream_keeps_its_end(stream_world) -> None:
    chain, lst, backend, owner = stream_world
    lst.sync_rewards()
    end = lst.stream_end()
    chain.time_travel(YEAR)
    # Everything at the backend is lost: the stream keeps only what the buffer can still pay.
    backend.set_staked(lst, 0, sender=owner)
    lst.sync_rewards()
    assert lst.stream_end() == end, "a loss restarts what is left of the stream, with the same end"
    assert lst.stream_start() == chain.timestamp
    assert lst.stream_amount() == STAKE
    total_assets, locked, _ = lst.share_prices()
    assert (total_assets, locked) == (0, STAKE)
    # And it unlocks to the stakers by that end.
    chain.time_travel(end - chain.timestamp)
    assert lst.share_prices()[:2] == (STAKE, 0)
