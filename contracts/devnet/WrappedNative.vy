# pragma version 0.4.3
# pragma nonreentrancy on
"""
@title WrappedNative
@custom:contract-name WrappedNative
@license MIT
@notice WETH9-style wrapper of the chain's native token: `deposit` (or a plain
        transfer) mints 1:1, `withdraw` burns and sends the native token back.
        ERC-20 with EIP-2612 `permit`, 18 decimals.
@custom:security Nobody can mint without depositing: the ERC-20 module's
                 `mint` is not exported and no admin function exists.
"""

from ethereum.ercs import IERC20
from snekmate.auth import ownable
from snekmate.tokens import erc20

initializes: ownable
initializes: erc20[ownable := ownable]

exports: (
    erc20.transfer,
    erc20.approve,
    erc20.transferFrom,
    erc20.permit,
    erc20.DOMAIN_SEPARATOR,
    erc20.eip712Domain,
    erc20.nonces,
    erc20.balanceOf,
    erc20.allowance,
    erc20.totalSupply,
    erc20.name,
    erc20.symbol,
    erc20.decimals,
)


event Deposit:
    account: indexed(address)
    amount: uint256

event Withdrawal:
    account: indexed(address)
    amount: uint256


@deploy
def __init__(name_: String[25], symbol_: String[5]):
    """
    @param name_ Token name, also the EIP-712 domain name.
    @param symbol_ Token symbol.
    """
    ownable.__init__()
    erc20.__init__(name_, symbol_, 18, name_, "1")


@internal
@payable
def _deposit():
    assert msg.value != 0, "wnative: zero amount"
    erc20._mint(msg.sender, msg.value)
    log Deposit(account=msg.sender, amount=msg.value)


@external
@payable
def deposit():
    """
    @notice Wraps `msg.value` of the native token for the caller.
    """
    self._deposit()


@external
@payable
def __default__():
    """
    @notice A plain native transfer wraps for the sender.
    """
    self._deposit()


@external
def withdraw(amount: uint256):
    """
    @notice Burns `amount` of the caller's tokens and sends as much native token.
    @param amount Amount to unwrap.
    """
    assert amount != 0, "wnative: zero amount"
    erc20._burn(msg.sender, amount)
    log Withdrawal(account=msg.sender, amount=amount)
    send(msg.sender, amount)
