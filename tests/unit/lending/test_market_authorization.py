"""Operator authorization: every set_authorization call and every signed one advances the authorizer's nonce
(NonceIncremented), invalidate_nonce voids outstanding signatures, and a signature made before an on-chain
change is void after it."""

import ape

from levstake.signing import authorization_message, sign_with_account


def sign(market, chain, account, operator, nonce, is_authorized=True, deadline=None):
    deadline = deadline if deadline is not None else chain.pending_timestamp + 3_600
    message = authorization_message(
        chain.chain_id, market.address, account.address, operator.address, is_authorized, nonce, deadline
    )
    v, r, s = sign_with_account(account, message)
    return (account.address, operator.address, is_authorized, nonce, deadline, v, r, s)


def nonce_event(market, tx):
    events = tx.events.filter(market.NonceIncremented)
    assert len(events) == 1
    return events[0].authorizer, events[0].nonce


def test_set_authorization_advances_the_nonce(market, borrower, other):
    assert market.authorization_nonce(borrower) == 0
    tx = market.set_authorization(other, True, sender=borrower)
    event = tx.events.filter(market.SetAuthorization)[0]
    assert (event.caller, event.authorizer, event.authorized, event.is_authorized) == (
        borrower,
        borrower,
        other,
        True,
    )
    assert nonce_event(market, tx) == (borrower.address, 1)
    assert market.is_authorized(borrower, other)
    # Any call advances it: revoking, and setting what is already set.
    tx = market.set_authorization(other, False, sender=borrower)
    assert nonce_event(market, tx) == (borrower.address, 2)
    tx = market.set_authorization(other, False, sender=borrower)
    assert nonce_event(market, tx) == (borrower.address, 3)
    assert not market.is_authorized(borrower, other)
    assert market.authorization_nonce(other) == 0


def test_invalidate_nonce(market, borrower, other, chain):
    market.set_authorization(other, True, sender=borrower)
    pending = sign(market, chain, borrower, other, 1, is_authorized=False)
    tx = market.invalidate_nonce(sender=borrower)
    assert nonce_event(market, tx) == (borrower.address, 2)
    assert not tx.events.filter(market.SetAuthorization)
    assert market.is_authorized(borrower, other)  # nothing else changes
    with ape.reverts("market: invalid nonce"):
        market.set_authorization_with_sig(*pending, sender=other)
    assert market.is_authorized(borrower, other)


def test_signature_made_before_set_authorization_is_void(market, borrower, other, attacker, chain):
    """The borrower signs for `attacker` (nonce 0), then authorizes somebody on chain: the signature is
    void."""
    stale = sign(market, chain, borrower, attacker, 0)
    market.set_authorization(other, True, sender=borrower)
    with ape.reverts("market: invalid nonce"):
        market.set_authorization_with_sig(*stale, sender=attacker)
    assert not market.is_authorized(borrower, attacker)
    # A signature over the current nonce works once and advances the nonce.
    fresh = sign(market, chain, borrower, attacker, 1)
    tx = market.set_authorization_with_sig(*fresh, sender=other)
    assert market.is_authorized(borrower, attacker)
    assert nonce_event(market, tx) == (borrower.address, 2)
    event = tx.events.filter(market.SetAuthorization)[0]
    assert (event.caller, event.authorizer, event.authorized) == (other, borrower, attacker)
    with ape.reverts("market: invalid nonce"):
        market.set_authorization_with_sig(*fresh, sender=other)


def test_revoking_on_chain_voids_a_pending_signed_grant(market, borrower, other, chain):
    """Two roads to one place: revoking on chain also voids a grant signed earlier and not yet submitted."""
    grant = sign(market, chain, borrower, other, 0)
    market.set_authorization(other, False, sender=borrower)
    with ape.reverts("market: invalid nonce"):
        market.set_authorization_with_sig(*grant, sender=other)
    with ape.reverts("market: unauthorized"):
        market.borrow(1, 0, borrower, other, sender=other)


def test_signature_for_a_future_nonce_is_refused(market, borrower, other, chain):
    ahead = sign(market, chain, borrower, other, 1)
    with ape.reverts("market: invalid nonce"):
        market.set_authorization_with_sig(*ahead, sender=other)
    market.invalidate_nonce(sender=borrower)
    market.set_authorization_with_sig(*ahead, sender=other)
    assert market.is_authorized(borrower, other)
    assert market.authorization_nonce(borrower) == 2
