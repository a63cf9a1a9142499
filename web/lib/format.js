// Numbers for people, and DOM updates that cost nothing when nothing changed (each change
// costs the browser style work; pages redraw up to 30 times a second).

/**
 * A number for people: fixed decimals, scientific when it is small, "≈ 0" when it is rounding
 * noise (below 1e-12: e.g. PCA's error on points that lie exactly in a plane).
 * @param {number|null|undefined} v
 */
export function fmt(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v !== 0 && Math.abs(v) < 1e-12) return '≈ 0';
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(2);
  return v.toFixed(4);
}

/**
 * How two errors compare, in words: "about equal" within 10%, else "N× lower".
 * @param {number} a the smaller one
 * @param {number} b the larger one
 */
export function ratio(a, b) {
  const r = b / Math.max(a, 1e-300);
  return r < 1.1 ? 'about equal to' : `${r.toFixed(1)}× lower than`;
}

/**
 * Sets an element's text and exact data-value.
 * @param {HTMLElement} el
 * @param {number|null|undefined} v
 * @param {(v: number|null|undefined) => string} [format]
 */
export function show(el, v, format = fmt) {
  const text = format(v);
  if (el.textContent !== text) el.textContent = text;
  attr(el, 'data-value', v === null || v === undefined || !Number.isFinite(v) ? '' : String(v));
}

/**
 * Sets an attribute only when it changes (each change costs the browser style work).
 * @param {Element} el
 * @param {string} name
 * @param {string} value
 */
export function attr(el, name, value) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

