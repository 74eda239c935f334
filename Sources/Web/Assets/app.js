// ccglass dashboard: the live list of requests, filters, totals, charts and the summary view.
import { el, tokens, usd, cost, API_EQUIVALENT, seconds, percent, time, cacheWrite, api } from "./format.js";
import { drawCost, drawCacheHit, drawLatency } from "./charts.js";
import { initDetail, openDetail } from "./detail.js";
import { loadLimits, scheduleLimits, startLimitClock } from "./limits.js";

const PAGE = 200;
const state = { rows: [], byId: new Map(), filters: { session: "", model: "", client: "" }, selected: null, view: "requests" };

function matches(row) {
  const f = state.filters;
  return (!f.session || row.sessionKey === f.session) && (!f.model || row.model === f.model) && (!f.client || row.client === f.client);
}

function query(extra = {}) {
  const params = new URLSearchParams({ limit: PAGE, ...extra });
  for (const [k, v] of Object.entries(state.filters)) if (v) params.set(k, v);
  return params.toString();
}

function statusCell(row) {
  if (row.phase !== "finished") return el("td", { text: row.status ?? "…" });
  const ok = row.outcome === "ok";
  const label = `${row.status ?? "–"}${ok ? "" : " " + (row.errorType || row.outcome || "")}`;
  return el("td", { class: ok ? "status-ok" : "status-err", text: label, title: row.errorMessage || "" });
}

// "main", or a subagent's id indented under the agent that started it; a compaction marked.
// In a session's view the subagent's type and description (from the Agent call that started it) name it.
function agentCell(row) {
  const known = row.agentID && state.agents?.get(row.agentID);
  const name = known?.type ? `${known.type}${known.description ? ` · ${known.description.slice(0, 40)}` : ""}` : row.agentID?.slice(0, 9);
  const who = row.agentID ? `${row.parentAgentID ? "\u00a0\u00a0" : ""}└ ${name}` : row.client === "claude-code" ? "main" : "";
  const kind = row.requestKind && row.requestKind !== "turn" ? row.requestKind.replace("_", " ") : "";
  return el("td", { class: "agent" + (row.agentID ? " subagent" : ""), title: row.agentID ? `subagent ${row.agentID}${row.parentAgentID ? ", started by " + row.parentAgentID : ""}` : "" },
    who, kind ? el("span", { class: "tag" + (kind.startsWith("compaction") || kind === "post compaction" ? " changed" : ""), text: kind }) : null);
}

function rowNode(row) {
  const u = row.usage;
  const estimated = u && u.outputEstimated;
  return el("tr", { "data-id": row.id, class: [row.phase !== "finished" ? "inflight" : "", row.id === state.selected ? "selected" : ""].join(" "), onclick: () => openDetail(state, row.id) },
    el("td", { text: time(row.startedAt) }),
    statusCell(row),
    el("td", { text: row.model || "–" }),
    el("td", { text: row.client }),
    agentCell(row),
    el("td", { class: "num", text: seconds(row.ttft) }),
    el("td", { class: "num", text: seconds(row.duration) }),
    el("td", { class: "num", text: tokens(u?.inputTokens) }),
    el("td", { class: "num" + (estimated ? " estimated" : ""), text: tokens(u?.outputTokens) + (estimated ? "~" : "") }),
    el("td", { class: "num", text: tokens(u?.cacheReadTokens) }),
    el("td", { class: "num", text: tokens(cacheWrite(u)) }),
    el("td", { class: "num", text: u ? percent(u.cacheReadTokens, u.inputTokens) : "–" }),
    el("td", { class: "num", text: row.costUSD === undefined || row.costUSD === null ? (u ? "unpriced" : "–") : cost(row.costUSD, row.apiEquivalent ? row.costUSD : 0),
               title: row.apiEquivalent ? API_EQUIVALENT : undefined }),
    el("td", { class: "prompt", title: row.prompt || "" }, (row.prompt || "") + (row.toolNames?.length ? `  ⟶ ${row.toolNames.join(", ")}` : ""),
      row.flaggedCalls ? el("span", { class: "tag removed flagged", text: `⚑ ${row.flaggedCalls} flagged`, title: "auto mode's review flagged these tool calls: Claude Code did not run them" }) : null),
  );
}

function renderRows() {
  const body = document.getElementById("rows");
  body.replaceChildren(...state.rows.map(rowNode));
  document.getElementById("empty").hidden = state.rows.length > 0;
  renderTotals();
  renderCharts();
  // For tests and the curious: when the first list was on screen, in ms since navigation.
  if (window.ccglassFirstPaint === undefined) window.ccglassFirstPaint = performance.now();
}

function upsert(row, fresh) {
  if (!matches(row)) return;
  const existing = state.byId.get(row.id);
  if (existing) Object.assign(existing, row);
  else {
    state.byId.set(row.id, row);
    state.rows.push(row);
    state.rows.sort((a, b) => (a.id < b.id ? 1 : -1));
  }
  const body = document.getElementById("rows");
  const node = rowNode(state.byId.get(row.id));
  const old = body.querySelector(`tr[data-id="${CSS.escape(row.id)}"]`);
  if (old) old.replaceWith(node);
  else {
    const index = state.rows.indexOf(state.byId.get(row.id));
    body.insertBefore(node, body.children[index] || null);
    if (fresh) node.classList.add("fresh");
  }
  document.getElementById("empty").hidden = true;
  scheduleSummary();
}

let summaryTimer = null;
function scheduleSummary() {
  clearTimeout(summaryTimer);
  summaryTimer = setTimeout(() => { renderTotals(); renderCharts(); }, 150);
}

function renderTotals() {
  const rows = state.rows;
  const sum = (f) => rows.reduce((a, r) => a + (f(r) || 0), 0);
  const input = sum((r) => r.usage?.inputTokens), cached = sum((r) => r.usage?.cacheReadTokens);
  const errors = rows.filter((r) => r.phase === "finished" && r.outcome !== "ok").length;
  const scope = state.filters.session ? "this session" : "loaded requests";
  const card = (value, label) => el("div", {}, el("b", { text: value }), el("span", { text: label }));
  document.getElementById("totals").replaceChildren(
    card(String(rows.length), `requests (${scope})`),
    card(tokens(input), "tokens in"),
    card(tokens(sum((r) => r.usage?.outputTokens)), "tokens out"),
    card(percent(cached, input), "cache hit"),
    card(cost(sum((r) => r.costUSD), sum((r) => (r.apiEquivalent ? r.costUSD : 0))), rows.some((r) => r.apiEquivalent && r.costUSD) ? "cost (≈ API-equivalent)" : "cost"),
    card(String(errors), "errors"),
  );
  if (state.filters.session) {
    api(`/api/sessions/${encodeURIComponent(state.filters.session)}`).then((s) => {
      document.getElementById("totals").prepend(card(s.title || s.key, `${s.requests} requests in session · ${cost(s.costUSD, s.apiEquivalentUSD)} · started ${time(s.startedAt)}`
        + (s.flaggedCalls ? ` · ${s.flaggedCalls} tool call${s.flaggedCalls === 1 ? "" : "s"} flagged by auto mode` : "")));
    }).catch(() => {});
  }
}

async function renderAgentsPanel() {
  const panel = document.getElementById("agents-panel");
  state.agents = undefined;
  if (!state.filters.session) { panel.hidden = true; return; }
  const tree = await api(`/api/sessions/${encodeURIComponent(state.filters.session)}/agents`);
  state.agents = new Map(tree.agents.filter((a) => a.id).map((a) => [a.id, a]));
  renderRows();
  if (tree.agents.length < 2 && !tree.compactions?.length) { panel.hidden = true; return; }
  const depth = (agent) => { let d = 0, p = agent.parent; while (p && d < 8) { d++; p = tree.agents.find((a) => a.id === p)?.parent; } return agent.id ? d + 1 : 0; };
  const ordered = [tree.agents[0]];
  const visit = (parent) => { for (const a of tree.agents) if (a.id && (a.parent || null) === parent) { ordered.push(a); visit(a.id); } };
  visit(null);
  for (const a of tree.agents) if (!ordered.includes(a)) ordered.push(a);
  panel.hidden = false;
  panel.replaceChildren(el("b", { text: "Agents" }), ` · the main agent and ${tree.agents.length - 1} subagents`,
    el("table", { class: "agent-tree" }, el("tr", {}, ["agent", "type", "description", "requests", "in", "out", "cost"].map((h) => el("th", { text: h }))),
      ordered.map((a) => el("tr", { "data-agent": a.id || "main" },
        el("td", { text: a.id ? `${"\u00a0\u00a0".repeat(depth(a) - 1)}└ ${a.id}${a.background ? " (background)" : ""}` : "main" }),
        el("td", { text: a.type || "" }), el("td", { text: a.description || "", title: a.prompt || "" }),
        el("td", { text: a.requests }), el("td", { text: tokens(a.inputTokens) }), el("td", { text: tokens(a.outputTokens) }),
        el("td", { text: cost(a.costUSD, a.apiEquivalentUSD) + (a.compactions ? ` · ${a.compactions} compaction${a.compactions > 1 ? "s" : ""}` : "") })))),
    tree.compactions?.length ? compactionTable(tree.compactions) : null);
}

// Each compaction: what it cost, the context before and after, and the cache write the next request paid.
function compactionTable(compactions) {
  const money = (c, usd) => (usd === undefined || usd === null ? "–" : cost(usd, c.apiEquivalent ? usd : 0));
  return el("table", { class: "agent-tree compactions" },
    el("tr", {}, ["compaction", "agent", "cost", "context before", "summary", "context after", "next request's cache write"].map((h) => el("th", { text: h }))),
    compactions.map((c) => el("tr", { "data-compaction": c.exchangeID },
      el("td", { text: `${time(c.startedAt)} ${c.kind.replace("_", " ")}` }), el("td", { text: c.agent ? c.agent.slice(0, 9) : "main" }),
      el("td", { text: money(c, c.costUSD) }), el("td", { text: tokens(c.contextBefore) }), el("td", { text: tokens(c.summaryTokens) }),
      el("td", { text: c.nextExchangeID ? tokens(c.contextAfter) : "–" }),
      el("td", { text: c.nextExchangeID ? `${tokens(c.nextCacheWriteTokens)} · ${money(c, c.nextCacheWriteUSD)}` : "–" }))));
}

async function renderCachePanel() {
  const panel = document.getElementById("cache-panel");
  if (!state.filters.session) { panel.hidden = true; return; }
  const r = await api(`/api/sessions/${encodeURIComponent(state.filters.session)}/cache`);
  const misses = r.events.filter((e) => e.verdict === "miss");
  panel.hidden = false;
  panel.replaceChildren(
    el("b", { text: "Prompt cache" }),
    ` · efficiency ${r.efficiency === undefined ? "–" : Math.round(r.efficiency * 100) + "%"} · ${misses.length} misses · ${tokens(r.lostTokens)} tokens not read from cache · ${cost(r.lostUSD, r.lostAPIEquivalentUSD)} lost`,
    r.topCauses.length ? el("table", {}, el("tr", {}, ["cause", "where", "misses", "lost"].map((h) => el("th", { text: h }))),
      r.topCauses.slice(0, 5).map((c) => el("tr", {}, el("td", { text: c.kind.replace("_", " ") }), el("td", { text: c.block || "" }),
        el("td", { text: c.misses }), el("td", { text: cost(c.lostUSD, c.lostAPIEquivalentUSD) })))) : null);
}

function renderCharts() {
  const ordered = [...state.rows].reverse();
  drawCost(document.getElementById("chart-cost"), ordered);
  drawCacheHit(document.getElementById("chart-cache"), ordered);
  drawLatency(document.getElementById("chart-latency"), ordered);
}

async function load() {
  const rows = await api(`/api/exchanges?${query()}`);
  state.rows = rows;
  state.byId = new Map(rows.map((r) => [r.id, r]));
  document.getElementById("more").hidden = rows.length < PAGE;
  renderRows();
}

async function loadMore() {
  const last = state.rows[state.rows.length - 1];
  if (!last) return;
  const rows = await api(`/api/exchanges?${query({ before: last.id })}`);
  for (const row of rows) if (!state.byId.has(row.id)) { state.byId.set(row.id, row); state.rows.push(row); }
  document.getElementById("more").hidden = rows.length < PAGE;
  renderRows();
}

async function loadFilters() {
  const [sessions, facets] = await Promise.all([api("/api/sessions?limit=200"), api("/api/facets")]);
  const fill = (id, items, label) => {
    const select = document.getElementById(id);
    const keep = select.value;
    select.replaceChildren(el("option", { value: "", text: id === "session" ? "All sessions" : "All" }),
      ...items.map((item) => el("option", { value: item.value, text: label(item) })));
    select.value = keep;
  };
  fill("session", sessions.map((s) => ({ value: s.key, s })), ({ s }) => `${(s.title || s.key).slice(0, 60)} · ${s.requests} req · ${cost(s.costUSD, s.apiEquivalentUSD)}`);
  fill("model", facets.models.map((m) => ({ value: m })), (m) => m.value);
  fill("client", facets.clients.map((c) => ({ value: c })), (c) => c.value);
}

function connectLive() {
  const indicator = document.getElementById("live");
  const source = new EventSource("/api/live");
  source.addEventListener("open", () => indicator.classList.add("on"));
  source.addEventListener("error", () => indicator.classList.remove("on"));
  source.addEventListener("exchange", (event) => {
    const row = JSON.parse(event.data);
    const isNew = !state.byId.has(row.id);
    upsert(row, isNew);
    if (row.phase === "finished") scheduleLimits();
    if (isNew && row.sessionKey && !document.querySelector(`#session option[value="${CSS.escape(row.sessionKey)}"]`)) loadFilters().catch(() => {});
  });
}

async function renderSummary() {
  const table = (id, answer, label) => {
    const rows = [...answer.rows].sort((a, b) => b.costUSD - a.costUSD);
    document.getElementById(id).replaceChildren(
      el("tr", {}, ["", "requests", "errors", "in", "out", "cache read", "cache write", "hit", "cost"].map((h) => el("th", { text: h }))),
      ...[...rows, answer.total].map((r, i) => el("tr", {},
        el("td", { text: i === rows.length ? "total" : label(r.group) }), el("td", { text: r.requests }), el("td", { text: r.errors }),
        el("td", { text: tokens(r.inputTokens) }), el("td", { text: tokens(r.outputTokens) }), el("td", { text: tokens(r.cacheReadTokens) }),
        el("td", { text: tokens(r.cacheWrite5mTokens + r.cacheWrite1hTokens) }), el("td", { text: percent(r.cacheReadTokens, r.inputTokens) }),
        el("td", { text: cost(r.costUSD, r.apiEquivalentUSD) + (r.unpricedRequests ? ` +${r.unpricedRequests} unpriced` : ""),
                   title: r.apiEquivalentUSD ? API_EQUIVALENT : undefined }))));
  };
  const [byModel, byDay, bySession, sessions] = await Promise.all([api("/api/usage?by=model"), api("/api/usage?by=day"), api("/api/usage?by=session"), api("/api/sessions?limit=1000")]);
  const titles = new Map(sessions.map((s) => [s.key, s.title]));
  table("by-model", byModel, (g) => g);
  table("by-day", { ...byDay, rows: byDay.rows }, (g) => g);
  table("by-session", bySession, (g) => (titles.get(g) ? `${titles.get(g)} (${g.slice(0, 8)})` : g));
}

function switchView(view) {
  state.view = view;
  for (const b of document.querySelectorAll(".bar .tabs button")) b.classList.toggle("active", b.dataset.view === view);
  document.getElementById("view-requests").hidden = view !== "requests";
  document.getElementById("view-summary").hidden = view !== "summary";
  if (view === "summary") renderSummary().catch(reportError);
}

function reportError(error) {
  const empty = document.getElementById("empty");
  empty.hidden = false;
  empty.textContent = `Could not reach ccglass: ${error.message}`;
}

function initTheme() {
  const stored = localStorage.getItem("ccglass-theme");
  const dark = stored ? stored === "dark" : matchMedia("(prefers-color-scheme: dark)").matches;
  document.documentElement.classList.toggle("dark", dark);
  document.getElementById("theme").addEventListener("click", () => {
    const now = !document.documentElement.classList.contains("dark");
    document.documentElement.classList.toggle("dark", now);
    localStorage.setItem("ccglass-theme", now ? "dark" : "light");
  });
}

function init() {
  initTheme();
  initDetail(state);
  for (const id of ["session", "model", "client"]) {
    document.getElementById(id).addEventListener("change", (event) => {
      state.filters[id] = event.target.value;
      load().catch(reportError);
      renderCachePanel().catch(() => {});
      renderAgentsPanel().catch(() => {});
    });
  }
  for (const b of document.querySelectorAll(".bar .tabs button")) b.addEventListener("click", () => switchView(b.dataset.view));
  document.getElementById("more").addEventListener("click", () => loadMore().catch(reportError));
  Promise.all([load(), loadFilters()]).then(connectLive).catch(reportError);
  loadLimits().then(startLimitClock).catch(() => {});
}

init();
