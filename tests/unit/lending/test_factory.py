"""The factory: allowed pairs, registry, immutable markets."""

import ape

WAD = 10**18


def test_default_market_registered(factory, market, treasury, guardian):
    assert factory.market_count() == 1
    assert factory.markets(0) == market.address
    assert factory.is_market(market)
    assert market.max_ltv() == 98 * WAD // 100 and market.lltv() == 99 * WAD // 100
    assert market.treasury() == treasury and market.guardian() == guardian
    assert market.factory() == factory.address


def test_pair_rules(factory, owner, attacker, x, lst, oracle, irm):
    with ape.reverts("factory: lltv must exceed max ltv"):
        factory.set_pair_allowed(99 * WAD // 100, 99 * WAD // 100, True, sender=owner)
    with ape.reverts("factory: lltv too high"):
        factory.set_pair_allowed(90 * WAD // 100, WAD, True, sender=owner)
    with ape.reverts("ownable: caller is not the owner"):
        factory.set_pair_allowed(80 * WAD // 100, 90 * WAD // 100, True, sender=attacker)
    with ape.reverts("factory: pair not allowed"):
        factory.create_market(
            x, lst, oracle, irm, 80 * WAD // 100, 90 * WAD // 100, 0, "m", "m", sender=attacker
        )


def test_anyone_creates_market_with_allowed_pair(
    project, factory, owner, attacker, x, lst, oracle, irm, decimals
):
    factory.set_pair_allowed(80 * WAD // 100, 90 * WAD // 100, True, sender=owner)
    tx = factory.create_market(
        x, lst, oracle, irm, 80 * WAD // 100, 90 * WAD // 100, 0, "m2", "m2", sender=attacker
    )
    created = project.LendingMarket.at(tx.events.filter(factory.MarketCreated)[0].market)
    assert factory.is_market(created) and factory.market_count() == 2
    assert created.decimals() == decimals
    assert created.max_leverage() == 5 * WAD


def test_market_rejects_lltv_not_above_max_ltv(project, owner, x, lst, oracle, irm, treasury):
    with ape.reverts("market: lltv must exceed max ltv"):
        owner.deploy(
            project.LendingMarket, x, lst, oracle, irm, WAD // 2, WAD // 2, 0, treasury, owner, "m", "m", 18
        )
