# pragma version 0.4.3
"""
@title share_pricing
@custom:contract-name share_pricing
@license MIT
@notice How LiquidStaking prices a share from its total assets and supply: one module for
        the LST and for every contract that converts from the LST's `share_prices` read
        (the router), so their conversions cannot drift apart.
@custom:security - Pure: the same (total assets, supply) gives the same price in the LST
                   and in its callers.
                 - Virtual shares and assets (10^6 each) while a share is worth at least a
                   unit (where an inflation attack would push the rate); pro rata below,
                   so the virtual position, which takes no loss, never makes all shares
                   together worth more than the LST holds.
"""

# Virtual position (OpenZeppelin's decimals offset, with assets too so that the rate starts at 1).
VIRTUAL_SHARES: constant(uint256) = 10**6
VIRTUAL_ASSETS: constant(uint256) = 10**6


@pure
@internal
def _priced(total_assets: uint256, supply: uint256) -> (uint256, uint256):
    """
    @dev (assets, shares) a share is priced at: with the virtual position while a share is
         worth at least one unit, pro rata once losses took it below. The lower of the two
         rates, both ways, so deposits and exits agree.
    @param total_assets What the shares are worth together (total assets for conversions
           and exits; plus the rewards still streaming for deposits and mints).
    @param supply The LST's total supply.
    """
    if supply != 0 and total_assets < supply:
        return total_assets, supply
    return total_assets + VIRTUAL_ASSETS, supply + VIRTUAL_SHARES
