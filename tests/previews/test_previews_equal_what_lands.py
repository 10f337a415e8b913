"""
Every figure a preview gives equals what a read after the transaction gives, to the digits the CLI prints (and
the position's integers to the wei): opens at 1x to 50x (new positions and on top of one, which the router
levers whole), adjusts up and down (partial when the buffer is short), closes to X, to LST and to the queue,
on a deep and on a thin market (where the user's own borrow moves the borrow APR across the rate model's
kink), in the middle of a reward stream (the user's own stake dilutes the staking APR; new LST pays the book
value). On revm: the preview is read, the transaction built by `levstake.txs` and sent, and the state read
again, all at one timestamp.
"""

from __future__ import annotations

import pytest
from boa_system import RevmChain, deploy_system, lend, router_user
from revm_chain import Reverted
from revm_reads import reader_of

from levstake import fmt, previews, report
from levstake.model import CLOSE_TO_LST, CLOSE_TO_QUEUE, CLOSE_TO_X, WAD
from levstake.txs import Builder

DAY = 86_400
LEVERAGES = (1, 2, 10, 50)
# Thin: 10 X at 50x borrows 490 X, 94% of what lenders supplied; deep: a tenth of a percent.
MARKETS = {"thin": 520, "deep": 500_000}


def build_world(decimals: int, market: str):
    """The protocol with a lender and a staker whose X was delegated and earned for two days, then synced: six
    hours into the reward stream, so deposits pay a premium over the exit rate."""
    system = deploy_system(decimals, RevmChain())
    lend(system, MARKETS[market])
    staker = system.chain.generate_address("staker")
    system.mint_x(staker, system.units(20_000))
    system.x.approve(system.lst, system.units(20_000), sender=staker)
    system.lst.deposit(system.units(20_000), sender=staker)
    system.staker = staker
    system.lst.rebalance()
    system.chain.time_travel(2 * DAY)
    system.lst.sync_rewards()
    system.chain.time_travel(6 * 3_600)
    reader = reader_of(system)
    assert 0 < reader.snapshot().stream.locked(system.chain.timestamp), "the stream must be running"
    user = router_user(system, "user", 1_000)
    return system, reader, Builder(reader.deployment, reader.info), user


@pytest.fixture(scope="session")
def worlds():
    """Each (decimals, market) world is built once; every test runs inside `chain.anchor()` on it."""
    built: dict[tuple[int, str], tuple] = {}

    def get(decimals: int, market: str) -> tuple:
        if (decimals, market) not in built:
            built[(decimals, market)] = build_world(decimals, market)
        return built[(decimals, market)]

    return get


@pytest.fixture(params=list(MARKETS))
def landing(request, worlds, decimals):
    return worlds(decimals, request.param)


def send(system, user, tx) -> None:
    system.chain.call(user, tx.to, tx.data, tx.value)


def lines_now(reader, user) -> tuple[list[str], list[str]]:
    info, snapshot = reader.info, reader.snapshot(user)
    return (
        report.position_lines(info, previews.position_figures(info, snapshot)),
        report.market_lines(info, previews.market_figures(info, snapshot)),
    )


def assert_lands(reader, user, preview) -> None:
    """The preview's position and market lines are the ones read after the transaction, and so are the
    position's integers."""
    info = reader.info
    position, market = lines_now(reader, user)
    assert report.position_lines(info, preview.after) == position
    assert report.market_lines(info, previews.market_figures(info, preview.state_after)) == market
    assert reader.snapshot(user).position == preview.state_after.position


@pytest.mark.parametrize("leverage", LEVERAGES)
def test_open_preview_equals_what_lands(landing, leverage) -> None:
    system, reader, builder, user = landing
    with system.chain.anchor():
        snapshot = reader.snapshot(user)
        preview = previews.preview_open(reader.info, snapshot, system.units(10), leverage * WAD)
        assert preview.fits_liquidity
        send(system, user, builder.open(system.units(10), leverage * WAD, preview.collateral_added, 2**64))
        assert_lands(reader, user, preview)
        assert report.market_lines(reader.info, preview.market_after) == lines_now(reader, user)[1]
        # Entry cost: what a close right after the open pays is what the preview said.
        entry = preview.entry
        assert (
            previews.position_figures(reader.info, reader.snapshot(user)).equity_exit
            == entry.exit_value_after
        )
        assert entry.cost == system.units(10) - entry.exit_value_after
        assert entry.stream_premium > 0 and entry.premium_back_at == snapshot.stream.end
        # And once a rebalance delegates the buffer's excess (the open's X took it above its target).
        buffer = system.lst.buffer()
        system.lst.rebalance()
        assert system.lst.buffer() < buffer
        assert (
            previews.position_figures(reader.info, reader.snapshot(user)).equity_exit
            == entry.exit_value_rebalanced
            < entry.exit_value_after
        )


def test_net_apr_counts_the_users_own_effect_on_both_rates(landing) -> None:
    system, reader, builder, user = landing
    with system.chain.anchor():
        before = reader.snapshot(user)
        assets = system.units(10)
        leverage = int(previews.max_leverage_for(reader.info, before, assets) * WAD)
        preview = previews.preview_open(reader.info, before, assets, leverage)
        send(system, user, builder.open(assets, leverage, 0, 2**64))
        after = previews.position_figures(reader.info, reader.snapshot(user))
        assert preview.after.net_apr == after.net_apr
        assert after.staking_apr < before.staking_apr, "the user's stake shares the same reward stream"
        assert after.borrow_apr > before.rates.borrow_apr / WAD, "the user's borrow raises utilization"


def test_open_on_a_position_previews_the_whole_position(landing) -> None:
    system, reader, builder, user = landing
    with system.chain.anchor():
        send(system, user, builder.open(system.units(5), 2 * WAD, 0, 2**64))
        system.chain.time_travel(3_600)
        preview = previews.preview_open(reader.info, reader.snapshot(user), system.units(1), 10 * WAD)
        # Near 10x, not at it: the router sizes at the oracle's price before its mint, and new LST paying the
        # stream's premium raises the exit rate (the price after) a little.
        assert preview.before is not None and preview.after.leverage == pytest.approx(10, rel=1e-2)
        assert preview.fits_liquidity
        send(system, user, builder.open(system.units(1), 10 * WAD, 0, 2**64))
        assert_lands(reader, user, preview)


@pytest.mark.parametrize("start, target", [(10, 50), (50, 10), (10, 2), (50, 1), (2, 1)])
def test_adjust_preview_equals_what_lands(landing, start, target) -> None:
    system, reader, builder, user = landing
    with system.chain.anchor():
        send(system, user, builder.open(system.units(10), start * WAD, 0, 2**64))
        system.chain.time_travel(3_600)
        preview = previews.preview_adjust(reader.info, reader.snapshot(user), target * WAD)
        x_before = system.x.balanceOf(user)
        send(system, user, builder.adjust(target * WAD, 0, 2**64))
        assert_lands(reader, user, preview)
        assert system.x.balanceOf(user) - x_before == preview.refund


def test_partial_adjust_preview_equals_what_lands(landing) -> None:
    system, reader, builder, user = landing
    with system.chain.anchor():
        send(system, user, builder.open(system.units(10), 10 * WAD, 0, 2**64))
        # The staker's instant exit drains the buffer below what the step down to 1x unstakes.
        staker = system.staker
        system.lst.redeem(system.lst.maxRedeem(staker) * 99 // 100, staker, staker, sender=staker)
        system.chain.time_travel(3_600)
        snapshot = reader.snapshot(user)
        with pytest.raises(previews.PreviewError, match="add --partial"):
            previews.preview_adjust(reader.info, snapshot, WAD)
        preview = previews.preview_adjust(reader.info, snapshot, WAD, partial=True)
        assert preview.partial
        send(system, user, builder.adjust(WAD, 0, 2**64, partial=True))
        assert_lands(reader, user, preview)


def test_a_step_down_that_stays_above_max_ltv_is_refused_as_the_market_refuses_it(worlds, decimals) -> None:
    """Past max LTV (98%: interest ran ahead of the rewards) and short of the liquidation LTV, a step down as
    far as a drained buffer allows still leaves the position above max LTV, which the market checks when the
    router takes the collateral out: the preview said it would land (a new user's walk, both on the page and
    in the CLI) and the adjust reverted "market: ltv too high". The preview now refuses it, and advises a
    repay, not --partial."""
    system, reader, builder, user = worlds(decimals, "thin")
    with system.chain.anchor():
        send(system, user, builder.open(system.units(10), 50 * WAD, 0, 2**64))
        for _ in range(60):
            system.chain.time_travel(6 * 3_600)
            if reader.snapshot(user).position.ltv > WAD * 983 // 1000:
                break
        position = reader.snapshot(user).position
        assert WAD * 983 // 1000 < position.ltv < WAD * 99 // 100, position
        staker = system.staker
        system.lst.redeem(system.lst.maxRedeem(staker) * 999 // 1000, staker, staker, sender=staker)
        snapshot = reader.snapshot(user)
        with pytest.raises(previews.PreviewError, match="above the market's max LTV 98%.*repay some debt"):
            previews.preview_adjust(reader.info, snapshot, 20 * WAD, partial=True)
        with pytest.raises(previews.PreviewError, match="max LTV, which taking collateral") as refused:
            previews.preview_adjust(reader.info, snapshot, 20 * WAD)
        assert "--partial" not in str(refused.value)
        with pytest.raises(Reverted, match="market: ltv too high"):
            send(system, user, builder.adjust(20 * WAD, 0, 2**64, partial=True))


@pytest.mark.parametrize("leverage", LEVERAGES)
@pytest.mark.parametrize("mode", [CLOSE_TO_X, CLOSE_TO_LST, CLOSE_TO_QUEUE])
def test_close_preview_equals_what_lands(landing, leverage, mode) -> None:
    system, reader, builder, user = landing
    with system.chain.anchor():
        send(system, user, builder.open(system.units(10), leverage * WAD, 0, 2**64))
        system.chain.time_travel(3_600)
        preview = previews.preview_close(reader.info, reader.snapshot(user), mode)
        x_before, lst_before = system.x.balanceOf(user), system.lst.balanceOf(user)
        next_request = system.lst.next_request_id()
        send(system, user, builder.close(preview.value, 2**64, mode))
        assert system.x.balanceOf(user) - x_before == preview.x_out
        assert system.lst.balanceOf(user) - lst_before == preview.lst_out
        if preview.mode == CLOSE_TO_QUEUE:
            assert system.lst.request_value(next_request) == preview.queued
        position, _ = lines_now(reader, user)
        assert position == ["position none"]
        assert reader.snapshot(user).position == preview.state_after.position


def test_a_dust_open_gets_the_routers_reason_not_inf_or_nan(landing) -> None:
    system, reader, builder, user = landing
    with system.chain.anchor():
        with pytest.raises(previews.PreviewError, match="is too small: the router would add no collateral"):
            previews.preview_open(reader.info, reader.snapshot(user), 1, 20 * WAD)
        with pytest.raises(Reverted, match="router: amount too small"):
            send(system, user, builder.open(1, 20 * WAD, 0, 2**64))


def small_lst_world(decimals: int, staked: int):
    """Deep lending, an LST of only `staked` X (delegated but for its buffer target): an open of 10 X is large
    next to it, so once a rebalance delegates what the open's X added, the buffer is at a small target."""
    system = deploy_system(decimals, RevmChain())
    lend(system, MARKETS["deep"])
    staker = system.chain.generate_address("staker")
    system.mint_x(staker, system.units(staked))
    system.x.approve(system.lst, system.units(staked), sender=staker)
    system.lst.deposit(system.units(staked), sender=staker)
    system.lst.rebalance()
    reader = reader_of(system)
    return system, reader, Builder(reader.deployment, reader.info), router_user(system, "user", 1_000)


@pytest.mark.parametrize(
    ("staked", "leverage", "paid_in"),
    # 120 X: the buffer's new target covers the 10 X debt, not the 20 X collateral (a close pays LST);
    # 20 X: it does not cover the ~90 X debt (no close runs until the buffer refills).
    [(120, 2, "lst"), (20, 10, None)],
    ids=["close-in-lst", "no-close"],
)
def test_open_preview_says_how_a_close_after_the_rebalance_runs(decimals, staked, leverage, paid_in) -> None:
    """Found by the outside review of the close-after-rebalance figure: it printed an LST close's worth, or 0,
    as X a close would pay. It now carries the close's note, and says when no close can run."""
    system, reader, builder, user = small_lst_world(decimals, staked)
    preview = previews.preview_open(reader.info, reader.snapshot(user), system.units(10), leverage * WAD)
    entry = preview.entry
    assert entry.exit_note_after == ""  # right after the open the buffer holds the open's X
    line = report.entry_lines(reader.info, preview)[0]
    send(system, user, builder.open(system.units(10), leverage * WAD, preview.collateral_added, 2**64))
    system.lst.rebalance()
    figures = previews.position_figures(reader.info, reader.snapshot(user))
    assert entry.exit_value_rebalanced == figures.equity_exit
    assert entry.exit_note_rebalanced == figures.exit_note
    assert entry.rebalanced_reason == figures.exit_note != ""
    x_before, lst_before = system.x.balanceOf(user), system.lst.balanceOf(user)
    close = builder.close(0, 2**64, CLOSE_TO_X)
    if paid_in == "lst":
        assert "as LST: the buffer is short" in line
        send(system, user, close)
        assert system.x.balanceOf(user) == x_before and system.lst.balanceOf(user) > lst_before
    else:
        assert entry.exit_value_rebalanced is None and "no close can run" in line
        with pytest.raises(Reverted, match="router: buffer too small"):
            send(system, user, close)


def test_the_buffers_unstake_fill_still_lands_blocks_later_in_a_reward_stream(worlds, decimals) -> None:
    """A new user's walk: an instant unstake above what the buffer pays offers that room as a fill, and the
    fill sent a block later reverted: in a reward stream each block's share rate is higher, so the same X in
    the buffer is fewer shares. The fill holds for an hour; the reason cites the figure the fill offers."""
    system, reader, builder, _ = worlds(decimals, "deep")
    staker = system.staker
    with system.chain.anchor():
        snapshot = reader.snapshot(staker)
        room = snapshot.lst.max_instant_shares()
        assert 0 < room < snapshot.account.lst_balance
        with pytest.raises(previews.PreviewError) as refused:
            previews.preview_unstake(reader.info, snapshot, snapshot.account.lst_balance)
        (fill,) = refused.value.fills
        shares = fmt.parse_amount(fill.value, reader.info.decimals)
        assert 0 < shares < room
        offered = fill.label[fill.label.index("(") + 1 : -1]
        reason = str(refused.value)
        assert f"({offered} for the next hour, as rewards stream in)" in reason, reason
        system.chain.time_travel(12)
        with pytest.raises(Reverted):
            send(system, staker, builder.unstake(room, staker))  # this block's exact room, a block on
        system.chain.time_travel(previews.FILL_HOLDS - 12)
        assert system.chain.timestamp < snapshot.stream.end, "the stream still running"
        before = reader.snapshot(staker).account.x_balance
        send(system, staker, builder.unstake(shares, staker))
        assert reader.snapshot(staker).account.x_balance > before
