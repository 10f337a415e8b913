"""Differential run of the LST at two commits (by default bb19bd9, before the tenth session's views left it
and `mint` refused a zero price, against 4c53526; first written for the `Books` refactor, 86b496f -> 4e20573).

Both versions (LiquidStaking + SimulatedValidator + interfaces, each from its own commit) are deployed side
by side on ONE revm chain (same clock), each with its own token and backend, and driven by the same random
sequence of operations. After every operation the script compares the return value or revert reason, and
then every public view of the LST that takes no argument, one uint, or one address (fed a spread of
amounts, every user and every request id), the backend's public views about the LST, and the X and LST
balances of every actor. A view one version moved out of the LST (`LENS_VIEWS`: bytecode room) is compared
with `levstake.lst_lens`'s answer from the views that version kept. Any difference is printed with the
sequence, step and operation, and the script exits 1.

    python tests/fuzz/differential_books.py --sequences 200 --steps 120 --decimals 6 18 [--seed S]
        [--old bb19bd9] [--new 4c53526] [--verbose]

Not a pytest test: it needs two commits' sources (extracted with `git archive` into .cache/differential/).
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import eth_abi

sys.path.insert(0, str(Path(__file__).resolve().parent))

from revm_chain import Contract, Reverted, RevmChain, _arg, _type  # noqa: E402

from levstake import lst_lens  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "differential"
MAX_UINT = 2**256 - 1
DAY = 86_400
PARAMETER_DELAY = 10 * DAY


def tree(commit: str) -> Path:
    """contracts/ and interfaces/ of `commit`, extracted once (or a directory holding both, as given)."""
    if Path(commit).is_dir():
        return Path(commit).resolve()
    sha = subprocess.check_output(["git", "-C", str(ROOT), "rev-parse", commit], text=True).strip()
    target = CACHE / sha
    if not (target / "contracts").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.check_output(["git", "-C", str(ROOT), "archive", sha, "contracts", "interfaces"])
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def artifacts(root: Path, name: str) -> tuple[bytes, list[dict[str, Any]]]:
    path = root / f"{name.replace('/', '_')}.json"
    if path.exists():
        stored = json.loads(path.read_text())
        return bytes.fromhex(stored["initcode"]), stored["abi"]
    import boa
    from vyper.compiler.output import build_abi_output

    boa.interpret.set_search_paths([str(root)])
    data = boa.load_partial(str(root / "contracts" / name)).compiler_data
    initcode, abi = data.bytecode, build_abi_output(data)
    path.write_text(json.dumps({"initcode": initcode.hex(), "abi": abi}))
    return initcode, abi


def deploy(chain: RevmChain, root: Path, name: str, *args: Any, sender: str) -> Contract:
    initcode, abi = artifacts(root, name)
    constructor = next((entry for entry in abi if entry["type"] == "constructor"), None)
    encoded = b""
    if constructor is not None:
        encoded = eth_abi.encode([_type(item) for item in constructor["inputs"]], [_arg(a) for a in args])
    address = chain.evm.deploy(sender, initcode + encoded)
    return Contract(chain, address, abi)


def attempt(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, str | None]:
    try:
        return function(*args, **kwargs), None
    except Reverted as error:
        return None, error.reason


def request_fields(request: Any, funded: bool) -> tuple[Any, ...]:
    """What every version's `requests` answers alike: an older one also returned the amount filed (in its
    event since), kept a funded request's leftover `scaled` (0 now) and a claimed request's fields (a claim
    clears them now: only `claimed` is alike)."""
    if request.claimed:
        return (True,)
    scaled = 0 if funded else request.scaled
    return request.owner, request.receiver, scaled, request.ready_at, request.paid, request.claimed


def normalise(value: Any, roles: dict[str, str]) -> Any:
    """Addresses of a world's own contracts by role, so both worlds compare."""
    if isinstance(value, str):
        return roles.get(value, value)
    if isinstance(value, tuple):
        return tuple(normalise(item, roles) for item in value)
    return value


class World:
    """One version's token, backend and LST, and the same actors' addresses."""

    def __init__(self, chain: RevmChain, root: Path, decimals: int, actors: dict[str, str]) -> None:
        self.chain, self.decimals = chain, decimals
        owner = actors["owner"]
        self.owner = owner
        self.x = deploy(chain, root, "mocks/MockToken.vy", "Test X", "X", decimals, sender=owner)
        self.validator = deploy(chain, root, "staking/SimulatedValidator.vy", self.x, 500, sender=owner)
        _, self.lst_abi = artifacts(root, "staking/LiquidStaking.vy")
        # Since b237280 the LST takes its parameters from a StakingGovernor it names in its constructor (the
        # owner announces there, anybody applies there); before, the owner announced on the LST itself.
        # `announce` / `apply` below hide the difference, so any two commits compare.
        constructor = next(entry for entry in self.lst_abi if entry["type"] == "constructor")
        governed = any(item["name"] == "governor_" for item in constructor["inputs"])
        self.governor = deploy(chain, root, "staking/StakingGovernor.vy", sender=owner) if governed else None
        self.lst = deploy(
            chain,
            root,
            "staking/LiquidStaking.vy",
            self.x,
            self.validator,
            actors["treasury"],
            "Staked X",
            "sX",
            decimals,
            *((self.governor,) if governed else ()),
            sender=owner,
        )
        if self.governor is not None:
            self.governor.bind(self.lst, sender=owner)
        _, self.validator_abi = artifacts(root, "staking/SimulatedValidator.vy")
        reserve = 10_000_000 * 10**decimals
        self.x.mint(owner, reserve, sender=owner)
        self.x.approve(self.validator, reserve, sender=owner)
        self.validator.fund_rewards(reserve, sender=owner)
        for user in actors["users"]:
            self.x.mint(user, 10**12 * 10**decimals, sender=owner)
            self.x.approve(self.lst, MAX_UINT, sender=user)

    def _parameters(self) -> Contract:
        """Where parameter changes are announced and applied: the governor, or the LST before it had one."""
        return self.governor or self.lst

    def announce(self, parameter: int, value: int, sender: str) -> Any:
        return governed_reason(self._parameters().announce_parameter, parameter, value, sender=sender)

    def apply(self, parameter: int, sender: str) -> Any:
        return governed_reason(self._parameters().apply_parameter, parameter, sender=sender)


def governed_reason(function: Any, *args: Any, **kwargs: Any) -> Any:
    """A governor's revert reason read as the LST's own ("governor: x" -> "lst: x"), the same check's."""
    try:
        return function(*args, **kwargs)
    except Reverted as error:
        if error.reason.startswith("governor: "):
            raise Reverted("lst: " + error.reason.removeprefix("governor: ")) from None
        raise


def views(abi: list[dict[str, Any]], skip: set[str]) -> list[tuple[str, str]]:
    """(name, argument kind) of the views worth calling: no argument, one uint256, one address."""
    found = []
    for entry in abi:
        if entry["type"] != "function" or entry["stateMutability"] not in ("view", "pure"):
            continue
        if entry["name"] in skip:
            continue
        kinds = [item["type"] for item in entry["inputs"]]
        if kinds in ([], ["uint256"], ["address"]):
            found.append((entry["name"], kinds[0] if kinds else ""))
    return sorted(set(found))


# LST views that left the contract for bytecode room, and their answers from the views it kept.
LENS_VIEWS = {
    "instant_fee": lst_lens.instant_fee,
    "target_buffer": lst_lens.target_buffer,
    "queue_liability": lst_lens.queue_liability,
}


# The LST's entry points among the operations (the focus run meets a pending slash with one of them first).
ENTRY_POINTS = [
    "deposit",
    "mint",
    "withdraw",
    "redeem",
    "request",
    "claim",
    "process",
    "rebalance",
    "sync",
    "report",
]
OPERATIONS = [
    *ENTRY_POINTS,
    "slash",
    "time",
    "apr",
    "delay",
    "param",
    "transfer_lst",
    "donate",
    "withdraw_other",
    "fund",
    "whale",
]
WEIGHTS = [12, 6, 10, 10, 10, 6, 3, 8, 6, 3, 5, 12, 2, 2, 2, 2, 1, 2, 1, 1]
# --focus: queues, unbonding, slashes the LST is not told of, streams and exits right after them.
FOCUS_WEIGHTS = [8, 4, 14, 14, 14, 4, 2, 8, 6, 1, 10, 10, 1, 1, 2, 1, 1, 1, 1, 0]


# Entry points tried, each from the same state, where a loss is pending (--branch).
BRANCHES = [
    "deposit",
    "mint",
    "withdraw",
    "withdraw",
    "redeem",
    "redeem",
    "request",
    "claim",
    "process",
    "rebalance",
    "sync",
    "report",
    "slash",
]


class Differential:
    def __init__(self, old: Path, new: Path, decimals: int, seed: int, verbose: bool, focus: bool) -> None:
        self.focus = focus
        self.branch = False
        self.script: list[str] = []
        self.trail: list[str] = []
        # Views of the old world that reverted while sizing an input (ERC-4626 max views must not).
        self.view_reverts: dict[str, str] = {}
        self.chain = RevmChain()
        self.rng = random.Random(seed)
        self.decimals, self.seed, self.verbose = decimals, seed, verbose
        self.unit = 10**decimals
        actors = {
            "owner": self.chain.generate_address("owner"),
            "treasury": self.chain.generate_address("treasury"),
            "users": [self.chain.generate_address(f"user{i}") for i in range(3)],
        }
        self.owner, self.treasury, self.users = actors["owner"], actors["treasury"], actors["users"]
        self.old = World(self.chain, old, decimals, actors)
        self.new = World(self.chain, new, decimals, actors)
        common = {entry.get("name") for entry in self.old.lst_abi} & {
            entry.get("name") for entry in self.new.lst_abi
        }
        # A version that packs its books in 128-bit halves bounds deposits (`maxDeposit` / `maxMint` answer
        # the room left under 2^128 - 1, where the other answers up to 2^256 - 1): those two views then differ
        # by design and are left out, and the whale deposits stay within both versions' room.
        self.bounded = self.old.lst.maxDeposit(self.users[0]) != self.new.lst.maxDeposit(self.users[0])
        skip = {"DOMAIN_SEPARATOR", "eip712Domain", *LENS_VIEWS}
        if self.bounded:
            skip |= {"maxDeposit", "maxMint"}
        self.lst_views = [v for v in views(self.new.lst_abi, skip) if v[0] in common]
        # Which of the lens's views each version still has (old, new).
        self.lens_names = tuple(
            {entry.get("name") for entry in world.lst_abi} & set(LENS_VIEWS) for world in (self.old, self.new)
        )
        backend_common = {entry.get("name") for entry in self.old.validator_abi}
        self.validator_views = [
            v
            for v in views(self.new.validator_abi, {"asset", "owner", "pending_owner"})
            if v[0] in backend_common
        ]
        self.log: list[str] = []
        self.differences: list[str] = []
        self.ops = 0
        self.outcomes: dict[str, list[int]] = {}
        self.coverage: dict[str, int] = {}
        self.last_ok = False

    # ------------------------------------------------------------ comparison

    def both(self, label: str, call: Any) -> tuple[Any, str | None]:
        """Run `call(world)` on both worlds; record a difference in result or revert reason."""
        a = attempt(call, self.old)
        b = attempt(call, self.new)
        outcome = self.outcomes.setdefault(label.split("(")[0], [0, 0])
        outcome[0 if b[1] is None else 1] += 1
        self.last_ok = b[1] is None
        if a != b:
            self.differences.append(f"{label}: old {a} new {b}")
        return a

    def amounts(self, world: World) -> list[int]:
        lst = world.lst
        spread = [
            0,
            1,
            2,
            999,
            self.unit // 100,
            self.unit,
            10 * self.unit,
            10**6 * self.unit,
            MAX_UINT // 2**130,
            2**200,
            MAX_UINT,
        ]
        spread += [lst.buffer(), lst.totalSupply(), lst.totalAssets() + 1]
        spread += [lst.balanceOf(user) for user in self.users]
        return spread

    def snapshot(self, world: World) -> dict[str, Any]:
        out: dict[str, Any] = {}
        amounts = self.amounts(self.old)  # the same inputs for both worlds
        ids = list(range(self.old.lst.next_request_id() + 1))
        addresses = [*self.users, self.treasury, world.lst.address]
        roles = {world.lst.address: "LST", world.validator.address: "VAL", world.x.address: "X"}
        if world.governor is not None:
            roles[world.governor.address] = "GOV"
        for i, user in enumerate(self.users):
            roles[user] = f"user{i}"
        roles[self.treasury] = "treasury"
        for name, kind in self.lst_views:
            fn = getattr(world.lst, name)
            if kind == "":
                out[name] = attempt(fn)
            elif kind == "address":
                for who in addresses:
                    out[f"{name}({roles[who]})"] = attempt(fn, who)
            elif name == "request_value":
                for i in ids:
                    # What a claimed request paid: its event now (0 here), its slot in older versions.
                    claimed = world.lst.requests(i).claimed
                    out[f"{name}({i})"] = ("claimed", None) if claimed else attempt(fn, i)
            elif name == "requests":
                head = world.lst.queue_head()
                for i in ids:
                    out[f"{name}({i})"] = (request_fields(fn(i), i < head), None)
            elif name == "pending_parameters":
                for i in range(6):
                    out[f"{name}({i})"] = attempt(fn, i)
            else:
                for amount in amounts:
                    out[f"{name}({amount})"] = attempt(fn, amount)
        # Views a version moved out of the LST (bytecode room) are answered by `levstake.lst_lens` from the
        # views it kept: compared with the other version's own view when only one has it.
        for name, lens in LENS_VIEWS.items():
            if name in self.lens_names[world is self.new]:
                read = getattr(world.lst, name)
            else:
                read = functools.partial(lens, world.lst)
            if name == "instant_fee":
                for amount in amounts:
                    out[f"{name}({amount})"] = attempt(read, amount)
            else:
                out[name] = attempt(read)
        for name, kind in self.validator_views:
            fn = getattr(world.validator, name)
            if kind == "":
                out[f"v.{name}"] = attempt(fn)
            elif kind == "address":
                out[f"v.{name}(lst)"] = attempt(fn, world.lst)
        tail = world.validator.unbonding_tail(world.lst)
        for i in range(world.validator.unbonding_head(world.lst), tail):
            out[f"v.unbondings({i})"] = attempt(world.validator.unbondings, world.lst, i)
        for who in [*self.users, self.treasury, world.lst.address, world.validator.address]:
            out[f"x.balanceOf({roles[who]})"] = world.x.balanceOf(who)
        if hasattr(world.validator, "balances"):
            # The new read must agree with the two it replaces.
            pair = tuple(world.validator.balances(world.lst))
            expected = (
                world.validator.total_balance(world.lst),
                world.validator.unbonding_balance(world.lst),
            )
            if pair != expected:
                self.differences.append(f"balances() {pair} != (total_balance, unbonding_balance) {expected}")
        return {key: normalise(value, roles) for key, value in out.items()}

    def compare(self, label: str) -> None:
        a, b = self.snapshot(self.old), self.snapshot(self.new)
        for key in a:
            if a[key] != b.get(key):
                self.differences.append(f"after {label}: {key}: old {a[key]} new {b.get(key)}")

    # ------------------------------------------------------------ operations

    def read(self, name: str, *args: Any) -> int:
        """A view of the old world used to size an input (0 if it reverts: the snapshot compares it)."""
        result, reason = attempt(getattr(self.old.lst, name), *args)
        if reason is not None and name not in self.view_reverts:
            self.view_reverts[name] = reason
            lst = self.old.lst
            state = {
                key: getattr(lst, key)()
                for key in (
                    "totalAssets",
                    "totalSupply",
                    "buffer",
                    "backend_accounted",
                    "queue_cover",
                    "queue_reserve",
                    "stream_amount",
                )
            }
            print(f"{name}{args} reverted ({reason}) at {state} after: " + " | ".join(self.trail), flush=True)
        return 0 if reason is not None else result

    def pick_amount(self, reference: int, within: bool = False) -> int:
        """An input around `reference` (a max view, a balance): dust, exactly it, a unit or three off,
        a fraction of it, or an unrelated amount. `within` (--focus exits): mostly at or below it."""
        r = self.rng.random()
        if within and self.focus and reference > 0 and r < 0.7:
            return reference if r < 0.25 else max(reference * self.rng.randint(1, 999) // 1000, 1)
        if r < 0.15:
            return self.rng.randint(1, 1000)
        if r < 0.3:
            return reference
        if r < 0.4:
            return reference + self.rng.randint(1, 3)
        if r < 0.45:
            return max(reference - self.rng.randint(1, 3), 1)
        if r < 0.55:
            return self.rng.randint(1, 10**6) * self.unit // 1000
        return max(reference * self.rng.randint(1, 1000) // 1000, 1)

    def step(self) -> str:
        rng, old = self.rng, self.old.lst
        self.last_ok = False
        user = rng.choice(self.users)
        other = rng.choice(self.users)
        op = rng.choices(
            OPERATIONS,
            weights=FOCUS_WEIGHTS if self.focus else WEIGHTS,
        )[0]
        if self.script:
            op = self.script.pop(0)
        if self.focus and op in ("withdraw", "redeem", "request") and rng.random() < 0.7:
            user = max(self.users, key=lambda who: self.read("balanceOf", who))
        if op == "deposit":
            amount = self.pick_amount(
                rng.choice([10 * self.unit, 1000 * self.unit, self.read("totalAssets")])
            )
            self.both(f"deposit({amount})", lambda w: w.lst.deposit(amount, other, sender=user))
            return f"deposit {amount} by {user[:6]}"
        if op == "mint":
            shares = self.pick_amount(rng.choice([10 * self.unit, self.read("totalSupply")]))
            self.both(f"mint({shares})", lambda w: w.lst.mint(shares, other, sender=user))
            return f"mint {shares}"
        if op == "withdraw":
            assets = self.pick_amount(self.read("maxWithdraw", user), True)
            self.both(f"withdraw({assets})", lambda w: w.lst.withdraw(assets, other, user, sender=user))
            return f"withdraw {assets}"
        if op == "redeem":
            shares = self.pick_amount(
                rng.choice([self.read("maxRedeem", user), self.read("balanceOf", user)]), True
            )
            self.both(f"redeem({shares})", lambda w: w.lst.redeem(shares, other, user, sender=user))
            return f"redeem {shares}"
        if op == "withdraw_other":
            assets = self.pick_amount(self.read("maxWithdraw", user))
            self.both(f"withdraw_other({assets})", lambda w: w.lst.withdraw(assets, user, other, sender=user))
            return f"withdraw of another's {assets}"
        if op == "request":
            shares = self.pick_amount(self.read("balanceOf", user), True)
            self.both(
                f"request_unstake({shares})",
                lambda w: w.lst.request_unstake(shares, other, user, sender=user),
            )
            return f"request_unstake {shares}"
        if op == "claim":
            count = old.next_request_id()
            if count == 0:
                return "claim (none)"
            request_id = rng.randrange(count)
            owner = old.requests(request_id).owner
            self.both(f"claim({request_id})", lambda w: w.lst.claim(request_id, sender=owner))
            return f"claim {request_id}"
        if op == "process":
            self.both("process_queue", lambda w: w.lst.process_queue(sender=user))
            return "process_queue"
        if op == "rebalance":
            self.both("rebalance", lambda w: w.lst.rebalance(sender=user))
            return "rebalance"
        if op == "sync":
            self.both("sync_rewards", lambda w: w.lst.sync_rewards(sender=user))
            return "sync_rewards"
        if op == "report":
            self.both("report", lambda w: w.validator.report(w.lst, sender=user))
            return "report"
        if op in ("slash", "slash_quiet"):
            bps = rng.choice([1, 3, 100, 1000, 5000, 9999, 10_000, rng.randint(1, 10_000)])
            push = rng.random() < (0.2 if self.focus else 0.5) and op != "slash_quiet"
            self.both(
                f"slash({bps},{push})", lambda w: w.validator.slash(w.lst, bps, push, sender=self.owner)
            )
            return f"slash {bps} push={push}"
        if op == "time":
            seconds = rng.choice(
                [1, 12, 3600, DAY, 3 * DAY, 7 * DAY, PARAMETER_DELAY, rng.randint(1, 20 * DAY)]
            )
            if self.focus and rng.random() < 0.6:
                # Mostly within the unbonding delay and the stream: slashes then meet unbonding and streams.
                seconds = rng.choice([12, 600, 3600, 6 * 3600, DAY // 2])
            self.chain.time_travel(seconds)
            return f"time +{seconds}"
        if op == "apr":
            apr = rng.choice([0, 500, 2000, 5000, 10_000])
            self.both(f"set_apr({apr})", lambda w: w.validator.set_apr(apr, sender=self.owner))
            return f"apr {apr}"
        if op == "delay":
            delay = rng.choice([0, 1, DAY, 7 * DAY, 60 * DAY])
            self.both(
                f"set_delay({delay})", lambda w: w.validator.set_unbonding_delay(delay, sender=self.owner)
            )
            return f"delay {delay}"
        if op == "param":
            parameter = rng.randrange(6)
            value = rng.choice(
                [[3600, DAY, 30 * DAY], [1000, 5000], [0, 2000], [0, 10, 50], [10, 50, 100], [500, 5000]][
                    parameter
                ]
            )
            self.both(
                f"announce({parameter},{value})",
                lambda w: w.announce(parameter, value, sender=self.owner),
            )
            self.chain.time_travel(PARAMETER_DELAY)
            self.both(f"apply({parameter})", lambda w: w.apply(parameter, sender=user))
            return f"param {parameter}={value}"
        if op == "transfer_lst":
            shares = self.pick_amount(self.read("balanceOf", user))
            self.both(f"transfer({shares})", lambda w: w.lst.transfer(other, shares, sender=user))
            return f"transfer {shares}"
        if op == "whale":
            # Sums near 2^256 (maxDeposit / maxMint and the views at their edge).
            x_room = MAX_UINT - self.old.x.totalSupply()
            top = min(self.read("maxDeposit", user), x_room // 4)
            if self.bounded:
                # A quarter of the room left at most: later deposits still fit in both versions.
                top = min(top, min(self.old.lst.maxDeposit(user), self.new.lst.maxDeposit(user)) // 4)
            amount = max(top >> rng.choice([0, 1, 8, 64]), 1)
            self.both(f"whale_mint_x({amount})", lambda w: w.x.mint(user, amount, sender=self.owner))
            self.both(f"whale_deposit({amount})", lambda w: w.lst.deposit(amount, user, sender=user))
            return f"whale deposit {amount}"
        if op == "donate":
            amount = self.pick_amount(self.unit)
            self.both(f"donate({amount})", lambda w: w.x.transfer(w.lst, amount, sender=user))
            return f"donate {amount}"
        amount = self.pick_amount(100 * self.unit)
        self.both(
            f"fund({amount})",
            lambda w: (
                w.x.approve(w.validator, amount, sender=user),
                w.validator.fund_rewards(amount, sender=user),
            ),
        )
        return f"fund {amount}"

    def state(self) -> tuple[bool, bool, bool, bool, int, int]:
        """What makes an operation interesting here: a queue slash not applied yet (the backend's unbonding
        below what the LST expects), a loss not applied yet, a stream running, a queue waiting."""
        lst, validator = self.old.lst, self.old.validator
        return (
            validator.unbonding_balance(lst) < lst.unbonding_expected(),
            validator.total_balance(lst) < lst.backend_accounted(),
            self.chain.timestamp < lst.stream_end(),
            lst.queue_scaled() > 0,
            lst.stream_amount(),
            lst.stream_end(),
        )

    def cover(self, label: str, before: tuple[bool, bool, bool, bool, int, int]) -> None:
        """Counts operations that succeeded per state (printed at the end: what a run exercised)."""
        kind = label.split(" ")[0]
        if not self.last_ok or kind not in (
            "deposit",
            "mint",
            "withdraw",
            "redeem",
            "request_unstake",
            "claim",
            "process_queue",
            "rebalance",
            "sync_rewards",
            "report",
            "slash",
        ):
            return
        changed = (self.old.lst.stream_amount(), self.old.lst.stream_end()) != before[4:]
        ate_stream = before[2] and changed and self.old.lst.stream_end() == before[5]
        tags = [
            name
            for name, on in zip(  # noqa: B905 (the same length)
                ("queue_slash_pending", "loss_pending", "stream", "queue", "loss_ate_stream"),
                (*before[:4], ate_stream),
            )
            if on
        ]
        for tag in tags:
            self.coverage[f"{kind}+{tag}"] = self.coverage.get(f"{kind}+{tag}", 0) + 1

    def prefix(self) -> list[str]:
        """--focus starts each sequence with stakes, a running stream, queued requests (unbonding the queue
        counts on), a buffer drained below its target (free unbonding), maybe some unbonding landed, then a
        slash the backend does not report, met first by a random entry point."""
        rng = self.rng
        middle = ["request", "request", "rebalance", "withdraw", "redeem", "rebalance", "request"]
        rng.shuffle(middle)
        landed = ["time", "process", "request", "rebalance"] if rng.random() < 0.4 else []
        first = rng.choice(ENTRY_POINTS)
        return [
            "deposit",
            "deposit",
            "rebalance",
            "time",
            "sync",
            "time",
            *middle,
            *landed,
            "slash_quiet",
            first,
        ]

    def branch_all(self, state: tuple[bool, bool, bool, bool, int, int]) -> None:
        """--branch: a loss not applied yet; every entry point meets it first, each from this same state
        (then undone), so each applies the pending loss itself."""
        saved = self.script
        for op in BRANCHES:
            with self.chain.anchor():
                self.script = [op]
                label = self.step()
                self.cover(label, state)
                self.ops += 1
                self.compare(f"branch {label}")
                if self.differences:
                    self.trail.append(f"[branch {label}]")
                    break
        self.script = saved

    def run(self, sequences: int, steps: int) -> bool:
        clean = True
        for sequence in range(sequences):
            with self.chain.anchor():
                # Start from a staked LST most of the time, empty sometimes.
                if self.rng.random() < 0.8:
                    amount = self.rng.choice([1, 1000, self.unit, 1000 * self.unit, 10**6 * self.unit])
                    self.both("seed deposit", lambda w, a=amount: w.lst.deposit(a, sender=self.users[0]))
                    self.both("seed rebalance", lambda w: w.lst.rebalance(sender=self.users[0]))
                trail = self.trail = []
                if self.focus:
                    self.script = self.prefix()
                for index in range(steps):
                    state = self.state()
                    if self.branch and (state[0] or state[1]):
                        self.branch_all(state)
                    label = self.step()
                    self.cover(label, state)
                    self.ops += 1
                    trail.append(label)
                    self.compare(label)
                    if self.differences:
                        print(
                            f"DIFFERENCE decimals={self.decimals} seed={self.seed} sequence={sequence} "
                            f"step={index}"
                        )
                        print("  trail: " + " | ".join(trail[-25:]))
                        for line in self.differences[:20]:
                            print("  " + line)
                        self.differences.clear()
                        clean = False
                        break
            if self.verbose:
                print(f"sequence {sequence} done ({self.ops} ops)", flush=True)
        return clean


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sequences", type=int, default=50)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--decimals", type=int, nargs="+", default=[6, 18])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--old", default="bb19bd9")
    parser.add_argument("--new", default="4c53526")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--branch", action="store_true", help="try every entry point where a loss is pending")
    parser.add_argument(
        "--focus", action="store_true", help="weights on queues, unreported slashes and exits"
    )
    args = parser.parse_args()
    old, new = tree(args.old), tree(args.new)
    started = time.time()
    clean = True
    for decimals in args.decimals:
        run = Differential(old, new, decimals, args.seed * 100 + decimals, args.verbose, args.focus)
        run.branch = args.branch
        clean &= run.run(args.sequences, args.steps)
        print(
            f"decimals {decimals}: {args.sequences} sequences, {run.ops} operations, "
            f"{time.time() - started:.0f}s"
        )
        print(
            "  operations that succeeded, per state before them: "
            + ", ".join(f"{k} {v}" for k, v in sorted(run.coverage.items()))
        )
        if run.view_reverts:
            print(
                f"  views that reverted (both versions alike unless a DIFFERENCE says so): {run.view_reverts}"
            )
        print(
            "  (succeeded, reverted) per call: "
            + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(run.outcomes.items()))
        )
    sys.exit(0 if clean else 1)


if __name__ == "__main__":
    main()
