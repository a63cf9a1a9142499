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
  const options = [...sel.options];
  if (!options.some((o) => o.value === v)) {
    // among numbers, in its place (1 | 3 | 5 | 10, not 1 | 3 | 10 | 5)
    const n = Number(v);
    const after = v !== '' && Number.isFinite(n) ? options.find((o) => o.value !== '' && Number(o.value) > n) : undefined;
    sel.insertBefore(h('option', { value: v }, v), after || null);
  }
  sel.value = v;
}

/**
 * Shows the job's settings in a page's controls (by setting name), leaving alone the one the
 * user is changing now.
 * @param {Record<string, HTMLSelectElement|HTMLInputElement>} controls
 * @param {Record<string, any>} settings
 */
export function showSettings(controls, settings) {
  for (const [name, el] of Object.entries(controls)) {
    if (document.activeElement === el) continue;
    const v = String(settings[name]);
    if (el instanceof HTMLSelectElement) choose(el, v);
    else if (el.value !== v) el.value = v;
  }
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

/**
 * One Train/Pause toggle (a button with `aria-pressed`): keyboard focus stays on it when it
 * flips. Its test id follows its action — `ids.train` while it would start training,
 * `ids.pause` while it would pause — so a test asks for the button that does what it wants.
 * @param {{train: string, pause: string}} ids
 * @param {(training: boolean) => void} onPress called with the state it was pressed in
 */
export function trainToggle(ids, onPress) {
  let training = false;
  const el = /** @type {HTMLButtonElement} */ (h('button', { class: 'primary toggle', 'data-testid': ids.train, 'aria-pressed': 'false', title: 'Train or pause (the same button)' }, 'Train'));
  el.addEventListener('click', () => onPress(training));
  return {
    el,
    /** @param {boolean} now whether the job is training */
    set(now) {
      if (now === training && el.dataset.testid === (now ? ids.pause : ids.train)) return;
      training = now;
      el.textContent = now ? 'Pause' : 'Train';
      el.setAttribute('aria-pressed', String(now));
      el.dataset.testid = now ? ids.pause : ids.train;
    },
  };
}
