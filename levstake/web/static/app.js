// LevStake page script: one hand-written ES module, no library.
// - Wallets: EIP-6963 discovery (window.ethereum as a fallback), EIP-1193 requests only: connect, check the
//   chain (wallet_switchEthereumChain / wallet_addEthereumChain), eth_signTypedData_v4, eth_sendTransaction,
//   and EIP-5792 wallet_sendCalls where the wallet has it (one transaction at a time where it does not).
// - Live parts: one EventSource per page; the server pushes rendered fragments at every block.
// - Previews and transactions come from the server (levstake.previews / levstake.txs): no figure is computed
//   here, and the server simulates every transaction before the wallet sees it.

const config = JSON.parse(document.getElementById("page-config").textContent);
const chainHex = "0x" + config.chainId.toString(16);
const state = {
  providers: new Map(), // uuid -> {info, provider}
  wallet: null, // {info, provider}
  account: null,
  chainId: null,
  events: null,
  block: Number(document.body.dataset.block),
  // The server's count of chains it has served (a devnet recreated under it): block numbers start over.
  chain: 0,
  nodeDown: document.body.dataset.node === "down",
  chainNotice: false, // the notice on show is about the chain (a failed read, the node down), not the wallet
  batch: null, // EIP-5792 available: null = not asked yet
  busy: false,
};

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
const short = (text) => `${text.slice(0, 6)}…${text.slice(-4)}`;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------ wallet discovery (EIP-6963)

window.addEventListener("eip6963:announceProvider", (event) => {
  const { info, provider } = event.detail;
  if (!info || !provider || state.providers.has(info.uuid)) return;
  state.providers.set(info.uuid, { info, provider });
  showWallet();
  restore();
});

function wallets() {
  const list = [...state.providers.values()];
  if (!list.length && window.ethereum) {
    list.push({ info: { uuid: "window.ethereum", name: "Browser wallet", rdns: "window.ethereum" }, provider: window.ethereum });
  }
  return list;
}

async function request(method, params = []) {
  if (!state.wallet) throw new Error("no wallet connected");
  return state.wallet.provider.request({ method, params });
}

function unsupported(error) {
  const text = String((error && error.message) || error);
  return error && (error.code === -32601 || error.code === 4200 || /method not found|not supported|unsupported|does not exist/i.test(text));
}

function walletError(error) {
  if (error && error.code === 4001) return "cancelled in the wallet: nothing was signed or sent";
  return String((error && (error.data && error.data.message)) || (error && error.message) || error).split("\n")[0];
}

// The connect in flight: a newer one (a click) supersedes an older one (the start's restore), whose answer is
// then dropped. A restore answered after a click used to win: its empty eth_accounts (a wallet that had not
// authorized the site yet) dropped the wallet the click had just connected.
let connecting = null;

async function connect(entry, ask = true) {
  const attempt = {};
  connecting = attempt;
  const current = () => connecting === attempt;
  const ask_ = (method) => entry.provider.request({ method, params: [] });
  try {
    const accounts = await ask_(ask ? "eth_requestAccounts" : "eth_accounts");
    if (!current() || !accounts || !accounts.length) return; // what is connected stays connected
    const chainId = parseInt(await ask_("eth_chainId"), 16);
    if (!current()) return;
    state.wallet = entry;
    state.chainId = chainId;
    if (entry.provider.on && !entry.listening) {
      entry.listening = true;
      entry.provider.on("accountsChanged", (list) => state.wallet === entry && setAccount(list && list[0]));
      entry.provider.on("chainChanged", (id) => {
        if (state.wallet !== entry) return;
        state.chainId = parseInt(id, 16);
        state.batch = null;
        showWallet();
        refreshAll();
      });
    }
    localStorage.setItem("levstake.wallet", entry.info.rdns || entry.info.uuid);
    setAccount(accounts[0]);
  } catch (error) {
    if (current()) notice(`The wallet did not connect: ${walletError(error)}`);
  } finally {
    if (current()) connecting = null;
  }
}

function restore() {
  // A page opened after a connect reconnects without asking (eth_accounts).
  if (state.wallet || connecting) return;
  const saved = localStorage.getItem("levstake.wallet");
  const entry = saved && wallets().find((w) => (w.info.rdns || w.info.uuid) === saved);
  if (entry) connect(entry, false);
}

function disconnect() {
  connecting = null;
  localStorage.removeItem("levstake.wallet");
  state.wallet = null;
  setAccount(null);
}

function setAccount(account) {
  state.account = account ? account : null;
  if (!account) state.wallet = null;
  const link = $('[data-nav="position"]');
  if (link) link.href = state.account ? `/position?account=${state.account}` : "/position";
  showWallet();
  openEvents();
  loadFragments();
  refreshAll();
}

// A stream's first push can wait behind a block's refresh on a busy server: a walk saw the wallet connected above
// "Connect a wallet" for seconds. The account's parts are also asked for directly; whichever answer comes first is
// shown, and an older block never replaces a newer one.
async function loadFragments() {
  const shown = viewed();
  const query = new URLSearchParams({ page: config.page });
  if (shown) query.set("account", shown);
  let data;
  try {
    const response = await fetch(`/api/fragments?${query}`);
    if (!response.ok) return;
    data = await response.json();
  } catch (error) {
    return; // the stream's push follows
  }
  if (viewed() !== shown || state.nodeDown || data.block < state.block) return;
  showBlock(data.block, data.html);
}

// A block's live parts shown (the stream's push or the direct answer); the previews follow a new block.
function showBlock(block, html) {
  for (const [id, part] of Object.entries(html)) {
    const element = document.getElementById(id);
    if (element) render(element, part);
  }
  showPositionActions();
  const changed = block !== state.block;
  state.block = block;
  document.body.dataset.block = block;
  if (changed) refreshAll();
}

const chainOk = () => state.chainId === config.chainId;

function showWallet() {
  const box = $("#wallet");
  // Rebuilt only when what it shows changes: a button replaced between a click's press and release (the
  // start's second render came 400 ms in) swallows the click, and a notice set since would be wiped.
  const shown = JSON.stringify([state.account, state.chainId, state.wallet && state.wallet.info.uuid,
    wallets().map((entry) => entry.info.uuid)]);
  if (box.dataset.shown === shown) return;
  box.dataset.shown = shown;
  const text = $("#wallet-text");
  const buttons = $("#wallet-buttons");
  buttons.replaceChildren();
  if (state.account) {
    box.dataset.state = chainOk() ? "connected" : "wrong-chain";
    text.innerHTML = "";
    const who = document.createElement("span");
    who.textContent = `${state.wallet ? state.wallet.info.name : "wallet"} · ${short(state.account)}`;
    who.dataset.account = state.account;
    const chain = document.createElement("span");
    chain.className = chainOk() ? "chain-ok" : "chain-bad";
    chain.textContent = chainOk() ? `chain ${config.chainId}` : `wrong chain ${state.chainId}`;
    text.append(who, " · ", chain);
    buttons.append(button("Disconnect", disconnect, "secondary"));
    if (!chainOk()) {
      notice(
        `Your wallet is on chain ${state.chainId}; this page's protocol is on ${config.chainName} (chain ${config.chainId}). Nothing can be signed until the wallet switches.`,
        button("Switch network", switchChain),
      );
    } else {
      notice(null);
    }
    return;
  }
  const list = wallets();
  if (!list.length) {
    box.dataset.state = "none";
    text.textContent = "No wallet found: the page is read-only.";
    return;
  }
  box.dataset.state = "disconnected";
  text.textContent = "Read-only until you connect:";
  for (const entry of list) buttons.append(button(`Connect ${entry.info.name}`, () => connect(entry)));
}

async function switchChain() {
  try {
    await request("wallet_switchEthereumChain", [{ chainId: chainHex }]);
  } catch (error) {
    if (error && (error.code === 4902 || /unrecognized|unknown chain|not been added/i.test(String(error.message)))) {
      try {
        await request("wallet_addEthereumChain", [
          {
            chainId: chainHex,
            chainName: config.chainName,
            rpcUrls: [config.rpcUrl],
            // The coin the page names in its balance bar (the server's --native-symbol or the chain id's).
            nativeCurrency: { name: config.nativeSymbol || "ETH", symbol: config.nativeSymbol || "ETH", decimals: 18 },
          },
        ]);
        await request("wallet_switchEthereumChain", [{ chainId: chainHex }]);
      } catch (inner) {
        notice(`The wallet did not add the network: ${walletError(inner)}`);
        return;
      }
    } else {
      notice(`The wallet did not switch: ${walletError(error)}`);
      return;
    }
  }
  state.chainId = parseInt(await request("eth_chainId"), 16);
  state.batch = null;
  showWallet();
  refreshAll();
}

function button(label, action, css = "") {
  const element = document.createElement("button");
  element.type = "button";
  element.textContent = label;
  if (css) element.className = css;
  element.addEventListener("click", action);
  return element;
}

function notice(text, ...extra) {
  const box = $("#notice");
  if (!text) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  box.hidden = false;
  box.replaceChildren(text, ...extra);
}

// ------------------------------------------------------------------ live fragments (one EventSource)

// Fragments and previews change their figures every block and their shape rarely: what is the same stays the
// same element, so a Claim button, a fill button or a link under the pointer keeps the click (one replaced
// between press and release takes none) and a selection holds. Only a changed shape is rebuilt.
function render(element, html) {
  const template = document.createElement("template");
  template.innerHTML = html;
  patch(element, template.content);
}

function patch(target, source) {
  const before = [...target.childNodes];
  const after = [...source.childNodes];
  const same = (node, i) => node.nodeType === after[i].nodeType && node.nodeName === after[i].nodeName;
  if (before.length !== after.length || !before.every(same)) {
    target.replaceChildren(...after);
    return;
  }
  before.forEach((node, i) => {
    const next = after[i];
    if (node.nodeType !== Node.ELEMENT_NODE) {
      if (node.nodeValue !== next.nodeValue) node.nodeValue = next.nodeValue;
      return;
    }
    for (const { name } of [...node.attributes]) if (!next.hasAttribute(name)) node.removeAttribute(name);
    for (const { name, value } of [...next.attributes]) {
      if (node.getAttribute(name) !== value) node.setAttribute(name, value);
    }
    patch(node, next);
  });
}

function openEvents() {
  if (state.events) state.events.close();
  const query = new URLSearchParams({ page: config.page });
  const shown = viewed();
  if (shown) query.set("account", shown);
  state.events = new EventSource(`/events?${query}`);
  state.events.addEventListener("block", (event) => {
    const data = JSON.parse(event.data);
    const generation = data.chain || 0;
    if (generation < state.chain) return;
    if (generation > state.chain) {
      // Another chain under the server: its block numbers start over.
      state.chain = generation;
      state.block = -1;
    }
    if (data.node === "down") return nodeDown(data.block, data.error);
    if (state.nodeDown) nodeUp();
    // Blocks only go forward: a stream's first payload, read at the head before a newer block's refresh
    // was offered, can come after it and would show the older block's figures until the next block.
    if (data.block < state.block) return;
    if (data.error) {
      state.chainNotice = true;
      notice(`The server could not read block ${data.block}: ${data.error}`);
      return;
    }
    // A block read again clears what a failed read (or the node's absence) said; a wallet's notice stays.
    if (state.chainNotice) {
      state.chainNotice = false;
      notice(null);
    }
    showBlock(data.block, data.html);
  });
}

// The server pushes this when the chain's node stops answering: the figures stay those of the last block
// read, greyed, and nothing can be sent until a block arrives again.
function nodeDown(block, error) {
  state.nodeDown = true;
  document.body.dataset.node = "down";
  const dot = $(".dot-live");
  if (dot) dot.title = "not live: the chain's node does not answer";
  state.chainNotice = true;
  const why = String(error || "the chain's node does not answer");
  notice(`${why[0].toUpperCase()}${why.slice(1)}: the figures are as of block ${block}, and nothing can be sent until it answers again.`);
  for (const submit of $$("[data-submit]")) submit.disabled = true;
}

function nodeUp() {
  state.nodeDown = false;
  delete document.body.dataset.node;
  refreshAll();
}

// ------------------------------------------------------------------ previews

function fields(form) {
  const out = {};
  for (const [key, value] of new FormData(form)) out[key] = String(value).trim();
  if (out.leverage_text !== undefined) {
    out.leverage = out.leverage_text;
    delete out.leverage_text;
  }
  return out;
}

// The account the page shows: the connected wallet's, else the one in the address (?account=, read-only).
const viewed = () => state.account || config.account;

function common() {
  const out = {};
  if (viewed()) out.account = viewed();
  if (state.account && state.chainId) out.chain = String(state.chainId);
  return out;
}

const timers = new WeakMap();
function schedule(form, delay = 60) {
  clearTimeout(timers.get(form));
  timers.set(form, setTimeout(() => preview(form), delay));
}

// What the user changed is not what the preview on show was for: the submit waits for the preview of the new
// values, and an answer still on its way for the old ones is dropped. The button used to stay enabled beside
// the old figures until the debounced preview answered (a press then signed values never previewed), and an
// old answer landing in the debounce was taken as the new one's. A change event that repeats the input ones
// (a field left by pressing the submit) changes nothing: disabling there would swallow that very click.
function edited(form, delay = 60) {
  if (!visible(form)) return;
  const values = JSON.stringify(fields(form));
  if (values === form._values) return;
  // A risk accepted is accepted for the values it was shown for: any other edit asks again.
  const consent = $("[data-accept] input", form);
  if (consent && consent.checked && form._consented !== others(form)) consent.checked = false;
  form._values = JSON.stringify(fields(form));
  form._sequence = (form._sequence || 0) + 1;
  $("[data-submit]", form).disabled = true;
  schedule(form, delay);
}

// The form's values but the consent itself.
function others(form) {
  const { accept, ...rest } = fields(form);
  return JSON.stringify(rest);
}

// A form the page does not show (the Position page's, with no position) is not previewed.
const visible = (form) => !form.closest("[hidden]");

function refreshAll() {
  for (const form of $$("form[data-live-preview]")) if (visible(form)) schedule(form, 0);
}

// The Position page's forms (adjust, close, repay) only while the live part shows a position: with none they
// could only refuse, and the live part says what to do instead (open one).
function showPositionActions() {
  const actions = $("[data-position-actions]");
  if (!actions) return;
  const has = Boolean($("#live-position [data-position]"));
  if (actions.hidden !== has) return;
  actions.hidden = !has;
  if (has) for (const form of $$("form[data-live-preview]", actions)) schedule(form, 0);
}

async function preview(form) {
  const action = form.dataset.action;
  const target = $(`[data-preview-for="${form.id}"]`);
  const sequence = (form._sequence = (form._sequence || 0) + 1);
  const current = fields(form);
  const values = JSON.stringify(current);
  form._values = values;
  const query = new URLSearchParams({ ...current, ...common() });
  let answer;
  let ok;
  try {
    const response = await fetch(`/api/preview/${action}?${query}`);
    ok = response.ok;
    answer = await response.json();
  } catch (error) {
    answer = { error: `the server did not answer (${error})` };
    ok = false;
  }
  if (sequence !== form._sequence) return; // a newer preview is on its way (or the values changed)
  form._previewed = ok ? values : null;
  if (!ok) {
    if (target) target.innerHTML = "";
    reasons(form, [answer.error]);
    ready(form, false, []);
    return;
  }
  if (target) {
    render(target, answer.html);
    target.dataset.block = answer.block; // the block the figures are at (a live part may be at another)
  }
  reasons(form, []); // the fragment lists the plan's reasons itself
  if (answer.max_leverage !== undefined) {
    const slider = $("[data-leverage-slider]", form);
    slider.max = answer.max_leverage;
    // A lower max clamps the slider's value, and a higher one later does not give it back (a chain recreated
    // under the page, with no liquidity while it deployed, left the thumb at 1x beside a typed 50x).
    const typedLeverage = $("[data-leverage-input]", form);
    if (typedLeverage && typedLeverage.value !== "" && Number.isFinite(Number(typedLeverage.value))) {
      slider.value = typedLeverage.value;
    }
    $("[data-leverage-max]", form).textContent = `${Number(answer.max_leverage).toFixed(2)}x`;
  }
  form.dataset.ok = answer.ok ? "yes" : "no";
  ready(form, answer.ok, answer.warnings || []);
}

function reasons(form, list) {
  const box = $("[data-reasons-box]", form);
  if (!box) return;
  box.replaceChildren();
  if (!list.length) return;
  const ul = document.createElement("ul");
  ul.className = "reasons";
  ul.dataset.reasons = "";
  for (const text of list) {
    const li = document.createElement("li");
    li.textContent = text;
    ul.append(li);
  }
  box.append(ul);
}

function ready(form, ok, warnings) {
  const accept = $("[data-accept]", form);
  const acceptBox = accept && $("input", accept);
  if (accept) {
    if (warnings.length) {
      accept.hidden = false;
      $("[data-accept-text]", accept).textContent = warnings.join("; ");
    } else if (!(acceptBox && acceptBox.checked)) {
      accept.hidden = true;
    }
  }
  const blocked = !ok || (warnings.length && !(acceptBox && acceptBox.checked));
  const submit = $("[data-submit]", form);
  submit.disabled = state.busy || state.nodeDown || !state.account || !chainOk() || Boolean(blocked);
}

// Sliders and typed leverage stay in step.
for (const form of $$("form[data-live-preview]")) {
  const slider = $("[data-leverage-slider]", form);
  const typed = $("[data-leverage-input]", form);
  const label = $("[data-leverage-label]", form);
  if (slider && typed) {
    label.textContent = `${Number(slider.value).toFixed(2)}x`;
    slider.addEventListener("input", () => {
      typed.value = slider.value;
      label.textContent = `${Number(slider.value).toFixed(2)}x`;
    });
    typed.addEventListener("input", () => {
      const typedLeverage = Number(typed.value);
      const usable = typed.value !== "" && Number.isFinite(typedLeverage) && typedLeverage >= 1;
      if (usable) slider.value = typed.value;
      // Only a leverage the form can take is echoed big; the reasons below say what is wrong with the rest.
      label.textContent = usable ? `${typedLeverage.toFixed(2)}x` : "–";
    });
  }
  const consent = $("[data-accept] input", form);
  if (consent) {
    // Before the form's own listeners (the box is the target): its input event comes before its change.
    const remember = () => (form._consented = consent.checked ? others(form) : null);
    consent.addEventListener("input", remember);
    consent.addEventListener("change", remember);
  }
  form.addEventListener("input", () => edited(form));
  form.addEventListener("change", () => edited(form));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const values = fields(form);
    // Only what the page previewed is sent (a press that beat the preview of an edit does nothing).
    if (JSON.stringify(values) !== form._previewed) return edited(form);
    run(form.dataset.action, values, form);
  });
}

document.addEventListener("click", (event) => {
  const claim = event.target.closest("[data-claim]");
  if (claim) run("claim", { request: claim.dataset.claim }, null);
  // An exact amount from the server (the text beside it is rounded for reading): into the form's amount.
  const fill = event.target.closest("[data-fill]");
  // The button sits in the form's preview: inside the form on most pages, beside it on Open (whose buttons
  // did nothing: a new user's re-walk).
  const shown = fill && fill.closest("[data-preview-for]");
  const form = fill && (fill.closest("form[data-live-preview]") || (shown && document.getElementById(shown.dataset.previewFor)));
  if (form) {
    $("input[name=amount]", form).value = fill.dataset.fill;
    edited(form, 0);
  }
});

// ------------------------------------------------------------------ transactions

function status(stateName, text) {
  const box = $("#tx-status");
  box.hidden = false;
  box.dataset.state = stateName;
  box.textContent = text;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) answer.error = answer.error || `HTTP ${response.status}`;
  return answer;
}

async function run(action, values, form) {
  if (!state.account) return status("refused", "Connect a wallet first: the page is read-only without one.");
  if (!chainOk()) return status("refused", `Switch the wallet to chain ${config.chainId} first.`);
  // One at a time: another form's submit (or a Claim) pressed while this one signs used to start a second
  // run, and the first to end cleared `busy` under the other (its form's button enabled again mid-signing).
  if (state.busy) return;
  if (state.nodeDown) return status("refused", `${action}: the chain's node does not answer; nothing was sent.`);
  state.busy = true;
  for (const submit of $$("[data-submit]")) submit.disabled = true;
  try {
    status("preparing", `${action}: the server builds and simulates the transaction…`);
    let body = { ...values, ...common() };
    let answer = await post(`/api/tx/${action}`, body);
    if (answer.sign) {
      const signatures = {};
      for (const wanted of answer.sign) {
        status("signing", `${action}: sign the ${wanted.kind} in your wallet (a signature, not a transaction)`);
        signatures[wanted.kind] = await request("eth_signTypedData_v4", [state.account, wanted.typed_data]);
      }
      body = { ...body, signatures, deadline: answer.deadline };
      status("preparing", `${action}: the server simulates the transaction with your signatures…`);
      answer = await post(`/api/tx/${action}`, body);
    }
    if (answer.error) return status("refused", `${action} refused before signing: ${answer.error}`);
    await send(action, answer.calls);
  } catch (error) {
    // Earlier transactions of a sequence that landed stay done: say which, so nobody sends them again.
    const landed = error && error.landed ? ` (already confirmed, and done: ${error.landed.join(", ")})` : "";
    status(error && error.code === 4001 ? "cancelled" : "refused", `${action}: ${walletError(error)}${landed}`);
  } finally {
    state.busy = false;
    refreshAll();
  }
}

async function batchSupported() {
  if (state.batch !== null) return state.batch;
  try {
    await request("wallet_getCapabilities", [state.account, [chainHex]]);
    state.batch = true;
  } catch (error) {
    state.batch = false;
  }
  return state.batch;
}

async function send(action, calls) {
  const plain = calls.map(({ to, data, value }) => ({ to, data, value }));
  if (calls.length > 1 && (await batchSupported())) {
    try {
      status("signing", `${action}: confirm ${calls.length} calls (${calls.map((c) => c.label).join(", ")}) in your wallet`);
      const sent = await request("wallet_sendCalls", [
        { version: "2.0.0", chainId: chainHex, from: state.account, atomicRequired: false, calls: plain },
      ]);
      const id = typeof sent === "string" ? sent : sent.id;
      status("pending", `${action}: ${calls.length} calls sent as one batch, pending…`);
      for (;;) {
        const result = await request("wallet_getCallsStatus", [id]);
        const code = typeof result.status === "number" ? result.status : { PENDING: 100, CONFIRMED: 200 }[result.status] || 100;
        if (code >= 200) {
          const receipts = result.receipts || [];
          for (const [index, receipt] of receipts.entries()) {
            if (parseInt(receipt.status, 16) !== 1) return reverted(calls[index].label, receipt.transactionHash);
          }
          if (code !== 200) return status("reverted", `${action}: the batch failed (status ${code})`);
          const last = receipts[receipts.length - 1];
          // Through the server, as one transaction's receipt is: its head reaches the batch's block before
          // the previews refresh, so they read the state the batch left.
          if (last) await receipt(last.transactionHash);
          return status("confirmed", `${action}: confirmed in block ${last ? parseInt(last.blockNumber, 16) : "?"} (${calls.length} calls, one batch)`);
        }
        await sleep(400);
      }
    } catch (error) {
      if (!unsupported(error)) throw error;
      state.batch = false; // the wallet has no wallet_sendCalls after all: one at a time
    }
  }
  const landed = [];
  for (const [index, call] of calls.entries()) {
    const step = calls.length > 1 ? ` (${index + 1} of ${calls.length}: ${call.label})` : "";
    const done = landed.length ? ` (already confirmed, and done: ${landed.join(", ")})` : "";
    let result;
    try {
      status("signing", `${action}${step}: confirm the transaction in your wallet`);
      const hash = await request("eth_sendTransaction", [{ from: state.account, ...plain[index] }]);
      status("pending", `${action}${step}: pending ${short(hash)}`);
      result = await receipt(hash);
    } catch (error) {
      if (landed.length && error && typeof error === "object") error.landed = landed;
      throw error;
    }
    if (result.status === "reverted") return status("reverted", `${action}${step}: reverted in block ${result.block}: ${result.reason}${done}`);
    status("confirmed", `${action}${step}: confirmed in block ${result.block} (${result.gas_used.toLocaleString()} gas)`);
    landed.push(call.label);
  }
}

async function receipt(hash) {
  for (;;) {
    const response = await fetch(`/api/tx/status?hash=${hash}`);
    const answer = await response.json();
    if (answer.status && answer.status !== "pending") return answer;
    await sleep(300);
  }
}

async function reverted(label, hash) {
  const result = await receipt(hash);
  status("reverted", `${label}: reverted in block ${result.block}: ${result.reason}`);
}

// ------------------------------------------------------------------ start

window.dispatchEvent(new Event("eip6963:requestProvider"));
showWallet();
openEvents();
refreshAll();
setTimeout(() => {
  // Wallets that only inject window.ethereum announce nothing: offer that one.
  showWallet();
  restore();
}, 400);
