"""The LST's six owner parameters share one storage slot (32 bits each, issue 30's gas pass). Were a change
written over the old value without clearing it, or past its 32 bits, the owner could reach a value no
announcement may set: a lower fee applied after a higher one would keep the higher one's bits (an instant fee
above its 0.5% bound, or a ceiling above 1%, once bits of two values mix), and the longest reward cycle
(2,592,000 s, 22 bits) would spill into the APR cap next to it. Every parameter is taken through its bounds
in turn, each change applied after the delay, and after every change all six getters must read exactly what
was last applied to each, and the fee an exit pays must follow.
"""

from __future__ import annotations

import pytest
from boa_system import RevmChain, deploy_system, set_lst_parameter, stake

from levstake import lst_lens
from levstake.model import LST_PARAMETERS

DAY = 86_400
# Each parameter's highest allowed value, then its lowest (the fee pair in an order their mutual bound
# allows), so every bit a high value set must be cleared by the low one.
SEQUENCE = [
    ("reward_cycle", 30 * DAY),
    ("max_apr_bps", 5_000),
    ("protocol_fee_bps", 2_000),
    ("max_instant_fee_bps", 100),
    ("instant_fee_bps", 50),
    ("target_buffer_bps", 5_000),
    ("reward_cycle", 3_600),
    ("max_apr_bps", 1_000),
    ("protocol_fee_bps", 0),
    ("instant_fee_bps", 0),
    ("max_instant_fee_bps", 0),
    ("target_buffer_bps", 500),
    ("max_instant_fee_bps", 63),
    ("instant_fee_bps", 37),
]


@pytest.fixture(scope="module")
def system(decimals):
    system = deploy_system(decimals, RevmChain())
    stake(system, "staker", 1_000_000)
    # Down to the target (100,000 X): an exit of 60,000 X then drains below any target the sequence sets,
    # so the fee's ceiling and the target shape what it pays.
    system.lst.rebalance()
    return system


def read_all(lst) -> dict[str, int]:
    return {name: getattr(lst, name)() for name in LST_PARAMETERS}


def test_each_change_moves_its_own_parameter_only(system) -> None:
    lst = system.lst
    expected = read_all(lst)
    assert expected == {
        "reward_cycle": DAY,
        "max_apr_bps": 2_000,
        "protocol_fee_bps": 1_000,
        "instant_fee_bps": 10,
        "max_instant_fee_bps": 50,
        "target_buffer_bps": 1_000,
    }
    for name, value in SEQUENCE:
        set_lst_parameter(system, name, value)
        expected[name] = value
        assert read_all(lst) == expected, f"after {name} = {value}"
        # An exit's fee follows the applied parameters (the contract's own reads, not the getters).
        amount = system.units(60_000)
        snapshot = lst_lens.lst_snapshot(lst)
        assert lst.previewWithdraw(amount) == snapshot.preview_withdraw(amount), f"after {name} = {value}"
