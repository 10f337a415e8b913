"""Shared fixtures. Every test that uses the base asset runs twice: X with 18 and with 6 decimals."""

from __future__ import annotations

import functools
import weakref
from contextlib import contextmanager

import pytest
from ape.managers.chain import ChainManager
from ape.pytest.fixtures import FixtureMap
from ape_ethereum.ecosystem import Ethereum
from ape_ethereum.transactions import Receipt
from ape_test.provider import LocalProvider
from web3.providers.eth_tester import middleware as eth_tester_middleware

from levstake.deploy import deploy_lending, deploy_router, deploy_staking
from levstake.model import LST_PARAMETER_DELAY, LST_PARAMETERS, to_units

# After every transaction to a contract, Ape rebuilds its call tree to print what the contracts `print()`.
# Ours print nothing (no `print(` in contracts/), and on the in-process chain that trace was 16% of a unit
# test file's time (cProfile of tests/unit/lending/test_market_callbacks.py). Tests skip it; revert reasons,
# events and `ape test --gas` do not use it.
Receipt.show_debug_logs = lambda self: None

# Three more of Ape's per-call costs on the in-process chain, each giving the same answer from a cache
# (cProfile of tests/unit/staking/test_lst_instant_fee.py: 15%, 8% and 7% of its time; user CPU of that file
# 45.8 s -> 37.5 s with the first two):
# - an `eth_call` without a sender: web3's eth-tester middleware lists the chain's accounts (deriving each
#   address from its key) three times per call to pick the first. The first account of a chain never changes.
_first_account: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_guess_from = eth_tester_middleware.guess_from


def _cached_guess_from(w3, transaction):
    if w3 not in _first_account:
        _first_account[w3] = _guess_from(w3, transaction)
    return _first_account[w3]


eth_tester_middleware.guess_from = _cached_guess_from

# - every call and transaction asks the ecosystem for its default transaction type, which Ape looks up in the
#   network config by building a config object each time. The config does not change during a session.
_default_transaction_type = Ethereum.default_transaction_type.fget
_transaction_types: dict = {}


def _cached_default_transaction_type(self):
    provider = self.network_manager.active_provider
    key = (id(self), provider.network.name if provider else None)
    if key not in _transaction_types:
        _transaction_types[key] = _default_transaction_type(self)
    return _transaction_types[key]


Ethereum.default_transaction_type = property(_cached_default_transaction_type)

# - every contract call and every transaction to a contract first reads the contract's code (is it a
#   contract?). Code, once there, stays (no contract here self-destructs) until the chain is put back to a
#   snapshot, which may be from before the deployment: the cache holds only code found, and is emptied at
#   every restore and (re)connection.
_code_of: dict = {}
_get_code, _restore, _connect = LocalProvider.get_code, LocalProvider.restore, LocalProvider.connect


def _cached_get_code(self, address, block_id=None):
    if block_id is not None:
        return _get_code(self, address, block_id)
    code = _code_of.get(address)
    if code is None:
        code = _get_code(self, address)
        if code:
            _code_of[address] = code
    return code


def _restore_forgetting_code(self, snapshot_id):
    _code_of.clear()
    return _restore(self, snapshot_id)


def _connect_forgetting_code(self):
    _code_of.clear()
    return _connect(self)


LocalProvider.get_code = _cached_get_code
LocalProvider.restore = _restore_forgetting_code
LocalProvider.connect = _connect_forgetting_code

# Ape counts a parametrized fixture as "iterating" until its last value runs and then, before every test,
# restores the module snapshot and throws away every module-scoped fixture ("rebasing"): with `decimals`
# that rebuilt each module fixture once per test for the whole x18 half of the run. Pytest orders the session
# by `decimals` (every x18 test, then every x6 test), so a new value only ever arrives with a new module,
# before that module's snapshot is taken, and nothing needs rebasing. `pytest_collection_modifyitems` checks
# that order and keeps Ape's behaviour if a value changes inside a module.
_DECIMALS_CHANGE_AT_MODULES = True
_ape_is_iterating = FixtureMap.is_iterating


def _is_iterating(self, name: str) -> bool:
    return False if name == "decimals" and _DECIMALS_CHANGE_AT_MODULES else _ape_is_iterating(self, name)


FixtureMap.is_iterating = _is_iterating


_ape_isolate = ChainManager.isolate


@contextmanager
def _isolate_raising(self):
    # Ape's `chain.isolate()` swallows whatever is raised inside it: an assertion there could never fail (one
    # in the guard's commands test passed against the code it was written to catch). The same snapshot and
    # restore, and what was raised raised again after the restore.
    raised: list[BaseException] = []
    with _ape_isolate(self):
        try:
            yield
        except BaseException as error:  # noqa: BLE001 - raised again below, once the state is restored
            raised.append(error)
    if raised:
        raise raised[0]


ChainManager.isolate = _isolate_raising


def _refuse_names_at_two_scopes(session) -> None:
    # Ape's isolation knows fixtures by name: a name defined both function-scoped and wider (a module-scoped
    # `staked` in one file, a function-scoped one in another) is set up before the test's snapshot in both
    # files, and the function-scoped one's state then leaks into the next tests.
    for name, definitions in session._fixturemanager._arg2fixturedefs.items():
        scopes = {definition.scope for definition in definitions}
        if "function" in scopes and len(scopes) > 1:
            raise pytest.UsageError(f"fixture {name!r} is defined with scopes {sorted(scopes)}: rename one")


def _decimals_change_at_modules(items) -> bool:
    previous = None
    for item in items:
        callspec = getattr(item, "callspec", None)
        value = callspec.params.get("decimals") if callspec else None
        if value is None:
            continue
        if previous is not None and previous[1] != value and previous[0] is item.module:
            return False
        previous = (item.module, value)
    return True


# Last, so that the order checked is the one the tests run in (after pytest groups them by `decimals`).
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items) -> None:
    global _DECIMALS_CHANGE_AT_MODULES
    _refuse_names_at_two_scopes(session)
    _DECIMALS_CHANGE_AT_MODULES = _decimals_change_at_modules(items)


REWARD_RESERVE = 1_000_000
DAY = 86_400
YEAR = 365 * DAY


@pytest.fixture(scope="session", params=[18, 6], ids=["x18", "x6"])
def decimals(request) -> int:
    return request.param


@pytest.fixture(scope="session")
def owner(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def treasury(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def staker(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def other(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def attacker(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def units(decimals):
    return functools.partial(to_units, decimals=decimals)


@pytest.fixture(scope="session")
def x(project, owner, decimals):
    return owner.deploy(project.MockToken, "Test X", "X", decimals)


@pytest.fixture(scope="session")
def staking(project, owner, treasury, x, units):
    system = deploy_staking(project, owner, treasury.address, x=x)
    x.mint(owner, units(REWARD_RESERVE), sender=owner)
    x.approve(system.validator, units(REWARD_RESERVE), sender=owner)
    system.validator.fund_rewards(units(REWARD_RESERVE), sender=owner)
    return system


@pytest.fixture(scope="session")
def validator(staking):
    return staking.validator


@pytest.fixture(scope="session")
def lst(staking):
    return staking.lst


@pytest.fixture(scope="session")
def governor(staking):
    """The LST's StakingGovernor, owned by `owner` and bound to `lst`."""
    return staking.governor


@pytest.fixture(scope="session")
def fund(x):
    """Mint X to an account and approve a spender for it."""

    def fund_account(account, amount: int, spender=None) -> None:
        x.mint(account, amount, sender=account)
        if spender is not None:
            x.approve(spender, 2**256 - 1, sender=account)

    return fund_account


@pytest.fixture(scope="session")
def stake(lst, fund):
    """Fund `account` with `amount` of X and stake it; returns the shares minted."""

    def stake_amount(account, amount: int) -> int:
        fund(account, amount, spender=lst)
        before = lst.balanceOf(account)
        lst.deposit(amount, account, sender=account)
        return lst.balanceOf(account) - before

    return stake_amount


@pytest.fixture(scope="session")
def warp(chain):
    """Advance the chain's clock by `seconds` and mine a block."""

    def advance(seconds: int) -> None:
        chain.mine(deltatime=seconds)

    return advance


@pytest.fixture(scope="session")
def set_lst_parameter(governor, owner, chain):
    """Announce an LST parameter change through its governor as the owner, wait out the delay and apply it."""

    def set_parameter(name: str, value: int) -> None:
        parameter = LST_PARAMETERS[name]
        governor.announce_parameter(parameter, value, sender=owner)
        chain.mine(deltatime=LST_PARAMETER_DELAY)
        governor.apply_parameter(parameter, sender=owner)

    return set_parameter


@pytest.fixture(scope="session")
def guardian(accounts):
    return accounts[5]


@pytest.fixture(scope="session")
def lender(accounts):
    return accounts[6]


@pytest.fixture(scope="session")
def borrower(accounts):
    return accounts[7]


@pytest.fixture(scope="session")
def liquidator(accounts):
    return accounts[8]


@pytest.fixture(scope="session")
def lending(project, owner, staking, treasury, guardian):
    return deploy_lending(project, owner, staking, treasury.address, guardian.address)


@pytest.fixture(scope="session")
def market(lending):
    return lending.market


@pytest.fixture(scope="session")
def oracle(lending):
    return lending.oracle


@pytest.fixture(scope="session")
def irm(lending):
    return lending.irm


@pytest.fixture(scope="session")
def factory(lending):
    return lending.factory


@pytest.fixture(scope="session")
def lend(market, fund):
    """Fund `account` with X and deposit it into the market."""

    def lend_amount(account, amount: int) -> None:
        fund(account, amount, spender=market)
        market.deposit(amount, account, sender=account)

    return lend_amount


@pytest.fixture(scope="session")
def post_collateral(market, lst, stake):
    """Stake `amount` of X for `account` and supply all the LST as collateral; returns the shares."""

    def post(account, amount: int) -> int:
        shares = stake(account, amount)
        lst.approve(market, 2**256 - 1, sender=account)
        market.supply_collateral(shares, account, sender=account)
        return shares

    return post


@pytest.fixture(scope="session")
def router(project, owner, lending):
    return deploy_router(project, owner, lending.factory)


@pytest.fixture(scope="session")
def leverager(accounts):
    """A user who levers up through the router (and has authorized it on the market)."""
    return accounts[9]
