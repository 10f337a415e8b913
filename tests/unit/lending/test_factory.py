"""The factory: allowed pairs, enabled rate models and oracles, registry, immutable markets."""

import ape

from levstake.deploy import DEFAULT_LLTV, DEFAULT_MAX_LTV, DEFAULT_RESERVE_FACTOR

WAD = 10**18
ZERO = "0x0000000000000000000000000000000000000000"


def test_default_market_registered(factory, market, treasury, guardian, irm, oracle, lst, x):
    assert factory.market_count() == 1
    assert factory.markets(0) == market.address
    assert factory.is_market(market)
    assert market.max_ltv() == 98 * WAD // 100 and market.lltv() == 99 * WAD // 100
    assert market.reserve_factor() == DEFAULT_RESERVE_FACTOR
    assert market.treasury() == treasury and market.guardian() == guardian
    assert market.factory() == factory.address
    # deploy_lending enables the default rate model and the oracle for the LST only.
    assert factory.is_irm_enabled(irm)
    assert factory.is_oracle_enabled(oracle, lst)
    assert not factory.is_oracle_enabled(oracle, x)


def test_pair_rules(factory, owner, attacker, x, lst, oracle, irm):
    with ape.reverts("factory: lltv must exceed max ltv"):
        factory.set_pair_allowed(99 * WAD // 100, 99 * WAD // 100, True, sender=owner)
    with ape.reverts("factory: lltv must exceed max ltv"):
        factory.set_pair_allowed(0, 90 * WAD // 100, True, sender=owner)
    with ape.reverts("factory: lltv too high"):
        factory.set_pair_allowed(90 * WAD // 100, WAD, True, sender=owner)
    with ape.reverts("ownable: caller is not the owner"):
        factory.set_pair_allowed(80 * WAD // 100, 90 * WAD // 100, True, sender=attacker)
    with ape.reverts("factory: pair not allowed"):
        factory.create_market(
            x, lst, oracle, irm, 80 * WAD // 100, 90 * WAD // 100, 0, "m", "m", sender=attacker
        )


def test_max_ltv_at_most_98_percent(factory, owner):
    with ape.reverts("factory: max ltv too high"):
        factory.set_pair_allowed(98 * WAD // 100 + 1, 99 * WAD // 100, True, sender=owner)
    with ape.reverts("factory: max ltv too high"):
        factory.set_pair_allowed(985 * WAD // 1_000, 99 * WAD // 100, True, sender=owner)
    tx = factory.set_pair_allowed(98 * WAD // 100, 985 * WAD // 1_000, True, sender=owner)
    event = tx.events.filter(factory.PairAllowed)[0]
    assert (event.max_ltv, event.lltv, event.allowed) == (98 * WAD // 100, 985 * WAD // 1_000, True)
    assert factory.is_pair_allowed(98 * WAD // 100, 985 * WAD // 1_000)


def test_anyone_creates_market_with_allowed_pair(
    project, factory, owner, attacker, x, lst, oracle, irm, decimals
):
    factory.set_pair_allowed(80 * WAD // 100, 90 * WAD // 100, True, sender=owner)
    tx = factory.create_market(
        x, lst, oracle, irm, 80 * WAD // 100, 90 * WAD // 100, 0, "m2", "m2", sender=attacker
    )
    event = tx.events.filter(factory.MarketCreated)[0]
    created = project.LendingMarket.at(event.market)
    assert factory.is_market(created) and factory.market_count() == 2
    assert factory.markets(1) == created.address
    assert (event.asset, event.collateral, event.oracle, event.irm) == (x, lst, oracle, irm)
    assert created.decimals() == decimals
    assert created.max_leverage() == 5 * WAD
    assert created.dust() == 10**decimals // 10_000


def test_enable_irm_owner_only_one_way(project, factory, owner, attacker):
    model = owner.deploy(project.MockSwitchableRateModel, WAD // 10)
    assert not factory.is_irm_enabled(model)
    with ape.reverts("ownable: caller is not the owner"):
        factory.enable_irm(model, sender=attacker)
    with ape.reverts("factory: zero irm"):
        factory.enable_irm(ZERO, sender=owner)
    tx = factory.enable_irm(model, sender=owner)
    assert tx.events.filter(factory.IrmEnabled)[0].irm == model.address
    assert factory.is_irm_enabled(model)
    # Enabling again changes nothing, and nothing can disable it.
    factory.enable_irm(model, sender=owner)
    assert factory.is_irm_enabled(model)
    assert not [abi.name for abi in factory.contract_type.mutable_methods if "disable" in abi.name]


def test_enable_oracle_owner_only_per_collateral(project, factory, owner, attacker, lst, x):
    other_oracle = owner.deploy(project.ExchangeRateOracle, lst, WAD // 10)
    with ape.reverts("ownable: caller is not the owner"):
        factory.enable_oracle(other_oracle, lst, sender=attacker)
    with ape.reverts("factory: zero oracle"):
        factory.enable_oracle(ZERO, lst, sender=owner)
    with ape.reverts("factory: zero oracle"):
        factory.enable_oracle(other_oracle, ZERO, sender=owner)
    tx = factory.enable_oracle(other_oracle, lst, sender=owner)
    event = tx.events.filter(factory.OracleEnabled)[0]
    assert (event.oracle, event.collateral) == (other_oracle.address, lst.address)
    assert factory.is_oracle_enabled(other_oracle, lst)
    assert not factory.is_oracle_enabled(other_oracle, x)


def test_create_market_refuses_irm_not_enabled(project, factory, owner, attacker, x, lst, oracle):
    model = owner.deploy(project.MockSwitchableRateModel, WAD // 10)
    with ape.reverts("factory: irm not enabled"):
        factory.create_market(
            x, lst, oracle, model, DEFAULT_MAX_LTV, DEFAULT_LLTV, 0, "m", "m", sender=attacker
        )
    factory.enable_irm(model, sender=owner)
    factory.create_market(x, lst, oracle, model, DEFAULT_MAX_LTV, DEFAULT_LLTV, 0, "m", "m", sender=attacker)
    assert factory.market_count() == 2


def test_create_market_refuses_oracle_not_enabled_for_collateral(
    project, factory, owner, attacker, x, lst, oracle, irm
):
    foreign = owner.deploy(project.MockSettableOracle, 10**36, 10**36)
    with ape.reverts("factory: oracle not enabled"):
        factory.create_market(
            x, lst, foreign, irm, DEFAULT_MAX_LTV, DEFAULT_LLTV, 0, "m", "m", sender=attacker
        )
    # Enabled for another collateral is not enough.
    collateral = owner.deploy(project.MockToken, "Other LST", "oLST", 18)
    factory.enable_oracle(foreign, collateral, sender=owner)
    with ape.reverts("factory: oracle not enabled"):
        factory.create_market(
            x, lst, foreign, irm, DEFAULT_MAX_LTV, DEFAULT_LLTV, 0, "m", "m", sender=attacker
        )
    # The LST's oracle cannot price another collateral either.
    with ape.reverts("factory: oracle not enabled"):
        factory.create_market(
            x, collateral, oracle, irm, DEFAULT_MAX_LTV, DEFAULT_LLTV, 0, "m", "m", sender=attacker
        )
    # Enabled for the collateral it prices, the oracle is accepted.
    factory.enable_oracle(foreign, lst, sender=owner)
    factory.create_market(x, lst, foreign, irm, DEFAULT_MAX_LTV, DEFAULT_LLTV, 0, "m", "m", sender=attacker)
    assert factory.market_count() == 2


def test_create_market_refuses_a_loan_asset_the_collateral_is_not_an_lst_of(
    project, factory, owner, attacker, lst, oracle, irm
):
    """The oracle is enabled per collateral and prices it in the collateral's own asset."""
    foreign = owner.deploy(project.MockToken, "Foreign T", "T", 6)
    with ape.reverts("factory: collateral is not an lst of the asset"):
        factory.create_market(
            foreign, lst, oracle, irm, DEFAULT_MAX_LTV, DEFAULT_LLTV, 0, "m", "m", sender=attacker
        )
    assert factory.market_count() == 1


def test_create_market_refuses_zero_token(factory, attacker, x, lst, oracle, irm):
    for asset, collateral in ((ZERO, lst), (x, ZERO)):
        with ape.reverts("factory: zero token"):
            factory.create_market(
                asset, collateral, oracle, irm, DEFAULT_MAX_LTV, DEFAULT_LLTV, 0, "m", "m", sender=attacker
            )


def test_create_market_refuses_reserve_factor_above_half(project, factory, attacker, x, lst, oracle, irm):
    with ape.reverts("factory: reserve factor too high"):
        factory.create_market(
            x, lst, oracle, irm, DEFAULT_MAX_LTV, DEFAULT_LLTV, WAD // 2 + 1, "m", "m", sender=attacker
        )
    tx = factory.create_market(
        x, lst, oracle, irm, DEFAULT_MAX_LTV, DEFAULT_LLTV, WAD // 2, "m", "m", sender=attacker
    )
    created = project.LendingMarket.at(tx.events.filter(factory.MarketCreated)[0].market)
    assert created.reserve_factor() == WAD // 2


def test_market_rejects_lltv_not_above_max_ltv(
    project, factory, owner, attacker, x, lst, oracle, irm, treasury
):
    """The factory refuses the pair; the market's constructor no longer checks (a blueprint has no room)."""
    with ape.reverts("factory: lltv must exceed max ltv"):
        factory.set_pair_allowed(WAD // 2, WAD // 2, True, sender=owner)
    with ape.reverts("factory: pair not allowed"):
        factory.create_market(x, lst, oracle, irm, WAD // 2, WAD // 2, 0, "m", "m", sender=attacker)
    assert factory.market_count() == 1
    # Deployed outside the factory, the same parameters are accepted: such a market is not registered.
    rogue = owner.deploy(
        project.LendingMarket, x, lst, oracle, irm, WAD // 2, WAD // 2, 0, treasury, owner, "m", "m", 18
    )
    assert rogue.lltv() == rogue.max_ltv() == WAD // 2
    assert not factory.is_market(rogue)


def test_owner_setters_and_two_step_ownership(factory, owner, attacker, other):
    with ape.reverts("ownable: caller is not the owner"):
        factory.set_treasury(attacker, sender=attacker)
    with ape.reverts("ownable: caller is not the owner"):
        factory.set_guardian(attacker, sender=attacker)
    with ape.reverts("factory: zero treasury"):
        factory.set_treasury(ZERO, sender=owner)
    factory.set_treasury(other, sender=owner)
    factory.set_guardian(other, sender=owner)
    assert factory.treasury() == other and factory.guardian() == other
    factory.transfer_ownership(other, sender=owner)
    assert factory.owner() == owner and factory.pending_owner() == other
    factory.accept_ownership(sender=other)
    assert factory.owner() == other
    with ape.reverts("ownable: caller is not the owner"):
        factory.enable_irm(other, sender=owner)
