// Controls for settings: selects that keep their value true to the server, and a control
// built from a settings schema field (a select where the schema offers values, a number field
// otherwise).

import { h } from './dom.js';

/**
 * A select with the given options.
 * @param {string} testid
 * @param {string} label
 * @param {[string|number, string][]} options
 */
export function select(testid, label, options) {
  return /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': testid, 'aria-label': label },
    ...options.map(([v, t]) => h('option', { value: String(v) }, t))));
}

/**
 * Makes sure `sel` offers `value` (a URL may hold a value between the listed ones) and selects it.
 * @param {HTMLSelectElement} sel
 * @param {number|string} value
 */
export function choose(sel, value) {
  const v = String(value);
  if (sel.value === v) return;
  if (![...sel.options].some((o) => o.value === v)) sel.append(h('option', { value: v }, v));
  sel.value = v;
}

/**
 * The options a field offers: its choices, or the values a number field suggests.
 * @param {import('./settings.js').Field} f
 * @returns {[string|number, string][]}
 */
export function offered(f) {
  if (f.kind === 'choice') return /** @type {[string|number, string][]} */ (f.choices || []);
  return (f.choices || []).map((v) => [v, String(v)]);
}

/**
 * A control for a schema field: a select of what it offers, or a number field.
 * @param {import('./settings.js').Field} f
 * @param {string} testid
 * @returns {HTMLSelectElement|HTMLInputElement}
 */
export function controlFor(f, testid) {
  const options = offered(f);
  if (options.length) return select(testid, f.label, options);
  return /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: f.min, max: f.max, step: f.integer ? 1 : 'any', 'data-testid': testid, 'aria-label': f.label }));
}
