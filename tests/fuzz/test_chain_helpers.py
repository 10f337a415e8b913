"""The helpers the revm tests rely on do what they promise: a missed or wrong revert fails `reverts`,
`attempt` returns the reason, `anchor` undoes state and clock (also nested), every generated address is new
and struct results keep their field names."""

from __future__ import annotations

import pytest
from boa_system import MAX_UINT, RevmChain, attempt, deploy_system, reverts


@pytest.fixture(scope="module")
def system():
    return deploy_system(18, RevmChain())


def test_reverts_fails_on_a_call_that_succeeds_or_reverts_otherwise(system) -> None:
    user = system.chain.generate_address("user")
    system.mint_x(user, 10)
    system.x.approve(system.lst, MAX_UINT, sender=user)
    with system.chain.anchor():
        with pytest.raises(AssertionError, match="did not revert"):
            with reverts("lst: zero shares"):
                system.lst.deposit(10, sender=user)
    with pytest.raises(AssertionError, match="not 'some other reason'"):
        with reverts("some other reason"):
            system.lst.deposit(11, sender=user)
    result, reason = attempt(system.lst.deposit, 11, sender=user)
    assert result is None and reason


def test_anchor_undoes_state_and_clock_also_nested(system) -> None:
    chain, x = system.chain, system.x
    holder = chain.generate_address("holder")
    start, supply = chain.timestamp, x.totalSupply()
    with chain.anchor():
        system.mint_x(holder, 5)
        chain.time_travel(100)
        with chain.anchor():
            system.mint_x(holder, 7)
            chain.time_travel(50)
            assert x.balanceOf(holder) == 12 and chain.timestamp == start + 150
        assert x.balanceOf(holder) == 5 and chain.timestamp == start + 100
    assert x.balanceOf(holder) == 0 and x.totalSupply() == supply and chain.timestamp == start


def test_generated_addresses_are_new_at_each_call(system) -> None:
    addresses = {system.chain.generate_address("same alias") for _ in range(5)}
    assert len(addresses) == 5


def test_struct_results_have_their_field_names(system) -> None:
    staker = system.chain.generate_address("staker")
    system.mint_x(staker, system.units(100))
    system.x.approve(system.lst, MAX_UINT, sender=staker)
    with system.chain.anchor():
        system.lst.deposit(system.units(100), sender=staker)
        system.lst.rebalance()
        request_id = system.lst.request_unstake(system.lst.balanceOf(staker) // 2, sender=staker)
        request = system.lst.requests(request_id)
        assert request.owner == staker and request.receiver == staker and request.scaled > 0
        assert request == tuple(request)
