"""Since the owner's timelock and bounds moved to a StakingGovernor (b237280), the LST has two plain setters,
`set_parameter` and `set_treasury`, that skip both: the LST must take them from its immutable governor only.
Were either open, a stranger (or the owner who deployed both contracts, without the governor's delay) could
raise the instant fee to any 32-bit value in the block before a 50x position's exit, or point the protocol's
fee shares at himself. And whoever governs it, the LST must not write a value past a parameter's 32 bits:
the six share one slot, and the extra bits would land in the next parameter, past the governor's bounds.

The attacks: a stranger and the owner call both setters directly, before a 50x close and before a reward
sync; an LST governed by an account is sent a reward cycle of 2^32 + 3,600 s and values past 32 bits for each
parameter.
"""

from __future__ import annotations

import pytest
from boa_system import RevmChain, deploy_lst_naming, fifty_x_world, reverts

from levstake.model import LST_PARAMETERS

DAY = 86_400
FEE, CEILING, MAX_APR = (
    LST_PARAMETERS[name] for name in ("instant_fee_bps", "max_instant_fee_bps", "max_apr_bps")
)


@pytest.fixture(scope="module")
def world(decimals):
    return fifty_x_world(decimals)


def test_nobody_but_the_governor_moves_a_fee_before_an_exit(world) -> None:
    system, user = world
    lst, chain = system.lst, system.chain
    stranger = chain.generate_address("stranger")
    with chain.anchor():
        collateral, debt, _, _ = system.market.position(user)
        expected = lst.previewRedeem(collateral) - debt
        for sender in (stranger, system.owner, user):
            with reverts("lst: not governor"):
                lst.set_parameter(CEILING, 2**32 - 1, sender=sender)
            with reverts("lst: not governor"):
                lst.set_parameter(FEE, 10_000, sender=sender)
            with reverts("lst: not governor"):
                lst.set_parameter(MAX_APR, 0, sender=sender)
        assert (lst.instant_fee_bps(), lst.max_instant_fee_bps(), lst.max_apr_bps()) == (10, 50, 2_000)
        before = system.x.balanceOf(user)
        system.router.close(system.market, 0, 2**64, sender=user)
        assert system.x.balanceOf(user) - before == expected, "the close pays what it was priced at"


def test_nobody_but_the_governor_redirects_the_fee_shares(world) -> None:
    system, _ = world
    lst, chain = system.lst, system.chain
    stranger = chain.generate_address("stranger")
    with chain.anchor():
        for sender in (stranger, system.owner):
            with reverts("lst: not governor"):
                lst.set_treasury(stranger, sender=sender)
        assert lst.treasury() == system.treasury
        chain.time_travel(DAY)
        system.validator.report(lst)
        lst.sync_rewards()
        assert lst.balanceOf(stranger) == 0
        assert lst.balanceOf(system.treasury) > 0, "the protocol's fee went to its treasury"


def test_even_its_governor_cannot_write_past_a_parameters_32_bits(decimals) -> None:
    chain = RevmChain()
    owner, treasury, governor = (chain.generate_address(name) for name in ("owner", "treasury", "governor"))
    x = chain.deploy("mocks/MockToken.vy", "Test X", "X", decimals, sender=owner)
    backend = chain.deploy("staking/SimulatedValidator.vy", x, 800, sender=owner)
    # An account as the governor: what the LST refuses by itself, whatever governs it.
    lst = deploy_lst_naming(chain, x, backend, treasury, decimals, governor, owner)
    defaults = {name: getattr(lst, name)() for name in LST_PARAMETERS}
    # The longest reward cycle plus 2^32: its low 32 bits within bounds, the 33rd would add 1 to the APR cap.
    for name, parameter in LST_PARAMETERS.items():
        for value in (2**32, 2**32 + defaults[name], 2**32 + 30 * DAY, 2**255):
            with reverts("lst: parameter out of bounds"):
                lst.set_parameter(parameter, value, sender=governor)
    with reverts("lst: parameter out of bounds"):
        lst.set_parameter(len(LST_PARAMETERS), 1, sender=governor)
    assert {name: getattr(lst, name)() for name in LST_PARAMETERS} == defaults
    # Within 32 bits each write moves its own parameter only.
    lst.set_parameter(LST_PARAMETERS["reward_cycle"], 2**32 - 1, sender=governor)
    assert lst.reward_cycle() == 2**32 - 1 and lst.max_apr_bps() == defaults["max_apr_bps"]
