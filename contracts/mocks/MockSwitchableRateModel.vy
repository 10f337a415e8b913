# pragma version 0.4.3
"""
@title MockSwitchableRateModel
@custom:contract-name MockSwitchableRateModel
@license MIT
@notice Test-only rate model: answers one settable yearly rate (WAD) whatever the
        utilization, or misbehaves on demand. Modes: 0 answers `apr`, 1 reverts,
        2 burns all the gas it is given, 3 answers 16 bytes (short data).
        Never deployed outside tests.
"""

YEAR: constant(uint256) = 365 * 86_400

apr: public(uint256)
mode: public(uint256)


@deploy
def __init__(apr_: uint256):
    self.apr = apr_


@external
def set_apr(apr_: uint256):
    self.apr = apr_


@external
def set_mode(mode_: uint256):
    self.mode = mode_


@view
@external
@raw_return
def borrow_apr(utilization: uint256) -> Bytes[32]:
    if self.mode == 1:
        raise "irm: broken"
    if self.mode == 2:
        acc: bytes32 = empty(bytes32)
        for i: uint256 in range(10**12):
            acc = keccak256(acc)
        return concat(acc, b"")
    if self.mode == 3:
        return slice(abi_encode(self.apr), 0, 16)
    return abi_encode(self.apr)


@view
@external
def borrow_rate(utilization: uint256) -> uint256:
    return self.apr // YEAR
