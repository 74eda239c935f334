// Turn-to-turn diff of two requests: what was added, and what changed before the last cache breakpoint
// (a change there means the prompt cache had to be written again).
import { el } from "./format.js";

function pieces(request) {
  if (!request) return [];
  const out = [];
  const system = request.system ?? request.instructions;
  if (system !== undefined) {
    const blocks = typeof system === "string" ? [{ type: "text", text: system }] : system;
    blocks.forEach((b, i) => out.push({ where: `system block ${i + 1}`, key: `system:${i}`, value: b }));
  }
  (request.tools || []).forEach((t) => out.push({ where: `tool ${t.name ?? t.function?.name ?? t.type}`, key: `tool:${t.name ?? t.function?.name ?? JSON.stringify(t)}`, value: t }));
  const messages = request.messages ?? (Array.isArray(request.input) ? request.input : []);
  messages.forEach((m, i) => out.push({ where: `message ${i + 1} (${m.role ?? m.type})`, key: `message:${i}`, value: m }));
  return out;
}

function hasBreakpoint(value) {
  return JSON.stringify(value).includes('"cache_control"');
}

function strip(value) {
  // cache_control marks move from turn to turn without changing the content.
  return JSON.stringify(value, (k, v) => (k === "cache_control" ? undefined : v));
}

export function compare(older, newer) {
  const a = pieces(older), b = pieces(newer);
  const before = new Map(a.map((p) => [p.key, p]));
  const after = new Map(b.map((p) => [p.key, p]));
  let lastBreakpoint = -1;
  b.forEach((p, i) => { if (hasBreakpoint(p.value)) lastBreakpoint = i; });
  const rows = [];
  b.forEach((p, i) => {
    const old = before.get(p.key);
    const state = !old ? "added" : strip(old.value) === strip(p.value) ? "same" : "changed";
    rows.push({ where: p.where, state, cached: i <= lastBreakpoint, value: p.value, old: old?.value });
  });
  for (const p of a) if (!after.has(p.key)) rows.push({ where: p.where, state: "removed", cached: true, value: p.value });
  const firstBreak = rows.find((r) => r.cached && r.state !== "same");
  return { rows, firstBreak, lastBreakpoint };
}

export function diffRequests(older, newer) {
  if (!older.request || !newer.request) return el("p", { text: "One of the two bodies is not JSON; nothing to compare." });
  const { rows, firstBreak } = compare(older.request, newer.request);
  const counts = { same: 0, changed: 0, added: 0, removed: 0 };
  rows.forEach((r) => counts[r.state]++);
  const verdict = firstBreak
    ? el("p", {}, el("span", { class: "tag changed", text: "cache prefix broken" }), ` first difference before the last cache breakpoint: ${firstBreak.where} (${firstBreak.state}). Everything from there on is written to the cache again.`)
    : el("p", {}, el("span", { class: "tag cache", text: "cache prefix intact" }), " nothing before the last cache breakpoint changed; only new context was appended.");
  const list = rows.filter((r) => r.state !== "same").map((r) => {
    const text = r.state === "changed" ? `was:\n${JSON.stringify(r.old, null, 2).slice(0, 2000)}\n\nnow:\n${JSON.stringify(r.value, null, 2).slice(0, 2000)}` : JSON.stringify(r.value, null, 2).slice(0, 4000);
    return el("details", { class: "block" }, el("summary", { class: "head" }, el("span", { class: `tag ${r.state}`, text: r.state }), el("span", { text: r.where }), r.cached ? el("span", { class: "tag cache", text: "before breakpoint" }) : null), el("pre", { text }));
  });
  return el("div", {}, verdict, el("p", { text: `${counts.same} unchanged · ${counts.added} added · ${counts.changed} changed · ${counts.removed} removed` }), list);
}
