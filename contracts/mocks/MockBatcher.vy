# pragma version 0.4.3
"""
@title MockBatcher
@custom:contract-name MockBatcher
@license MIT
@notice Test-only smart account that makes several router calls in one transaction,
        as a Safe batch, a multicall or an ERC-4337 bundle does: whatever one call
        leaves in transient storage meets the next. Holds its own positions and
        records what each call of the last batch delivered to it.
@custom:security Test-only. Only the account that deployed it may use it.
"""

from ethereum.ercs import IERC20
from ethereum.ercs import IERC4626


interface IRouter:
    def open(
        market: address, assets: uint256, target_leverage: uint256, min_collateral: uint256, deadline: uint256
    ): nonpayable
    def close(market: address, min_out: uint256, deadline: uint256, mode: uint256): nonpayable


interface IAuthorizing:
    def set_authorization(authorized: address, is_authorized_: bool): nonpayable


interface IQueue:
    def next_request_id() -> uint256: view
    def request_value(request_id: uint256) -> uint256: view
    def claim(request_id: uint256) -> uint256: nonpayable


struct Call:
    # True: `router.open(market, assets, leverage, bound, deadline)`; False: `router.close(market, bound,
    # deadline, mode)`.
    is_open: bool
    market: address
    assets: uint256
    leverage: uint256
    # `min_collateral` of an open, `min_out` of a close.
    bound: uint256
    mode: uint256


MAX_CALLS: constant(uint256) = 4

owner: public(immutable(address))
router: public(immutable(IRouter))
x: public(immutable(IERC20))
lst: public(immutable(IERC4626))

# What each call of the last batch delivered here: X received, LST received (valued at the LST's rate
# right after the call) and X of the queued unstakes filed for this account.
x_out: public(DynArray[uint256, MAX_CALLS])
lst_out_value: public(DynArray[uint256, MAX_CALLS])
queued_out: public(DynArray[uint256, MAX_CALLS])


@deploy
def __init__(router_: IRouter, x_: IERC20, lst_: IERC4626, markets: DynArray[address, MAX_CALLS]):
    """
    @notice Approves the router for X and LST and authorizes it on `markets`.
    """
    owner = msg.sender
    router = router_
    x = x_
    lst = lst_
    extcall x_.approve(router_.address, max_value(uint256))
    extcall IERC20(lst_.address).approve(router_.address, max_value(uint256))
    for market: address in markets:
        extcall IAuthorizing(market).set_authorization(router_.address, True)


@external
def run(calls: DynArray[Call, MAX_CALLS], deadline: uint256):
    """
    @notice Makes `calls` in order, in this one transaction; any revert reverts them all.
    """
    assert msg.sender == owner, "batcher: not owner"
    self.x_out = []
    self.lst_out_value = []
    self.queued_out = []
    for call: Call in calls:
        x_before: uint256 = staticcall x.balanceOf(self)
        lst_before: uint256 = staticcall IERC20(lst.address).balanceOf(self)
        requests_before: uint256 = staticcall IQueue(lst.address).next_request_id()
        if call.is_open:
            extcall router.open(call.market, call.assets, call.leverage, call.bound, deadline)
        else:
            extcall router.close(call.market, call.bound, deadline, call.mode)
        x_after: uint256 = staticcall x.balanceOf(self)
        lst_after: uint256 = staticcall IERC20(lst.address).balanceOf(self)
        self.x_out.append(x_after - min(x_after, x_before))
        self.lst_out_value.append(staticcall lst.convertToAssets(lst_after - min(lst_after, lst_before)))
        queued: uint256 = 0
        # Only the router files requests in this call, each paying this account.
        filed: uint256 = staticcall IQueue(lst.address).next_request_id()
        for request_id: uint256 in range(requests_before, filed, bound=MAX_CALLS):
            queued += staticcall IQueue(lst.address).request_value(request_id)
        self.queued_out.append(queued)


@external
def claim(request_id: uint256) -> uint256:
    """
    @notice Claims a queued unstake paying this account.
    """
    assert msg.sender == owner, "batcher: not owner"
    return extcall IQueue(lst.address).claim(request_id)
