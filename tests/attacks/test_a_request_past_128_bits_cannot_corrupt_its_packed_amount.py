"""A queued request's amount and the X set aside for it so far (`paid`) share one storage slot, 128 bits each
(the amount low, `paid` above it), as its owner, `ready_at` and claimed flag share another. Three ways that
could go wrong, each worth money:

- A filing worth 2^128 X or more: its high bits would land in `paid`, so the request would read as paid
  before anything is set aside for it, and its claim would take X set aside for the requests behind it (or
  revert for good). It cannot exist: a request is worth at most the LST's total assets, which its books hold
  within 2^128 - 1 (a deposit past that is refused, "lst: amount too large"), and shares beyond a holder's
  balance are not burnt (nothing filed).
- A bit misplaced between the two: a request of exactly 2^128 - 1 X (all 128 bits set), set aside whole at
  filing (all of `paid`'s bits set too), must read back and be paid exactly that; and one of 2^127 - 1 (odd,
  the amount's top bit clear), where a paid part one bit out of place would show.
- A funding rewrites the slot to add what it set aside: were it to write `paid` alone, the amount would be
  gone (what the CLI, the page and the bot show as the request's size).

And the previews' side: they refuse no request for its size (none can pass the 128 bits), and the whole of
the LST's books filed in one request, at a rate above 1 and after a due request is funded first (which prices
the filing above the snapshot the preview read: an outside review's find when the LST refused requests by
size), is filed for what the preview priced, or a few units more.
"""

from __future__ import annotations

from boa_system import MAX_UINT, BoaSystem, RevmChain, deploy_system, reverts
from boa_system import stake as staker

from levstake.lst_lens import lst_snapshot
from levstake.model import LST_BOOKS_MAX, LST_REQUEST_MAX

DAY = 86_400


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
    # Amount and paid odd with the amount's top bit clear: a paid part shifted one bit short would set it.
    odd = lst.requests(lst.request_unstake(2**127 - 1, sender=holder))
    assert (odd.amount, odd.paid) == (2**127 - 1, 2**127 - 1)
    # The rest: the top bit alone.
    request_id = lst.request_unstake(lst.balanceOf(holder), sender=holder)
    assert request_id == 1
    filed = lst.requests(request_id)
    assert (filed.amount, filed.paid) == (2**127, 2**127), "each field intact"
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
    assert (filed.amount, filed.paid) == (LST_REQUEST_MAX,) * 2, "all of both fields' bits, each intact"
    assert lst.request_value(request_id) == LST_REQUEST_MAX
    system.chain.time_travel(filed.ready_at - system.chain.timestamp)
    before = system.x.balanceOf(holder)
    assert lst.claim(request_id, sender=holder) == LST_REQUEST_MAX
    assert system.x.balanceOf(holder) - before == LST_REQUEST_MAX
    paid = lst.requests(request_id)
    assert paid.claimed and (paid.amount, paid.paid) == (LST_REQUEST_MAX, LST_REQUEST_MAX)


def test_a_funding_keeps_the_amount_filed(decimals) -> None:
    system = deploy_system(decimals, RevmChain())
    lst = system.lst
    leaver = staker(system, "leaver", 1_000)
    staker(system, "stayer", 9_000)
    lst.rebalance()
    # Covered by unbonding of the stake: nothing set aside at filing, all of it when it lands.
    request_id = lst.request_unstake(lst.balanceOf(leaver), sender=leaver)
    filed = lst.requests(request_id)
    assert filed.paid == 0 and filed.amount > 0
    system.chain.time_travel(filed.ready_at - system.chain.timestamp)
    lst.process_queue()
    funded = lst.requests(request_id)
    assert lst.queue_head() == request_id + 1, "funded"
    assert (funded.amount, funded.paid) == (filed.amount, lst.request_value(request_id))
    assert funded.paid == filed.amount, "no slash: paid in full"
    assert lst.claim(request_id, sender=leaver) == filed.amount
    assert lst.requests(request_id).amount == filed.amount


def file_everything(system: BoaSystem, holder: str) -> tuple[int, int]:
    """Files every share the holder has in one request (the preview first); returns what the preview priced
    them at and the amount the LST filed."""
    lst = system.lst
    shares = lst.balanceOf(holder)
    model = lst_snapshot(lst)
    assert lst.convertToAssets(shares) == model.to_assets_down(shares), "the preview prices as the LST"
    with system.chain.anchor():
        filed = lst.requests(lst.request_unstake(shares, sender=holder))
    return model.to_assets_down(shares), filed.amount


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
