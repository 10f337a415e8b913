"""An authorization signature the user gave and nobody submitted must die when the user revokes. The review:
`set_authorization(operator, False)` did not advance the nonce, so (a) a signature the router skipped (because
the user had already authorized it) stayed valid in public calldata and, after the user revoked the router,
anybody replayed it and the router was authorized again; (b) a revoked operator submitted a signature it had
been given earlier and borrowed 900 X to itself against the user's collateral.

The defences: every `set_authorization` call (and every signed one) advances the authorizer's nonce, so all
outstanding signatures die; `invalidate_nonce()` kills them without changing an authorization. The router
still skips a signature when it is already authorized, so front-running the user's own signature cannot block
the open.
"""

from __future__ import annotations

import boa
import pytest
from boa_system import MAX_UINT, WAD, deploy_system, lend
from eth_account import Account

from levstake.signing import authorization_message, sign_typed_data

NO_PERMIT = (0, 0, 0, b"\0" * 32, b"\0" * 32)


@pytest.fixture(scope="module")
def world(decimals):
    system = deploy_system(decimals)
    lend(system, 1_000_000)
    account = Account.create()
    user = account.address
    system.mint_x(user, system.units(10_000))
    system.x.approve(system.router, MAX_UINT, sender=user)
    system.x.approve(system.lst, MAX_UINT, sender=user)
    return system, account


def signature(system, account, operator: str, nonce: int | None = None) -> tuple:
    market = system.market
    nonce = market.authorization_nonce(account.address) if nonce is None else nonce
    deadline = boa.env.evm.patch.timestamp + 3_600
    message = authorization_message(
        boa.env.evm.patch.chain_id, market.address, account.address, operator, True, nonce, deadline
    )
    v, r, s = sign_typed_data(account.key, message)
    return nonce, deadline, v, r, s


def test_a_signature_the_router_skipped_dies_with_the_revocation(world) -> None:
    system, account = world
    market, router, user = system.market, system.router, account.address
    attacker = boa.env.generate_address("attacker")
    with boa.env.anchor():
        market.set_authorization(router, True, sender=user)
        signed = signature(system, account, router.address)
        # Already authorized: the router skips the signature, which stays unused in public calldata.
        router.open(market, system.units(100), 10 * WAD, 0, 2**64, NO_PERMIT, signed, sender=user)
        market.set_authorization(router, False, sender=user)
        nonce, deadline, v, r, s = signed
        with boa.reverts("market: invalid nonce"):
            market.set_authorization_with_sig(user, router, True, nonce, deadline, v, r, s, sender=attacker)
        assert not market.is_authorized(user, router)


def test_a_revoked_operator_cannot_use_an_earlier_signature(world) -> None:
    system, account = world
    market, user = system.market, account.address
    operator = boa.env.generate_address("operator")
    with boa.env.anchor():
        shares = system.lst.deposit(system.units(5_000), sender=user)
        system.lst.approve(market, MAX_UINT, sender=user)
        market.supply_collateral(shares, user, sender=user)
        market.borrow(system.units(4_000), 0, user, user, sender=user)
        signed = signature(system, account, operator)
        market.set_authorization(operator, True, sender=user)
        market.set_authorization(operator, False, sender=user)
        nonce, deadline, v, r, s = signed
        with boa.reverts("market: invalid nonce"):
            market.set_authorization_with_sig(user, operator, True, nonce, deadline, v, r, s, sender=operator)
        with boa.reverts("market: unauthorized"):
            market.borrow(system.units(900), 0, user, operator, sender=operator)
        assert market.position(user)[1] <= system.units(4_000) + 1


def test_invalidate_nonce_kills_outstanding_signatures(world) -> None:
    system, account = world
    market, user = system.market, account.address
    operator = boa.env.generate_address("operator")
    with boa.env.anchor():
        nonce, deadline, v, r, s = signature(system, account, operator)
        market.invalidate_nonce(sender=user)
        assert market.authorization_nonce(user) == nonce + 1
        with boa.reverts("market: invalid nonce"):
            market.set_authorization_with_sig(user, operator, True, nonce, deadline, v, r, s, sender=operator)


def test_a_front_run_signature_does_not_block_the_open(world) -> None:
    system, account = world
    market, router, user = system.market, system.router, account.address
    attacker = boa.env.generate_address("attacker")
    with boa.env.anchor():
        signed = signature(system, account, router.address)
        nonce, deadline, v, r, s = signed
        market.set_authorization_with_sig(user, router, True, nonce, deadline, v, r, s, sender=attacker)
        router.open(market, system.units(100), 10 * WAD, 0, 2**64, NO_PERMIT, signed, sender=user)
        assert market.position(user)[0] > 0
