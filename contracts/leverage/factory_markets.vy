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
                 passed them. Each contract passes its own revert strings.
"""

from ethereum.ercs import IERC4626
from interfaces import ILendingMarket
from interfaces import IMarketRegistry


# A factory market's LST, once both checks passed for it.
_checked_lst: HashMap[address, address]


@view
@internal
def _checked(
    registry: IMarketRegistry, market: ILendingMarket, unknown: String[64], foreign: String[64]
) -> (address, address, bool):
    """
    @dev The market's loan asset and LST, and whether they were remembered already. Reverts with
         `unknown` for a market the factory did not make, with `foreign` when its collateral is not
         an LST of its loan asset.
    """
    lst: address = self._checked_lst[market.address]
    if lst != empty(address):
        return staticcall market.asset(), lst, True
    assert staticcall registry.is_market(market.address), unknown
    x: address = staticcall market.asset()
    lst = staticcall market.collateral_token()
    assert staticcall IERC4626(lst).asset() == x, foreign
    return x, lst, False


@internal
def _remembered(
    registry: IMarketRegistry, market: ILendingMarket, unknown: String[64], foreign: String[64]
) -> (address, address):
    """
    @dev `_checked`, and the LST remembered when it was not yet.
    """
    x: address = empty(address)
    lst: address = empty(address)
    known: bool = False
    x, lst, known = self._checked(registry, market, unknown, foreign)
    if not known:
        self._checked_lst[market.address] = lst
    return x, lst
