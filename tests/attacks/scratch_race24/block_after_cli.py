"""Scratch (race24): run the browser tests with a block mined right after the first `cli_status` read, as the
devnet's keeper may mine one (a rebalance after an open). Use:
    PYTHONPATH=$PWD:tests/attacks/scratch_race24 LEVSTAKE_BLOCK_AFTER_CLI=1 \
        pytest -q tests/web/test_browser.py -p no:cacheprovider -p block_after_cli -k open_50x
"""

import os

import pytest


@pytest.fixture(autouse=True)
def _block_after_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    if not os.environ.get("LEVSTAKE_BLOCK_AFTER_CLI"):
        return
    import test_browser

    original = test_browser.cli_status

    mined = []

    def cli_then_a_block(devnet, account):
        status = original(devnet, account)
        if not mined:
            mined.append(devnet.mine())
        return status

    monkeypatch.setattr(test_browser, "cli_status", cli_then_a_block)
