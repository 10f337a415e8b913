"""
Defence removal: every attack test must fail when the defence it is about is taken out of the contracts.

Copies the project (files tracked by git) to a temporary folder, checks that the attack files pass there, then
applies one mutation at a time to a `.vy` source, runs the attack files that should catch it and restores the
source. Prints one line per mutation and exits 1 if any mutation survives. Run with `make defences`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LST = "contracts/staking/LiquidStaking.vy"
MARKET = "contracts/lending/LendingMarket.vy"
ROUTER = "contracts/leverage/LeverageRouter.vy"
ATTACKS = "tests/attacks/"


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    # Further (old, new) edits the mutation needs to compile.
    also: tuple[tuple[str, str], ...] = ()

    def apply(self, source: str) -> str:
        for old, new in ((self.old, self.new), *self.also):
            assert old in source, f"{self.name}: the code to mutate is gone from {self.path}"
            source = source.replace(old, new)
        return source


MUTATIONS = (
    Mutation(
        "LST counts its X balance (donations) as assets",
        LST,
        "    gross: uint256 = self.buffer + accounted\n",
        "    gross: uint256 = staticcall _X.balanceOf(self) + accounted\n",
        ("test_donation_to_lst_does_not_move_rate.py", "test_first_depositor_inflation_fails_on_lst.py"),
    ),
    Mutation(
        "market counts its X balance (donations) as lender assets",
        MARKET,
        "    supply_assets: uint256 = self.total_supply_assets\n    borrow_assets: uint256 = self",
        "    supply_assets: uint256 = staticcall _X.balanceOf(self) + self.total_borrow_assets\n"
        "    borrow_assets: uint256 = self",
        (
            "test_donation_to_market_does_not_move_share_price.py",
            "test_first_depositor_inflation_fails_on_market.py",
        ),
    ),
    Mutation(
        "LST reentrancy lock off",
        LST,
        '    assert not self._lock, "lst: reentrant call"\n    self._lock = True\n',
        "    self._lock = True\n",
        ("test_reentrancy_through_malicious_x_fails.py",),
    ),
    Mutation(
        "router reentrancy lock off",
        ROUTER,
        "# pragma nonreentrancy on\n",
        "\n",
        ("test_reentrancy_through_malicious_x_fails.py",),
        also=(("@reentrant\n", ""),),  # the decorator is only valid under the pragma
    ),
    Mutation(
        "market's in-flash-loan lock off",
        MARKET,
        '    assert not self._in_flash_loan, "market: flash loan in progress"\n',
        "    pass\n",
        ("test_reentrancy_through_flash_borrower_fails.py",),
    ),
    Mutation(
        "authorization nonce not consumed",
        MARKET,
        "    self.authorization_nonce[authorizer] = nonce + 1\n",
        "",
        ("test_replayed_or_foreign_signature_fails.py",),
    ),
    Mutation(
        "EIP-712 domain with another chain id",
        MARKET,
        'keccak256("1"), chain.id, self)',
        'keccak256("1"), chain.id + 1, self)',
        ("test_replayed_or_foreign_signature_fails.py",),
    ),
    Mutation(
        "EIP-712 domain naming another contract",
        MARKET,
        'keccak256("1"), chain.id, self)',
        'keccak256("1"), chain.id, collateral_token)',
        ("test_replayed_or_foreign_signature_fails.py",),
    ),
    Mutation(
        "signer not checked against the authorizer",
        MARKET,
        '    assert signer != empty(address) and signer == authorizer, "market: invalid signature"\n',
        '    assert signer != empty(address), "market: invalid signature"\n',
        ("test_replayed_or_foreign_signature_fails.py",),
    ),
    Mutation(
        "bad debt written off while collateral remains",
        MARKET,
        "    if position.collateral == 0 and position.borrow_shares != 0:\n",
        "    if position.borrow_shares != 0:\n",
        ("test_slashing_liquidation_keeps_lenders_whole.py",),
    ),
    Mutation(
        "write-off takes more than the shortfall from lenders",
        MARKET,
        "        self.total_supply_assets -= bad_assets\n",
        "        self.total_supply_assets -= bad_assets + bad_assets // 100\n",
        ("test_slashing_liquidation_keeps_lenders_whole.py",),
    ),
    Mutation(
        "liquidation without the health check",
        MARKET,
        '    assert not self._within(borrower, price, lltv), "market: position is healthy"\n',
        "",
        (
            "test_slashing_liquidation_keeps_lenders_whole.py",
            "test_flash_loan_cannot_liquidate_healthy_position.py",
        ),
    ),
    Mutation(
        "rewards counted at once instead of streamed",
        LST,
        "    end: uint256 = block.timestamp + self.reward_cycle\n",
        "    end: uint256 = block.timestamp\n",
        ("test_reward_sync_sandwich_does_not_pay.py",),
    ),
    Mutation(
        "LST withdraw rounds the shares burnt down",
        LST,
        "    return self._to_shares(assets + self._fee_on_raw(assets), total_assets, True)\n",
        "    return self._to_shares(assets + self._fee_on_raw(assets), total_assets, False)\n",
        ("test_rounding_dust_cannot_be_extracted.py",),
    ),
)


def copy_project(target: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    for name in filter(None, files):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    for installed in (".venv", "node_modules"):
        (target / installed).symlink_to(ROOT / installed)


def run_tests(project: Path, tests: tuple[str, ...]) -> tuple[bool, list[str]]:
    """Runs the files on a clean build (Ape reused stale artifacts after an edit): (passed, failures)."""
    shutil.rmtree(project / ".build", ignore_errors=True)
    run = subprocess.run(
        ["ape", "test", *(ATTACKS + test for test in tests), "-p", "no:cacheprovider", "-q"],
        cwd=project,
        capture_output=True,
        text=True,
    )
    failures = [line for line in run.stdout.splitlines() if line.startswith(("FAILED", "ERROR tests"))]
    return run.returncode == 0, failures


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="levstake-defences-") as folder:
        project = Path(folder)
        copy_project(project)
        every_file = tuple(sorted({test for mutation in MUTATIONS for test in mutation.tests}))
        passed, failures = run_tests(project, every_file)
        if not passed:
            print("the attack tests fail without any mutation:", *failures, sep="\n  ")
            return 1
        survivors = []
        for mutation in MUTATIONS:
            source_file = project / mutation.path
            source = source_file.read_text()
            source_file.write_text(mutation.apply(source))
            started = time.monotonic()
            try:
                passed, failures = run_tests(project, mutation.tests)
            finally:
                source_file.write_text(source)
            # Caught means a test failed, not that the mutant stopped compiling.
            caught = not passed and any(line.startswith("FAILED") for line in failures)
            print(
                f"{'caught  ' if caught else 'SURVIVED'} {mutation.name} "
                f"({len(failures)} failing, {time.monotonic() - started:.0f} s)",
                flush=True,
            )
            for line in failures[:4]:
                print(f"    {line.split(' - ')[0]}")
            if not caught:
                survivors.append(mutation.name)
        print(f"{len(MUTATIONS) - len(survivors)} of {len(MUTATIONS)} mutations caught")
        return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
