"""A user who turned the guard off, by deleting its settings or by revoking the guard's authorization on the
market (directly or with a signed revocation), is protected against their will by a caller after the tip,
while a trigger holds.

The defences: `revoke` deletes the settings and `protect` refuses a user without settings ("guard: not
guarded"); `protect` checks the market authorization first ("guard: not authorized"), and the market itself
refuses to let an unauthorized guard withdraw the user's collateral.
"""

from __future__ import annotations

import pytest
from boa_leverage import deploy_leverage, guard_world, guarded_user, stake_and_delegate
from boa_system import WAD, RevmChain, deploy_system, lend, reverts
from eth_account import Account

from levstake.signing import authorization_message, sign_typed_data

FLOOR = 1_005 * WAD // 1_000
TARGET = 20 * WAD
MAX_TIP_BPS = 50
# pyrevm's chain id (RevmChain does not set one).
REVM_CHAIN_ID = 1


@pytest.fixture(scope="module")
def world(decimals):
    leverage = guard_world(decimals)
    system = leverage.system
    user = guarded_user(leverage, "user", 100, 50, FLOOR, TARGET, MAX_TIP_BPS, carry_hours=1)
    system.validator.slash(system.lst, 80, sender=system.owner)
    assert leverage.guard.status(system.market, user).health_trigger
    return leverage, user, system.chain.generate_address("caller")


def test_protect_after_the_settings_are_revoked_is_refused(world) -> None:
    leverage, user, caller = world
    system, guard, market = leverage.system, leverage.guard, leverage.system.market
    with system.chain.anchor():
        guard.revoke(market, sender=user)
        assert guard.settings(market, user) == (0, 0, 0, 0)
        position = market.positions(user)
        with reverts("guard: not guarded"):
            guard.protect(market, user, 0, sender=caller)
        assert market.positions(user) == position
        # Still authorized on the market: only the settings said yes, and they are gone.
        assert market.is_authorized(user, guard)


def test_protect_after_the_authorization_is_revoked_is_refused(world) -> None:
    leverage, user, caller = world
    system, guard, market = leverage.system, leverage.guard, leverage.system.market
    with system.chain.anchor():
        market.set_authorization(guard, False, sender=user)
        position = market.positions(user)
        with reverts("guard: not authorized"):
            guard.protect(market, user, MAX_TIP_BPS, sender=caller)
        assert market.positions(user) == position


def test_protect_after_a_signed_revocation_is_refused() -> None:
    """The user revokes with an EIP-712 signature somebody else submits: the same."""
    system = deploy_system(18, RevmChain())
    lend(system, 1_000_000)
    leverage = deploy_leverage(system)
    stake_and_delegate(system, 100_000)
    signer = Account.create()
    user = signer.address
    system.chain.evm.set_balance(user, 10**20)
    system.mint_x(user, system.units(100))
    system.x.approve(system.router, 2**256 - 1, sender=user)
    system.market.set_authorization(system.router, True, sender=user)
    system.router.open(system.market, system.units(100), 50 * WAD, 0, 2**64, sender=user)
    system.market.set_authorization(leverage.guard, True, sender=user)
    leverage.guard.set_guard(system.market, FLOOR, TARGET, MAX_TIP_BPS, 0, sender=user)
    system.validator.slash(system.lst, 80, sender=system.owner)
    nonce, deadline = system.market.authorization_nonce(user), 2**64
    message = authorization_message(
        REVM_CHAIN_ID, system.market.address, user, leverage.guard.address, False, nonce, deadline
    )
    v, r, s = sign_typed_data(signer.key, message)
    relayer = system.chain.generate_address("relayer")
    system.market.set_authorization_with_sig(
        user, leverage.guard, False, nonce, deadline, v, r, s, sender=relayer
    )
    with reverts("guard: not authorized"):
        leverage.guard.protect(system.market, user, 0, sender=relayer)


def test_protect_works_until_the_revocation(world) -> None:
    """The control: the same call, before the user revoked anything, goes through."""
    leverage, user, caller = world
    system = leverage.system
    with system.chain.anchor():
        leverage.guard.protect(system.market, user, MAX_TIP_BPS, sender=caller)
        assert leverage.guard.status(system.market, user).leverage <= TARGET + TARGET // 10**4
