"""
`make web`: the page on 127.0.0.1:8000 over the devnet on 127.0.0.1:8545, starting `make devnet` in the
background when nothing answers there (it keeps running after the page stops; `make devnet-stop` stops it).

    python -m levstake.web [--host 127.0.0.1] [--port 8000] [--rpc URL] [--deployment FILE]
                           [--devnet-port 8545] [--devnet-state .devnet/anvil-state.json] [--no-devnet]
                           [--native-symbol ETH]
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

from levstake import devnet
from levstake.deployment import DeploymentError, default_path


def start_devnet(port: int, state: Path, speed: float, block_time: float) -> Path:
    """`python -m levstake.devnet up` in the background, its output in a log beside its state file."""
    log = state.with_name("devnet.log")
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable, "-m", "levstake.devnet", "up", "--port", str(port), "--state", str(state),
        "--speed", str(speed), "--block-time", str(block_time),
    ]  # fmt: skip
    with log.open("a") as out:
        subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return log


def wait_for_deployment(url: str, path: Path, log: Path | None, timeout: float = 300) -> None:
    """Until the devnet answers and the deployment file matches its chain (a new devnet deploys first)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if devnet.answering(url) and devnet.matching_deployment(url, path) is not None:
            return
        if log is not None and "Error:" in log.read_text(errors="replace"):
            raise DeploymentError(f"the devnet did not start: see {log}")
        time.sleep(0.5)
    raise DeploymentError(f"no deployment at {url} after {timeout:.0f} s" + (f": see {log}" if log else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m levstake.web", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--rpc", default=None, help="the node (default: the devnet on --devnet-port)")
    parser.add_argument("--public-rpc", default=None, help="the node as wallets reach it (default: --rpc)")
    parser.add_argument("--deployment", type=Path, default=None, help="deployment file")
    parser.add_argument("--devnet-port", type=int, default=devnet.DEFAULT_PORT)
    parser.add_argument("--devnet-state", type=Path, default=devnet.DEFAULT_STATE)
    parser.add_argument("--speed", type=float, default=0.0, help="a devnet started here: days per hour")
    parser.add_argument(
        "--block-time", type=float, default=12.0, help="a devnet started here: seconds a block"
    )
    parser.add_argument("--no-devnet", action="store_true", help="never start a devnet")
    parser.add_argument(
        "--native-symbol", default=None, help="the chain's native coin, e.g. ETH (default: by chain id)"
    )
    parser.add_argument("--poll", action="store_true", help="poll for blocks instead of eth_subscribe")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)-7s %(name)s: %(message)s")
    url = arguments.rpc or f"http://{devnet.HOST}:{arguments.devnet_port}"
    path = arguments.deployment or default_path("ethereum", "local")
    log = None
    if arguments.rpc is None and not arguments.no_devnet and devnet.answering(url) is None:
        log = start_devnet(
            arguments.devnet_port, arguments.devnet_state, arguments.speed, arguments.block_time
        )
        print(
            f"devnet   nothing answered at {url}: started `make devnet` in the background (log {log}; "
            "`make devnet-stop` stops it)",
            flush=True,
        )
    try:
        if arguments.rpc is None:
            wait_for_deployment(url, path, log)
        from levstake.web.app import Config, create_app

        config = Config(
            url, path, arguments.public_rpc or url, subscribe=not arguments.poll,
            native_symbol=arguments.native_symbol,
        )  # fmt: skip
        app = create_app(config)
    except DeploymentError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 1
    import uvicorn

    print(f"web      http://{arguments.host}:{arguments.port} over {url} (deployment {path})", flush=True)
    if arguments.rpc is None:
        # The CLI beside the page needs the same devnet (it was only in the devnet's own log).
        print(f"devnet   {devnet.attach_hint(url)}", flush=True)
    uvicorn.run(
        app, host=arguments.host, port=arguments.port, log_level=os.environ.get("LEVSTAKE_WEB_LOG", "warning")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
