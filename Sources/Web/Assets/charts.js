// Small inline-SVG charts over the rows on screen (oldest to newest, left to right).
import { svg } from "./format.js";

const W = 300, H = 100, PAD = 4;

function clear(target) {
  while (target.firstChild) target.firstChild.remove();
}

function path(points) {
  return points.map(([x, y], i) => `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
}

function scale(values, max) {
  const top = max ?? Math.max(...values, 0);
  return (v) => H - PAD - (top > 0 ? (v / top) * (H - 2 * PAD) : 0);
}

function empty(target) {
  const text = svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", "font-size": "10", fill: "currentColor", opacity: ".5" });
  text.textContent = "no data yet";
  target.append(text);
}

export function drawCost(target, rows) {
  clear(target);
  const finished = rows.filter((r) => r.costUSD !== undefined && r.costUSD !== null);
  if (!finished.length) return empty(target);
  let sum = 0;
  const totals = finished.map((r) => (sum += r.costUSD));
  const y = scale(totals);
  const x = (i) => PAD + (finished.length === 1 ? 0 : (i / (finished.length - 1)) * (W - 2 * PAD));
  target.append(svg("path", { class: "line", d: path(totals.map((v, i) => [x(i), y(v)])) }));
  if (totals.length === 1) target.append(svg("circle", { class: "dot", cx: x(0), cy: y(totals[0]), r: 2.5 }));
  const label = svg("text", { x: W - PAD, y: 10, "text-anchor": "end", "font-size": "9", fill: "currentColor" });
  label.textContent = "$" + sum.toFixed(4);
  target.append(label);
}

export function drawCacheHit(target, rows) {
  clear(target);
  const withUsage = rows.filter((r) => r.usage && r.usage.inputTokens > 0);
  if (!withUsage.length) return empty(target);
  const width = (W - 2 * PAD) / withUsage.length;
  const y = scale([1], 1);
  withUsage.forEach((r, i) => {
    const rate = r.usage.cacheReadTokens / r.usage.inputTokens;
    const bar = svg("rect", { class: "bar", x: PAD + i * width, y: y(rate), width: Math.max(width - 1, 0.5), height: H - PAD - y(rate) });
    const title = svg("title");
    title.textContent = Math.round(rate * 100) + "%";
    bar.append(title);
    target.append(bar);
  });
}

export function drawLatency(target, rows) {
  clear(target);
  const timed = rows.filter((r) => r.duration !== undefined && r.duration !== null);
  if (!timed.length) return empty(target);
  const y = scale(timed.map((r) => r.duration));
  const x = (i) => PAD + (timed.length === 1 ? 0 : (i / (timed.length - 1)) * (W - 2 * PAD));
  target.append(svg("path", { class: "line second", d: path(timed.map((r, i) => [x(i), y(r.duration)])) }));
  const ttft = timed.map((r, i) => [x(i), r.ttft]).filter(([, v]) => v !== undefined && v !== null);
  if (ttft.length) target.append(svg("path", { class: "line", d: path(ttft.map(([px, v]) => [px, y(v)])) }));
}
