"""EIP-712 operator authorization: valid once, until its deadline, only from the authorizer's key, only for
this market on this chain and for the operator it names: replayed or foreign signatures revert."""

import ape
from eth_account import Account

from levstake.signing import authorization_message, sign_typed_data


def signed(market, chain, signer, operator, nonce=0, deadline=None, key=None):
    deadline = deadline if deadline is not None else chain.pending_timestamp + 600
    message = authorization_message(
        chain.chain_id, market.address, signer.address, operator, True, nonce, deadline
    )
    v, r, s = sign_typed_data(key or signer.key, message)
    return (signer.address, operator, True, nonce, deadline, v, r, s)


def test_signature_sets_authorization(market, chain, other):
    signer = Account.create()
    tx = market.set_authorization_with_sig(*signed(market, chain, signer, other.address), sender=other)
    assert market.is_authorized(signer.address, other)
    assert market.authorization_nonce(signer.address) == 1
    assert tx.events.filter(market.SetAuthorization)[0].authorizer == signer.address


def test_replayed_signature_reverts(market, chain, other):
    signer = Account.create()
    args = signed(market, chain, signer, other.address)
    market.set_authorization_with_sig(*args, sender=other)
    with ape.reverts("market: invalid nonce"):
        market.set_authorization_with_sig(*args, sender=other)


def test_expired_signature_reverts(market, chain, other):
    signer = Account.create()
    args = signed(market, chain, signer, other.address, deadline=chain.pending_timestamp - 1)
    with ape.reverts("market: signature expired"):
        market.set_authorization_with_sig(*args, sender=other)
    assert not market.is_authorized(signer.address, other)


def test_foreign_signature_reverts(market, chain, other):
    signer, stranger = Account.create(), Account.create()
    args = signed(market, chain, signer, other.address, key=stranger.key)
    with ape.reverts("market: invalid signature"):
        market.set_authorization_with_sig(*args, sender=other)


def test_signature_for_another_market_or_chain_reverts(market, lst, chain, other):
    signer = Account.create()
    for chain_id, verifying in ((chain.chain_id + 1, market.address), (chain.chain_id, lst.address)):
        message = authorization_message(chain_id, verifying, signer.address, other.address, True, 0, 2**40)
        v, r, s = sign_typed_data(signer.key, message)
        with ape.reverts("market: invalid signature"):
            market.set_authorization_with_sig(signer.address, other, True, 0, 2**40, v, r, s, sender=other)
    assert not market.is_authorized(signer.address, other)


def test_signature_cannot_be_redirected_to_another_operator(market, chain, other, attacker):
    signer = Account.create()
    _, _, approve, nonce, deadline, v, r, s = signed(market, chain, signer, other.address)
    with ape.reverts("market: invalid signature"):
        market.set_authorization_with_sig(
            signer.address, attacker, approve, nonce, deadline, v, r, s, sender=attacker
        )
    assert not market.is_authorized(signer.address, attacker)


def test_domain_separator_matches(market, chain):
    from eth_account.messages import encode_typed_data

    message = authorization_message(
        chain.chain_id, market.address, market.address, market.address, True, 0, 0
    )
    encoded = encode_typed_data(full_message=message)
    assert bytes(market.authorization_domain_separator()) == encoded.header
