"""A StakingGovernor holds the owner's pending parameter changes for one LST, its `lst()`, and anybody applies
them there once their 10 days have passed. The LST's constructor takes any address as its governor, so anybody
can deploy an LST naming an existing governor. Were `bind` callable again, a change announced (and waited out)
for one LST could be applied to another one the moment the governor is bound to it: holders of the second,
who saw `governor.lst()` name another LST (so nothing could reach theirs), would get no delay at all. Were
`bind` to take an LST that names another governor, the owner's one bind could go to the wrong contract for
good: the LST that names the governor could then never have a parameter or its treasury changed, and
`governor.lst()`, what a holder checks, would name an LST the governor cannot write.

The attacks: a second LST naming the deployment's governor, the highest instant fee announced and waited out,
then the governor bound to the second LST and the change applied; a fresh governor bound to the deployment's
LST (which names another governor) and to an LST naming an account.
"""

from __future__ import annotations

import pytest
from boa_system import RevmChain, deploy_lst_naming, deploy_system, reverts, set_lst_parameter, stake

from levstake.model import LST_PARAMETER_DELAY, LST_PARAMETERS

FEE, CEILING = LST_PARAMETERS["instant_fee_bps"], LST_PARAMETERS["max_instant_fee_bps"]
ZERO = "0x" + "00" * 20


@pytest.fixture(scope="module")
def system(decimals):
    system = deploy_system(decimals, RevmChain())
    stake(system, "staker", 1_000)
    return system


def another_lst(system, governor):
    """An LST over the same X and backend naming `governor` (anybody can deploy one)."""
    deployer = system.chain.generate_address("deployer of another")
    return deploy_lst_naming(
        system.chain, system.x, system.validator, system.treasury, system.decimals, governor, deployer
    )


def test_a_waited_out_change_cannot_be_moved_to_another_lst(system) -> None:
    chain, governor, owner = system.chain, system.governor, system.owner
    with chain.anchor():
        second = another_lst(system, governor)
        assert second.governor() == governor.address and governor.lst() == system.lst.address
        set_lst_parameter(system, "max_instant_fee_bps", 100)
        governor.announce_parameter(FEE, 50, sender=owner)
        chain.time_travel(LST_PARAMETER_DELAY)
        with reverts("governor: already bound"):
            governor.bind(second, sender=owner)
        assert governor.lst() == system.lst.address
        governor.apply_parameter(FEE)
        # The change lands on the LST it was announced for, and on no other.
        assert (system.lst.instant_fee_bps(), system.lst.max_instant_fee_bps()) == (50, 100)
        assert (second.instant_fee_bps(), second.max_instant_fee_bps()) == (10, 50)
        with reverts("governor: already bound"):
            governor.bind(system.lst, sender=owner)


def test_a_governor_binds_only_to_the_lst_that_names_it(system) -> None:
    chain, owner = system.chain, system.owner
    with chain.anchor():
        fresh = chain.deploy("staking/StakingGovernor.vy", sender=owner)
        # The deployment's LST names the deployment's governor; another names an account.
        for wrong in (system.lst, another_lst(system, chain.generate_address("an account"))):
            with reverts("governor: not the lst's governor"):
                fresh.bind(wrong, sender=owner)
            assert fresh.lst() == ZERO
        with reverts("governor: not bound"):
            fresh.announce_parameter(FEE, 50, sender=owner)
        # Still free for the LST that names it, whose parameters it then changes.
        own = another_lst(system, fresh)
        fresh.bind(own, sender=owner)
        fresh.announce_parameter(CEILING, 100, sender=owner)
        chain.time_travel(LST_PARAMETER_DELAY)
        fresh.apply_parameter(CEILING)
        assert own.max_instant_fee_bps() == 100 and system.lst.max_instant_fee_bps() == 50
