# pragma version 0.4.3
"""
@title MockToken
@custom:contract-name MockToken
@license MIT
@notice Test-only ERC-20 with free minting and configurable decimals (the 6-decimal
        base asset runs use it). Never deployed outside tests.
"""

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


@deploy
def __init__(name_: String[25], symbol_: String[5], decimals_: uint8):
    ownable.__init__()
    erc20.__init__(name_, symbol_, decimals_, name_, "1")


@external
def mint(to: address, amount: uint256):
    """
    @notice Mints `amount` to `to`; anyone may call it (test token).
    """
    erc20._mint(to, amount)
