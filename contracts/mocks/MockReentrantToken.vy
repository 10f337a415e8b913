# pragma version 0.4.3
"""
@title MockReentrantToken
@custom:contract-name MockReentrantToken
@license MIT
@notice Test-only ERC-20 that, once armed, calls `hook_target` with `hook_data` from
        inside `transfer` and `transferFrom`: a malicious base asset trying to
        re-enter the protocol. A failing re-entry reverts the whole transfer.
"""

from ethereum.ercs import IERC20
from snekmate.auth import ownable
from snekmate.tokens import erc20

initializes: ownable
initializes: erc20[ownable := ownable]

exports: (
    erc20.approve,
    erc20.balanceOf,
    erc20.allowance,
    erc20.totalSupply,
    erc20.name,
    erc20.symbol,
    erc20.decimals,
)

hook_target: public(address)
hook_data: public(Bytes[1024])


@deploy
def __init__(decimals_: uint8):
    ownable.__init__()
    erc20.__init__("Reentrant X", "RX", decimals_, "Reentrant X", "1")


@external
def mint(to: address, amount: uint256):
    erc20._mint(to, amount)


@external
def arm(target: address, data: Bytes[1024]):
    """
    @notice Makes every later transfer call `target` with `data` first.
    """
    self.hook_target = target
    self.hook_data = data


@internal
def _hook():
    target: address = self.hook_target
    if target != empty(address):
        self.hook_target = empty(address)
        raw_call(target, self.hook_data)


@external
def transfer(to: address, amount: uint256) -> bool:
    self._hook()
    erc20._transfer(msg.sender, to, amount)
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    self._hook()
    erc20._spend_allowance(owner, msg.sender, amount)
    erc20._transfer(owner, to, amount)
    return True
