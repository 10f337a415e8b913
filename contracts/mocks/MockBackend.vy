# pragma version 0.4.3
"""
@title MockBackend
@custom:contract-name MockBackend
@license MIT
@notice Test-only staking backend whose balances are whatever the test sets: it takes and
        keeps what is delegated and pays back only what the test tells it to, so a test can
        report gains and unbonding no real backend could hold (to drive the LST's packed
        reward stream and books to their bounds).
"""

from ethereum.ercs import IERC20

asset: public(immutable(IERC20))
staked_balance: public(HashMap[address, uint256])
unbonding_balance: public(HashMap[address, uint256])
# X the next `withdraw_unbonded` pays (the test mints it to this contract first).
payback: public(uint256)


@deploy
def __init__(asset_: IERC20):
    asset = asset_


@external
def set_staked(account: address, amount: uint256):
    """
    @notice `staked_balance(account)` from now on.
    """
    self.staked_balance[account] = amount


@external
def set_unbonding(account: address, amount: uint256):
    """
    @notice `unbonding_balance(account)` from now on.
    """
    self.unbonding_balance[account] = amount


@external
def set_payback(amount: uint256):
    """
    @notice What the next `withdraw_unbonded` pays (from X this contract holds), whatever is unbonding.
    """
    self.payback = amount


@external
def delegate(amount: uint256):
    """
    @notice Pulls `amount` of X and counts it as the caller's stake.
    """
    self.staked_balance[msg.sender] += amount
    assert extcall asset.transferFrom(msg.sender, self, amount, default_return_value=True), "mock: transfer failed"


@external
def request_undelegate(amount: uint256) -> uint256:
    """
    @notice Counts `amount` as unbonding, due in a day (paid only what `set_payback` sets: see `withdraw_unbonded`).
    """
    self.staked_balance[msg.sender] -= amount
    self.unbonding_balance[msg.sender] += amount
    return block.timestamp + 86_400


@external
def withdraw_unbonded() -> uint256:
    """
    @notice Pays the caller what `set_payback` set (once; nothing by default), taken off its unbonding as far
            as that goes.
    """
    amount: uint256 = self.payback
    if amount == 0:
        return 0
    self.payback = 0
    self.unbonding_balance[msg.sender] -= min(amount, self.unbonding_balance[msg.sender])
    assert extcall asset.transfer(msg.sender, amount, default_return_value=True), "mock: transfer failed"
    return amount


@view
@external
def total_balance(account: address) -> uint256:
    """
    @notice Stake plus unbonding of `account`.
    """
    return self.staked_balance[account] + self.unbonding_balance[account]


@view
@external
def balances(account: address) -> (uint256, uint256):
    """
    @notice `total_balance(account)` and `unbonding_balance(account)`.
    """
    unbonding: uint256 = self.unbonding_balance[account]
    return self.staked_balance[account] + unbonding, unbonding
