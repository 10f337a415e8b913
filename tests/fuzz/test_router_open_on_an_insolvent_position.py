"""Adding to a position worth less than its debt at the oracle's price (after a slash) is refused with a
reason, not with an arithmetic revert (the system fuzz saw ~500 reason-less reverts in a million steps)."""

from __future__ import annotations

from boa_system import WAD, RevmChain, attempt, deploy_system, lend, router_user

DEADLINE = 2**64


def test_open_on_an_underwater_position_says_why(decimals):
    system = deploy_system(decimals, RevmChain())
    with system.chain.anchor():
        lend(system, 1_000_000)
        borrower = router_user(system, "borrower", 1_000)
        system.router.open(system.market, system.units(100), 46 * WAD, 0, DEADLINE, sender=borrower)
        system.lst.rebalance()
        system.validator.slash(system.lst, 300, sender=system.owner)
        collateral, debt, ltv, _ = system.market.position(borrower)
        assert ltv > WAD, "the slash must leave the position worth less than its debt at the oracle's price"
        result, reason = attempt(
            system.router.open, system.market, system.units(1), 2 * WAD, 0, DEADLINE, sender=borrower
        )
        assert reason == "router: position is insolvent"
        assert system.market.position(borrower)[:2] == (collateral, debt)
