"""The LST's views that left the contract to make bytecode room (EIP-170), answered from its public views.

`LiquidStaking` keeps what contracts call; `instant_fee(assets)`, `target_buffer()` and `queue_liability()`
were read only off-chain, so they are computed here with `levstake.model`'s exact mirror, from the views the
LST still has (`share_prices`, `buffer`, `queue_cover` and the fee parameters), to the wei of what the views
answered. `lst` is any contract object whose view methods are called like functions (Ape, titanoboa, the
revm test chain); the CLI, web page and keeper read the same views in one batch (`levstake.reads`).
"""

from __future__ import annotations

from typing import Any

from levstake import model
from levstake.model import LstSnapshot


def lst_snapshot(lst: Any, **read: Any) -> LstSnapshot:
    """The LST's totals and exit parameters now, as `levstake.model` prices exits with them. `read` goes to
    every view call (Ape's `block_id=` reads them at an earlier block)."""
    total_assets, locked, supply = lst.share_prices(**read)
    return LstSnapshot(
        total_assets=total_assets,
        total_supply=supply,
        locked=locked,
        buffer=lst.buffer(**read),
        reserved=lst.queue_cover(**read)[1],
        target_buffer_bps=lst.target_buffer_bps(**read),
        instant_fee_bps=lst.instant_fee_bps(**read),
        max_instant_fee_bps=lst.max_instant_fee_bps(**read),
    )


def instant_fee(lst: Any, assets: int, **read: Any) -> int:
    """The fee `withdraw(assets)` would charge now on top of `assets`, in X (the LST's `instant_fee`)."""
    return lst_snapshot(lst, **read).exit_fee(assets)


def target_buffer(lst: Any, **read: Any) -> int:
    """The buffer `rebalance` steers towards, in X (the LST's `target_buffer`)."""
    bps = lst.target_buffer_bps(**read)
    return LstSnapshot(lst.totalAssets(**read), 0, target_buffer_bps=bps).target_buffer()


def queue_liability(lst: Any, **read: Any) -> int:
    """X owed to unfunded requests now, after any pending loss (the LST's `queue_liability`)."""
    return model.queue_liability(tuple(lst.queue_cover(**read)))


__all__ = ["instant_fee", "lst_snapshot", "queue_liability", "target_buffer"]
