// The request detail drawer: overview, what was sent, what came back, a diff against another turn, raw.
import { el, tokens, usd, seconds, percent, api, toast } from "./format.js";
import { renderDiff } from "./diff.js";

let current = null;
let pane = "overview";
let compareTo = null;

export function initDetail(state) {
  document.getElementById("detail-close").addEventListener("click", () => closeDetail(state));
  for (const button of document.querySelectorAll("#detail-tabs button")) {
    button.addEventListener("click", () => {
      pane = button.dataset.pane;
      for (const b of document.querySelectorAll("#detail-tabs button")) b.classList.toggle("active", b === button);
      render(state);
    });
  }
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") closeDetail(state); });
}

export async function openDetail(state, id) {
  const drawer = document.getElementById("detail");
  drawer.hidden = false;
  state.selected = id;
  for (const row of document.querySelectorAll("#rows tr")) row.classList.toggle("selected", row.dataset.id === id);
  document.getElementById("detail-title").textContent = "Loading…";
  try {
    current = await api(`/api/exchanges/${encodeURIComponent(id)}`);
  } catch (error) {
    document.getElementById("detail-title").textContent = "Could not load this request";
    document.getElementById("detail-body").replaceChildren(el("p", { text: String(error.message) }));
    return;
  }
  compareTo = previousInSession(state, current.exchange);
  render(state);
}

function closeDetail(state) {
  document.getElementById("detail").hidden = true;
  state.selected = null;
  for (const row of document.querySelectorAll("#rows tr.selected")) row.classList.remove("selected");
}

function previousInSession(state, exchange) {
  const session = exchange.sessionID;
  if (!session) return null;
  const older = state.rows.filter((r) => r.sessionKey === session && r.id < exchange.id && r.phase === "finished");
  return older.length ? older[0].id : null;
}

function render(state) {
  if (!current) return;
  const e = current.exchange;
  document.getElementById("detail-title").textContent =
    `${e.method} ${e.target.split("?")[0]} · ${e.response.model || e.request.model || "?"} · ${e.status ?? e.outcome ?? e.phase}`;
  const body = document.getElementById("detail-body");
  const render = { overview, request, response, context, diff: (x) => diffPane(state, x), raw }[pane];
  body.replaceChildren(render(current));
}

function kv(pairs) {
  return el("dl", { class: "kv" }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== "").map(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })]));
}

function overview(data) {
  const e = data.exchange;
  const u = e.response.usage;
  const t = e.timings || {};
  const generation = t.end !== undefined && t.firstByte !== undefined ? Math.max(0, t.end - t.firstByte) : undefined;
  const tokPerSecond = u && generation > 0 ? (u.outputTokens / generation).toFixed(1) + " tok/s" : undefined;
  const parts = [
    el("h3", { text: "Exchange" }),
    kv([
      ["id", e.id], ["started", new Date(e.startedAt).toLocaleString()], ["provider", `${e.provider} → ${e.upstreamURL}`],
      ["client", `${e.client}${e.userAgent ? " (" + e.userAgent + ")" : ""}`], ["session", e.sessionID], ["model requested", e.request.model],
      ["model answered", e.response.model], ["status", `${e.status ?? "no status"} ${e.outcome ?? e.phase}`], ["error", e.errorMessage],
      ["stop reason", (e.response.finishReasons || []).join(", ")],
    ]),
    cacheVerdict(e),
    el("h3", { text: "Timing" }),
    kv([
      ["time to first token", seconds(t.firstByte)], ["generation", seconds(generation)], ["total", seconds(t.end)],
      ["output speed", tokPerSecond], ["ccglass overhead", t.overhead !== undefined ? (t.overhead * 1000).toFixed(2) + " ms" : undefined],
    ]),
    el("h3", { text: "Tokens" }),
  ];
  if (u) {
    parts.push(kv([
      ["input (all)", tokens(u.inputTokens)], ["uncached input", tokens(u.inputTokens - u.cacheReadTokens - u.cacheWrite5mTokens - u.cacheWrite1hTokens)],
      ["cache read", tokens(u.cacheReadTokens)], ["cache write 5m", tokens(u.cacheWrite5mTokens)], ["cache write 1h", tokens(u.cacheWrite1hTokens)],
      ["cache hit", percent(u.cacheReadTokens, u.inputTokens)],
      ["output", tokens(u.outputTokens) + (u.outputEstimated ? " (estimated)" : "")], ["reasoning", u.reasoningTokens ? tokens(u.reasoningTokens) : undefined],
    ]));
  } else {
    parts.push(el("p", { text: "No usage reported." }));
  }
  parts.push(el("h3", { text: "Cost" }));
  if (e.cost) {
    const c = e.cost;
    parts.push(el("table", { class: "cost-table" },
      [["uncached input", c.input], ["cache read", c.cacheRead], ["cache write 5m", c.cacheWrite5m], ["cache write 1h", c.cacheWrite1h], ["output", c.output]]
        .map(([k, v]) => el("tr", {}, el("td", { text: k }), el("td", { class: "num", text: usd(v) }))),
      el("tr", {}, el("td", {}, el("b", { text: "total" })), el("td", { class: "num" }, el("b", { text: usd(c.input + c.cacheRead + c.cacheWrite5m + c.cacheWrite1h + c.output) }))),
    ), el("p", { class: "estimated", text: `priced as ${c.pricedAs}` }));
    if (e.billing === "subscription") {
      parts.push(el("p", { class: "api-equivalent", text: "API-equivalent: signed in to a plan, these tokens are not billed one by one; this is what the API would charge for them." }));
    }
  } else {
    parts.push(el("p", { text: u ? "Unpriced: this model has no entry in pricing.json." : "–" }));
  }
  return el("div", {}, parts);
}

const KIND_LABELS = { system: "system prompt", tool_schema: "tool schema", user_text: "user text", assistant_text: "assistant text",
  thinking: "thinking", tool_use: "tool call", tool_result: "tool result", image: "image", other: "other" };

function cacheVerdict(e) {
  const holder = el("p", { class: "estimated", text: e.sessionID ? "Cache: checking against the previous turn…" : "" });
  if (!e.sessionID || !e.response.usage) { holder.textContent = ""; return holder; }
  api(`/api/exchanges/${encodeURIComponent(e.id)}/cache`).then((event) => {
    holder.className = "";
    if (event.verdict === "miss") {
      holder.replaceChildren(el("span", { class: "tag changed", text: "cache miss" }),
        ` ${tokens(event.lostTokens)} tokens not read from cache (expected ${tokens(event.expectedReadTokens)}), ${event.lostUSD !== undefined ? usd(event.lostUSD) + " lost" : "unpriced"}: ${event.cause ? event.cause.detail : ""}`);
    } else if (event.verdict === "hit") {
      holder.replaceChildren(el("span", { class: "tag cache", text: "cache hit" }), ` read everything the previous turn cached (${tokens(event.cacheReadTokens)} tokens)`);
    } else {
      holder.replaceChildren(el("span", { class: "tag", text: "first turn" }), " nothing cached before it in this conversation");
    }
  }).catch(() => { holder.textContent = ""; });
  return holder;
}

function context(data) {
  const holder = el("div", {}, el("p", { text: "Loading…" }));
  api(`/api/exchanges/${encodeURIComponent(data.exchange.id)}/context`).then((b) => {
    const max = Math.max(...b.parts.map((p) => p.tokens), 1);
    holder.replaceChildren(
      el("p", { text: `${tokens(b.inputTokens)} input tokens${b.estimated ? " (estimated: no usage reported)" : ""}, by what fills the context:` }),
      el("table", { class: "context-table" }, b.parts.map((p) => el("tr", {},
        el("td", { text: KIND_LABELS[p.kind] || p.kind }), el("td", { text: p.tool || "" }),
        el("td", { class: "num", text: tokens(p.tokens) }), el("td", { class: "num", text: percent(p.tokens, b.inputTokens) }),
        el("td", { class: "barcell" }, el("div", { class: "hbar", style: `width:${Math.max(1, Math.round((p.tokens / max) * 100))}%` }))))));
  }).catch((error) => holder.replaceChildren(el("p", { text: String(error.message) })));
  return holder;
}

function cacheTag(piece) {
  const cache = piece && piece.cache;
  return cache ? el("span", { class: "tag cache", text: `cache_control ephemeral${cache.ttl ? " " + cache.ttl : ""}` }) : null;
}

function pretty(json) {
  try { return JSON.stringify(JSON.parse(json), null, 2); } catch { return json; }
}

function block(headParts, text, attrs = {}) {
  return el("div", { class: "block", ...attrs }, el("div", { class: "head" }, headParts), el("pre", { text }));
}

// One block of the normalised prompt (the server parsed the wire format; nothing is guessed here).
function promptBlock(role, b) {
  const head = [el("span", { class: "role", text: role })];
  switch (b.kind) {
    case "text":
      return block([...head, el("span", { class: "tag", text: "text" }), cacheTag(b)], b.text);
    case "thinking":
      return block([...head, el("span", { class: "tag", text: b.type })], b.text || "(redacted)");
    case "tool_use":
      return block([...head, el("span", { class: "tag tool", text: `${b.type} ${b.toolName ?? "?"}` }), el("code", { text: b.toolID ?? "" }),
        el("a", { class: "link", text: "→ result", onclick: () => jump(`result-${b.toolID}`) }), cacheTag(b)],
      pretty(b.text), { id: `use-${b.toolID}` });
    case "tool_result":
      return block([...head, el("span", { class: "tag tool", text: b.type }), el("code", { text: b.toolID ?? "" }),
        el("a", { class: "link", text: "← call", onclick: () => jump(`use-${b.toolID}`) }), /"is_error":true/.test(b.json) ? el("span", { class: "tag removed", text: "error" }) : null, cacheTag(b)],
      b.text || pretty(b.json), { id: `result-${b.toolID}` });
    default:
      return block([...head, el("span", { class: "tag", text: b.type }), cacheTag(b)], pretty(b.json));
  }
}

function jump(id) {
  const target = document.getElementById(id);
  if (!target) return toast("not in this request");
  target.scrollIntoView({ behavior: "smooth", block: "center" });
  target.classList.add("flash");
  setTimeout(() => target.classList.remove("flash"), 1200);
}

function request(data) {
  const p = data.prompt;
  if (!p) return el("div", {}, el("p", { text: "The request body is not JSON:" }), el("pre", { class: "raw", text: data.requestText || "" }));
  const parts = [];
  if (p.system.length) {
    parts.push(el("h3", { text: "System prompt" }));
    parts.push(...p.system.map((b, i) => block([el("span", { class: "tag", text: `block ${i + 1}` }), el("span", { text: `${b.text.length} chars` }), cacheTag(b)], b.text || pretty(b.json))));
  }
  if (p.tools.length) {
    parts.push(el("h3", { text: `Tools (${p.tools.length})${p.earlierTools ? ", sent earlier on this connection" : ""}` }));
    parts.push(...p.tools.map((tool) => {
      let definition = {};
      try { definition = JSON.parse(tool.json); } catch { /* shown as sent below */ }
      const description = definition.description ?? definition.function?.description ?? "";
      return el("details", { class: "block" }, el("summary", { class: "head" }, el("span", { class: "tag tool", text: tool.name }), el("span", { text: description.slice(0, 120) }), cacheTag(tool)),
        el("pre", { text: JSON.stringify(definition.input_schema ?? definition.function?.parameters ?? definition.parameters ?? definition, null, 2) }));
    }));
  }
  parts.push(el("h3", { text: `Messages (${p.messages.length})` }));
  const earlier = p.earlierMessages ?? 0;
  if (p.earlierMessages != null) {
    parts.push(el("p", { class: "estimated", text: `Continues response ${p.previousResponseID}: the first ${earlier} messages were sent earlier on this WebSocket and are rebuilt here; this request sent the ${p.messages.length - earlier} below the line.` }));
  } else if (p.previousResponseID) {
    parts.push(el("p", { class: "estimated", text: `Continues response ${p.previousResponseID}: the earlier turns are kept upstream.` }));
  }
  p.messages.forEach((m, i) => {
    if (earlier && i === earlier) parts.push(el("div", { class: "sent-line", text: "sent in this request" }));
    const blocks = m.blocks.map((b) => promptBlock(m.role, b));
    parts.push(i < earlier ? el("div", { class: "earlier" }, blocks) : el("div", { class: "sent" }, blocks));
  });
  return el("div", {}, parts);
}

// Auto mode's verdict on a tool call (AutoModeReview.swift), when the request asked for one.
function reviewTag(review, mode) {
  if (!review) return mode ? el("span", { class: "tag review", text: "not reviewed", title: `the request asked ${mode} mode's review; the answer gave no verdict` }) : null;
  const label = { flagged: "⚑ flagged: not run", not_flagged: "reviewed: not flagged", skipped: "review skipped", unavailable: "review unavailable", unrecognized: "review unreadable" }[review.verdict];
  const title = [review.detail, review.rule && `rule ${review.rule}`].filter(Boolean).join(" · ");
  return el("span", { class: "tag review" + (review.verdict === "flagged" ? " removed" : ""), "data-verdict": review.verdict, text: label + (review.verdict === "flagged" && review.detail ? ` (${review.detail})` : ""), title });
}

function response(data) {
  const resp = data.exchange.response;
  const parts = [];
  if (resp.error) parts.push(block([el("span", { class: "tag removed", text: `error ${resp.error.type}` })], resp.error.message));
  if (resp.thinking) parts.push(block([el("span", { class: "tag", text: "thinking" })], resp.thinking));
  if (resp.text) parts.push(block([el("span", { class: "tag", text: "text" })], resp.text));
  for (const call of resp.toolCalls || []) {
    let args = call.arguments;
    try { args = JSON.stringify(JSON.parse(call.arguments), null, 2); } catch { /* keep as sent */ }
    parts.push(block([el("span", { class: "tag tool", text: `tool call ${call.name}` }), el("code", { text: call.id }),
      reviewTag(call.review, data.exchange.request.reviewMode)], args));
  }
  parts.push(kv([["stop reason", (resp.finishReasons || []).join(", ")], ["complete", resp.complete ? "yes" : "no (stream ended early)"], ["unreadable parts", resp.parseFailures || undefined]]));
  if (!resp.text && !resp.toolCalls?.length && !resp.error) parts.unshift(el("p", { text: "No text in the answer." }));
  return el("div", {}, parts);
}

function raw(data) {
  const requestText = data.request ? JSON.stringify(data.request, null, 2) : data.requestText;
  const copy = el("button", { text: "Copy as cURL", onclick: async () => {
    try { await navigator.clipboard.writeText(data.curl); toast("copied (the API key is left as $ANTHROPIC_API_KEY / $API_KEY)"); }
    catch { toast("copy refused by the browser: select the text below"); }
  } });
  return el("div", {},
    el("h3", { text: "cURL (credentials left out)" }), copy, el("pre", { class: "raw", id: "curl", text: data.curl }),
    el("h3", { text: "Request headers" }), el("pre", { class: "raw", text: data.exchange.requestHeaders.map((h) => `${h.name}: ${h.value}`).join("\n") }),
    el("h3", { text: "Request body" }), el("pre", { class: "raw", text: requestText }),
    el("h3", { text: "Response headers" }), el("pre", { class: "raw", text: data.exchange.responseHeaders.map((h) => `${h.name}: ${h.value}`).join("\n") }),
    el("h3", { text: `Response body${data.responseBodyTruncated ? " (truncated: over the capture limit)" : ""}` }), el("pre", { class: "raw", text: data.responseText }));
}

function diffPane(state, data) {
  const container = el("div", {}, el("p", { text: "Loading the comparison…" }));
  const session = state.rows.filter((r) => r.sessionKey === data.exchange.sessionID && r.id !== data.exchange.id && r.phase === "finished");
  const picker = el("select", { onchange: (event) => { compareTo = event.target.value; render(state); } },
    el("option", { value: "", text: "compare with…" }),
    session.map((r) => el("option", { value: r.id, selected: r.id === compareTo, text: `${new Date(r.startedAt).toLocaleTimeString()} · ${r.model || "?"} · ${(r.prompt || "").slice(0, 50)}` })));
  if (!compareTo) {
    container.replaceChildren(el("p", { text: "No earlier request of this session is loaded. Pick one:" }), picker);
    return container;
  }
  api(`/api/exchanges/${encodeURIComponent(data.exchange.id)}/diff/${encodeURIComponent(compareTo)}`).then((diff) => {
    container.replaceChildren(el("p", {}, "Comparing with ", picker), renderDiff(diff));
  }).catch((error) => container.replaceChildren(el("p", {}, "Comparing with ", picker), el("p", { text: String(error.message) })));
  return container;
}
