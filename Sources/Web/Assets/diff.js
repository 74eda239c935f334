// Turn-to-turn diff of two requests, as the server computed it with the cache report's own rule: what
// was added, and whether a change fell inside the prefix the earlier request left in the prompt cache
// (a change there means the cache is written again from that point).
import { el } from "./format.js";

function pretty(json) {
  if (json === undefined || json === null) return "";
  try { return JSON.stringify(JSON.parse(json), null, 2); } catch { return json; }
}

export function renderDiff(diff) {
  const counts = { same: 0, changed: 0, added: 0, removed: 0 };
  diff.rows.forEach((r) => counts[r.state]++);
  const verdict = diff.prefixBreak
    ? el("p", {}, el("span", { class: "tag changed", text: "cache prefix broken" }), ` ${diff.prefixBreak.detail}. Everything from there on is written to the cache again.`)
    : el("p", {}, el("span", { class: "tag cache", text: "cache prefix intact" }), " the later request repeats everything the earlier one cached; only new context was appended.");
  const list = diff.rows.filter((r) => r.state !== "same").map((r) => {
    const text = r.state === "changed"
      ? `was:\n${pretty(r.before).slice(0, 2000)}\n\nnow:\n${pretty(r.after).slice(0, 2000)}`
      : pretty(r.after ?? r.before).slice(0, 4000);
    return el("details", { class: "block" }, el("summary", { class: "head" }, el("span", { class: `tag ${r.state}`, text: r.state }), el("span", { text: r.label }), r.cached ? el("span", { class: "tag cache", text: "in the cached prefix" }) : null), el("pre", { text }));
  });
  return el("div", {}, verdict, el("p", { text: `${counts.same} unchanged · ${counts.added} added · ${counts.changed} changed · ${counts.removed} removed` }), list);
}
