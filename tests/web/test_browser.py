"""
The web page in a real browser (Debian's chromium driven by Playwright) over a real anvil with the protocol
deployed (`python -m levstake.devnet up` on a port of its own), the page's own wallet code talking EIP-1193 to
an injected test wallet that anvil signs for. One devnet, one server and one browser for the module.

Screenshots of each state go to `.cache/web-shots/` (LEVSTAKE_WEB_SHOTS moves them).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_utils import to_checksum_address
from harness import DEV_KEYS, ROOT, Devnet, Wallet, WebServer, launch_browser
from test_chart_labels import crossed_by

from levstake import fmt
from levstake.deployment import Deployment

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="chromium not installed")

SHOTS = Path(os.environ.get("LEVSTAKE_WEB_SHOTS", ROOT / ".cache" / "web-shots"))
# anvil's dev accounts 3, 4 and 5 (keys of the devnet's public mnemonic).
BORROWER, LENDER, NEWCOMER = (Account.from_key(DEV_KEYS[index]).address for index in (3, 4, 5))
TIMEOUT = 20_000
# Assertions wait as long as actions do: expect's own default (5 s) is short for a preview or a block's push
# on a loaded 2-core CI machine, where the server simulates while the devnet's keeper and the browser run too.
playwright_api.expect.set_options(timeout=TIMEOUT)


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    chain = Devnet(tmp_path_factory.mktemp("web-devnet"))
    chain.start()
    chain.start_rewards(Deployment.load(chain.deployment_path))
    yield chain
    chain.stop()


@pytest.fixture(scope="module")
def server(devnet: Devnet) -> Iterator[WebServer]:
    web = WebServer(devnet)
    web.start()
    yield web
    web.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as playwright:
        chromium = launch_browser(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def open_context(browser: Any, server: WebServer, devnet: Devnet):
    contexts = []

    def open_(wallet: Wallet | None) -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(TIMEOUT)
        if wallet is not None:
            wallet.install(context)
        contexts.append(context)
        return context

    yield open_
    for context in contexts:
        context.close()


_BASE: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _base(server: WebServer, devnet: Devnet) -> Iterator[None]:
    _BASE["url"] = server.url
    devnet.assert_running()  # a devnet that died earlier fails here with its last lines, not as a timeout
    yield
    devnet.assert_running()


def _url(_: Any, path: str) -> str:
    return _BASE["url"] + path


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def connect(page: Any, url: str, wallet_name: str = "Test Wallet") -> None:
    page.goto(url)
    page.get_by_role("button", name=f"Connect {wallet_name}").click()
    page.wait_for_selector("#wallet[data-state='connected'], #wallet[data-state='wrong-chain']")


def press_across(page: Any, target: Any, between: Callable[[], None]) -> None:
    """A click whose press and release have `between` in the middle (a user's click takes ~100 ms)."""
    target.scroll_into_view_if_needed()  # a box below the fold is pressed outside the page
    box = target.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    between()
    page.mouse.up()


def set_leverage(page: Any, form: str, leverage: str) -> None:
    page.locator(f"#{form} [data-leverage-slider]").fill(leverage)
    page.locator(f"#{form} [data-leverage-input]").fill(leverage)


def wait_preview(page: Any, form: str, text: str) -> Any:
    preview = page.locator(f"[data-preview-for='{form}']")
    playwright_api.expect(preview).to_contain_text(text)
    return preview


def accept_if_asked(page: Any, form: str) -> None:
    accept = page.locator(f"#{form} [data-accept]")
    if accept.is_visible():
        accept.locator("input").check()


def submit(page: Any, form: str) -> str:
    return send(page, form.removesuffix("-form"), page.locator(f"#{form} [data-submit]"))


def send(page: Any, action: str, button: Any) -> str:
    """Clicks `button`, which sends the page's `action` transaction, and returns its confirmed status."""
    playwright_api.expect(button).to_be_enabled()
    # The click is known to have started this transaction (the page asks the server first): a swallowed one
    # fails here, and the status waited for next is this one's, not a "confirmed" left by the one before.
    path = f"/api/tx/{action}"
    with page.expect_request(lambda request: request.method == "POST" and path in request.url):
        button.click()
    status = page.locator("#tx-status")
    playwright_api.expect(status).to_have_attribute("data-state", re.compile("confirmed|reverted|refused"))
    text = status.inner_text()
    assert status.get_attribute("data-state") == "confirmed", text
    return text


def cli_status(devnet: Devnet, account: str) -> dict[str, Any]:
    """`ape run leverage status --account A --json`: the CLI's figures over the same devnet."""
    env = {**devnet.env, "APE_FOUNDRY_HOST": devnet.url}
    command = ["ape", "run", "leverage", "status", "--account", account, "--json"]
    command += ["--network", "ethereum:local:foundry"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout[done.stdout.index("{") :])


def devnet_reader(devnet: Devnet) -> Any:
    """The project's reader (what the CLI and the page read through) over the test's devnet."""
    from web3 import HTTPProvider, Web3

    from levstake.reads import Reader

    return Reader.from_web3(Web3(HTTPProvider(devnet.url)), Deployment.load(devnet.deployment_path))


def test_no_wallet_leaves_the_page_read_only_and_nothing_to_sign(open_context) -> None:
    page = open_context(None).new_page()
    for path, name in (("/", "market"), ("/open", "open"), ("/risk", "risk"), ("/lend", "lend")):
        page.goto(_url(page, path))
        playwright_api.expect(page.locator("#wallet-text")).to_contain_text("No wallet found")
        shot(page, f"no-wallet-{name}")
        if name == "market":
            # A figure and its parts read alike: 4 places, and a snapshot under a minute old is "just now".
            buffer = page.locator("#live-market [data-figure='buffer']").inner_text()
            assert decimals(buffer) == [4, 4, 4], buffer
            age = page.locator("#live-market [data-figure='snapshot_age']").inner_text()
            assert re.fullmatch(r"just now|\d+\.\d (minutes|hours|days) ago", age), age
            assert "0.0 minutes" not in age, age
    page.goto(_url(page, "/open"))
    wait_preview(page, "open-form", "You put in")
    playwright_api.expect(page.locator("#open-form [data-submit]")).to_be_disabled()
    playwright_api.expect(page.locator("[data-preview-for='open-form']")).to_contain_text("connect a wallet")


def test_open_50x_by_signature_and_one_transaction_then_adjust_to_20x_and_close(
    open_context, devnet: Devnet
) -> None:
    wallet = Wallet(devnet.url, BORROWER)
    context = open_context(wallet)
    position = context.new_page()
    connect(position, _url(position, "/position"))
    playwright_api.expect(position.locator("#live-position [data-empty]")).to_contain_text("No open position")
    actions = position.locator("[data-position-actions]")
    playwright_api.expect(actions).to_be_hidden()  # nothing to adjust, close or repay yet

    page = context.new_page()
    page.goto(_url(page, "/open"))
    page.wait_for_selector("#wallet[data-state='connected']")  # reconnected without asking
    page.locator("#open-form input[name=amount]").fill("10")
    set_leverage(page, "open-form", "50")
    preview = wait_preview(page, "open-form", "at 50x")
    for part in (
        "Time to liquidation",
        "Liquidated within a year if",
        "Entry cost",
        "Earned back",
        "Net APR",
    ):
        playwright_api.expect(preview).to_contain_text(part)
    assert preview.locator("svg").count() == 2  # net APR against leverage, health over the next year
    # The devnet's upkeep delegates the buffer's excess the open brings: the page says what a close pays then.
    rebalanced = int(preview.locator("[data-figure='exit_rebalanced']").get_attribute("data-units"))
    shot(page, "open-preview-50x")
    assert_mark_labels_clear(page, "[data-preview-for='open-form']")  # "you" at 50x, the lines rising to it
    accept_if_asked(page, "open-form")
    sent_before = len(wallet.sent("eth_sendTransaction"))
    text = submit(page, "open-form")
    shot(page, "open-confirmed")
    assert "confirmed" in text
    assert len(wallet.sent("eth_signTypedData_v4")) == 1  # the market's authorization of the router
    assert len(wallet.sent("eth_sendTransaction")) == sent_before + 1  # and one transaction

    # The position page, never reloaded, shows the position pushed at the next block.
    live = position.locator("#live-position [data-position]")
    playwright_api.expect(live).to_be_visible()
    cli, shown = cli_and_page_at_one_block(position, devnet)
    figures = cli["account"]["position"]
    for name in ("collateral", "debt", "equity_book", "equity_exit"):
        assert shown[name]["units"] == figures[name]["units"], name
    for name in ("leverage", "health", "net_apr"):
        assert float(shown[name]["value"]) == pytest.approx(figures[name], rel=1e-12), name
    assert 45 < figures["leverage"] <= 50
    # A few blocks of interest and rewards after the preview's block, the close it announced is the one the
    # position page offers once the upkeep has rebalanced (to 0.1%; the previews' tests check the wei).
    assert int(figures["equity_exit"]["units"]) == pytest.approx(rebalanced, rel=1e-3)
    shot(position, "position-after-open")
    for name in ("profit_exit", "profit_book"):
        # Green a gain, red a loss, neither an amount that rounds to 0.0000.
        profit = position.locator(f"#live-position [data-figure='{name}']")
        text, tone = profit.inner_text(), profit.get_attribute("class") or ""
        expected = "danger" if text.startswith("-") else "" if re.match(r"0\.0000 ", text) else "good"
        assert tone == expected, (name, text, tone)
    assert_mark_labels_clear(position)
    assert_charts_fill_their_cards(position, "#live-position")
    position.set_viewport_size({"width": 390, "height": 844})  # a phone: the charts drawn smaller
    assert_mark_labels_clear(position)
    assert_charts_fill_their_cards(position, "#live-position")
    shot(position, "position-narrow")
    position.set_viewport_size({"width": 1280, "height": 900})
    repay_reasons_are_rounded_and_buttons_fill_exact_amounts(position, devnet)

    playwright_api.expect(actions).to_be_visible()  # shown at the block that shows the position
    set_leverage(position, "adjust-form", "20")
    wait_preview(position, "adjust-form", "20x")
    accept_if_asked(position, "adjust-form")
    submit(position, "adjust-form")
    leverage = position.locator("#live-position [data-figure='leverage']")
    # The router aims at 20x with its LTV margin: within 0.1% of it.
    playwright_api.expect(leverage).to_have_attribute("data-value", re.compile(r"^(19\.9[89]|20\.0[01])"))
    shot(position, "position-after-adjust-20x")
    assert len(wallet.sent("eth_signTypedData_v4")) == 1  # authorized already: nothing more to sign

    position.locator("#close-form input[value=x]").check()
    wait_preview(position, "close-form", "You receive about")
    submit(position, "close-form")
    playwright_api.expect(position.locator("#live-position [data-empty]")).to_contain_text("No open position")
    playwright_api.expect(actions).to_be_hidden()
    shot(position, "position-after-close")


# The live position's block and figures, read at once (a block pushed between two reads mixes two blocks).
LIVE_POSITION = """(live) => ({
  block: Number(live.querySelector("[data-position]").dataset.block),
  figures: Object.fromEntries([...live.querySelectorAll("[data-figure]")].map((figure) =>
    [figure.dataset.figure, { units: figure.dataset.units, value: figure.dataset.value }])),
})"""


def cli_and_page_at_one_block(page: Any, devnet: Devnet) -> tuple[dict[str, Any], dict[str, Any]]:
    """The CLI's status and the position page's figures at the same block. The devnet's keeper mines blocks
    of its own (a rebalance after an open): one mined after the CLI read moves the page past the CLI's block,
    so the CLI reads again (reading the page figure by figure mixed two blocks' figures)."""
    for _ in range(5):
        cli = cli_status(devnet, BORROWER)
        page.wait_for_function(
            "block => Number(document.body.dataset.block) >= block", arg=cli["block"], timeout=TIMEOUT
        )
        shown = page.locator("#live-position").evaluate(LIVE_POSITION)
        if shown["block"] == cli["block"]:
            return cli, shown["figures"]
    raise AssertionError(f"the page and the CLI never read one block (last {shown['block']}, {cli['block']})")


# Each chart's mark labels against its legend (each legend text with the line sample drawn before it) and
# against every line drawn across its plot (the series and the dashed lines, not the grid), as the browser
# lays them out: boxes and segments in CSS pixels.
MARK_LABEL_BOXES = """(root) => [...root.querySelectorAll("svg.chart")].map((svg) => {
  const client = (x, y) => {
    const point = new DOMPoint(x, y).matrixTransform(svg.getScreenCTM());
    return [point.x, point.y];
  };
  const lines = (svg) => {
    const out = [];
    for (const polyline of svg.querySelectorAll("polyline")) {
      const points = polyline.getAttribute("points").trim().split(/\\s+/)
        .map((pair) => client(...pair.split(",").map(Number)));
      for (let i = 1; i < points.length; i++) out.push([...points[i - 1], ...points[i]]);
    }
    for (const line of svg.querySelectorAll("line.hline, line.vline")) {
      const [x1, y1, x2, y2] = ["x1", "y1", "x2", "y2"].map((name) => Number(line.getAttribute(name)));
      out.push([...client(x1, y1), ...client(x2, y2)]);
    }
    return out;
  };
  const box = (element) => {
    const r = element.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  };
  const legend = [...svg.querySelectorAll("text.legend")]
    .flatMap((text) => [text, text.previousElementSibling]);
  return {
    title: svg.getAttribute("aria-label"),
    svg: box(svg),
    legend: legend.map(box),
    labels: [...svg.querySelectorAll("text.mark-label")].map((text) => [text.textContent, box(text)]),
    lines: lines(svg),
  };
})"""


def overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def assert_mark_labels_clear(page: Any, root: str = "#live-position") -> None:
    """Each mark's label inside its chart, clear of the legend, and crossed by no line."""
    charts = page.locator(root).evaluate(MARK_LABEL_BOXES)
    assert any(chart["labels"] for chart in charts)  # the equity chart's "opened", the APR chart's "you"
    for chart in charts:
        left, top, right, bottom = chart["svg"]
        for label, box in chart["labels"]:
            assert not any(overlap(box, part) for part in chart["legend"]), (chart["title"], label, chart)
            assert left <= box[0] and box[2] <= right and top <= box[1] and box[3] <= bottom, (label, chart)
            assert crossed_by(chart["lines"], box) == 0, (chart["title"], label, box, chart["lines"])


# Each chart's width against the content box of the card it is drawn in (CSS pixels).
CHART_WIDTHS = """(root) => [...root.querySelectorAll("svg.chart")].map((svg) => {
  const card = svg.closest(".card");
  const style = getComputedStyle(card);
  const inner = card.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [svg.getAttribute("aria-label"), svg.getBoundingClientRect().width, inner];
})"""


def assert_charts_fill_their_cards(page: Any, root: str) -> None:
    charts = page.locator(root).evaluate(CHART_WIDTHS)
    assert len(charts) == 2, charts
    for title, width, inner in charts:
        assert inner - 1 <= width <= inner + 1, (title, width, inner)


def test_the_open_previews_charts_fill_their_card_on_a_wide_screen_and_on_a_phone(open_context) -> None:
    page = open_context(None).new_page()
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(_url(page, "/open"))
        wait_preview(page, "open-form", "You put in")
        assert_charts_fill_their_cards(page, "[data-preview-for='open-form']")
        shot(page, f"open-preview-{width}px")


def decimals(text: str) -> list[int]:
    return [len(fraction) for fraction in re.findall(r"\d\.(\d+)", text)]


def repay_reasons_are_rounded_and_buttons_fill_exact_amounts(page: Any, devnet: Devnet) -> None:
    """The repay form's reasons show amounts rounded as the page's figures are (4 places); an exact amount a
    user would otherwise copy out of them is a button that fills the amount field."""
    deployment = Deployment.load(devnet.deployment_path)
    wrap = deployment.abi("x").encode("deposit")
    form = page.locator("#repay-form")
    amount = form.locator("input[name=amount]")
    reason = form.locator("[data-preview-for='repay-form'] [data-reasons] li")
    repaid = form.locator("[data-figure='repaid']")

    # "all" with no X in the wallet: the debt it needs and the balance, rounded.
    playwright_api.expect(reason.first).to_contain_text("repaying needs")
    text = reason.first.inner_text()
    assert decimals(text) and max(decimals(text)) <= 4, text
    assert re.search(r"your balance is 0\.0000 WNAT", text), text

    # Some X, not enough: the exact balance is one click away, its rounded figure on the button.
    held = 1_234_567_890_123_456_789
    devnet.send(BORROWER, deployment.contracts["x"], wrap, value=held)
    playwright_api.expect(reason.first).to_contain_text("your balance is 1.2346 WNAT")
    hold = form.get_by_role("button", name=re.compile("^Repay what you hold"))
    playwright_api.expect(hold).to_contain_text("1.2346 WNAT")
    hold.click()
    playwright_api.expect(amount).to_have_value("1.234567890123456789")
    playwright_api.expect(repaid).to_have_attribute("data-units", str(held))

    # More than the debt typed: the debt rounded in the reason; "all" (the exact debt, by shares) one click.
    devnet.send(BORROWER, deployment.contracts["x"], wrap, value=500 * 10**18)
    amount.fill("1000")
    playwright_api.expect(reason.first).to_contain_text("is the whole debt")
    text = reason.first.inner_text()
    assert decimals(text) and max(decimals(text)) <= 4, text
    shot(page, "position-repay-above-debt")
    form.get_by_role("button", name=re.compile("^Repay all")).click()
    playwright_api.expect(amount).to_have_value("all")
    wait_preview(page, "repay-form", "all of it")
    # Both at one block, read at once: the debt grows every block, and the live part and the preview are
    # pushed and answered apart (read one after the other, a block between them put them ~1e-9 apart).
    repaid_units, debt = page.wait_for_function(REPAID_AND_DEBT_AT_ONE_BLOCK).json_value()
    assert int(repaid_units) == pytest.approx(int(debt), rel=1e-9)


REPAID_AND_DEBT_AT_ONE_BLOCK = """() => {
  const preview = document.querySelector("[data-preview-for='repay-form']");
  const live = document.querySelector("#live-position [data-position]");
  if (!preview || !live || preview.dataset.block !== live.dataset.block) return null;
  const repaid = preview.querySelector("[data-figure='repaid']");
  const debt = live.querySelector("[data-figure='debt']");
  return repaid && debt ? [repaid.dataset.units, debt.dataset.units] : null;
}"""


def test_bad_input_gets_a_one_line_reason_and_nothing_is_signed(open_context, devnet: Devnet) -> None:
    wallet = Wallet(devnet.url, NEWCOMER)
    page = open_context(wallet).new_page()
    connect(page, _url(page, "/open"))
    cases = [
        ("abc", "10", "amount"),
        ("-1", "10", "amount"),
        ("100000000", "2", "above your native balance"),
        ("10", "500", "above the market's max"),
        ("10", "0.5", "below 1x"),
        ("200000", "50", "liquidity short"),
    ]
    # The whole native balance: nothing would be left for the gas (the wrap and the open's would run out).
    balance = int(devnet.call("eth_getBalance", NEWCOMER, "latest"), 16)
    cases.append((fmt.exact(balance, 18), "2", "for the gas"))
    for amount, leverage, reason in cases:
        page.locator("#open-form input[name=amount]").fill(amount)
        page.locator("#open-form [data-leverage-input]").fill(leverage)
        box = page.locator("#open-form [data-reasons-box], [data-preview-for='open-form'] [data-reasons]")
        playwright_api.expect(box.filter(has_text=reason).first).to_be_visible()
        playwright_api.expect(page.locator("#open-form [data-submit]")).to_be_disabled()
        if reason == "liquidity short":
            text = box.filter(has_text=reason).first.inner_text()
            assert re.search(r"idle and this borrows [\d,]+\.\d{4} WNAT;", text), text
        if reason == "above your native balance":
            text = box.filter(has_text=reason).first.inner_text()
            # In the coin the balance bar names (ETH on this devnet), not "native".
            assert re.search(r"above your native balance [\d,]+\.\d{4} ETH$", text, re.M), text
        if reason == "for the gas":
            text = box.filter(has_text=reason).first.inner_text()
            most = re.search(r"may cost up to [\d.]+ ETH: pay at most ([\d.]+) ETH", text)
            assert most, text
            # The button beside the reason fills the amount (Open's preview sits beside its form).
            page.locator("[data-preview-for='open-form'] [data-fill]").first.click()
            amount_field = page.locator("#open-form input[name=amount]")
            playwright_api.expect(amount_field).not_to_have_value(amount)
            assert amount_field.input_value().startswith(most.group(1)), (amount_field.input_value(), text)
    shot(page, "open-bad-input")
    # No position: one way forward (open one), no adjust / close / repay forms refusing with "no position".
    previews: list[str] = []
    page.on("request", lambda request: previews.append(request.url))
    page.goto(_url(page, "/position"))
    page.wait_for_selector("#wallet[data-state='connected']")
    empty = page.locator("#live-position [data-empty]")
    playwright_api.expect(empty).to_contain_text("No open position")
    cta = empty.get_by_role("link", name="Open a position")
    playwright_api.expect(cta).to_have_attribute("href", "/open")
    playwright_api.expect(page.locator("[data-position-actions]")).to_be_hidden()
    block = page.locator("body").get_attribute("data-block")
    devnet.mine()  # a block pushed, the page refreshed: still nothing offered, nothing previewed
    playwright_api.expect(page.locator("body")).not_to_have_attribute("data-block", block)
    playwright_api.expect(page.locator("[data-position-actions]")).to_be_hidden()
    shown = [reasons.inner_text() for reasons in page.locator("[data-reasons]").all() if reasons.is_visible()]
    assert not shown, shown
    assert not [url for url in previews if re.search(r"/api/preview/(adjust|close|repay)", url)], previews
    shot(page, "position-none")
    assert not wallet.sent("eth_sendTransaction") and not wallet.sent("eth_signTypedData_v4")


def test_the_balance_bar_names_the_chains_own_coin_apart_from_wnat(open_context, devnet: Devnet) -> None:
    """The wallet's native balance is in the chain's coin (ETH on this devnet, the coin the page tells a
    wallet to add the chain with), not "WNAT native": WNAT is the token that wraps it, shown beside it."""
    wallet = Wallet(devnet.url, NEWCOMER)
    page = open_context(wallet).new_page()
    connect(page, _url(page, "/open"))
    native = page.locator("[data-balance='native']")
    playwright_api.expect(native).to_have_text(re.compile(r"^[\d,]+\.\d{4} ETH$"))
    block = int(page.locator("body").get_attribute("data-block"))
    balance = int(devnet.call("eth_getBalance", NEWCOMER, hex(block)), 16)
    playwright_api.expect(native).to_have_text(fmt.amount(balance, 18, "ETH"))
    playwright_api.expect(page.locator("[data-balance='x']")).to_have_text(re.compile(r" WNAT$"))
    pay = page.locator("#open-form select[name=pay] option[value=native]")
    playwright_api.expect(pay).to_have_text("ETH (the router wraps it)")
    shot(page, "balance-bar")


def test_a_wallet_on_the_wrong_chain_is_offered_the_devnet_and_signs_nothing_before(
    open_context, devnet: Devnet
) -> None:
    wallet = Wallet(devnet.url, NEWCOMER, chain_id=1)
    page = open_context(wallet).new_page()
    connect(page, _url(page, "/open"))
    playwright_api.expect(page.locator("#wallet")).to_have_attribute("data-state", "wrong-chain")
    playwright_api.expect(page.locator("#notice")).to_contain_text("chain 1")
    playwright_api.expect(page.locator("#open-form [data-submit]")).to_be_disabled()
    shot(page, "wrong-chain")
    page.get_by_role("button", name="Switch network").click()
    playwright_api.expect(page.locator("#wallet")).to_have_attribute("data-state", "connected")
    (added,) = wallet.sent("wallet_addEthereumChain")  # the devnet was unknown to it: added, then switched
    assert added[0]["nativeCurrency"]["symbol"] == "ETH"  # the coin the balance bar names
    assert not wallet.sent("eth_sendTransaction") and not wallet.sent("eth_signTypedData_v4")


# Counts the wallet bar's buttons taken out of the page, from before the page's own script runs.
COUNT_REPLACED_BUTTONS = """
window.__replacedButtons = 0;
new MutationObserver((records) => {
  for (const record of records) {
    if (record.target.id === "wallet-buttons") window.__replacedButtons += record.removedNodes.length;
  }
}).observe(document, { childList: true, subtree: true });
"""


def test_a_connect_pressed_while_the_page_starts_is_not_swallowed_by_a_rerender(
    open_context, devnet: Devnet
) -> None:
    """The start re-rendered the wallet bar 400 ms in (for wallets that only inject window.ethereum): a button
    replaced between a click's press and release takes no click, and a CI run's connect timed out on it."""
    context = open_context(Wallet(devnet.url, NEWCOMER))
    context.add_init_script(COUNT_REPLACED_BUTTONS)
    page = context.new_page()
    page.goto(_url(page, "/open"))

    def past_the_start() -> None:
        page.wait_for_timeout(800)  # past the start's second look for wallets
        assert page.evaluate("window.__replacedButtons") == 0  # rendered once: nothing changed since

    press_across(page, page.get_by_role("button", name="Connect Test Wallet"), past_the_start)
    playwright_api.expect(page.locator("#wallet")).to_have_attribute("data-state", "connected")


def test_a_link_pressed_across_a_block_update_still_follows(open_context, devnet: Devnet) -> None:
    """Live fragments are pushed every block; one written anew replaced the link under the pointer."""
    page = open_context(Wallet(devnet.url, NEWCOMER)).new_page()
    connect(page, _url(page, "/position"))
    link = page.locator("#live-position [data-empty]").get_by_role("link", name="Open a position")
    handle = link.element_handle()

    def a_block() -> None:
        block = page.locator("body").get_attribute("data-block")
        devnet.mine()
        playwright_api.expect(page.locator("body")).not_to_have_attribute("data-block", block)
        assert handle.evaluate("link => link.isConnected")  # the same element, patched in place

    press_across(page, link, a_block)
    page.wait_for_url(re.compile(r"/open$"))


# Holds the injected wallet's eth_accounts (the start's reconnect) until the test lets it answer, then answers
# none, as a wallet that has not authorized the site (yet) does; the page remembers a wallet connected before.
HOLD_THE_RESTORE = """
try { localStorage.setItem("levstake.wallet", "org.levstake.test"); } catch (error) {}
window.addEventListener("eip6963:announceProvider", (event) => {
  const provider = event.detail.provider;
  if (provider.held) return;
  provider.held = true;
  const request = provider.request.bind(provider);
  provider.request = (args) => {
    if (args.method !== "eth_accounts") return request(args);
    window.restoreAsked = true;
    return new Promise((resolve) => {
      window.answerRestore = () => { resolve([]); window.restoreAnswered = true; };
    });
  };
});
"""


def test_a_reconnect_answered_after_a_click_does_not_drop_the_wallet_the_click_connected(
    open_context, devnet: Devnet
) -> None:
    """A page that remembers a wallet asks it for its accounts at the start; a connect pressed before that
    answered was undone by its empty answer: the bar said "wallet" and every signature was refused with
    "no wallet connected"."""
    user = devnet.call("eth_accounts")[1]
    wallet = Wallet(devnet.url, user)
    context = open_context(wallet)
    context.add_init_script(HOLD_THE_RESTORE)
    page = context.new_page()
    page.goto(_url(page, "/lend"))
    page.wait_for_function("window.restoreAsked")
    page.get_by_role("button", name="Connect Test Wallet").click()
    playwright_api.expect(page.locator("#wallet")).to_have_attribute("data-state", "connected")
    page.evaluate("window.answerRestore()")
    page.wait_for_function("window.restoreAnswered")
    playwright_api.expect(page.locator("#wallet-text")).to_contain_text("Test Wallet ·")
    wait_preview(page, "wrap-form", "wrap 10.0000 WNAT")
    assert "wrap: confirmed" in submit(page, "wrap-form")
    assert len(wallet.sent("eth_sendTransaction")) == 1


class Held:
    """Requests matching `pattern` wait, unanswered, until `release`."""

    def __init__(self, page: Any, pattern: str) -> None:
        self.page, self.pattern, self.routes = page, pattern, []
        page.route(pattern, lambda route: self.routes.append(route))

    def release(self) -> None:
        for route in self.routes:
            route.continue_()
        self.page.unroute(self.pattern)


def test_an_edit_disables_the_submit_until_the_preview_of_the_new_values_answers(
    open_context, devnet: Devnet
) -> None:
    """The submit stayed enabled beside the old values' preview until the edit's own answered (a 60 ms
    debounce and a round trip later): a press in between signed values the page had never previewed."""
    user = devnet.call("eth_accounts")[1]
    wallet = Wallet(devnet.url, user)
    page = open_context(wallet).new_page()
    connect(page, _url(page, "/lend"))
    wait_preview(page, "wrap-form", "wrap 10.0000 WNAT")
    button = page.locator("#wrap-form [data-submit]")
    playwright_api.expect(button).to_be_enabled()
    posts: list[str] = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    held = Held(page, "**/api/preview/wrap?*")
    page.locator("#wrap-form input[name=amount]").fill("3")
    playwright_api.expect(button).to_be_disabled(timeout=5_000)  # not beside "wrap 10.0000 WNAT"
    page.locator("#wrap-form").evaluate("form => form.requestSubmit()")  # Enter in a field: nothing sent
    page.wait_for_function("() => true")
    assert not posts, posts
    held.release()
    wait_preview(page, "wrap-form", "wrap 3.0000 WNAT")
    submit(page, "wrap-form")
    (sent,) = wallet.sent("eth_sendTransaction")
    assert int(sent[0]["value"], 16) == 3 * 10**18


def test_a_submit_pressed_across_a_block_and_its_previews_still_submits(open_context, devnet: Devnet) -> None:
    """The press leaves the amount field (a change event) and a block refreshes every preview before the
    release: neither may disable or replace the button under the pointer, or the click is lost."""
    user = devnet.call("eth_accounts")[1]
    wallet = Wallet(devnet.url, user)
    page = open_context(wallet).new_page()
    connect(page, _url(page, "/lend"))
    page.locator("#wrap-form input[name=amount]").fill("2")  # the field keeps the focus
    wait_preview(page, "wrap-form", "wrap 2.0000 WNAT")
    button = page.locator("#wrap-form [data-submit]")
    playwright_api.expect(button).to_be_enabled()

    def a_block() -> None:
        block = page.locator("body").get_attribute("data-block")
        with page.expect_response(lambda response: "/api/preview/wrap" in response.url):
            devnet.mine()
            playwright_api.expect(page.locator("body")).not_to_have_attribute("data-block", block)
        playwright_api.expect(button).to_be_enabled()

    with page.expect_request(lambda request: request.method == "POST" and "/api/tx/wrap" in request.url):
        press_across(page, button, a_block)
    playwright_api.expect(page.locator("#tx-status")).to_have_attribute("data-state", "confirmed")
    (sent,) = wallet.sent("eth_sendTransaction")
    assert int(sent[0]["value"], 16) == 2 * 10**18


def test_a_second_submit_waits_for_the_first_transaction(open_context, devnet: Devnet) -> None:
    """Another form's submit pressed while one transaction was signing started a second run; the first to
    end cleared the page's busy flag under the other (its button enabled again while it still signed)."""
    user = devnet.call("eth_accounts")[1]
    wallet = Wallet(devnet.url, user)
    page = open_context(wallet).new_page()
    connect(page, _url(page, "/lend"))
    page.locator("#lend-form select[name=pay]").select_option("native")
    page.locator("#lend-form input[name=amount]").fill("5")
    wait_preview(page, "lend-form", "supply APR after it")
    lend = page.locator("#lend-form [data-submit]")
    playwright_api.expect(lend).to_be_enabled()
    wait_preview(page, "wrap-form", "wrap 10.0000 WNAT")
    held = Held(page, "**/api/tx/wrap")
    posts: list[str] = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    with page.expect_request("**/api/tx/wrap"):
        page.locator("#wrap-form [data-submit]").click()
    playwright_api.expect(lend).to_be_disabled(timeout=5_000)
    page.locator("#lend-form").evaluate("form => form.requestSubmit()")
    page.wait_for_function("() => true")
    assert [url for url in posts if "/api/tx/lend" in url] == []
    held.release()
    status = page.locator("#tx-status")
    playwright_api.expect(status).to_have_attribute("data-state", "confirmed")
    playwright_api.expect(status).to_contain_text("wrap: confirmed")
    playwright_api.expect(lend).to_be_enabled()
    assert len(wallet.sent("eth_sendTransaction")) == 1


def test_an_accepted_risk_is_asked_again_once_the_amount_or_the_leverage_changes(
    open_context, devnet: Devnet
) -> None:
    """The box a risk is accepted with was one of the form's fields: ticked for one amount, it stayed ticked
    for a larger one, the preview with it asked for no consent and the risk text above it went stale (a new
    user's walk: 1,000 at 50x accepted, 2,000 then sent with no new consent)."""
    wallet = Wallet(devnet.url, NEWCOMER)
    page = open_context(wallet).new_page()
    connect(page, _url(page, "/open"))
    accept = page.locator("#open-form [data-accept]")
    box = accept.locator("input")
    page.locator("#open-form input[name=amount]").fill("1000")
    set_leverage(page, "open-form", "50")
    playwright_api.expect(accept).to_be_visible()
    box.check()
    first = accept.inner_text()
    devnet.mine()  # a block pushed and the preview read again: the consent holds for the same values
    playwright_api.expect(page.locator("body")).to_have_attribute("data-block", str(devnet.mine()))
    playwright_api.expect(box).to_be_checked()
    page.locator("#open-form input[name=amount]").fill("2000")
    playwright_api.expect(box).not_to_be_checked()
    playwright_api.expect(accept).to_be_visible()
    playwright_api.expect(accept).not_to_have_text(first)
    box.check()
    set_leverage(page, "open-form", "45")
    playwright_api.expect(box).not_to_be_checked()
    # A leverage the form cannot take is not echoed big (the reasons say what is wrong with it).
    for typed in ("abc", "NaN", "Infinity", "-5"):
        page.locator("#open-form [data-leverage-input]").fill(typed)
        playwright_api.expect(page.locator("#open-form [data-leverage-label]")).to_have_text("–")
    page.locator("#open-form [data-leverage-input]").fill("12.5")
    playwright_api.expect(page.locator("#open-form [data-leverage-label]")).to_have_text("12.50x")
    assert not wallet.sent("eth_sendTransaction") and not wallet.sent("eth_signTypedData_v4")


def test_a_sequence_cut_short_says_which_of_its_transactions_already_landed(
    open_context, devnet: Devnet
) -> None:
    """Lending the native coin is three transactions one at a time (wrap, approve, deposit) where the wallet
    has no EIP-5792: when the last fails, the two before it stay done, and the status line says so."""
    user = devnet.call("eth_accounts")[2]
    wallet = Wallet(devnet.url, user)
    sends = []

    def third_refused(tx: dict[str, Any]) -> None:
        sends.append(tx)
        if len(sends) < 3:
            wallet.before_send = third_refused
            return
        raise RuntimeError("the wallet refused the third transaction")

    wallet.before_send = third_refused
    page = open_context(wallet).new_page()
    connect(page, _url(page, "/lend"))
    page.locator("#lend-form select[name=pay]").select_option("native")
    page.locator("#lend-form input[name=amount]").fill("5")
    wait_preview(page, "lend-form", "supply APR after it")
    page.locator("#lend-form [data-submit]").click()
    status = page.locator("#tx-status")
    playwright_api.expect(status).to_have_attribute("data-state", "refused")
    text = status.inner_text()
    assert "the wallet refused the third transaction" in text, text
    assert re.search(r"already confirmed, and done: wrap[^,]*, approve", text), text
    assert len(sends) == 3


def test_lending_with_approval_goes_as_one_batch_where_the_wallet_has_wallet_send_calls(
    open_context, devnet: Devnet
) -> None:
    wallet = Wallet(devnet.url, LENDER, batch=True)
    page = open_context(wallet).new_page()
    connect(page, _url(page, "/lend"))
    page.locator("#lend-form input[name=amount]").fill("25")
    page.locator("#lend-form select[name=pay]").select_option("native")
    wait_preview(page, "lend-form", "supply APR after it")
    text = submit(page, "lend-form")
    assert "one batch" in text, text
    (batch,) = wallet.sent("wallet_sendCalls")
    assert len(batch[0]["calls"]) == 3  # wrap, approve, deposit
    playwright_api.expect(page.locator("#live-lend [data-figure='lender_assets']")).to_contain_text("25")
    room = page.locator("#live-lend [data-figure='instant_room']").inner_text()
    assert decimals(room) == [4, 4], room
    # Nothing staked: the balance in the reason reads like the page's balances.
    unstake = reason_of(page, "unstake-form")
    playwright_api.expect(unstake).to_have_text("amount 10 stX is above your balance 0.0000 stX")
    shot(page, "lend-batched")
    # More than supplied: the supply rounded in the reason; "all" (every share, whatever the last unit is
    # worth) one click away.
    page.locator("#withdraw-form input[name=amount]").fill("100")
    playwright_api.expect(reason_of(page, "withdraw-form")).to_contain_text("above your supply")
    text = reason_of(page, "withdraw-form").inner_text()
    assert text == 'amount 100 WNAT is above your supply 25.0000 WNAT ("all" withdraws all of it)', text
    page.locator("#withdraw-form").get_by_role("button", name=re.compile("^Withdraw all")).click()
    playwright_api.expect(page.locator("#withdraw-form input[name=amount]")).to_have_value("all")
    wait_preview(page, "withdraw-form", "all of your supply")
    text = submit(page, "withdraw-form")
    assert "confirmed" in text, text
    playwright_api.expect(page.locator("#live-lend [data-figure='lender_assets']")).to_contain_text("0.0000")
    playwright_api.expect(page.locator("[data-balance='x']")).to_have_text("25.0000 WNAT")
    # The unwrap form reads the withdrawal's block (not the one before, where the X was lent out).
    unwrap = page.locator("[data-preview-for='unwrap-form']")
    playwright_api.expect(unwrap).to_have_text("unwrap 10.0000 WNAT")
    # Staking more than that: the balance rounded, the exact one (a unit short of 25) a click away.
    playwright_api.expect(reason_of(page, "stake-form")).to_contain_text("above your WNAT balance")
    text = reason_of(page, "stake-form").inner_text()
    assert text.startswith("amount 100 WNAT is above your WNAT balance 25.0000 WNAT"), text
    # No figures under a refusal (a walk read "stake 100.0000 WNAT for about ..." beneath it).
    playwright_api.expect(page.locator("[data-preview-for='stake-form'] ul.lines")).to_have_count(0)
    shot(page, "lend-withdrawn-all")
    page.locator("#stake-form").get_by_role("button", name="All your WNAT (25.0000 WNAT)").click()
    stake = page.locator("#stake-form input[name=amount]")
    playwright_api.expect(stake).to_have_value(re.compile(r"^2\d(\.\d+)?$"))
    exact = stake.input_value()
    wait_preview(page, "stake-form", "stake 25.0000 WNAT")
    playwright_api.expect(reason_of(page, "stake-form")).to_have_count(0)
    # Unwrapping more than held: no advice to pay with the native coin, the same exact balance offered.
    page.locator("#unwrap-form input[name=amount]").fill("1000")
    playwright_api.expect(reason_of(page, "unwrap-form")).to_have_text(
        "amount 1000 WNAT is above your WNAT balance 25.0000 WNAT"
    )
    playwright_api.expect(page.locator("[data-preview-for='unwrap-form'] ul.lines")).to_have_count(0)
    page.locator("#unwrap-form").get_by_role("button", name=re.compile("^All your WNAT")).click()
    playwright_api.expect(page.locator("#unwrap-form input[name=amount]")).to_have_value(exact)
    wait_preview(page, "unwrap-form", "unwrap 25.0000 WNAT")
    shot(page, "lend-fills")


def reason_of(page: Any, form: str) -> Any:
    return page.locator(f"[data-preview-for='{form}'] [data-reasons] li")


def test_previews_read_the_block_of_a_receipt_the_page_saw_confirmed(devnet: Devnet) -> None:
    """The page previews again as soon as it reads "confirmed": those previews read the receipt's block even
    where the block subscription has not announced it yet (here it never does: no lifespan, no hub)."""
    from fastapi.testclient import TestClient

    from levstake.web.app import Config, create_app

    client = TestClient(create_app(Config(devnet.url, devnet.deployment_path, devnet.url, subscribe=False)))
    user = devnet.call("eth_accounts")[8]
    query = {"account": user, "amount": "1"}
    before = client.get("/api/preview/unwrap", params=query).json()
    assert not before["ok"] and "above your WNAT balance" in before["errors"][0], before
    deployment = Deployment.load(devnet.deployment_path)
    wrap = deployment.abi("x").encode("deposit")
    receipt = devnet.send(user, deployment.contracts["x"], wrap, value=10**18)
    status = client.get("/api/tx/status", params={"hash": receipt["transactionHash"]}).json()
    assert status["status"] == "confirmed" and status["block"] > before["block"], status
    after = client.get("/api/preview/unwrap", params=query).json()
    assert after["ok"] and after["block"] == status["block"], after


def test_all_is_taken_where_the_cli_takes_it_and_an_empty_amount_is_missing(devnet: Devnet) -> None:
    """A new user's walk: unstake and unwrap refused "all" ("is not a number") though the CLI's `--amount`
    takes it, repay took an empty field as "all" where every other form says the amount is missing, and
    "ALL" was not a number."""
    from html import unescape

    from fastapi.testclient import TestClient

    from levstake.web.app import Config, create_app

    client = TestClient(create_app(Config(devnet.url, devnet.deployment_path, devnet.url, subscribe=False)))
    staker, nobody = devnet.call("eth_accounts")[8], NEWCOMER  # the devnet's lender also staked
    reader = devnet_reader(devnet)
    (held,) = reader.call_many([("lst", "balanceOf", (staker,))])
    assert held > 0

    def preview(action: str, account: str, amount: str, **more: str) -> dict[str, Any]:
        query = {"account": account, "amount": amount, **more}
        return client.get(f"/api/preview/{action}", params=query).json()

    unstake = preview("unstake", staker, "ALL", mode="queue")  # more than the buffer pays at once
    assert unstake["ok"], unstake
    assert f"queue {fmt.amount(held, 18, 'stX')}:" in unescape(unstake["html"]), unstake["html"]
    assert preview("unstake", nobody, "all")["errors"] == ["you hold no stX"]
    unwrap = preview("unwrap", nobody, "all")
    assert not unwrap["ok"] and "is not a number" not in str(unwrap), unwrap
    assert preview("repay", nobody, "")["error"] == "amount is missing"
    assert "is not a number" not in str(preview("repay", nobody, "ALL"))
    # Dust is shown as it is, not as 0.0000 (a lend of 1e-18 read "supply 0.0000 WNAT"). Not a wei: once
    # interest made a share dearer, its shares are worth 0 and it is refused (test_lend_previews.py).
    dust = preview("lend", staker, "1e-12", pay="native")
    assert "supply 0.000000000001 WNAT" in unescape(dust["html"]), dust


def test_an_adjust_up_past_idle_liquidity_is_refused_with_the_leverage_that_fits(devnet: Devnet) -> None:
    """As an open's: a step up the market cannot lend is a reason (the submit button disabled), not figures of
    the borrow with only the risk box before it."""
    from html import unescape

    from fastapi.testclient import TestClient

    from levstake.txs import Builder
    from levstake.web.app import Config, create_app

    reader = devnet_reader(devnet)
    deployment = reader.deployment
    builder = Builder(deployment, reader.info)
    user = devnet.call("eth_accounts")[5]
    snapshot = reader.snapshot()
    idle = snapshot.market.total_supply_assets - snapshot.market.total_borrow_assets
    # 2x on a 40th of the idle X: 50x would borrow about 1.2 times all of it.
    for tx in (
        builder.set_authorization("router", True),
        builder.open(idle // 40, 2 * 10**18, 0, 2**40, native=True),
    ):
        assert int(devnet.send(user, tx.to, tx.data, tx.value)["status"], 16) == 1
    devnet.mine()
    client = TestClient(create_app(Config(devnet.url, devnet.deployment_path, devnet.url, subscribe=False)))
    query = {"account": user, "leverage": "50", "accept": "1"}
    answer = client.get("/api/preview/adjust", params=query).json()
    assert not answer["ok"], answer
    assert answer["errors"][0].startswith("liquidity short for 50x: the market has "), answer
    assert re.search(r"up to \d+\.\d\dx fits now$", answer["errors"][0]), answer
    fits = client.get("/api/preview/adjust", params={**query, "leverage": "3"}).json()
    assert fits["ok"], fits
    # Adding to a position: its entry cost is a fraction of what is put in and the position's exit value, and
    # not known (rather than 0) where no close can run (a buffer at its target cannot take this one's debt).
    small = devnet.call("eth_accounts")[3]
    opened = builder.open(20 * 10**18, 2 * 10**18, 0, 2**40, native=True)
    for tx in (builder.set_authorization("router", True), opened):
        assert int(devnet.send(small, tx.to, tx.data, tx.value)["status"], 16) == 1
    # The buffer down to its target (anybody's `rebalance`; the devnet's upkeep may have sent one already).
    devnet.send(user, deployment.contracts["lst"], deployment.abi("lst").encode("rebalance"))
    devnet.mine()
    # A new server: without its block subscription (off here) a server keeps reading the block it first saw.
    client = TestClient(create_app(Config(devnet.url, devnet.deployment_path, devnet.url, subscribe=False)))
    for account, expected in (
        (small, "% of what you put in and the position's exit value)"),
        (user, "Cost at once not known: no close can run right after ("),
    ):
        asked = {**query, "account": account, "amount": "10", "leverage": "2"}
        more = client.get("/api/preview/open", params=asked)
        text = re.sub(r"<[^>]+>", "", unescape(more.json()["html"]))
        assert expected in text, text[text.find("Cost") :][:300]
    assert "Earned back not known" in text
    # The plain web3.py example opens and closes its own position: it leaves this one alone.
    example = [sys.executable, "examples/web3_open_close.py", "--rpc", devnet.url, "--key", DEV_KEYS[5]]
    example += ["--deployment", str(devnet.deployment_path)]
    done = subprocess.run(example, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Error: this account has a position" in done.stderr, done.stderr
    assert [line for line in done.stdout.splitlines() if line.startswith("sent")] == []


def test_a_chain_that_stops_answering_is_a_503_reason_a_page_that_reloads_itself(devnet: Devnet) -> None:
    """A devnet stopped under a running page: each page says the chain does not answer (and reloads itself),
    the API answers 503 with that reason; not a 500 "internal error" with a trace in the log per request.
    A node that refuses (a rate limit) says so with its status; neither names the node's URL (`--rpc` may
    carry an API key: the outside review of the first version found it in the answer)."""
    from html import unescape
    from unittest import mock

    import requests
    from fastapi.testclient import TestClient

    from levstake.web.app import Config, create_app

    secret = f"{devnet.url}/?apikey=SECRET"
    client = TestClient(create_app(Config(secret, devnet.deployment_path, devnet.url, subscribe=False)))
    assert client.get("/open").status_code == 200
    # An account's snapshot is not read yet (the market's is cached for the block): the page asks the node.
    account = {"account": devnet.call("eth_accounts")[4]}
    limited = requests.Response()
    limited.status_code = 429
    rate_limited = requests.exceptions.HTTPError("429", response=limited)
    for error, reason in (
        (requests.exceptions.ConnectionError("Connection refused"), "the chain's node does not answer"),
        (requests.exceptions.ReadTimeout("read timed out"), "the chain's node did not answer in time"),
        (rate_limited, "the chain's node refused the read (HTTP 429)"),
    ):
        with mock.patch.object(requests.Session, "post", side_effect=error):
            page = client.get("/open", params=account)
            api = client.get("/api/preview/open", params={**account, "amount": "1", "leverage": "2"})
            image = client.get("/charts/equity.svg", params=account)
        assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
        assert reason in unescape(page.text) and '<meta http-equiv="refresh"' in page.text
        assert api.status_code == image.status_code == 503
        assert api.json()["error"].startswith(reason) and image.json()["error"].startswith(reason)
        assert "SECRET" not in page.text + api.text + image.text
    assert client.get("/open", params=account).status_code == 200  # back as soon as the chain answers


EXAMPLE_WITHOUT_APE = """
import runpy, sys
sys.argv = ["web3_open_close.py", *sys.argv[1:]]
try:
    runpy.run_path("examples/web3_open_close.py", run_name="__main__")
except SystemExit as stop:
    assert not stop.code, stop.code
loaded = sorted(name for name in sys.modules if name == "ape" or name.startswith(("ape.", "ape_")))
assert not loaded, f"the example imported Ape: {loaded[:5]}"
"""


def test_plain_web3_example_signs_authorization_and_permit_opens_10x_and_closes(devnet: Devnet) -> None:
    command = [sys.executable, "-c", EXAMPLE_WITHOUT_APE, "--rpc", devnet.url]
    command += ["--deployment", str(devnet.deployment_path), "--key", DEV_KEYS[6]]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "signed   authorization permit" in lines  # a fresh key: both signatures, no approval transaction
    assert [line.split(":")[0] for line in lines if line.startswith("sent")] == [
        "sent     wrap", "sent     open", "sent     close",
    ]  # fmt: skip
    opened = next(line for line in lines if line.startswith("position opened"))
    leverage = float(opened.split(": ")[1].split("x")[0])
    assert 9.9 < leverage < 10.1, opened  # 10x at the oracle's price, which moves as the stream unlocks
    assert lines[-1] == "position closed : none"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "reason"),
    [
        ("GET", "/api/preview/open?amount=1e999&leverage=10", None, 400, "amount"),
        ("GET", "/api/preview/open?amount=10&leverage=nan", None, 400, "leverage"),
        ("GET", "/api/preview/open?amount=10&leverage=10&account=0x1234", None, 400, "account"),
        ("GET", "/api/preview/open?amount=10&leverage=10&slippage=99999", None, 400, "slippage"),
        ("GET", "/api/preview/close?mode=everything", None, 400, "mode"),
        ("GET", "/api/preview/set_owner", None, 404, "no action"),
        ("GET", "/events?page=admin", None, 400, "page"),
        ("GET", "/api/tx/status?hash=0xzz", None, 400, "hash"),
        ("POST", "/api/tx/open", b"not json", 400, "JSON"),
        ("POST", "/api/tx/open", b"[1, 2]", 400, "JSON object"),
        ("POST", "/api/tx/open", b'{"amount": "10", "leverage": "10"}', 400, "account"),
        ("POST", "/api/tx/open", b"{" + b" " * 20_000 + b"}", 413, "bytes"),
    ],
)
def test_malformed_requests_get_a_4xx_with_a_reason_never_a_trace(
    server: WebServer, method: str, path: str, body: bytes | None, status: int, reason: str
) -> None:
    code, answer = server.get(path) if method == "GET" else server.post(path, None, raw=body)
    assert code == status, answer
    assert reason.lower() in answer["error"].lower(), answer
    assert "Traceback" not in json.dumps(answer) and len(answer["error"].splitlines()) == 1


def test_a_transaction_that_reverts_after_signing_shows_the_contract_reason(
    open_context, devnet: Devnet
) -> None:
    """The server's simulation passes; an hour goes by before the wallet sends (the hook), so the router
    reverts on its deadline and the page says so in the contract's words."""
    user = devnet.call("eth_accounts")[7]
    wallet = Wallet(devnet.url, user, before_send=lambda _: devnet.call("evm_increaseTime", 3600))
    page = open_context(wallet).new_page()
    connect(page, _url(page, "/open"))
    page.locator("#open-form input[name=amount]").fill("5")
    set_leverage(page, "open-form", "10")
    wait_preview(page, "open-form", "at 10x")
    accept_if_asked(page, "open-form")
    page.locator("#open-form [data-submit]").click()
    status = page.locator("#tx-status")
    playwright_api.expect(status).to_have_attribute("data-state", "reverted")
    playwright_api.expect(status).to_contain_text("router: deadline passed")
    shot(page, "open-reverted")


def test_a_fresh_wallet_paying_with_x_signs_authorization_and_permit_then_sends_one_transaction(
    open_context, devnet: Devnet
) -> None:
    user = devnet.call("eth_accounts")[2]
    deployment = Deployment.load(devnet.deployment_path)
    devnet.send(user, deployment.contracts["x"], deployment.abi("x").encode("deposit"), value=20 * 10**18)
    wallet = Wallet(devnet.url, user)
    page = open_context(wallet).new_page()
    connect(page, _url(page, "/open"))
    page.locator("#open-form select[name=pay]").select_option("x")
    page.locator("#open-form input[name=amount]").fill("10")
    set_leverage(page, "open-form", "20")
    wait_preview(page, "open-form", "at 20x")
    accept_if_asked(page, "open-form")
    submit(page, "open-form")
    kinds = [json.loads(params[1])["primaryType"] for params in wallet.sent("eth_signTypedData_v4")]
    assert sorted(kinds) == ["Authorization", "Permit"], kinds
    assert len(wallet.sent("eth_sendTransaction")) == 1  # no approval: the permit rides in the open


def test_a_queued_unstake_from_the_page_is_listed_at_what_it_pays_and_its_claim_pays_that(
    open_context, devnet: Devnet
) -> None:
    """Stake, queue an unstake, wait out the delay and claim, all from the page: the request's row shows what
    the LST says it pays (`request_value`, the request no longer stores its amount), and the claim moves
    exactly that."""
    user = to_checksum_address(devnet.call("eth_accounts")[7])
    page = open_context(Wallet(devnet.url, user)).new_page()
    connect(page, _url(page, "/lend"))
    page.locator("#stake-form input[name=amount]").fill("20")
    page.locator("#stake-form select[name=pay]").select_option("native")
    wait_preview(page, "stake-form", "stake 20")
    submit(page, "stake-form")
    page.locator("#unstake-form input[name=amount]").fill("10")
    page.locator("#unstake-form input[value=queue]").check()
    wait_preview(page, "unstake-form", "fixed now, no fee")
    submit(page, "unstake-form")
    reader = devnet_reader(devnet)
    (count,) = reader.call_many([("lst", "next_request_id", ())])
    request = reader.request(count - 1)
    assert (request.owner, request.receiver, request.claimed) == (user, user, False)
    request_id, value = request.request_id, request.value
    page.goto(_url(page, "/position"))
    page.wait_for_selector("#wallet[data-state='connected']")
    row = page.locator(f"[data-requests] tr[data-request='{request_id}']")
    playwright_api.expect(row).to_contain_text(fmt.amount(value, 18, "WNAT"))
    playwright_api.expect(row).to_contain_text("due in 7.0 days")
    playwright_api.expect(row.get_by_role("button", name="Claim")).to_be_disabled()
    # On a phone the table scrolls inside its card and the page keeps its width (a new user's walk: the row
    # widened the page and the card cut its Claim button off).
    page.set_viewport_size({"width": 390, "height": 844})
    wide = "document.querySelector('[data-requests] td:nth-child(2)').textContent = '1,188,888.9338 WNAT'"
    page.evaluate(wide)  # a request as large as the walk's (its figure is what widened the row)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "queued-unstake-narrow")
    page.set_viewport_size({"width": 1280, "height": 900})
    devnet.advance(request.ready_at - reader.block().timestamp)
    playwright_api.expect(row.locator("td").nth(3)).to_have_text("due")
    playwright_api.expect(row.get_by_role("button", name="Claim")).to_be_enabled()
    (before,) = reader.call_many([("x", "balanceOf", (user,))])
    send(page, "claim", row.get_by_role("button", name="Claim"))
    (after,) = reader.call_many([("x", "balanceOf", (user,))])
    assert after - before == value, "the claim pays what the row showed"
    # The LST cleared the request at its claim: its two events still say whose it was, when, and what it paid.
    claimed = reader.request(request_id)
    assert claimed.claimed and claimed.value == value
    assert (claimed.owner, claimed.receiver, claimed.ready_at) == (user, user, request.ready_at)
    playwright_api.expect(row.locator("td").nth(3)).to_have_text("claimed")
    playwright_api.expect(row).to_contain_text(fmt.amount(value, 18, "WNAT"))
    shot(page, "queued-unstake-claimed")


def test_a_connected_account_sees_its_figures_without_waiting_for_the_streams_push(
    open_context, devnet: Devnet
) -> None:
    """A walk saw, on a busy server, the wallet connected above "Connect a wallet" and empty balances for
    seconds: the stream's first push for the account waited behind a block's refresh. The page also asks for
    the account's parts directly. With the stream refused outright, they still come."""
    page = open_context(Wallet(devnet.url, NEWCOMER)).new_page()
    page.route(re.compile(r"/events\?"), lambda route: route.abort())
    connect(page, _url(page, "/lend"))
    playwright_api.expect(page.locator("#live-lend [data-figure='lst_balance']")).to_be_visible()
    playwright_api.expect(page.locator("[data-empty]")).to_have_count(0)
    playwright_api.expect(page.locator("[data-balance='x']")).to_have_text(re.compile(r" WNAT$"))
