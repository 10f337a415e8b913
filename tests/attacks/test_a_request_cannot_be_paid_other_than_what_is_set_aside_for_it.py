"""A queued request keeps what is set aside for it in one of two places: while it waits, apart (`paid`,
written only once a part is set aside: at its filing from the buffer, or by a partial funding of the queue's
head, flagged in the request's first slot); once the queue funds it whole, in the slot its `scaled` held, with
a mark (its `scaled` is no longer owed). A filing with nothing set aside then writes two new slots, not three.
Ways that could go wrong, each worth money:

- A part set aside apart and forgotten: a partial funding that does not flag it, or a full funding that does
  not add it, would pay the request only the last part (and leave the rest in the reserve for nobody).
- A funded slot read as a waiting `scaled`, or the reverse: the mark must be set by every funding, and no
  `scaled` can carry it (an amount within 128 bits times RAY over a factor of at least 1 stays below 2^218).
- A request the head passes without funding it (nothing waiting worth a unit) is paid what was set aside
  apart, not its `scaled` read as X.
- The extremes: a request of exactly 2^128 - 1 X set aside whole at filing, and one of 2^127 - 1 (odd), must
  read back and be paid exactly that; a filing worth 2^128 X or more cannot exist (a request is worth at most
  the LST's total assets, which its books hold within 2^128 - 1).

And the previews' side: they refuse no request for its size, and the whole of the LST's books filed in one
request, at a rate above 1 and after a due request is funded first (which prices the filing above the snapshot
the preview read: an outside review's find when the LST refused requests by size), is filed for what the
preview priced, or a few units more. What a filing was worth is in its `UnstakeRequested` event (storage does
not keep it); at a loss factor of exactly RAY, `request_value` right after the filing is that amount.
"""

from __future__ import annotations

from boa_system import MAX_UINT, BoaSystem, RevmChain, deploy_system, reverts
from boa_system import stake as staker
from queue_world import DAY, HOUR, keeper

from levstake.lst_lens import lst_snapshot
from levstake.model import LST_BOOKS_MAX, LST_REQUEST_MAX

# Requests one call funds (the LST's MAX_FUNDED_PER_CALL).
MAX_FUNDED_PER_CALL = 64


def holder_of_the_most_the_lst_holds(system: BoaSystem) -> str:
    """An account holding all the X the LST's books hold (2^128 - 1), staked at a rate of exactly 1 (nothing
    delegated: the buffer holds it all, so a filing is set aside whole at once). A unit more is refused."""
    holder = system.chain.generate_address("holder")
    system.mint_x(holder, 2**129)
    system.x.approve(system.lst, MAX_UINT, sender=holder)
    with reverts("lst: amount too large"):
        system.lst.deposit(LST_REQUEST_MAX + 1, sender=holder)
    system.lst.deposit(LST_REQUEST_MAX, sender=holder)
    assert system.lst.convertToAssets(10**30) == 10**30, "a rate of exactly 1: shares and X alike"
    return holder


def test_a_request_worth_2_to_the_128_cannot_be_filed_and_odd_parts_are_paid_exactly(decimals) -> None:
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    holder = holder_of_the_most_the_lst_holds(system)
    balance = lst.balanceOf(holder)
    with reverts("erc20: burn amount exceeds balance"):
        lst.request_unstake(LST_REQUEST_MAX + 1, sender=holder)
    assert (lst.balanceOf(holder), lst.next_request_id()) == (balance, 0), "nothing burnt, nothing filed"
    # Odd, the top bit clear: a part read a bit out of place would show.
    odd = lst.request_unstake(2**127 - 1, sender=holder)
    assert lst.requests(odd).paid == lst.request_value(odd) == 2**127 - 1, "set aside whole at filing"
    # The rest: the top bit alone.
    request_id = lst.request_unstake(lst.balanceOf(holder), sender=holder)
    assert request_id == 1
    filed = lst.requests(request_id)
    assert (filed.scaled, filed.paid) == (0, 2**127), "all of it set aside at filing, nothing left waiting"
    assert lst.request_value(request_id) == 2**127
    system.chain.time_travel(filed.ready_at - system.chain.timestamp)
    before = system.x.balanceOf(holder)
    assert lst.claim(request_id, sender=holder) == 2**127
    assert system.x.balanceOf(holder) - before == 2**127
    assert lst.queue_reserve() == 2**127 - 1, "what is set aside for the other request stays"
    assert lst.claim(0, sender=holder) == 2**127 - 1
    assert lst.queue_reserve() == 0


def test_the_most_one_request_holds_reads_back_and_is_paid_exactly(decimals) -> None:
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    holder = holder_of_the_most_the_lst_holds(system)
    request_id = lst.request_unstake(LST_REQUEST_MAX, sender=holder)
    filed = lst.requests(request_id)
    assert (filed.scaled, filed.paid) == (0, LST_REQUEST_MAX), "all of the bits, intact"
    assert lst.request_value(request_id) == LST_REQUEST_MAX
    system.chain.time_travel(filed.ready_at - system.chain.timestamp)
    before = system.x.balanceOf(holder)
    assert lst.claim(request_id, sender=holder) == LST_REQUEST_MAX
    assert system.x.balanceOf(holder) - before == LST_REQUEST_MAX
    claimed = lst.requests(request_id)
    assert claimed.claimed and (claimed.paid, lst.request_value(request_id)) == (0, 0), "cleared by the claim"


def test_a_funding_marks_what_it_pays_and_a_claim_pays_exactly_that(decimals) -> None:
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    leaver = staker(system, "leaver", 1_000)
    staker(system, "stayer", 9_000)
    lst.rebalance()
    # Covered by unbonding of the stake: nothing set aside at filing, all of it when it lands.
    request_id = lst.request_unstake(lst.balanceOf(leaver), sender=leaver)
    filed, amount = lst.requests(request_id), lst.request_value(request_id)
    assert filed.paid == 0 and filed.scaled == amount > 0, "a loss factor of RAY: scaled is the amount"
    system.chain.time_travel(filed.ready_at - system.chain.timestamp)
    lst.process_queue()
    funded = lst.requests(request_id)
    assert lst.queue_head() == request_id + 1, "funded"
    assert (funded.scaled, funded.paid) == (0, amount) and lst.request_value(request_id) == amount
    assert lst.queue_reserve() == amount
    assert lst.claim(request_id, sender=leaver) == amount
    assert lst.queue_reserve() == 0 and lst.requests(request_id).claimed
    with reverts("lst: already claimed"):
        lst.claim(request_id, sender=leaver)


def test_the_most_one_request_holds_is_funded_by_the_queue_and_paid_exactly(decimals) -> None:
    # 2^128 - 1 X staked, the request covered by unbonding: its whole value lands in the marked slot.
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    holder = holder_of_the_most_the_lst_holds(system)
    lst.rebalance()
    request_id = lst.request_unstake(lst.balanceOf(holder) * 9 // 10, sender=holder)
    filed, amount = lst.requests(request_id), lst.request_value(request_id)
    assert filed.paid == 0 and amount > 2**127, "nothing set aside at filing"
    system.chain.time_travel(filed.ready_at - system.chain.timestamp)
    before = system.x.balanceOf(holder)
    assert lst.claim(request_id, sender=holder) == amount
    assert system.x.balanceOf(holder) - before == amount and lst.queue_reserve() == 0


def test_a_part_set_aside_before_the_request_is_due_is_paid_with_the_rest(decimals) -> None:
    # The buffer drained, then a whale queues more than the stake (less than the stake and the buffer's
    # unbonding on its way: nothing set aside at filing): the rest is taken from the buffer's unbonding, which
    # lands a day before the whale is due and is set aside for it at once.
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    whale, drainer = staker(system, "whale", 180_000), staker(system, "drainer", 15_000)
    keeper(system)
    lst.redeem(lst.maxRedeem(drainer), sender=drainer)
    system.chain.time_travel(DAY)
    keeper(system)
    system.chain.time_travel(DAY)
    staked = system.validator.staked_balance(lst)
    whale_id = lst.request_unstake(lst.balanceOf(whale) * 19 // 20, sender=whale)
    amount = lst.request_value(whale_id)
    assert lst.requests(whale_id).paid == 0 and amount > staked, "more than the stake, nothing set aside"
    system.chain.time_travel(system.validator.unbonding_delay() - DAY + HOUR)
    keeper(system)
    part = lst.requests(whale_id).paid
    assert 0 < part < amount and lst.queue_head() == whale_id, "partly set aside, not funded"
    assert lst.request_value(whale_id) == amount and lst.queue_reserve() == part
    system.chain.time_travel(lst.requests(whale_id).ready_at - system.chain.timestamp)
    assert lst.claim(whale_id, sender=whale) == amount, "the part set aside first and the rest"
    assert lst.queue_reserve() == 0


def test_a_request_the_head_passes_unfunded_pays_what_was_set_aside_apart(decimals) -> None:
    # The queue's unbonding slashed whole: nothing waiting is worth a unit. A call funds 64 requests (each at
    # 0); the next filing moves the head past the rest unfunded. Of those, one had nothing set aside and one a
    # part set aside at filing (the buffer held it): each pays that, not its `scaled` read as X.
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    small, second = staker(system, "small", 1_000), staker(system, "second", 1_000)
    late = staker(system, "late", 1_000)
    lst.rebalance()
    buffer = lst.buffer()
    shares = lst.balanceOf(small) // (MAX_FUNDED_PER_CALL + 1)
    filed = [lst.request_unstake(shares, sender=small) for _ in range(MAX_FUNDED_PER_CALL + 1)]
    covered = filed[-1]
    assert lst.requests(covered).paid == 0 and lst.requests(covered).scaled > 0
    # The stake left is less than the second request: the buffer sets the rest aside at filing.
    system.validator.slash(lst, 9_900, False, sender=system.owner)
    lst.sync_rewards()
    mixed = lst.request_unstake(lst.balanceOf(second), sender=second)
    part = lst.requests(mixed).paid
    assert 0 < part <= buffer and lst.requests(mixed).scaled > 0, "part set aside apart, part waiting"
    system.validator.slash(lst, 10_000, True, sender=system.owner)
    waiting = sum(lst.request_value(r) - lst.requests(r).paid for r in (*filed, mixed))
    assert waiting <= 1, "nothing waiting is worth a unit"
    lst.request_unstake(lst.balanceOf(late), sender=late)
    assert lst.queue_head() > mixed, "passed"
    assert lst.requests(mixed).paid == lst.request_value(mixed) == part
    assert lst.requests(covered).paid == lst.request_value(covered) == 0
    system.chain.time_travel(lst.requests(mixed).ready_at - system.chain.timestamp)
    before = system.x.balanceOf(second)
    assert lst.claim(mixed, sender=second) == part == system.x.balanceOf(second) - before
    before = system.x.balanceOf(small)
    assert lst.claim(covered, sender=small) == 0 == system.x.balanceOf(small) - before, "nothing set aside"
    assert lst.requests(covered).claimed


def file_everything(system: BoaSystem, holder: str) -> tuple[int, int]:
    """Files every share the holder has in one request (the preview first); returns what the preview priced
    them at and the amount the LST filed."""
    lst = system.lst
    shares = lst.balanceOf(holder)
    model = lst_snapshot(lst)
    assert lst.convertToAssets(shares) == model.to_assets_down(shares), "the preview prices as the LST"
    with system.chain.anchor():
        filed = lst.request_value(lst.request_unstake(shares, sender=holder))
    return model.to_assets_down(shares), filed


def test_the_whole_book_is_filed_in_one_request_whatever_the_rate(decimals) -> None:
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    holder = holder_of_the_most_the_lst_holds(system)
    prices = [file_everything(system, holder)]
    assert prices[0][1] == LST_BOOKS_MAX, "every unit the books hold, in one request"
    # Room for the rewards to be counted: the holder takes some out instantly.
    lst.withdraw(LST_BOOKS_MAX // 3, sender=holder)
    lst.rebalance()
    system.chain.time_travel(30 * DAY)
    lst.sync_rewards()
    system.chain.time_travel(DAY)
    assert lst.convertToAssets(10**30) > 10**30, "a rate above 1, rewards still streaming"
    prices.append(file_everything(system, holder))
    system.validator.slash(lst, 4_000, sender=system.owner)
    lst.sync_rewards()
    assert lst.convertToAssets(10**30) < 10**30, "a rate below 1: priced pro rata"
    prices.append(file_everything(system, holder))
    for previewed, filed in prices:
        assert filed == previewed, "nothing due waits: the LST files exactly what the preview showed"


def test_the_whole_book_is_filed_after_a_due_request_is_funded_first(decimals) -> None:
    # The outside review's case: the filing first funds a due request, whose rounding frees a unit of the
    # queue's liability, so the LST prices the filing above the snapshot (up to a unit per request funded).
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    holder = holder_of_the_most_the_lst_holds(system)
    lst.withdraw(LST_BOOKS_MAX // 3, sender=holder)
    lst.rebalance()
    system.chain.time_travel(10 * DAY)
    lst.sync_rewards()
    first = lst.request_unstake(lst.balanceOf(holder) // 21, sender=holder)
    system.validator.slash(lst, 1_111, False, sender=system.owner)
    system.chain.time_travel(lst.requests(first).ready_at - system.chain.timestamp + 1)
    assert lst.queue_head() == first, "due and not funded: the next filing funds it first"
    previewed, filed = file_everything(system, holder)
    assert previewed <= filed <= LST_REQUEST_MAX, "priced at or above the snapshot, and filed"
    assert filed - previewed <= 64
