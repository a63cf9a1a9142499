// Numbers for people, and DOM updates that cost nothing when nothing changed (each change
// costs the browser style work; pages redraw up to 30 times a second).

/**
 * A number for people: fixed decimals, or scientific when it is tiny.
 * @param {number|null|undefined} v
 */
export function fmt(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(2);
  return v.toFixed(4);
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

