# pragma version 0.4.3
"""
@title MockBatch
@custom:contract-name MockBatch
@license MIT
@notice Test-only batching contract (a Safe, a multicall, an ERC-4337 bundle): makes
        several calls in one transaction, in order; a failing call reverts the whole
        batch with its reason. It also hands tokens on, so that whatever a call paid it
        can be inspected or passed to the next caller. Never deployed outside tests.
"""

from ethereum.ercs import IERC20

MAX_CALLS: constant(uint256) = 8


struct Call:
    target: address
    data: Bytes[2048]


@external
def run(calls: DynArray[Call, MAX_CALLS]):
    """
    @notice Makes every call in `calls` from this contract, in order.
    """
    for call: Call in calls:
        raw_call(call.target, call.data)


@external
def approve(token: address, spender: address, amount: uint256):
    extcall IERC20(token).approve(spender, amount)
