// Settings from the server's schema: one source of truth for every range and choice. A page
// reads its URL state, checks a control's value and builds its configure patches from the
// schema the server sends with the session greeting; no page keeps a range of its own.

/**
 * @typedef {{name: string, label: string, kind: 'number'|'choice'|'text', min?: number, max?: number, max_len?: number,
 *   integer?: boolean, log?: boolean, choices?: any[], default: any}} Field
 * @typedef {Field[]} Schema
 */

/**
 * Checks a raw value (a string from the URL or a control, or a value) against a field.
 * @param {Field} f
 * @param {any} raw
 * @returns {{ok: true, value: any} | {ok: false, why: string}}
 */
export function check(f, raw) {
  if (f.kind === 'text') {
    const t = String(raw);
    return t.length <= (f.max_len ?? 200) ? { ok: true, value: t } : { ok: false, why: `${f.label} is longer than ${f.max_len} characters` };
  }
  if (f.kind === 'choice') {
    const choices = /** @type {[any, string][]} */ (f.choices || []);
    const hit = choices.find(([v]) => String(v) === String(raw));
    if (hit) return { ok: true, value: hit[0] };
    return { ok: false, why: `${f.label} ${raw} is not one of ${choices.map(([v]) => v).join(', ')}` };
  }
  const v = typeof raw === 'number' ? raw : Number(raw);
  const min = /** @type {number} */ (f.min);
  const max = /** @type {number} */ (f.max);
  if ((typeof raw === 'string' && raw.trim() === '') || !Number.isFinite(v)) return { ok: false, why: `${f.label} "${raw}" is not a number` };
  if (f.integer && (!Number.isSafeInteger(v) || (min >= 0 && v < 0))) return { ok: false, why: `${f.label} "${raw}" is not a whole number` };
  if (v < min || v > max) return { ok: false, why: `${f.label} ${raw} is not in ${min}–${max}` };
  return { ok: true, value: v };
}

/**
 * Reads the settings from the URL; bad values become defaults, each with a message.
 * @param {Schema} schema
 * @param {URLSearchParams} q
 * @param {Record<string, string>} [keys] URL key of a field, where it is not the field's name
 * @returns {{settings: Record<string, any>, given: string[], problems: string[]}}
 */
export function fromUrl(schema, q, keys = {}) {
  /** @type {Record<string, any>} */
  const settings = {};
  /** @type {string[]} */ const given = [];
  /** @type {string[]} */ const problems = [];
  for (const f of schema) {
    const key = keys[f.name] || f.name;
    const raw = q.get(key);
    settings[f.name] = f.default;
    if (raw === null) continue;
    // a bad value still counts as given: the URL asked for this setting, and gets the default
    given.push(f.name);
    const c = check(f, raw);
    if (c.ok) {
      settings[f.name] = c.value;
    } else {
      problems.push(`${key}=${raw}: ${c.why}; using ${f.default}.`);
    }
  }
  return { settings, given, problems };
}

/**
 * Writes settings into URL parameters.
 * @param {URLSearchParams} q
 * @param {Schema} schema
 * @param {Record<string, any>} settings
 * @param {Record<string, string>} [keys]
 */
export function toUrl(q, schema, settings, keys = {}) {
  for (const f of schema) q.set(keys[f.name] || f.name, String(settings[f.name]));
}

/** URL parameters of a teacher's link, kept by every page beside its settings. */
const LINK_KEYS = ['challenge', 'hide'];

/**
 * Shows a page's settings (and its own `extra` parameters) in the address bar: how every
 * page keeps its URL a link to what it shows.
 * @param {Schema} schema
 * @param {Record<string, any>} settings
 * @param {{extra?: Record<string, string>, keys?: Record<string, string>, base?: URLSearchParams}} [opts]
 */
export function settingsToUrl(schema, settings, opts = {}) {
  const q = opts.base || new URLSearchParams();
  toUrl(q, schema, settings, opts.keys);
  for (const [k, v] of Object.entries(opts.extra || {})) q.set(k, v);
  // a teacher's link (lib/challenges.js) stays a link: its challenge and hidden controls
  const now = new URLSearchParams(location.search);
  for (const k of LINK_KEYS) {
    const v = now.get(k);
    if (v !== null && !q.has(k)) q.set(k, v);
  }
  showInUrl(q);
}

/**
 * Puts the URL parameters `q` in the address bar (without a new history entry) when they
 * differ from it.
 * @param {URLSearchParams} q
 */
export function showInUrl(q) {
  const next = `${location.pathname}?${q}`;
  if (next !== location.pathname + location.search) history.replaceState(null, '', next);
}

/**
 * The rule both pages follow: a new session takes all the URL's settings; an existing one (a
 * reload, or a link opened in the same tab) takes those the URL gives that differ from its
 * own. Returns the patch to send, or null.
 * @param {{settings: Record<string, any>, given: string[]}} url
 * @param {Record<string, any>} current the session's settings
 * @param {boolean} fresh
 */
export function reconcile(url, current, fresh) {
  /** @type {Record<string, any>} */
  const patch = {};
  for (const name of fresh ? Object.keys(url.settings) : url.given) {
    if (url.settings[name] !== current[name]) patch[name] = url.settings[name];
  }
  return Object.keys(patch).length ? patch : null;
}

/**
 * The field called `name`.
 * @param {Schema} schema
 * @param {string} name
 * @returns {Field}
 */
export function field(schema, name) {
  const f = schema.find((x) => x.name === name);
  if (!f) throw new Error(`no setting '${name}'`);
  return f;
}
