# pragma version 0.4.3
"""
@title MockFlashBorrower
@custom:contract-name MockFlashBorrower
@license MIT
@notice Test-only ERC-3156 borrower. Modes: 0 repays, 1 does not approve the
        repayment, 2 returns a wrong value, 3 calls the lender with `data` first.
"""

from ethereum.ercs import IERC20

SUCCESS: constant(bytes32) = keccak256("ERC3156FlashBorrower.onFlashLoan")

mode: public(uint256)
lender: public(address)
seen_amount: public(uint256)


@deploy
def __init__(lender_: address):
    self.lender = lender_


@external
def set_mode(mode_: uint256):
    self.mode = mode_


@external
def onFlashLoan(initiator: address, token: address, amount: uint256, fee: uint256, data: Bytes[1024]) -> bytes32:
    self.seen_amount = amount
    if self.mode == 3:
        raw_call(self.lender, data)
    if self.mode != 1:
        extcall IERC20(token).approve(self.lender, amount + fee)
    if self.mode == 2:
        return empty(bytes32)
    return SUCCESS
