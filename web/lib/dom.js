// Tiny DOM helpers shared by the pages.

/**
 * Creates an element with attributes (`class`, `data-*`, event handlers `on…`) and children.
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...(Node|string|null|undefined)} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

/**
 * Creates an SVG element with attributes.
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @returns {SVGElement}
 */
export function svg(tag, attrs = {}) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/**
 * Shows a number with `digits` decimals and keeps its exact value in data-value.
 * @param {HTMLElement} el
 * @param {number|null|undefined} value
 * @param {number} digits
 */
export function showNumber(el, value, digits) {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    el.textContent = '–';
    el.dataset.value = '';
  } else {
    el.textContent = value.toFixed(digits);
    el.dataset.value = String(value);
  }
}

/** A floating tooltip that follows the pointer. */
export class Tooltip {
  constructor() {
    this.el = h('div', { class: 'tooltip', role: 'tooltip', 'data-testid': 'tooltip', hidden: true });
    document.body.append(this.el);
  }

  /**
   * @param {MouseEvent} ev
   * @param {string} text
   */
  show(ev, text) {
    this.el.textContent = text;
    this.el.hidden = false;
    this.el.style.left = `${ev.clientX + 14}px`;
    this.el.style.top = `${ev.clientY + 14}px`;
  }

  hide() {
    this.el.hidden = true;
  }
}
