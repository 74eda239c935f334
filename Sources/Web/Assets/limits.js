// The limits panel: a bar per rate-limit window (used, reset countdown, pace) and per budget.
import { el, usd, cost, api } from "./format.js";

let report = null;
let timer = null;

// "2 h 10 min", "3 d 4 h", from seconds.
export function countdown(seconds) {
  if (seconds <= 0) return "now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  return `${Math.floor(minutes / 1440)} d ${Math.floor((minutes % 1440) / 60)} h`;
}

function bar(fraction, level) {
  const width = Math.max(0, Math.min(1, fraction)) * 100;
  return el("div", { class: "limit-track" }, el("div", { class: `limit-fill ${level}`, style: `width: ${width.toFixed(1)}%` }));
}

function level(used, crossed) {
  if (crossed || used >= 1) return "bad";
  return used >= 0.8 ? "warn" : "ok";
}

function windowRow(w, now) {
  const r = w.reading;
  const used = r.used;
  const reset = r.resetsAt ? new Date(r.resetsAt) : null;
  const resetText = reset ? (reset > now ? `resets in ${countdown((reset - now) / 1000)}` : "reset passed") : "";
  const usedText = used !== undefined && used !== null ? `${Math.round(used * 100)}%` : r.remaining !== undefined ? `${r.remaining} left` : "–";
  return el("div", { class: "limit" + (w.binding ? " binding" : ""), "data-window": `${w.provider}|${w.account}|${r.name}` },
    el("div", { class: "limit-head" },
      el("b", { text: `${w.provider} · ${r.name}` }), w.binding ? el("span", { class: "tag", text: "binds now" }) : null,
      el("span", { class: "muted", text: w.account }),
      el("span", { class: "limit-used", text: usedText }),
      el("span", { class: "limit-reset", text: resetText, title: reset ? reset.toLocaleString() : "" })),
    used !== undefined && used !== null ? bar(used, level(used, r.exhausted)) : null,
    el("div", { class: "limit-note" + (w.projection.kind === "runs_out" || w.projection.kind === "exhausted" ? " bad" : ""),
      text: w.projection.note + (w.rejections ? ` · refused ${w.rejections} this week` : "") }));
}

function budgetRow(b, now) {
  const reset = b.resetsAt ? new Date(b.resetsAt) : null;
  const approx = b.apiEquivalentUSD > 0;
  return el("div", { class: "limit budget", "data-budget": b.period },
    el("div", { class: "limit-head" },
      el("b", { text: `${b.period} budget` }), b.session ? el("span", { class: "muted", text: b.session.slice(0, 12) }) : null,
      el("span", { class: "limit-used", text: `${cost(b.spentUSD, b.apiEquivalentUSD)} of ${usd(b.limitUSD)}` }),
      el("span", { class: "limit-reset", text: reset ? `new period in ${countdown((reset - now) / 1000)}` : "" })),
    bar(b.used, level(b.used, b.crossed)),
    el("div", { class: "limit-note" + (b.crossed ? " bad" : ""),
      text: (b.crossed ? "crossed" : `${Math.round(b.used * 100)}% spent`) + (approx ? " · ≈ signed-in traffic at its API-equivalent" : "") + " · budgets only warn" }));
}

export function renderLimits() {
  const panel = document.getElementById("limits-panel");
  if (!report || (!report.windows.length && !report.budgets.length)) { panel.hidden = true; return; }
  const now = new Date();
  panel.hidden = false;
  panel.replaceChildren(el("div", { class: "limits-title", text: "Limits" }),
    ...report.windows.map((w) => windowRow(w, now)), ...report.budgets.map((b) => budgetRow(b, now)));
}

export async function loadLimits() {
  report = await api("/api/limits");
  renderLimits();
}

// After an exchange finishes: its headers may have moved a window.
export function scheduleLimits() {
  clearTimeout(timer);
  timer = setTimeout(() => loadLimits().catch(() => {}), 300);
}

// Countdowns move on their own.
export function startLimitClock() {
  setInterval(renderLimits, 30000);
}
