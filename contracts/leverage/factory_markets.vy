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
                 passed them. An empty answer is a refusal: each caller reverts on it with its own strings.
"""

from ethereum.ercs import IERC4626
from interfaces import ILendingMarket
from interfaces import IMarketRegistry


# A factory market's LST, once both checks passed for it.
_checked_lst: HashMap[address, address]


@view
@internal
def _checked(registry: IMarketRegistry, market: ILendingMarket) -> address:
    """
    @dev The market's LST if it was remembered or passes both checks now, else empty (the caller
         reverts then, with its own strings: `_unknown` says which check failed).
    """
    lst: address = self._checked_lst[market.address]
    if lst != empty(address) or not staticcall registry.is_market(market.address):
        return lst
    lst = staticcall market.collateral_token()
    if staticcall IERC4626(lst).asset() != staticcall market.asset():
        return empty(address)
    return lst


@internal
def _remembered(registry: IMarketRegistry, market: ILendingMarket) -> address:
    """
    @dev `_checked`, the LST remembered when it passed both checks now.
    """
    lst: address = self._checked_lst[market.address]
    # The common case first, without the second call frame.
    if lst != empty(address):
        return lst
    lst = self._checked(registry, market)
    if lst != empty(address):
        self._checked_lst[market.address] = lst
    return lst


@view
@internal
def _unknown(registry: IMarketRegistry, market: ILendingMarket) -> bool:
    """
    @dev For a caller whose `_checked` or `_remembered` answered empty: True when the factory did not
         make the market, False when its collateral is not an LST of its loan asset.
    """
    return not staticcall registry.is_market(market.address)
