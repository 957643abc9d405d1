/* flashguard risk desk: the operator's page. Plain ES2020, no build step, no libraries.
 *
 * Data: /api/status, /api/risk, /api/orders and /api/positions polled together; /api/history
 * appended every second; the journal's decisions read from /api/events as a server-sent event
 * stream over fetch() (EventSource cannot send the Authorization header). Times are simulated
 * nanoseconds since the scenario day's midnight.
 */
"use strict";

const TOKEN_KEY = "flashguard.token";
const POLL_MS = 700;
const HISTORY_MS = 1000;
const STREAM_TYPES = "risk_action,kill_switch,regime_change,venue_status,operator,fill";
const TIMELINE_MAX = 400; // rows in the list
const EVENTS_KEPT = 3000; // events kept for re-filtering
const NS = 1e9;
const STALE_MS = 3000;

const VENUE_COLORS = ["#3ab8ff", "#ffd24d", "#ff6bd6", "#7cf29c", "#ff8f4d", "#a58bff"];
const SHADE = {
  halted: "rgba(255,75,85,0.16)", disconnected: "rgba(255,75,85,0.22)",
  paused: "rgba(255,176,32,0.13)", limit_state: "rgba(255,176,32,0.10)",
  auction: "rgba(180,140,255,0.16)", closed: "rgba(120,130,140,0.10)",
};
const STRIP = {
  halted: "#ff4b55", disconnected: "#ff4b55", paused: "#ffb020", limit_state: "#ffd27a",
  auction: "#b48cff", closed: "#56636f",
};

// what each risk action does, in the words of the report's timeline (report/describe.py)
const ACTION_LABEL = {
  reduce_only: "REDUCING", halt_strategy: "HALTED", flatten_strategy: "flatten",
  reduce_size: "size cut", restore_size: "size restored", restart_strategy: "ACTIVE (restart)",
  reduce_gross: "reduce gross", portfolio_reduce_only: "REDUCE-ONLY",
  clear_portfolio_reduce_only: "reduce-only cleared", kill: "KILL SWITCH ENGAGED",
  reset: "kill switch reset", reset_pending: "reset pending", reject: "reject",
};
const RECOVERY = new Set([
  "restore_size", "restart_strategy", "clear_portfolio_reduce_only", "reset", "reset_pending",
]);
const UNIT = { volatility: " bps" };
const SIDE = { 1: "buy", "-1": "sell", buy: "buy", sell: "sell" };
const BAD_STATUS = new Set(["halted", "paused", "auction", "disconnected", "limit_state"]);

const $ = (id) => document.getElementById(id);

const S = {
  token: null,
  user: null,
  status: null,
  risk: null,
  orders: null,
  positions: null,
  tickSize: 0.01,
  priceDecimals: 2,
  hist: { t: 0, prices: {}, equity: [], halts: new Map() },
  bands: {}, // venue -> [[t_ns, lo, hi], ...] as seen by the status poll
  marks: [], // kill switch engagements and resets: {t, on}
  lastSeq: 0,
  events: [],
  pending: [],
  l4seen: new Set(),
  filters: new Set(["risk", "reject", "kill", "regime", "venue", "operator", "fill"]),
  range: 0, // seconds shown; 0 = the whole run so far
  lastOk: 0,
  pollTimer: null,
  histTimer: null,
  stream: null,
  session: 0, // bumped on every sign-in and sign-out, so stale loops stop
};

// --- formatting -------------------------------------------------------------------------------

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

function hhmmss(ns) {
  if (ns === null || ns === undefined || !Number.isFinite(ns)) return "--:--:--";
  const s = Math.floor(ns / NS);
  const p = (n) => String(n).padStart(2, "0");
  return `${p(Math.floor(s / 3600))}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}`;
}

function hhmm(ns) {
  return hhmmss(ns).slice(0, 5);
}

// short and exact enough for a line: 12,500 / 2.15 / 0.0312 (as report/describe.number)
function number(x) {
  if (x === null || x === undefined || Number.isNaN(x)) return "n/a";
  if (typeof x !== "number") return String(x);
  x += 0; // -0 -> 0
  if (Number.isInteger(x)) return x.toLocaleString("en-US");
  const a = Math.abs(x);
  if (a >= 100) return Math.round(x).toLocaleString("en-US");
  if (a >= 1) return x.toFixed(2).replace(/0+$/, "").replace(/\.$/, "");
  return String(Number(x.toPrecision(3)));
}

function money(x, signed = false) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  const r = Math.round(x) || 0; // no "-0"
  const s = r.toLocaleString("en-US");
  return signed && r > 0 ? `+${s}` : s;
}

function compact(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  const a = Math.abs(x);
  if (a >= 1e9) return `${(x / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${(x / 1e6).toFixed(a >= 1e8 ? 1 : 2)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(0)}k`;
  return number(x);
}

// an axis label as short as the step allows: 99.998M with a 2,000 step, 100.0M with 100,000
function axisMoney(v, step) {
  const a = Math.abs(v);
  if (a < 0.5) return "0";
  if (a >= 1e6) {
    const d = Math.max(0, Math.min(4, Math.ceil(-Math.log10((step || 1e6) / 1e6))));
    return `${(v / 1e6).toFixed(d)}M`;
  }
  if (a >= 1e3) {
    const d = Math.max(0, Math.min(3, Math.ceil(-Math.log10((step || 1e3) / 1e3))));
    return `${(v / 1e3).toFixed(d)}k`;
  }
  return number(Math.round(v));
}

function price(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  return x.toFixed(S.priceDecimals);
}

function pct(x, digits = 2) {
  if (x === null || x === undefined || !Number.isFinite(x)) return "–";
  return `${x.toFixed(digits)}%`;
}

function label(s) {
  return String(s ?? "").replace(/_/g, " ");
}

function setHTML(el, html) {
  // only touch the DOM when the content changed: a button under the pointer stays put
  if (el._html !== html) {
    el.innerHTML = html;
    el._html = html;
  }
}

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function toast(text, kind = "ok", ms = 5000) {
  const t = document.createElement("div");
  t.className = `toast ${kind}`;
  t.textContent = text;
  $("toasts").appendChild(t);
  setTimeout(() => t.remove(), ms);
}

// --- the API ---------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function api(path, body) {
  const opts = { headers: { Authorization: `Bearer ${S.token}` }, cache: "no-store" };
  if (body !== undefined) {
    opts.method = "POST";
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const res = await fetch(path, opts);
  let data = null;
  try {
    data = await res.json();
  } catch (_) {
    data = null;
  }
  if (!res.ok) {
    let detail = data && data.detail !== undefined ? data.detail : res.statusText;
    if (typeof detail !== "string") detail = JSON.stringify(detail);
    if (res.status === 401 && body === undefined) signOut(`Signed out: ${detail}`);
    throw new ApiError(res.status, detail);
  }
  return data;
}

// --- sign-in ---------------------------------------------------------------------------------

async function signIn(token) {
  S.token = token;
  const session = ++S.session;
  let status;
  try {
    const res = await fetch("/api/status", {
      headers: { Authorization: `Bearer ${token}` }, cache: "no-store",
    });
    if (res.status === 401) throw new Error("unknown token");
    if (!res.ok) throw new Error(`the service answered ${res.status}`);
    status = await res.json();
  } catch (e) {
    S.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
    document.body.classList.add("signed-out");
    $("app").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = `Sign-in failed: ${e.message}`;
    return;
  }
  if (session !== S.session) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  resetData();
  document.body.classList.remove("signed-out");
  $("login").hidden = true;
  $("app").hidden = false;
  $("login-error").textContent = "";
  renderStatus(status);
  S.lastOk = Date.now();
  pollLoop(session);
  historyLoop(session);
  streamLoop(session);
  for (const c of Object.values(charts)) c.resize();
}

function signOut(message) {
  S.session++;
  S.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  if (S.stream) S.stream.abort();
  clearTimeout(S.pollTimer);
  clearTimeout(S.histTimer);
  document.body.classList.add("signed-out");
  document.body.classList.remove("viewer", "killed");
  $("app").hidden = true;
  $("login").hidden = false;
  $("login-token").value = "";
  $("login-error").textContent = message || "";
  closeModal();
}

function resetData() {
  S.status = S.risk = S.orders = S.positions = null;
  S.hist = { t: 0, prices: {}, equity: [], halts: new Map() };
  S.bands = {};
  S.marks = [];
  S.lastSeq = 0;
  S.events = [];
  S.pending = [];
  S.l4seen = new Set();
  $("timeline").innerHTML = "";
}

// --- polling ---------------------------------------------------------------------------------

async function pollLoop(session) {
  if (session !== S.session) return;
  try {
    const [status, risk, orders, positions] = await Promise.all([
      api("/api/status"), api("/api/risk"), api("/api/orders"), api("/api/positions"),
    ]);
    if (session !== S.session) return;
    S.risk = risk;
    S.orders = orders;
    S.positions = positions;
    renderStatus(status);
    renderRisk();
    renderOrders();
    renderStrategies();
    S.lastOk = Date.now();
  } catch (e) {
    if (session !== S.session) return;
    if (!(e instanceof ApiError)) console.warn("poll failed", e);
  }
  renderConnection();
  S.pollTimer = setTimeout(() => pollLoop(session), POLL_MS);
}

function renderConnection() {
  const age = Date.now() - S.lastOk;
  const ok = age < STALE_MS;
  $("feed-poll").className = `dot ${ok ? "ok" : "bad"}`;
  const warn = $("conn-warning");
  warn.hidden = ok;
  if (!ok) {
    warn.textContent = `Connection to the service lost ${Math.round(age / 1000)} s ago: ` +
      "the figures below may be stale.";
  }
}

async function historyLoop(session) {
  if (session !== S.session) return;
  try {
    const h = await api(`/api/history?since_ns=${S.hist.t}`);
    if (session !== S.session) return;
    mergeHistory(h);
    drawCharts();
  } catch (e) {
    if (!(e instanceof ApiError)) console.warn("history failed", e);
  }
  S.histTimer = setTimeout(() => historyLoop(session), HISTORY_MS);
}

function appendPoints(into, points) {
  const last = into.length ? into[into.length - 1][0] : -Infinity;
  for (const p of points || []) if (p[0] > last) into.push(p);
}

function mergeHistory(h) {
  for (const [venue, pts] of Object.entries(h.prices || {})) {
    if (!S.hist.prices[venue]) S.hist.prices[venue] = [];
    appendPoints(S.hist.prices[venue], pts);
  }
  appendPoints(S.hist.equity, h.equity);
  for (const x of h.halts || []) S.hist.halts.set(`${x.venue}|${x.start_ns}|${x.status}`, x);
  if (Number.isFinite(h.t_ns) && h.t_ns > S.hist.t) S.hist.t = h.t_ns;
}

// --- the header, the kill switch, venues -----------------------------------------------------

function renderStatus(st) {
  S.status = st;
  if (st.tick_size) {
    S.tickSize = Number(st.tick_size);
    const dot = String(st.tick_size).indexOf(".");
    S.priceDecimals = dot < 0 ? 0 : String(st.tick_size).length - dot - 1;
  }
  const user = st.user || {};
  setText($("user-name"), user.name || "–");
  setText($("user-role"), user.role || "–");
  $("user-role").className = `role ${user.role === "risk-manager" ? "rm" : ""}`;
  const viewer = user.role !== "risk-manager";
  document.body.classList.toggle("viewer", viewer);

  setText($("hdr-scenario"), st.scenario ?? "–");
  setText($("hdr-seed"), String(st.seed ?? "–"));
  setText($("hdr-speed"), st.speed ? `${number(st.speed)}×` : "–");
  setText($("sim-time"), st.sim_time || hhmmss(st.sim_time_ns));
  setText($("hdr-state"), st.state || "–");
  const prog = Math.max(0, Math.min(1, st.progress || 0));
  $("hdr-progress-bar").style.width = `${(prog * 100).toFixed(1)}%`;
  setText($("hdr-progress-text"), `${(prog * 100).toFixed(1)}%`);
  setText($("hdr-start"), hhmm(st.start_ns));
  setText($("hdr-end"), hhmm(st.end_ns));
  setText($("hdr-seq"), String(st.journal_seq ?? "–"));
  setText($("last-update"), new Date().toLocaleTimeString("en-GB"));

  const failed = $("run-error");
  failed.hidden = !st.error;
  if (st.error) setText(failed, `The run stopped: ${st.error}. The figures below are where it stopped.`);

  const mode = st.mode || "active";
  const badge = $("mode-badge");
  setText(badge, label(mode));
  badge.className = `badge mode-${mode}`;

  renderKill(st.kill_switch || { engaged: false }, viewer);
  recordBands(st);
  renderVenues(st.venues || []);
}

function renderKill(ks, viewer) {
  const engaged = !!ks.engaged;
  const pending = engaged && ks.reset_pending;
  document.body.classList.toggle("killed", engaged);
  const badge = $("kill-state");
  badge.dataset.engaged = engaged ? "true" : "false";
  setText(badge, engaged ? (pending ? "ENGAGED · reset pending" : "ENGAGED") : "off");
  badge.className = `badge ${engaged ? (pending ? "kill-pending" : "kill-on") : "kill-off"}`;
  $("kill-banner").hidden = !engaged;
  if (engaged) {
    setText($("kill-by"), ks.by || "–");
    setText($("kill-since"), ks.since || hhmmss(ks.since_ns));
    setText($("kill-reason"), ks.reason || "–");
  }
  const pend = $("reset-pending");
  pend.hidden = !pending;
  if (pending) {
    const p = ks.reset_pending;
    let when;
    if (p.release_at_ns === null || p.release_at_ns === undefined) {
      when = "a venue is still halted; the cool-down starts at its reopen";
    } else {
      when = `release at ${hhmmss(p.release_at_ns)}`;
    }
    setText(pend, `Reset by ${p.by} pending until the cool-down ends (${when})`);
  }
  const btn = $("kill-button");
  btn.disabled = viewer || engaged;
  btn.title = viewer ? "read-only: a viewer cannot operate the kill switch"
    : engaged ? "the kill switch is engaged" : "engage the kill switch";
  $("kill-viewer-note").hidden = !viewer;
  $("reset-button").disabled = viewer || !!pending;
}

function recordBands(st) {
  for (const v of st.venues || []) {
    if (!v.band) continue;
    const list = S.bands[v.name] || (S.bands[v.name] = []);
    const last = list[list.length - 1];
    if (!last || last[1] !== v.band[0] || last[2] !== v.band[1]) {
      list.push([st.sim_time_ns, v.band[0], v.band[1]]);
    }
  }
}

function relColor(r) {
  return r >= 0.8 ? "var(--green)" : r >= 0.5 ? "var(--amber)" : "var(--red)";
}

function renderVenues(venues) {
  const cards = venues.map((v) => {
    const rel = v.reliability;
    const relBar = rel === null || rel === undefined ? '<span class="muted">–</span>'
      : `<span class="rel-bar"><span style="width:${(rel * 100).toFixed(0)}%;` +
        `background:${relColor(rel)}"></span></span><span class="num">${rel.toFixed(2)}</span>`;
    const book = v.dark ? '<span class="muted">dark: no displayed quote</span>'
      : `<span class="num"><span class="bid">${price(v.bid)}</span> × <span class="ask">${price(v.ask)}</span></span>` +
        `<span class="muted">last <span class="num">${price(v.last)}</span></span>`;
    const reason = v.reason && v.status !== "open" ? `<div class="venue-reason">${esc(label(v.reason))}</div>` : "";
    return `<div class="venue st-edge-${esc(v.status)}" data-venue="${esc(v.name)}">` +
      `<div class="venue-row"><b class="venue-name">${esc(v.name)}</b>` +
      `<span class="badge st st-${esc(v.status)}" data-testid="venue-status">${esc(label(v.status))}</span>` +
      `<span class="rel" title="SOR reliability: how often displayed liquidity was really there">${relBar}</span></div>` +
      `<div class="venue-row small">${book}</div>${reason}</div>`;
  });
  setHTML($("venues"), cards.join("") || '<div class="muted">no venues</div>');
}

// --- portfolio, layers ------------------------------------------------------------------------

function findLimit(layer, re) {
  for (const l of (S.risk && S.risk.layers) || []) {
    if (l.layer !== layer) continue;
    for (const lim of l.limits || []) if (re.test(lim.name) && typeof lim.limit === "number") return lim.limit;
  }
  return null;
}

function setMetric(id, text, cls) {
  const el = $(id);
  setText(el, text);
  if (cls !== undefined) el.className = `metric-value num ${cls}`;
}

function level(value, limit) {
  if (limit === null || !Number.isFinite(value) || !limit) return "";
  const u = Math.abs(value) / Math.abs(limit);
  return u > 1 ? "breach" : u > 0.8 ? "warn" : "";
}

function renderRisk() {
  const r = S.risk;
  if (!r) return;
  setMetric("m-equity", money(r.equity));
  setMetric("m-pnl", money(r.pnl, true), r.pnl > 0 ? "pos" : r.pnl < 0 ? "neg" : "");
  setMetric("m-dd", pct(r.drawdown_pct), r.drawdown_pct > 0 ? "neg" : "");
  setText($("m-maxdd"), `max ${pct(r.max_drawdown_pct)}`);
  setMetric("m-var", money(r.var));
  setMetric("m-es", money(r.es));
  const varLim = findLimit("L3", /\bvar\b|max_var/i);
  const esLim = findLimit("L3", /\bes\b|max_es/i);
  setText($("m-var-limit"), varLim !== null ? `limit ${money(varLim)}` : "");
  setText($("m-es-limit"), esLim !== null ? `limit ${money(esLim)}` : "");
  $("m-var").parentElement.className = `metric ${level(r.var, varLim)}`;
  $("m-es").parentElement.className = `metric ${level(r.es, esLim)}`;
  setMetric("m-gross", money(r.gross));
  setMetric("m-net", money(r.net, true));
  setMetric("m-vpin", Number.isFinite(r.vpin_cdf) ? r.vpin_cdf.toFixed(2) : "–");
  const vp = Math.max(0, Math.min(1, r.vpin_cdf || 0));
  const bar = $("m-vpin-bar");
  bar.style.width = `${(vp * 100).toFixed(0)}%`;
  bar.style.background = vp > 0.9 ? "var(--red)" : vp > 0.7 ? "var(--amber)" : "var(--accent)";
  renderLayers(r.layers || []);
}

const UNIT_SHORT = { currency: "", lots: " lots", bps: " bps", orders: "", messages: " msgs" };

function limitNumber(v) {
  if (typeof v !== "number") return esc(v);
  return Math.abs(v) >= 1e5 ? compact(v) : number(v);
}

function limitRow(m) {
  let use = "";
  let title = "";
  if (typeof m.value === "number" && typeof m.limit === "number" && m.limit) {
    const u = Math.abs(m.value) / Math.abs(m.limit);
    const cls = u > 1 ? "breach" : u > 0.8 ? "warn" : "";
    title = `${(u * 100).toFixed(0)}% of the limit`;
    use = `<span class="use ${cls}"><span style="width:${Math.min(100, u * 100).toFixed(1)}%"></span></span>`;
  }
  const unit = UNIT_SHORT[m.unit] ?? (m.unit ? ` ${esc(m.unit)}` : "");
  const hasValue = m.value !== null && m.value !== undefined;
  const hasLimit = m.limit !== null && m.limit !== undefined;
  const text = hasValue && hasLimit ? `${limitNumber(m.value)} / ${limitNumber(m.limit)}${unit}`
    : hasLimit ? `max ${limitNumber(m.limit)}${unit}` : hasValue ? `${limitNumber(m.value)}${unit}` : "–";
  const full = `${m.name} (${m.scope}): ${hasValue ? m.value : "–"} of ${hasLimit ? m.limit : "–"} ${m.unit || ""}`;
  return `<tr title="${esc(title ? `${full}; ${title}` : full)}"><td class="lname">${esc(label(m.name))}</td>` +
    `<td class="lval">${text}</td><td class="luse">${use}</td></tr>`;
}

function renderLayers(layers) {
  const html = layers.map((l) => {
    const flag = !l.enabled ? '<span class="layer-flag flag-off">off</span>'
      : l.acting ? '<span class="layer-flag flag-acting">acting</span>'
        : '<span class="layer-flag flag-idle">ok</span>';
    const rows = [];
    let scope = null;
    const scopes = new Set((l.limits || []).map((m) => m.scope));
    for (const m of l.limits || []) {
      if (scopes.size > 1 && m.scope !== scope) rows.push(`<tr class="scope"><td colspan="3">${esc(label(m.scope))}</td></tr>`);
      scope = m.scope;
      rows.push(limitRow(m));
    }
    const lid = String(l.layer).toLowerCase();
    return `<div class="layer ${lid} ${l.acting ? "acting" : ""} ${l.enabled ? "" : "disabled"}" ` +
      `data-layer="${esc(l.layer)}"><div class="layer-head"><span class="layer-id">${esc(l.layer)}</span>` +
      `<span class="layer-name">${esc(l.name)}</span>${flag}</div>` +
      '<table class="limits"><colgroup><col class="c-name"><col class="c-val"><col class="c-use"></colgroup>' +
      `${rows.join("")}</table></div>`;
  });
  setHTML($("layers"), html.join(""));
}

// --- strategies and orders -------------------------------------------------------------------

function renderStrategies() {
  const st = S.status;
  if (!st) return;
  const byStrategy = {};
  for (const p of (S.positions && S.positions.positions) || []) {
    const s = byStrategy[p.strategy] || (byStrategy[p.strategy] = { real: 0, unreal: 0, avg: [] });
    s.real += p.realized || 0;
    s.unreal += p.unrealized || 0;
    if (p.qty && p.avg_price !== null && p.avg_price !== undefined) s.avg.push(p.avg_price);
  }
  const rm = st.user && st.user.role === "risk-manager";
  const rows = (st.strategies || []).map((s) => {
    const pos = Object.entries(s.positions || {})
      .map(([inst, q]) => `${esc(inst)} <b class="${q > 0 ? "pos" : q < 0 ? "neg" : ""}">${q > 0 ? "+" : ""}${q}</b>`)
      .join(" ") || "–";
    const m = byStrategy[s.name] || { real: 0, unreal: 0, avg: [] };
    const tags = (s.flattening ? '<span class="tag tag-flat">flattening</span>' : "") +
      (s.agency ? '<span class="tag">agency</span>' : "");
    const halted = s.mode === "halted";
    const btn = rm ? `<button type="button" class="btn btn-small" data-action="${halted ? "resume" : "halt"}" ` +
      `data-strategy="${esc(s.name)}" data-testid="${halted ? "resume" : "halt"}-${esc(s.name)}">` +
      `${halted ? "resume" : "halt"}</button>` : "";
    const cls = (v) => (v > 0 ? "pos" : v < 0 ? "neg" : "");
    return `<tr class="row-${esc(s.mode)}" data-strategy="${esc(s.name)}"><td><b>${esc(s.name)}</b>${tags}</td>` +
      `<td><span class="badge st st-${esc(s.mode)}">${esc(label(s.mode))}</span></td>` +
      `<td><span class="badge st st-${esc(s.regime)}">${esc(label(s.regime))}</span></td>` +
      `<td class="r num">${Number.isFinite(s.size_multiplier) ? s.size_multiplier.toFixed(2) : "–"}</td>` +
      `<td class="r num">${pos}</td><td class="r num">${m.avg.length ? m.avg.map(price).join(" ") : "–"}</td>` +
      `<td class="r num ${cls(m.unreal)}">${money(m.unreal, true)}</td>` +
      `<td class="r num ${cls(m.real)}">${money(m.real, true)}</td><td class="r">${btn}</td></tr>`;
  });
  setHTML($("strategies"), rows.join("") || '<tr class="empty"><td colspan="9">no strategies</td></tr>');
}

function renderOrders() {
  const o = S.orders;
  if (!o) return;
  const count = $("open-orders-count");
  setText(count, String(o.open));
  count.classList.toggle("zero", o.open === 0);
  const venues = o.venues || {};
  const perVenue = Object.entries(venues).map(([v, list]) => `${v} ${list.length}`);
  setText($("open-orders-venues"), perVenue.length ? perVenue.join(" · ") : "no venue has an order of ours");
  const all = [];
  for (const [venue, list] of Object.entries(venues)) for (const x of list) all.push({ venue, ...x });
  all.sort((a, b) => a.venue.localeCompare(b.venue) || b.price - a.price || a.order_id - b.order_id);
  const shown = all.slice(0, 60);
  const rows = shown.map((x) => `<tr><td>${esc(x.venue)}</td><td>${esc(x.strategy)}</td>` +
    `<td class="side-${esc(x.side)}">${esc(String(x.side).toUpperCase())}</td>` +
    `<td class="r num">${price(x.price)}</td><td class="r num">${x.qty}</td>` +
    `<td class="r num">${x.leaves}</td><td class="r num muted">${x.order_id}</td></tr>`);
  setHTML($("orders"), rows.join("") || '<tr class="empty"><td colspan="7">no open orders</td></tr>');
  setText($("orders-more"), all.length > shown.length ? `showing ${shown.length} of ${all.length}` : "");
}

// --- the event stream and the timeline --------------------------------------------------------

async function streamLoop(session) {
  let backoff = 1000;
  while (session === S.session) {
    const ctrl = new AbortController();
    S.stream = ctrl;
    try {
      const res = await fetch(`/api/events?types=${STREAM_TYPES}&since=${S.lastSeq}`, {
        headers: { Authorization: `Bearer ${S.token}`, Accept: "text/event-stream" },
        cache: "no-store", signal: ctrl.signal,
      });
      if (res.status === 401) {
        signOut("Signed out: the service no longer accepts this token");
        return;
      }
      if (!res.ok || !res.body) throw new Error(`events: ${res.status}`);
      $("feed-stream").className = "dot ok";
      backoff = 1000;
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let m;
        while ((m = /\r\n\r\n|\n\n|\r\r/.exec(buf)) !== null) {
          const block = buf.slice(0, m.index);
          buf = buf.slice(m.index + m[0].length);
          onBlock(block);
        }
      }
    } catch (e) {
      if (session !== S.session) return;
      console.warn("event stream", e);
    }
    if (session !== S.session) return;
    $("feed-stream").className = "dot bad";
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(backoff * 2, 8000);
  }
}

function onBlock(block) {
  let id = null;
  let type = null;
  const data = [];
  for (const line of block.split(/\r\n|\n|\r/)) {
    if (!line || line[0] === ":") continue;
    const i = line.indexOf(":");
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? "" : line.slice(i + 1);
    if (value[0] === " ") value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "id") id = value;
    else if (field === "event") type = value;
  }
  if (!data.length) return;
  let ev;
  try {
    ev = JSON.parse(data.join("\n"));
  } catch (_) {
    return;
  }
  const seq = Number(ev.seq ?? id);
  if (Number.isFinite(seq)) {
    if (seq <= S.lastSeq) return; // a replay after a reconnect
    S.lastSeq = seq;
  }
  ev.type = ev.type || type;
  S.pending.push(ev);
  if (!S.flushTimer) S.flushTimer = setTimeout(flushEvents, 150);
}

function describe(ev) {
  // -> {kind, cls, tag, text} or null to leave it out
  switch (ev.type) {
    case "risk_action": {
      if (ev.layer === "L4" && (ev.action === "kill" || ev.action === "reset")) {
        S.l4seen.add(`${ev.t_ns}|${ev.action}`);
        S.marks.push({ t: ev.t_ns, on: ev.action === "kill" });
      }
      if (ev.action === "reject") {
        // an engaged kill switch rejects every order the strategies still try: one line
        const agg = {
          key: `reject|${ev.layer}|${ev.rule}`, layer: ev.layer, rule: ev.rule, value: ev.value,
          limit: ev.limit, n: 1, who: new Set([ev.strategy || "?"]), first: ev.t_ns,
        };
        return {
          kind: "reject", cls: `reject ${String(ev.layer || "").toLowerCase()}`, tag: ev.layer,
          agg, html: rejectHtml(agg),
        };
      }
      const lab = ACTION_LABEL[ev.action] || ev.action;
      const who = ev.strategy || { L3: "portfolio", L4: "all" }[ev.layer] || ev.layer;
      const head = `${ev.layer} ${who} -> ${lab}`;
      let text;
      if (ev.rule === "manual" || ev.action === "flatten_strategy") {
        text = ev.detail ? `${head} (${ev.detail})` : head;
      } else if (ev.rule === "cooldown") {
        text = ev.limit >= 0 ? `${head} (cool-down until ${hhmmss(ev.limit)})` : head;
      } else {
        const unit = UNIT[ev.rule] || "";
        const cmp = RECOVERY.has(ev.action) ? "<=" : ">";
        let why = `${ev.rule} ${number(ev.value)}${unit} ${cmp} ${number(ev.limit)}${unit}`;
        if (ev.detail && ev.detail.length <= 40 && !ev.detail.startsWith("by=")) why += `, ${ev.detail}`;
        text = `${head} (${why})`;
      }
      const recovery = RECOVERY.has(ev.action);
      const lid = String(ev.layer || "").toLowerCase();
      return { kind: ev.layer === "L4" ? "kill" : "risk", cls: recovery ? "recovery" : lid, tag: ev.layer, text };
    }
    case "kill_switch": {
      const action = ev.engaged ? "kill" : "reset";
      if (S.l4seen.has(`${ev.t_ns}|${action}`)) return null; // the gate's RiskAction said it
      S.marks.push({ t: ev.t_ns, on: !!ev.engaged });
      const text = ev.engaged ? `L4 KILL SWITCH ENGAGED by ${ev.by}: ${ev.reason}`
        : `L4 kill switch reset by ${ev.by}: ${ev.reason}`;
      return { kind: "kill", cls: ev.engaged ? "l4" : "recovery", tag: "L4", text };
    }
    case "regime_change":
      return {
        kind: "regime", cls: "regime", tag: "RGM",
        text: ev.reason ? `${ev.strategy} -> ${ev.mode} mode (${ev.reason})` : `${ev.strategy} -> ${ev.mode} mode`,
      };
    case "venue_status":
      return {
        kind: "venue", cls: `venue ${BAD_STATUS.has(ev.status) ? "bad" : ""}`, tag: "VEN",
        text: `${ev.venue} ${ev.instrument || ""} ${label(ev.status).toUpperCase()}${ev.reason ? ` · ${label(ev.reason)}` : ""}`,
      };
    case "operator": {
      const target = ev.target ? ` ${ev.target}` : "";
      return {
        kind: "operator", cls: "operator", tag: "OPR",
        text: `${ev.by} (${ev.role}): ${label(ev.action)}${target}${ev.reason ? ` — ${ev.reason}` : ""}`,
      };
    }
    case "fill": {
      const side = SIDE[ev.side] || String(ev.side); // core Side: BUY = 1, SELL = -1
      const px = Number.isInteger(ev.price) ? ev.price * S.tickSize : ev.price;
      // one line per venue, side and simulated second: a market maker's fills come in bursts
      const agg = {
        key: `${ev.venue}|${side}|${Math.floor(ev.t_ns / NS)}`, venue: ev.venue, side,
        qty: Number(ev.qty) || 0, lo: px, hi: px, n: 1,
      };
      return { kind: "fill", cls: `fill ${side}`, tag: "FILL", agg, html: fillHtml(agg) };
    }
    default:
      return null;
  }
}

function rejectHtml(a) {
  const n = a.n === 1 ? "an order" : `${a.n} orders`;
  const since = a.n > 1 ? ` <span class="muted">since ${hhmmss(a.first)}</span>` : "";
  return `${esc(a.layer)} rejected ${n} (${esc(a.rule)} ${esc(number(a.value))} &gt; ` +
    `${esc(number(a.limit))}) <span class="muted">${esc([...a.who].join(", "))}</span>${since}`;
}

const MERGE_BACK = 12; // lines looked back at for the same burst
const MERGE_NS = 5 * NS; // ... within this much simulated time

function recentSame(key, t) {
  const ev = S.events;
  for (let i = ev.length - 1; i >= Math.max(0, ev.length - MERGE_BACK); i--) {
    const x = ev[i];
    if (x.agg && x.agg.key === key && t - x.ev.t_ns <= MERGE_NS) {
      if (i !== ev.length - 1) {
        // it becomes the newest line again
        ev.splice(i, 1);
        ev.push(x);
        if (x.li && x.li.isConnected) $("timeline").insertBefore(x.li, $("timeline").firstChild);
      }
      return x;
    }
  }
  return null;
}

function mergeInto(prev, d, ev) {
  const a = prev.agg;
  const b = d.agg;
  a.n += 1;
  if (b.who) {
    for (const w of b.who) a.who.add(w);
    a.value = b.value;
    prev.html = rejectHtml(a);
  } else {
    a.qty += b.qty;
    a.lo = Math.min(a.lo, b.lo);
    a.hi = Math.max(a.hi, b.hi);
    prev.html = fillHtml(a);
  }
  prev.ev = ev; // the line shows the latest time
  if (prev.li && prev.li.isConnected) {
    prev.li.firstChild.textContent = hhmmss(ev.t_ns);
    prev.li.lastChild.innerHTML = prev.html;
  }
}

function fillHtml(a) {
  const px = a.lo === a.hi ? price(a.lo) : `${price(a.lo)}–${price(a.hi)}`;
  const n = a.n > 1 ? ` <span class="muted">(${a.n} fills)</span>` : "";
  return `${esc(a.venue)} <b>${esc(a.side.toUpperCase())}</b> ${a.qty} @ ${esc(px)}${n}`;
}

function flushEvents() {
  S.flushTimer = null;
  const batch = S.pending;
  S.pending = [];
  const fresh = batch.length < 30;
  const added = [];
  for (const ev of batch) {
    const d = describe(ev);
    if (!d) continue;
    if (d.agg) {
      // the same burst goes on one line, even with a few other lines in between
      const prev = recentSame(d.agg.key, ev.t_ns);
      if (prev) {
        mergeInto(prev, d, ev);
        continue;
      }
    }
    const item = { ev, ...d, fresh };
    S.events.push(item);
    added.push(item);
  }
  if (S.events.length > EVENTS_KEPT) S.events.splice(0, S.events.length - EVENTS_KEPT);
  const list = $("timeline");
  const isNew = new Set(added);
  const shown = S.events.filter((x) => isNew.has(x) && S.filters.has(x.kind)); // merges reorder
  if (shown.length > TIMELINE_MAX) shown.splice(0, shown.length - TIMELINE_MAX);
  const frag = document.createDocumentFragment();
  for (let i = shown.length - 1; i >= 0; i--) {
    const li = eventRow(shown[i]);
    shown[i].li = li;
    frag.appendChild(li);
  }
  list.insertBefore(frag, list.firstChild);
  while (list.children.length > TIMELINE_MAX) list.removeChild(list.lastChild);
  renderTimelineCount();
  if (added.some((x) => x.kind === "kill")) drawCharts();
}

function eventRow(x) {
  const li = document.createElement("li");
  li.className = `ev ${x.cls}${x.fresh ? " fresh" : ""}`;
  li.dataset.type = x.ev.type;
  li.dataset.seq = String(x.ev.seq ?? "");
  const body = x.html !== undefined ? x.html : esc(x.text);
  li.innerHTML = `<span class="ev-time">${hhmmss(x.ev.t_ns)}</span><span class="ev-tag">${esc(x.tag)}</span>` +
    `<span class="ev-text">${body}</span>`;
  return li;
}

function rebuildTimeline() {
  const list = $("timeline");
  list.innerHTML = "";
  const shown = S.events.filter((x) => S.filters.has(x.kind)).slice(-TIMELINE_MAX);
  const frag = document.createDocumentFragment();
  for (let i = shown.length - 1; i >= 0; i--) {
    shown[i].fresh = false;
    shown[i].li = eventRow(shown[i]);
    frag.appendChild(shown[i].li);
  }
  list.appendChild(frag);
  renderTimelineCount();
}

function renderTimelineCount() {
  const n = $("timeline").children.length;
  setText($("timeline-count"), `${n} shown`);
}

// --- charts (canvas, drawn by hand) ------------------------------------------------------------

const X_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200].map((s) => s * NS);

function niceStep(span, count) {
  const raw = span / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

function lowerBound(points, t) {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid][0] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

class Chart {
  constructor(canvas, opts) {
    this.canvas = canvas;
    this.opts = Object.assign({ xAxis: true, yFmt: number, padTop: 8, fill: false }, opts);
    this.data = null;
    this.hoverX = null;
    new ResizeObserver(() => this.resize()).observe(canvas.parentElement);
    canvas.addEventListener("mousemove", (e) => {
      this.hoverX = e.offsetX;
      this.draw();
    });
    canvas.addEventListener("mouseleave", () => {
      this.hoverX = null;
      this.draw();
    });
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    if (!w || !h) return;
    this.canvas.width = Math.round(w * dpr);
    this.canvas.height = Math.round(h * dpr);
    this.w = w;
    this.h = h;
    this.dpr = dpr;
    this.draw();
  }

  set(data) {
    this.data = data;
    this.draw();
  }

  draw() {
    const d = this.data;
    if (!d || !this.w) return;
    const ctx = this.canvas.getContext("2d");
    const o = this.opts;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.clearRect(0, 0, this.w, this.h);
    const L = 6;
    const R = 64;
    const T = o.padTop;
    const B = o.xAxis ? 18 : 4;
    const pw = this.w - L - R;
    const ph = this.h - T - B;
    if (pw <= 10 || ph <= 10) return;
    const [x0, x1] = d.x;
    const sx = (t) => L + ((t - x0) / (x1 - x0)) * pw;

    // y range over what is visible
    let lo = Infinity;
    let hi = -Infinity;
    const visible = d.series.map((s) => {
      const i0 = Math.max(0, lowerBound(s.points, x0) - 1);
      const pts = s.points.slice(i0);
      for (const p of pts) {
        const v = p[1];
        if (v === null || !Number.isFinite(v)) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      return pts;
    });
    // a band (LULD) widens the range only when the prices come near it; otherwise an arrow
    // at the edge says where it is
    const offscale = [];
    if (Number.isFinite(lo)) {
      const near = Math.max(hi - lo, Math.abs(hi) * 0.01);
      for (const b of d.bands || []) {
        const cur = b.points.length ? b.points[b.points.length - 1] : null;
        for (const p of b.points) {
          if (p[0] > x1) continue;
          if (p[1] >= lo - near) lo = Math.min(lo, p[1]);
          if (p[2] <= hi + near) hi = Math.max(hi, p[2]);
        }
        if (cur && cur[1] < lo) offscale.push({ v: cur[1], below: true, color: b.color, name: b.name });
        if (cur && cur[2] > hi) offscale.push({ v: cur[2], below: false, color: b.color, name: b.name });
      }
    }
    for (const y of d.hlines || []) {
      if (!Number.isFinite(lo) || y.v <= hi * (y.reach || Infinity)) {
        lo = Math.min(lo, y.v);
        hi = Math.max(hi, y.v);
      } else offscale.push({ v: y.v, below: false, color: y.color, name: y.label, fmt: true });
    }
    if (o.zero) {
      lo = Math.min(lo, 0);
      hi = Math.max(hi, 0);
    }
    if (!Number.isFinite(lo)) {
      ctx.fillStyle = "#56636f";
      ctx.font = "12px system-ui, 'DejaVu Sans', sans-serif";
      ctx.fillText(o.empty || "waiting for data…", L + 8, T + ph / 2);
      return;
    }
    let span = hi - lo;
    const minSpan = o.minSpan || Math.max(Math.abs(hi) * 1e-4, 1e-9);
    if (span < minSpan) {
      lo -= (minSpan - span) / 2;
      hi += (minSpan - span) / 2;
      span = minSpan;
    }
    if (!o.zero || lo < 0) lo -= span * 0.06;
    if (!o.zero || hi > 0) hi += span * 0.06;
    const sy = (v) => T + (1 - (v - lo) / (hi - lo)) * ph;

    // shaded intervals (halts, pauses, auctions) full height, and a strip per venue below
    for (const s of d.shades || []) {
      const a = Math.max(L, sx(s.start));
      const b = Math.min(L + pw, sx(s.end ?? x1));
      if (b <= a - 0.5) continue;
      ctx.fillStyle = SHADE[s.status] || SHADE.halted;
      ctx.fillRect(a, T, Math.max(1, b - a), ph);
      if (s.row !== undefined) {
        ctx.fillStyle = STRIP[s.status] || STRIP.halted;
        ctx.fillRect(a, T + ph - 4 * (s.row + 1), Math.max(1.5, b - a), 3);
      }
    }

    // grid and y labels
    ctx.font = "11px 'DejaVu Sans Mono', monospace";
    ctx.textBaseline = "middle";
    const ystep = niceStep(hi - lo, Math.max(2, Math.floor(ph / 34)));
    // where the last-value tags go (drawn at the end), so no axis label sits under one
    const tags = [];
    d.series.forEach((s, si) => {
      const pts = visible[si];
      const last = pts.length ? pts[pts.length - 1] : null;
      if (!last || !Number.isFinite(last[1]) || s.tag === false) return;
      let y = Math.max(T + 7, Math.min(T + ph - 7, sy(last[1])));
      for (const u of tags) if (Math.abs(u.y - y) < 14) y = u.y + (y >= u.y ? 14 : -14);
      tags.push({ y, v: last[1], color: s.color });
    });
    ctx.strokeStyle = "#1a2530";
    ctx.lineWidth = 1;
    ctx.fillStyle = "#7b8a9a";
    for (let v = Math.ceil(lo / ystep) * ystep; v <= hi; v += ystep) {
      const y = Math.round(sy(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(L, y);
      ctx.lineTo(L + pw, y);
      ctx.stroke();
      if (!tags.some((t) => Math.abs(t.y - y) < 11)) {
        ctx.fillText(o.yFmt(Math.abs(v) < ystep / 1e6 ? 0 : v, ystep), L + pw + 6, y);
      }
    }
    if (o.zero && lo < 0 && hi > 0) {
      ctx.strokeStyle = "#3a4a5a";
      ctx.beginPath();
      ctx.moveTo(L, Math.round(sy(0)) + 0.5);
      ctx.lineTo(L + pw, Math.round(sy(0)) + 0.5);
      ctx.stroke();
    }
    // x grid and labels
    const xstep = X_STEPS.find((s) => (x1 - x0) / s <= Math.max(2, pw / 95)) || X_STEPS[X_STEPS.length - 1];
    ctx.textBaseline = "top";
    ctx.textAlign = "center";
    for (let t = Math.ceil(x0 / xstep) * xstep; t <= x1; t += xstep) {
      const x = Math.round(sx(t)) + 0.5;
      ctx.strokeStyle = "#16202a";
      ctx.beginPath();
      ctx.moveTo(x, T);
      ctx.lineTo(x, T + ph);
      ctx.stroke();
      if (o.xAxis) {
        const text = xstep < 60 * NS ? hhmmss(t) : hhmm(t);
        const half = ctx.measureText(text).width / 2;
        if (x - half >= 0 && x + half <= L + pw + 4) {
          ctx.fillStyle = "#7b8a9a";
          ctx.fillText(text, x, T + ph + 4);
        }
      }
    }
    ctx.textAlign = "left";

    ctx.save();
    ctx.beginPath();
    ctx.rect(L, T, pw, ph);
    ctx.clip();

    // bands (LULD): stepped dashed lines
    for (const b of d.bands || []) {
      ctx.strokeStyle = b.color;
      ctx.setLineDash([4, 4]);
      ctx.lineWidth = 1;
      for (const k of [1, 2]) {
        ctx.beginPath();
        b.points.forEach((p, i) => {
          const x = sx(p[0]);
          const y = sy(p[k]);
          if (i === 0) ctx.moveTo(x, y);
          else {
            ctx.lineTo(x, sy(b.points[i - 1][k]));
            ctx.lineTo(x, y);
          }
        });
        const last = b.points[b.points.length - 1];
        if (last) ctx.lineTo(L + pw, sy(last[k]));
        ctx.stroke();
      }
      ctx.setLineDash([]);
    }

    for (const h of d.hlines || []) {
      ctx.strokeStyle = h.color;
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(L, Math.round(sy(h.v)) + 0.5);
      ctx.lineTo(L + pw, Math.round(sy(h.v)) + 0.5);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = h.color;
      ctx.textBaseline = "bottom";
      ctx.fillText(h.label, L + 4, sy(h.v) - 2);
    }

    // the series
    d.series.forEach((s, si) => {
      const pts = visible[si];
      if (!pts.length) return;
      ctx.strokeStyle = s.color;
      ctx.lineWidth = s.width || 1.5;
      ctx.lineJoin = "round";
      ctx.beginPath();
      let started = false;
      for (const p of pts) {
        if (p[1] === null || !Number.isFinite(p[1])) {
          started = false;
          continue;
        }
        const x = sx(p[0]);
        const y = sy(p[1]);
        if (!started) {
          ctx.moveTo(x, y);
          started = true;
        } else ctx.lineTo(x, y);
      }
      ctx.stroke();
      if (s.fill) {
        const base = sy(o.zero ? 0 : lo);
        ctx.lineTo(sx(pts[pts.length - 1][0]), base);
        ctx.lineTo(sx(pts[0][0]), base);
        ctx.closePath();
        ctx.fillStyle = s.fill;
        ctx.fill();
      }
    });

    // kill switch marks
    ctx.textBaseline = "top";
    ctx.font = "bold 10px system-ui, 'DejaVu Sans', sans-serif";
    for (const m of d.marks || []) {
      if (m.t < x0 || m.t > x1) continue;
      const x = Math.round(sx(m.t)) + 0.5;
      ctx.strokeStyle = m.on ? "#ff4b55" : "#2fd07d";
      ctx.lineWidth = 1.5;
      ctx.setLineDash([3, 3]);
      ctx.beginPath();
      ctx.moveTo(x, T);
      ctx.lineTo(x, T + ph);
      ctx.stroke();
      ctx.setLineDash([]);
      if (o.markLabels !== false) {
        const text = m.on ? "KILL" : "RESET";
        const w = ctx.measureText(text).width;
        ctx.fillStyle = m.on ? "#ff4b55" : "#2fd07d";
        ctx.fillText(text, x + 3 + w > L + pw ? x - 3 - w : x + 3, T + 2);
      }
    }
    ctx.restore();

    ctx.font = "10px system-ui, 'DejaVu Sans', sans-serif";
    offscale.forEach((m, i) => {
      // top-left (under the title) or bottom-left: clear of the last-value tags on the right
      ctx.fillStyle = m.color;
      ctx.textBaseline = m.below ? "bottom" : "top";
      const y = m.below ? T + ph - 8 - 12 * i : T + 2 + (o.title ? 13 : 0) + 12 * i;
      const text = `${m.below ? "▼" : "▲"} ${m.fmt ? m.name : `${m.name} ${o.yFmt(m.v, 0.01)}`}`;
      ctx.fillText(text, L + 4, y);
    });
    if (o.title) {
      ctx.font = "bold 10px system-ui, 'DejaVu Sans', sans-serif";
      ctx.fillStyle = "#7b8a9a";
      ctx.textBaseline = "top";
      ctx.fillText(o.title, L + 4, T + 2);
    }

    // the last value of each series, tagged on the axis
    ctx.font = "bold 11px 'DejaVu Sans Mono', monospace";
    ctx.textBaseline = "middle";
    for (const t of tags) {
      const text = o.yFmt(t.v, ystep);
      const tw = ctx.measureText(text).width + 8;
      ctx.fillStyle = t.color;
      ctx.fillRect(L + pw + 2, t.y - 7, Math.min(tw, R - 2), 14);
      ctx.fillStyle = "#05080b";
      ctx.fillText(text, L + pw + 6, t.y);
    }

    // the crosshair and the values under it
    if (this.hoverX !== null && this.hoverX >= L && this.hoverX <= L + pw) {
      const t = x0 + ((this.hoverX - L) / pw) * (x1 - x0);
      ctx.strokeStyle = "#8a99a8";
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(Math.round(this.hoverX) + 0.5, T);
      ctx.lineTo(Math.round(this.hoverX) + 0.5, T + ph);
      ctx.stroke();
      const lines = [hhmmss(t)];
      d.series.forEach((s) => {
        const i = lowerBound(s.points, t);
        const p = s.points[Math.min(i, s.points.length - 1)];
        const q = i > 0 ? s.points[i - 1] : p;
        const best = p && q && Math.abs(q[0] - t) < Math.abs(p[0] - t) ? q : p;
        if (best && Number.isFinite(best[1])) lines.push(`${s.name} ${o.yFmt(best[1], ystep / 100)}`);
      });
      ctx.font = "11px 'DejaVu Sans Mono', monospace";
      const bw = Math.max(...lines.map((l) => ctx.measureText(l).width)) + 12;
      const bx = this.hoverX + 10 + bw > L + pw ? this.hoverX - 10 - bw : this.hoverX + 10;
      ctx.fillStyle = "rgba(10,14,19,0.92)";
      ctx.strokeStyle = "#2a3847";
      ctx.fillRect(bx, T + 4, bw, lines.length * 15 + 6);
      ctx.strokeRect(bx + 0.5, T + 4.5, bw, lines.length * 15 + 6);
      ctx.fillStyle = "#d5dde6";
      ctx.textBaseline = "top";
      lines.forEach((l, i) => ctx.fillText(l, bx + 6, T + 8 + i * 15));
    }
  }
}

const charts = {};

function xDomain() {
  const st = S.status;
  let last = S.hist.t || (st && st.sim_time_ns) || 0;
  if (st && st.sim_time_ns > last) last = st.sim_time_ns;
  let first = st && Number.isFinite(st.start_ns) ? st.start_ns : last - 60 * NS;
  const firstPoint = [S.hist.equity[0], ...Object.values(S.hist.prices).map((p) => p[0])]
    .filter(Boolean).map((p) => p[0]);
  if (firstPoint.length) first = Math.min(first, ...firstPoint);
  if (S.range) first = Math.max(first, last - S.range * NS);
  if (last - first < 60 * NS) last = first + 60 * NS;
  return [first, last];
}

function chartMarks() {
  // the stream's window may have dropped an old engagement: the status still knows it
  const ks = S.status && S.status.kill_switch;
  if (ks && ks.engaged && Number.isFinite(ks.since_ns) && !S.marks.some((m) => m.on && m.t === ks.since_ns)) {
    return [...S.marks, { t: ks.since_ns, on: true }];
  }
  return S.marks;
}

function drawCharts() {
  if (!charts.price) return;
  const x = xDomain();
  const marks = chartMarks();
  const venues = Object.keys(S.hist.prices).sort();
  const color = {};
  venues.forEach((v, i) => (color[v] = VENUE_COLORS[i % VENUE_COLORS.length]));
  const shades = [];
  for (const h of S.hist.halts.values()) {
    const row = venues.indexOf(h.venue);
    shades.push({ start: h.start_ns, end: h.end_ns, status: h.status, row: row < 0 ? undefined : row });
  }
  const bandVenue = venues.find((v) => S.bands[v] && S.bands[v].length);
  charts.price.set({
    x,
    series: venues.map((v) => ({ name: v, color: color[v], points: S.hist.prices[v], width: 1.4 })),
    shades,
    bands: bandVenue ? [{ color: "rgba(213,221,230,0.5)", points: S.bands[bandVenue], name: "LULD" }] : [],
    marks,
  });
  // what the chart holds, for a reader without eyes (the browser test)
  const canvas = $("price-chart");
  canvas.dataset.points = String(venues.reduce((n, v) => n + S.hist.prices[v].length, 0));
  canvas.dataset.halts = String(S.hist.halts.size);
  const legend = venues.map((v) => `<span class="key"><i style="background:${color[v]}"></i>${esc(v)}</span>`);
  if (bandVenue) legend.push('<span class="key"><i style="background:rgba(213,221,230,0.45)"></i>LULD band</span>');
  legend.push(`<span class="key"><i class="shade" style="background:${STRIP.paused}"></i>paused</span>`);
  legend.push(`<span class="key"><i class="shade" style="background:${STRIP.halted}"></i>halted</span>`);
  legend.push(`<span class="key"><i class="shade" style="background:${STRIP.auction}"></i>auction</span>`);
  setHTML($("price-legend"), legend.join(""));

  const eq = S.hist.equity;
  const allShades = shades.map((s) => ({ ...s, row: undefined }));
  charts.equity.set({
    x, series: [{ name: "equity", color: "#3ab8ff", points: eq.map((p) => [p[0], p[1]]), width: 1.6 }],
    marks, shades: allShades,
  });
  charts.dd.set({
    x, series: [{
      name: "drawdown", color: "#ff4b55", points: eq.map((p) => [p[0], -p[2]]),
      fill: "rgba(255,75,85,0.25)",
    }],
    marks,
  });
  const varLim = findLimit("L3", /\bvar\b|max_var/i);
  charts.var.set({
    x, series: [{ name: "VaR", color: "#ffb020", points: eq.map((p) => [p[0], p[3]]) }],
    hlines: varLim !== null ? [{
      v: varLim, color: "rgba(255,75,85,0.8)", label: `limit ${compact(varLim)}`, reach: 4,
    }] : [],
    marks,
  });
}

// --- operator commands ----------------------------------------------------------------------

let modalAction = null;

function openModal({ action, title, text, confirm, danger, run }) {
  modalAction = run;
  const m = $("modal");
  m.dataset.action = action;
  $("modal-form").className = `modal ${danger ? "danger" : ""}`;
  $("modal-title").textContent = title;
  $("modal-text").textContent = text;
  $("modal-confirm").textContent = confirm;
  $("modal-confirm").className = `btn ${danger ? "btn-danger" : "btn-primary"}`;
  $("modal-reason").value = "";
  $("modal-error").textContent = "";
  $("modal-confirm").disabled = true;
  $("modal-cancel").disabled = false;
  m.hidden = false;
  $("modal-reason").focus();
}

function closeModal() {
  $("modal").hidden = true;
  delete $("modal").dataset.action;
  modalAction = null;
}

async function submitModal(e) {
  e.preventDefault();
  const reason = $("modal-reason").value.trim();
  if (!reason || !modalAction) return;
  const run = modalAction;
  $("modal-confirm").disabled = true;
  $("modal-cancel").disabled = true;
  $("modal-error").textContent = "";
  try {
    await run(reason);
    closeModal();
  } catch (err) {
    const why = err instanceof ApiError ? `${err.status}: ${err.message}` : String(err.message || err);
    $("modal-error").textContent = `Refused — ${why}`;
    $("modal-confirm").disabled = false;
    $("modal-cancel").disabled = false;
  }
}

function refreshSoon() {
  clearTimeout(S.pollTimer);
  const session = S.session;
  S.pollTimer = setTimeout(() => pollLoop(session), 50);
}

function askKill() {
  openModal({
    action: "kill",
    title: "Engage the kill switch?",
    text: "This cancels every open order on every venue and blocks all new orders. " +
      "It stays engaged until an authorised reset.",
    confirm: "Engage kill switch",
    danger: true,
    run: async (reason) => {
      const res = await api("/api/kill", { reason });
      if (S.status) {
        S.status.kill_switch = res.kill_switch;
        renderKill(res.kill_switch, false);
      }
      refreshSoon();
    },
  });
}

function askReset() {
  openModal({
    action: "reset",
    title: "Reset the kill switch?",
    text: "Trading resumes once the reset takes effect. After a venue's reopen the reset waits " +
      "for the cool-down to end. Your name and reason go into the journal.",
    confirm: "Reset",
    danger: false,
    run: async (reason) => {
      const res = await api("/api/reset", { reason });
      if (res.released) toast("Kill switch reset: orders allowed again", "ok");
      else toast("Reset accepted but pending until the cool-down ends", "warn", 9000);
      if (S.status) {
        S.status.kill_switch = res.kill_switch;
        renderKill(res.kill_switch, false);
      }
      refreshSoon();
    },
  });
}

function askStrategy(action, name) {
  const halt = action === "halt";
  openModal({
    action,
    title: halt ? `Halt ${name}?` : `Resume ${name}?`,
    text: halt ? `The strategy ${name} stops and its working orders are cancelled.`
      : `The strategy ${name} may send orders again (the risk layers still apply).`,
    confirm: halt ? "Halt strategy" : "Resume strategy",
    danger: halt,
    run: async (reason) => {
      await api(`/api/strategies/${encodeURIComponent(name)}/${action}`, { reason });
      toast(`${name}: ${halt ? "halted" : "resumed"}`, halt ? "warn" : "ok");
      refreshSoon();
    },
  });
}

// --- wiring ------------------------------------------------------------------------------------

function init() {
  charts.price = new Chart($("price-chart"), { yFmt: (v) => price(v), empty: "waiting for prices…" });
  charts.equity = new Chart($("equity-chart"), {
    yFmt: axisMoney, xAxis: false, minSpan: 1000, title: "EQUITY",
  });
  charts.dd = new Chart($("dd-chart"), {
    yFmt: (v, step) => (Math.abs(v) < 0.005 ? "0%" : `${v.toFixed(step < 0.1 || Math.abs(v) < 1 ? 2 : 1)}%`), xAxis: false, zero: true, minSpan: 0.1,
    markLabels: false, title: "DRAWDOWN FROM HIGH-WATER MARK",
  });
  charts.var = new Chart($("var-chart"), {
    yFmt: axisMoney, zero: true, minSpan: 1000, markLabels: false, title: "VaR 99%",
  });

  $("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const token = $("login-token").value.trim();
    if (token) signIn(token);
  });
  $("logout").addEventListener("click", () => signOut(""));
  $("kill-button").addEventListener("click", () => {
    if (!$("kill-button").disabled) askKill();
  });
  $("reset-button").addEventListener("click", askReset);
  $("strategies").addEventListener("click", (e) => {
    const b = e.target.closest("button[data-action]");
    if (b) askStrategy(b.dataset.action, b.dataset.strategy);
  });
  $("modal-form").addEventListener("submit", submitModal);
  $("modal-cancel").addEventListener("click", closeModal);
  $("modal-reason").addEventListener("input", () => {
    $("modal-confirm").disabled = !$("modal-reason").value.trim();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("modal").hidden && !$("modal-cancel").disabled) closeModal();
  });
  $("timeline-filters").addEventListener("change", (e) => {
    const k = e.target.dataset.kind;
    if (!k) return;
    if (e.target.checked) S.filters.add(k);
    else S.filters.delete(k);
    rebuildTimeline();
  });
  document.querySelectorAll(".range-buttons button").forEach((b) => {
    b.addEventListener("click", () => {
      S.range = Number(b.dataset.range);
      document.querySelectorAll(".range-buttons button").forEach((x) => x.classList.toggle("on", x === b));
      drawCharts();
    });
  });
  setInterval(() => {
    if (S.token) renderConnection();
  }, 1000);

  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) signIn(saved);
  else $("login-token").focus();
}

document.addEventListener("DOMContentLoaded", init);
