// Challenges: tasks a page checks itself. A page's definitions (web/challenges/<page>.js) are
// data with pure checks; the page feeds the panel its real state (every snapshot), and the
// panel shows each goal, a hint on demand and — once the state passes the check — why it
// happened, and marks it done. Nothing is ever marked done by a button. Progress is kept in
// this browser (localStorage, per page, resettable). A teacher's link opens the panel on one
// challenge and hides chosen controls: `?challenge=<id>&hide=<setting>,<setting>` (the
// page's own settings in the URL work as always).

import { h } from './dom.js';

/**
 * @typedef {'open'|'done'|'failed'} Status
 * @typedef {{status: Status, note?: string}} Verdict
 * @typedef {{id: string, goal: string, hint?: string, why: string,
 *   check: (state: any, memory: any) => {verdict: Verdict, memory: any}}} Challenge
 */

/** @param {string} page */
const storeKey = (page) => `hourglass-challenges-${page}`;

/**
 * The ids done on `page`, as kept in this browser.
 * @param {string} page
 * @returns {Set<string>}
 */
export function doneOn(page) {
  try {
    const v = JSON.parse(localStorage.getItem(storeKey(page)) || '[]');
    return new Set(Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);
  } catch {
    return new Set();
  }
}

/**
 * The Challenges panel of a page.
 * @param {string} page the page's name (test ids `challenge-<page>-<id>`)
 * @param {Challenge[]} defs
 * @param {{root: HTMLElement, every?: number}} opts `root`: where controls to hide (a teacher's
 *   link) live; `every`: check at most this often (ms), for checks that cost more than a frame
 */
export function challengePanel(page, defs, { root, every = 0 }) {
  const q = new URLSearchParams(location.search);
  const chosen = q.get('challenge');
  const hide = (q.get('hide') || '').split(',').map((s) => s.trim()).filter(Boolean);
  const done = doneOn(page);
  /** @type {Record<string, any>} */ const memory = {};
  /** @type {Record<string, {li: HTMLElement, why: HTMLElement, note: HTMLElement}>} */ const rows = {};
  let lastCheck = -Infinity;
  const count = h('span', { class: 'count', 'data-testid': 'challenges-count' });
  const save = () => {
    try {
      localStorage.setItem(storeKey(page), JSON.stringify([...done]));
    } catch {
      // a full or refused storage: progress lasts for this visit only
    }
  };
  /** @param {Challenge} c @param {Status} status @param {string} [note] */
  const show = (c, status, note = '') => {
    const r = rows[c.id];
    r.li.dataset.state = status;
    r.why.hidden = status !== 'done';
    if (r.note.textContent !== note) r.note.textContent = note;
    r.note.hidden = !note || status === 'done';
  };
  const list = h('ol', { class: 'challenge-list' }, ...defs.map((c) => {
    const hint = h('p', { class: 'hint muted', 'data-testid': `challenge-hint-${c.id}`, hidden: true }, c.hint || '');
    const why = h('p', { class: 'why', 'data-testid': `challenge-why-${c.id}`, hidden: true }, c.why);
    const note = h('p', { class: 'note', 'data-testid': `challenge-note-${c.id}`, hidden: true, role: 'status' });
    const li = h('li', { 'data-testid': `challenge-${page}-${c.id}`, 'data-state': 'open', class: c.id === chosen ? 'chosen' : '' },
      h('p', { class: 'goal' }, h('span', { class: 'mark', 'aria-hidden': 'true' }), c.goal),
      c.hint ? h('button', { type: 'button', class: 'link', 'data-testid': `challenge-show-hint-${c.id}`, onclick: () => { hint.hidden = !hint.hidden; } }, 'Hint') : '',
      hint, note, why);
    rows[c.id] = { li, why, note };
    return li;
  }));
  const reset = h('button', { type: 'button', 'data-testid': 'challenges-reset', onclick: () => {
    done.clear();
    save();
    for (const c of defs) {
      delete memory[c.id];
      show(c, 'open');
    }
    tally();
  } }, 'Start again');
  const panel = /** @type {HTMLDetailsElement} */ (h('details', { class: 'challenges', 'data-testid': 'challenges', open: chosen ? true : undefined },
    h('summary', {}, 'Challenges ', count),
    h('p', { class: 'muted' }, 'Each is checked by the page from what the model really does; none is ticked by hand. Progress is kept in this browser.'),
    list, reset));
  const tally = () => {
    const text = `(${defs.filter((c) => done.has(c.id)).length} of ${defs.length} done)`;
    if (count.textContent !== text) count.textContent = text;
  };
  for (const c of defs) show(c, done.has(c.id) ? 'done' : 'open');
  tally();
  if (chosen && !rows[chosen]) {
    panel.prepend(h('p', { class: 'message' }, `The link names a challenge '${chosen}' this page does not have.`));
  }
  return {
    el: panel,
    /**
     * A teacher's link: hides the controls it names (their whole label, where they have
     * one) and brings the chosen challenge into view. Called once the page is mounted.
     */
    applyLink() {
      const hidden = [];
      for (const name of hide) {
        const el = root.querySelector(`[data-testid="${page}-${CSS.escape(name)}"]`);
        if (!el) continue;
        const box = /** @type {HTMLElement} */ (el.closest('label') || el);
        box.hidden = true;
        box.dataset.hiddenByLink = 'true';
        hidden.push(name);
      }
      if (hidden.length) panel.append(h('p', { class: 'muted', 'data-testid': 'challenges-hidden' }, `Hidden by this link: ${hidden.join(', ')}.`));
      if (chosen && rows[chosen]) rows[chosen].li.scrollIntoView({ block: 'nearest' });
    },
    /**
     * Checks every challenge against the page's state (a snapshot, and what else the page
     * gives); a challenge done stays done.
     * @param {any} state
     */
    update(state) {
      const now = performance.now();
      if (now - lastCheck < every) return;
      lastCheck = now;
      let changed = false;
      for (const c of defs) {
        let out;
        try {
          out = c.check(state, memory[c.id]);
        } catch {
          continue; // a state this check cannot read yet (a page still starting)
        }
        memory[c.id] = out.memory;
        if (done.has(c.id)) continue;
        const v = out.verdict;
        if (v.status === 'done') {
          done.add(c.id);
          changed = true;
        }
        show(c, v.status, v.note);
      }
      if (changed) {
        save();
        tally();
      }
    },
  };
}
