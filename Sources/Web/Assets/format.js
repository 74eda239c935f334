// Formatting and DOM helpers. Data from requests is only ever set as text, never parsed as HTML.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function svg(tag, attrs = {}) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

export function tokens(n) {
  if (n === undefined || n === null) return "–";
  if (n >= 1e6) return (n / 1e6).toFixed(2) + "M";
  if (n >= 1e4) return (n / 1e3).toFixed(1) + "k";
  return String(n);
}

export function usd(value) {
  if (value === undefined || value === null) return "–";
  if (value === 0) return "$0";
  // Below a dollar, to the millionth: per-request costs are fractions of a cent.
  return value < 1 ? "$" + value.toFixed(6) : "$" + value.toFixed(2);
}

export const API_EQUIVALENT = "≈ API-equivalent: signed-in (subscription) traffic is not billed per token; this is what the API would charge for it.";

// A cost whose `apiEquivalent` part is subscription traffic, marked ≈ (see API_EQUIVALENT).
export function cost(value, apiEquivalent) {
  if (!apiEquivalent) return usd(value);
  if (apiEquivalent >= value * (1 - 1e-9)) return "≈" + usd(value);
  return `${usd(value)} (≈${usd(apiEquivalent)})`;
}

export function seconds(value) {
  if (value === undefined || value === null) return "–";
  return value < 1 ? (value * 1000).toFixed(0) + " ms" : value.toFixed(2) + " s";
}

export function percent(part, whole) {
  if (!whole) return "–";
  return Math.round((part / whole) * 100) + "%";
}

export function time(iso) {
  const date = new Date(iso);
  const today = new Date();
  const sameDay = date.toDateString() === today.toDateString();
  return sameDay ? date.toLocaleTimeString() : date.toLocaleString();
}

export function cacheWrite(usage) {
  return usage ? usage.cacheWrite5mTokens + usage.cacheWrite1hTokens : undefined;
}

export async function api(path) {
  const response = await fetch(path, { credentials: "same-origin" });
  if (!response.ok) {
    const text = await response.text();
    throw new Error(`${path}: ${response.status} ${text}`);
  }
  return response.json();
}

export function toast(message) {
  const node = document.getElementById("toast");
  node.textContent = message;
  node.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { node.hidden = true; }, 1800);
}
