// What every page does to talk to its job: open its session, show the connection, keep the
// schema the server sends, apply the URL's settings by the one rule every page follows, and
// pass snapshots and errors on. A page gives only what is its own.

import { WorkerSession } from './engine.js';
import { Session, current, inBrowser } from './socket.js';
import { fromUrl, reconcile } from './settings.js';

/**
 * @typedef {import('./settings.js').Schema} Schema
 * @typedef {import('./socket.js').ServerMessage} ServerMessage
 * @typedef {{
 *   say: (text: string) => void,
 *   onSnapshot: (s: any) => void,
 *   urlKeys?: Record<string, string>,
 *   onHello?: (hello: ServerMessage, q: URLSearchParams) => string[],
 *   fromUrlToo?: (s: any, fresh: boolean) => Record<string, any>[],
 *   lostRun?: (last: any) => string|null,
 * }} PageOptions
 */

/**
 * A page's message line (errors and notes from its job): the element, and `say(text)`, which
 * shows it with `text` or hides it when `text` is empty.
 * @param {string} page the page's name (its test id is `<page>-message`)
 */
export function messageLine(page) {
  const el = document.createElement('div');
  el.className = 'message';
  el.dataset.testid = `${page}-message`;
  el.setAttribute('role', 'status');
  el.hidden = true;
  const say = (/** @type {string} */ text) => {
    el.textContent = text;
    el.hidden = !text;
  };
  return { el, say };
}

/**
 * Connects a page to its job.
 * - `onHello(hello, q)`: the page's own work on the greeting (its schema is in `schema()`);
 *   it may change `q` (URL parameters) before the settings are read, and returns messages
 *   to show.
 * - `fromUrlToo(snapshot, fresh)`: messages that bring the page's own URL state (beyond the
 *   settings) to a session, sent with the settings patch.
 * - `lostRun(last)`: when the server restarted under the page (its session is new), what was
 *   lost, from the last snapshot the page had (e.g. "the run was at epoch 0.22"), or null.
 *   The page always says the server restarted; this says what that cost.
 * A new session takes all the URL's settings; an existing one (a reload, or a link opened in
 * the same tab) takes those the URL gives that differ from its own.
 * @param {string} name the page's name on the server
 * @param {PageOptions} opts
 */
export function connectPage(name, opts) {
  /** @type {Schema} */ let schema = [];
  /** @type {{settings: Record<string, any>, given: string[], problems: string[]}|null} */
  let url = null;
  let pending = false;
  // the last snapshot shown, and whether a session was open before (a restart loses it)
  /** @type {any} */ let last = null;
  const status = /** @type {HTMLElement} */ (document.getElementById('status'));
  const root = /** @type {HTMLElement} */ (document.getElementById('app'));
  // when the server is gone: a banner that says how to bring it back, and controls that
  // cannot be used (they would act on nothing); both undone when it answers again
  const banner = document.createElement('div');
  banner.className = 'offline';
  banner.dataset.testid = 'offline';
  banner.setAttribute('role', 'alert');
  banner.hidden = true;
  const bannerText = inBrowser
    ? 'The engine in this tab stopped; it is starting again and picks up where the page\u2019s address says.'
    : 'The Hourglass server is not answering. Start it again (hourglass serve) — this page reconnects by itself and picks up where its URL says.';
  banner.textContent = bannerText;
  document.body.prepend(banner);
  /** @param {boolean} offline */
  const setOffline = (offline) => {
    banner.hidden = !offline;
    root.classList.toggle('is-offline', offline);
    for (const el of /** @type {NodeListOf<HTMLButtonElement|HTMLInputElement|HTMLSelectElement>} */ (root.querySelectorAll('button, input, select'))) {
      if (offline && !el.disabled) {
        el.disabled = true;
        el.dataset.offlineDisabled = 'true';
      } else if (!offline && el.dataset.offlineDisabled) {
        el.disabled = false;
        delete el.dataset.offlineDisabled;
      }
    }
  };
  const Transport = inBrowser ? WorkerSession : Session;
  const session = new Transport(name, (msg) => {
    if (msg.type === 'session') {
      schema = msg.schema;
      const q = new URLSearchParams(location.search);
      const own = opts.onHello ? opts.onHello(msg, q) : [];
      url = fromUrl(schema, q, opts.urlKeys);
      const problems = [...url.problems, ...own];
      if (last && session.fresh) {
        // the server was restarted under the page: its session (and any run) is gone
        const lost = opts.lostRun ? opts.lostRun(last) : null;
        problems.unshift(`${session.lostWhy}, so this page started again from its address${lost ? `: ${lost}` : ''}. ${session.lostWhere}`);
      }
      if (problems.length) opts.say(problems.join(' '));
      pending = true;
      session.hold();
    } else if (msg.type === 'snapshot') {
      if (pending && url) {
        pending = false;
        const patch = reconcile(url, msg.settings, session.fresh);
        const more = opts.fromUrlToo ? opts.fromUrlToo(msg, session.fresh) : [];
        // the address first, then whatever the learner did while it was on its way
        const first = [...(patch ? [{ type: 'configure', ...patch }] : []), ...more];
        session.release(first);
        if (first.length) return;
      }
      last = msg;
      opts.onSnapshot(msg);
    } else if (msg.type === 'error') {
      opts.say(String(msg.message));
    }
  }, (state) => {
    status.textContent = state === 'open' ? session.where : inBrowser ? 'engine starting again…' : 'server not answering; retrying…';
    status.dataset.value = state;
    const stuck = /** @type {{stuckWhy?: string|null}} */ (session).stuckWhy;
    banner.textContent = stuck
      ? `The engine could not start in this tab (${stuck}). It keeps trying; if reloading the page does not help, this browser may lack WebAssembly, or the site is missing its engine files (engine/).`
      : bannerText;
    setOffline(state !== 'open');
  });
  current.link = session;
  return { session, schema: () => schema };
}
