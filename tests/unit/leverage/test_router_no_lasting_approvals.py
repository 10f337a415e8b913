"""No lasting approvals: after every entry point the router holds nothing and has no allowance left.

Each entry point approves exactly what the next call pulls and resets every allowance it gave at the end;
`router_is_empty` checks X, LST and market-share balances and the X and LST allowances to the LST and the
market. (`open_native` is in test_router_native.py.)
"""

import pytest

from levstake.model import CLOSE_TO_LST, CLOSE_TO_QUEUE, CLOSE_TO_X

# Built once per module and decimals (see conftest.py), before the first test.
pytestmark = pytest.mark.usefixtures("liquidity", "ready")

WAD = 10**18
NO_AUTHORIZATION = (0, 0, 0, b"\x00" * 32, b"\x00" * 32)


def open_x(c):
    c.router.open(c.market, c.units(1_000), 10 * WAD, 0, c.deadline(), sender=c.user)


def open_with_lst(c):
    shares = c.stake(c.user, c.units(500))
    c.lst.approve(c.router, shares, sender=c.user)
    c.router.open_with_lst(c.market, shares, 10 * WAD, 0, c.deadline(), sender=c.user)
    assert c.lst.balanceOf(c.user) == 0


def adjust_up(c):
    open_x(c)
    c.router.adjust(c.market, 30 * WAD, 0, c.deadline(), sender=c.user)


def adjust_down(c):
    open_x(c)
    c.router.adjust(c.market, 3 * WAD, 0, c.deadline(), sender=c.user)


def adjust_down_partial(c):
    open_x(c)
    c.lst.rebalance(sender=c.user)
    c.router.adjust(c.market, 2 * WAD, 0, c.deadline(), NO_AUTHORIZATION, True, sender=c.user)


def closer(mode):
    def close(c):
        open_x(c)
        c.router.close(c.market, 0, c.deadline(), mode, sender=c.user)

    return close


def close_fallback(c):
    open_x(c)
    debt = c.market.position(c.user)[1]
    c.buffer_at(debt + debt // 20)
    tx = c.router.close(c.market, 0, c.deadline(), CLOSE_TO_X, sender=c.user)
    assert tx.events.filter(c.router.Closed)[0].shares_out > 0


def loop(c):
    c.router.loop(c.market, c.units(1_000), 10, 0, c.deadline(), sender=c.user)


ENTRY_POINTS = {
    "open": open_x,
    "open_with_lst": open_with_lst,
    "adjust-up": adjust_up,
    "adjust-down": adjust_down,
    "adjust-down-partial": adjust_down_partial,
    "close-x": closer(CLOSE_TO_X),
    "close-x-fallback": close_fallback,
    "close-lst": closer(CLOSE_TO_LST),
    "close-queue": closer(CLOSE_TO_QUEUE),
    "loop": loop,
}


class Context:
    def __init__(self, **items):
        self.__dict__.update(items)


@pytest.mark.parametrize("entry", ENTRY_POINTS.values(), ids=ENTRY_POINTS.keys())
def test_router_keeps_nothing_and_no_allowance(
    router, market, lst, leverager, units, stake, ready, deadline, buffer_at, router_is_empty, entry
):
    context = Context(
        router=router, market=market, lst=lst, user=leverager, units=units, stake=stake, deadline=deadline,
        buffer_at=buffer_at,
    )
    entry(context)
    router_is_empty()
