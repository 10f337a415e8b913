# pragma version 0.4.3
"""
@title factory_markets
@custom:contract-name factory_markets
@license MIT
@notice The two tokens of a factory market, for the contracts that act on any of them (the router,
        the guard and the liquidator). The first time a contract meets a market it checks that the
        factory made it and that its collateral is an ERC-4626 LST of its loan asset, then remembers
        the LST under the market's address: later calls read one slot instead of asking the factory
        and both tokens. A market's tokens are immutables and the factory never unlists one, so what
        is remembered stays true.
@custom:security Nothing is remembered before both checks pass, and only under the address that
                 passed them. Each caller reverts, with its own strings, on anything but REMEMBERED.
"""

from ethereum.ercs import IERC4626
from interfaces import ILendingMarket
from interfaces import IMarketRegistry


# What `_checked` found, beside the tokens. The callers revert with their own strings on the two failures
# (passing the strings in would copy them into memory on every call).
REMEMBERED: constant(uint256) = 0
UNKNOWN_MARKET: constant(uint256) = 1
FOREIGN_COLLATERAL: constant(uint256) = 2
CHECKED: constant(uint256) = 3

# A factory market's LST, once both checks passed for it.
_checked_lst: HashMap[address, address]


@view
@internal
def _checked(registry: IMarketRegistry, market: ILendingMarket) -> (address, address, uint256):
    """
    @dev The market's loan asset and LST, and REMEMBERED if they were remembered already, CHECKED if they
         passed both checks now, UNKNOWN_MARKET for a market the factory did not make (no tokens read),
         FOREIGN_COLLATERAL when its collateral is not an LST of its loan asset.
    """
    lst: address = self._checked_lst[market.address]
    if lst != empty(address):
        return staticcall market.asset(), lst, REMEMBERED
    if not staticcall registry.is_market(market.address):
        return empty(address), empty(address), UNKNOWN_MARKET
    x: address = staticcall market.asset()
    lst = staticcall market.collateral_token()
    if staticcall IERC4626(lst).asset() != x:
        return x, lst, FOREIGN_COLLATERAL
    return x, lst, CHECKED


@internal
def _remembered(registry: IMarketRegistry, market: ILendingMarket) -> (address, address, uint256):
    """
    @dev `_checked`, the LST remembered when it passed both checks now (then REMEMBERED is returned).
    """
    x: address = empty(address)
    lst: address = empty(address)
    found: uint256 = 0
    x, lst, found = self._checked(registry, market)
    if found == CHECKED:
        self._checked_lst[market.address] = lst
        found = REMEMBERED
    return x, lst, found
