"""EIP-2612 permit on the LST: a fresh wallet approves without a transaction."""

import ape
from eth_account import Account

from levstake.signing import permit_message, sign_typed_data


def test_permit_then_transfer_from(lst, staker, other, stake, units, chain):
    signer = Account.create()
    stake(staker, units(3))
    lst.transfer(signer.address, units(2), sender=staker)
    deadline = chain.pending_timestamp + 600
    message = permit_message(
        lst.name(),
        chain.chain_id,
        lst.address,
        signer.address,
        other.address,
        units(2),
        lst.nonces(signer.address),
        deadline,
    )
    v, r, s = sign_typed_data(signer.key, message)
    lst.permit(signer.address, other, units(2), deadline, v, r, s, sender=other)
    lst.transferFrom(signer.address, other, units(2), sender=other)
    assert lst.balanceOf(other) == units(2)
    with ape.reverts("erc20: invalid signature"):
        lst.permit(signer.address, other, units(2), deadline, v, r, s, sender=other)


def test_expired_permit_reverts(lst, other, chain):
    signer = Account.create()
    deadline = chain.pending_timestamp - 1
    message = permit_message(
        lst.name(), chain.chain_id, lst.address, signer.address, other.address, 1, 0, deadline
    )
    v, r, s = sign_typed_data(signer.key, message)
    with ape.reverts("erc20: expired deadline"):
        lst.permit(signer.address, other, 1, deadline, v, r, s, sender=other)
