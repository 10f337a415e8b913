# All set-up is done by these targets: a fresh machine needs only Python 3.11, Node/npm and
# access to PyPI and npm. Every target is quick when run again (stamp files).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
ANVIL := node_modules/.bin/anvil
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
# Keep Ape's data (compiler caches, accounts) inside the project unless told otherwise. Made here: Ape makes
# the folder but not its parents, so in a fresh clone (no .cache yet) the README's `ape accounts import`, run
# with the same folder after `make devnet`, failed with FileNotFoundError.
export APE_DATA_FOLDER ?= $(CURDIR)/.cache/ape
$(shell mkdir -p "$(APE_DATA_FOLDER)")
DEVNET := ethereum:local:foundry
# `make devnet`: one anvil on 127.0.0.1:8545 (ape-config.yaml points ethereum:local:foundry there) whose state
# lives in .devnet/; SPEED=N runs N days of chain time per real hour, BLOCK_TIME=S mines a block every S s.
DEVNET_PORT ?= 8545
DEVNET_STATE ?= .devnet/anvil-state.json
SPEED ?= 0
BLOCK_TIME ?= 12
# The demo and the benchmark start their own anvil (Ape's "auto" host: a free port) and keep their deployment
# file apart, so a running devnet is never touched.
OWN_CHAIN := APE_FOUNDRY_HOST=auto LEVSTAKE_DEPLOYMENTS=$(CURDIR)/.cache/deployments

# `make web`: the page on 127.0.0.1:$(WEB_PORT) over the devnet (started in the background when not running).
WEB_PORT ?= 8000
# The browser tests drive Debian's chromium (Playwright's own browser download is never used).
CHROMIUM := /usr/bin/chromium

.PHONY: setup test demo bench fuzz defences lint clean devnet devnet-stop web keeper

setup: $(STAMP) $(ANVIL)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	$(VENV)/bin/pip install -q --no-deps -e .
	touch $@

$(ANVIL): package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

# Two `ape test` processes at once, one per core (each chain is single-threaded), about equal in time: the
# staking unit tests, the attack files and the CLI in one, the lending, router, fuzz and end-to-end wallet
# tests in the other (its log is printed after). Compiled once, first: Ape's build and the revm tests'
# artifact cache (.cache/revm-artifacts) at the same time.
TESTS_A := tests/unit/staking tests/attacks tests/unit/cli tests/web tests/unit/bench
TESTS_B := tests/unit/devnet tests/unit/model tests/unit/keeper tests/unit/lending tests/unit/leverage tests/fuzz \
	tests/previews tests/e2e
$(CHROMIUM):
	@echo "chromium is missing: installing Debian's package for the browser tests (apt-get, as root)"
	if [ "$$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi

test: setup $(CHROMIUM)
	ruff check levstake scripts tests examples
	python tests/fuzz/revm_chain.py & artifacts=$$!; ape compile; compiled=$$?; \
	wait $$artifacts && test $$compiled -eq 0
	@log=$$(mktemp); \
	ape test $(TESTS_A) -p no:cacheprovider --durations=8 > $$log 2>&1 & first=$$!; \
	ape test $(TESTS_B) -p no:cacheprovider --durations=8; second=$$?; \
	wait $$first; first=$$?; \
	echo "---- $(TESTS_A)"; cat $$log; rm -f $$log; \
	test $$first -eq 0 && test $$second -eq 0

demo: setup
	$(OWN_CHAIN) ape run demo --network $(DEVNET)

# Gas on a pinned clock (levstake/gasbench.py), twice, each on a fresh anvil: bench/gas.md is written only when
# the two runs agree on every row and on the traced open's breakdown. Then read, preview and web latency.
BENCH_RUNS := .cache/bench
bench: setup $(CHROMIUM)
	rm -f $(BENCH_RUNS)/run1.json $(BENCH_RUNS)/run2.json
	$(OWN_CHAIN) LEVSTAKE_BENCH_OUT=$(BENCH_RUNS)/run1.json ape run bench --network $(DEVNET) > /dev/null
	$(OWN_CHAIN) LEVSTAKE_BENCH_OUT=$(BENCH_RUNS)/run2.json ape run bench --network $(DEVNET) > /dev/null
	python -m levstake.gasreport $(BENCH_RUNS)/run1.json $(BENCH_RUNS)/run2.json --write bench/gas.md
	$(OWN_CHAIN) ape run bench_reads --network $(DEVNET)
	python tests/web/bench_web.py
	$(OWN_CHAIN) ape run bench_keeper --network $(DEVNET)

web: setup
	python -m levstake.web --port $(WEB_PORT) --devnet-port $(DEVNET_PORT) --devnet-state $(DEVNET_STATE) \
		--speed $(SPEED) --block-time $(BLOCK_TIME)

devnet: setup
	python -m levstake.devnet up --port $(DEVNET_PORT) --state $(DEVNET_STATE) --speed $(SPEED) \
		--block-time $(BLOCK_TIME)

devnet-stop:
	python -m levstake.devnet stop --state $(DEVNET_STATE)

# `make keeper`: the keeper bot (levstake/keeper/bot.py, a Silverback bot) on `make devnet`, signing as
# KEEPER_SIGNER (not TEST::9, which the devnet's own upkeep sends from); DRY_RUN=1 reads and decides but sends
# nothing. Elsewhere: `silverback run levstake.keeper.bot:bot --network N --account ALIAS --runner ...`.
KEEPER_SIGNER ?= TEST::7
DRY_RUN ?=
# The devnet on DEVNET_PORT unless APE_FOUNDRY_HOST says otherwise. A mistake in the signer, the network or
# the deployment is one line first (`levstake.keeper.preflight`): Silverback's start-up printed a traceback.
keeper: setup
	@export APE_FOUNDRY_HOST=$${APE_FOUNDRY_HOST:-http://127.0.0.1:$(DEVNET_PORT)}; \
	python -m levstake.keeper.preflight $(DEVNET) $(KEEPER_SIGNER) && \
	SILVERBACK_SIGNER_ALIAS=$(KEEPER_SIGNER) LEVSTAKE_KEEPER_DRY_RUN=$(DRY_RUN) silverback run \
		levstake.keeper.bot:bot --network $(DEVNET) --runner levstake.keeper.runner:KeeperRunner

# Long random runs of the stateful tests (market, then the whole system): each prints steps run, invariant
# checks and violations. FUZZ_STEPS is per decimals (X with 18 and 6, one process each, in parallel); the
# system machine runs on revm at ~600 steps/s per process here, so the default 1M per decimals takes about
# half an hour.
FUZZ_EXAMPLES ?= 2500
FUZZ_STEPS ?= 1000000
fuzz: setup
	LEVSTAKE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) ape test tests/fuzz/test_market_stateful.py -p no:cacheprovider -s
	python tests/fuzz/system_machine.py --random --steps $(FUZZ_STEPS)

# Removes each defence from a copy of the contracts and checks that its attack test fails (about 30 min
# here; `python tests/attacks/check_defences.py --from N` resumes at mutation N, `--file F` runs F's only).
defences: setup
	python tests/attacks/check_defences.py

lint: setup
	ruff check levstake scripts tests examples

clean:
	rm -rf $(VENV) node_modules .build .cache
