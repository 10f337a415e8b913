"""The oracle price comes only from the LST's exchange rate, with a cap on its growth that compounds and can
never be lowered; rate() is uncapped; a slash passes through at once; donations move nothing."""

import ape
import pytest

ORACLE_SCALE = 10**36
WAD = 10**18
YEAR = 365 * 86_400
DAY = 86_400


def cap_at(anchor: int, anchor_time: int, growth: int, timestamp: int) -> int:
    return anchor + anchor * (growth * (timestamp - anchor_time)) // (WAD * YEAR)


@pytest.fixture
def growing_lst(lst, staker, other, stake, units, warp):
    """100 X staked, 90 of it delegated, one day of rewards synced and streaming."""
    stake(staker, units(100))
    lst.rebalance(sender=other)
    warp(DAY)
    lst.sync_rewards(sender=other)
    warp(DAY)
    return lst


@pytest.fixture
def tight(project, owner, lst, staker, stake, units):
    """An oracle allowing 0.01% a year, deployed while the LST's rate is exactly 1."""
    stake(staker, units(100))
    return owner.deploy(project.ExchangeRateOracle, lst, WAD // 10_000)


def test_price_is_lst_rate(oracle, lst, staker, stake, units):
    stake(staker, units(10))
    assert oracle.price() == lst.convertToAssets(ORACLE_SCALE)
    assert oracle.price() == ORACLE_SCALE
    assert oracle.rate() == ORACLE_SCALE
    assert oracle.cap() >= oracle.price()


def test_price_is_rate_below_the_cap(oracle, growing_lst):
    rate = growing_lst.convertToAssets(ORACLE_SCALE)
    assert rate > ORACLE_SCALE
    # rate() is the liquidation price: the book value, which counts rewards still streaming in.
    assert oracle.rate() == growing_lst.book_value(ORACLE_SCALE) >= rate
    assert oracle.cap() > rate
    assert oracle.price() == rate


def test_growth_is_capped_rate_is_not(tight, lst, other, chain, warp):
    lst.rebalance(sender=other)
    warp(DAY)
    lst.sync_rewards(sender=other)
    warp(DAY)
    rate = lst.convertToAssets(ORACLE_SCALE)
    cap = cap_at(ORACLE_SCALE, tight.snapshot_time(), WAD // 10_000, chain.blocks.head.timestamp)
    assert tight.snapshot_price() == ORACLE_SCALE
    assert tight.cap() == cap
    assert tight.rate() == lst.book_value(ORACLE_SCALE) >= rate > cap
    assert tight.price() == cap
    assert cap <= ORACLE_SCALE + ORACLE_SCALE // 10_000


def test_snapshot_never_lowers_the_cap(tight, lst, other, chain):
    """The LST's rate stays at 1 while the cap grows: a snapshot moves the anchor to the cap, not to the
    rate."""
    growth = WAD // 10_000
    anchor, anchor_time = tight.snapshot_price(), tight.snapshot_time()
    for _ in range(3):
        chain.pending_timestamp = anchor_time + DAY
        tx = tight.update_snapshot(sender=other)
        expected = cap_at(anchor, anchor_time, growth, tx.timestamp)
        assert expected > anchor
        event = tx.events.filter(tight.SnapshotUpdated)[0]
        assert (event.price, event.timestamp) == (expected, tx.timestamp)
        assert tight.snapshot_price() == expected and tight.snapshot_time() == tx.timestamp
        # Right after the update the cap is what it was just before it.
        assert tight.cap() == expected
        assert tight.rate() == ORACLE_SCALE == tight.price()
        anchor, anchor_time = expected, tx.timestamp
    # Compounded daily: strictly above the linear cap over the same three days.
    linear = cap_at(ORACLE_SCALE, anchor_time - 3 * DAY, growth, anchor_time)
    assert anchor > linear
    chain.mine(deltatime=DAY // 2)
    assert tight.cap() == cap_at(anchor, anchor_time, growth, chain.blocks.head.timestamp)


def test_snapshot_at_most_once_a_day(oracle, other, chain):
    with ape.reverts("oracle: snapshot too recent"):
        oracle.update_snapshot(sender=other)
    start = oracle.snapshot_time()
    chain.pending_timestamp = start + DAY - 1
    with ape.reverts("oracle: snapshot too recent"):
        oracle.update_snapshot(sender=other)
    chain.pending_timestamp = start + DAY
    tx = oracle.update_snapshot(sender=other)
    assert oracle.snapshot_time() == tx.timestamp == start + DAY
    chain.pending_timestamp = start + 2 * DAY - 1
    with ape.reverts("oracle: snapshot too recent"):
        oracle.update_snapshot(sender=other)


def test_snapshot_with_rate_above_cap_keeps_the_cap(tight, lst, other, warp):
    """A snapshot does not let the price jump to the rate either: the anchor is the cap."""
    lst.rebalance(sender=other)
    warp(DAY)
    lst.sync_rewards(sender=other)
    warp(DAY)
    anchor, anchor_time = tight.snapshot_price(), tight.snapshot_time()
    tx = tight.update_snapshot(sender=other)
    assert tight.snapshot_price() == cap_at(anchor, anchor_time, WAD // 10_000, tx.timestamp)
    assert tight.snapshot_price() < tight.rate()
    assert tight.price() == tight.snapshot_price() == tight.cap()


def test_slash_passes_through_at_once(oracle, lst, validator, owner, staker, other, stake, units):
    stake(staker, units(100))
    lst.rebalance(sender=other)
    before = oracle.price()
    assert before == oracle.rate() == ORACLE_SCALE
    validator.slash(lst, 1_000, sender=owner)  # 10% of the delegated stake
    rate = lst.convertToAssets(ORACLE_SCALE)
    assert rate < before
    assert oracle.rate() == rate
    assert oracle.price() == rate
    assert oracle.cap() > rate


def test_donations_do_not_move_price(oracle, lst, market, x, chain, staker, attacker, stake, fund, units):
    stake(staker, units(10))
    price, rate = oracle.price(), oracle.rate()
    fund(attacker, units(1_000))
    x.transfer(lst, units(400), sender=attacker)
    x.transfer(market, units(400), sender=attacker)
    x.transfer(oracle, units(100), sender=attacker)
    stake(attacker, units(10))
    lst.transfer(oracle, lst.balanceOf(attacker), sender=attacker)
    assert (oracle.price(), oracle.rate()) == (price, rate) == (ORACLE_SCALE, ORACLE_SCALE)
    # Only time moves the cap.
    expected = cap_at(
        oracle.snapshot_price(),
        oracle.snapshot_time(),
        oracle.max_yearly_growth(),
        chain.blocks.head.timestamp,
    )
    assert oracle.cap() == expected


def test_bad_constructor_arguments(project, owner, lst):
    with ape.reverts("oracle: growth out of bounds"):
        owner.deploy(project.ExchangeRateOracle, lst, 0)
    with ape.reverts("oracle: growth out of bounds"):
        owner.deploy(project.ExchangeRateOracle, lst, WAD + 1)
    with ape.reverts("oracle: zero lst"):
        owner.deploy(project.ExchangeRateOracle, "0x" + "00" * 20, WAD // 4)


def test_snapshot_in_one_slot_keeps_every_price_up_to_its_bound_and_refuses_above(project, owner, chain):
    """The snapshot's price and time share one slot (208 + 48 bits): the largest price that fits is kept
    exactly with its time, and one unit more is refused at deployment rather than cut."""
    vault = owner.deploy(project.MockRateVault)
    bound = 2**208 - 1
    vault.set_price(bound, sender=owner)
    oracle = owner.deploy(project.ExchangeRateOracle, vault, WAD)
    assert oracle.snapshot_price() == bound
    assert oracle.snapshot_time() == chain.blocks.head.timestamp
    assert oracle.price() == bound
    vault.set_price(bound + 1, sender=owner)
    with ape.reverts("oracle: price too large"):
        owner.deploy(project.ExchangeRateOracle, vault, WAD)
