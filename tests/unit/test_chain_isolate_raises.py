"""`chain.isolate()` in this project's tests raises what is raised inside it (Ape's swallows it, so an
assertion inside could never fail), and still puts the chain back."""

import pytest


def test_an_assertion_inside_an_isolated_block_fails_and_the_state_is_restored(chain, accounts) -> None:
    height = chain.blocks.height
    with pytest.raises(AssertionError, match="raised inside"):
        with chain.isolate():
            accounts[0].transfer(accounts[1], 1)
            assert chain.blocks.height == height + 1
            raise AssertionError("raised inside")
    assert chain.blocks.height == height
