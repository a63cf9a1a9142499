// How a page talks to its job: one interface, two transports. Served by `hourglass serve`,
// the job runs on the server and the page reaches it over a WebSocket (this file); in the
// static site it runs in this tab, in a Web Worker (engine.js). Either way the page sends the
// same JSON messages and gets the same snapshots, answers and errors: shared commands (play,
// pause, step, reset, speed, configure), the page's own commands, and queries whose answers
// (or errors) carry their id back; files (uploads, model downloads) go through it too.

import { decodeMessage } from './frames.js';

/**
 * @typedef {{type: string, [key: string]: any}} ServerMessage
 */

/** Does this page run its job in the browser (the static site), not on a server? */
export const inBrowser = document.documentElement.dataset.host === 'browser';

/** The page's link to its job, once it has one (for controls shared by pages). */
export const current = { /** @type {Link|null} */ link: /** @type {Link|null} */ (null) };

/** What pages share of both transports: the greeting, queued messages, queries. */
export class Link {
  /**
   * @param {string} page the page's name (`glass`, `latent3d`)
   * @param {(msg: ServerMessage) => void} onMessage
   * @param {(state: 'open'|'closed') => void} onState
   */
  constructor(page, onMessage, onState) {
    this.page = page;
    this.onMessage = onMessage;
    this.onState = onState;
    /** @type {string[]} messages waiting for the job */
    this.queue = [];
    /**
     * What the page sent before its address was applied (a click on Train as the page
     * opens): held until `release`, so the address's settings reach the job first and do
     * not undo it. Null when nothing is held.
     * @type {string[]|null}
     */
    this.held = [];
    /** a new job, not the one the page had (the first, or after a restart) */
    this.fresh = false;
    /** @type {ServerMessage|null} the session greeting: schema, info */
    this.hello = null;
    this.nextId = 1;
    /** @type {Map<number, {resolve: (m: ServerMessage) => void, reject: (e: Error) => void}>} */
    this.pending = new Map();
    /** where the job runs, for the top bar */
    this.where = 'connected';
    /** why the job was lost, when it was: for the page's message */
    this.lostWhy = 'The server restarted';
    this.lostWhere = 'Models you saved are safe in the models folder.';
  }

  /**
   * Routes one message from the job: answers to their questions, the rest to the page.
   * @param {ServerMessage} msg
   * @param {string|null} known the session id the page had, if any
   */
  receive(msg, known) {
    if (msg.type === 'session') {
      this.fresh = msg.id !== known;
      this.hello = msg;
    }
    const waiting = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (waiting && (msg.type === 'answer' || msg.type === 'error')) {
      this.pending.delete(msg.id);
      if (msg.type === 'answer') waiting.resolve(msg);
      else waiting.reject(Object.assign(new Error(String(msg.message)), { code: msg.code }));
      return;
    }
    this.onMessage(msg);
  }

  /** @param {string} why */
  dropPending(why) {
    for (const p of this.pending.values()) p.reject(new Error(why));
    this.pending.clear();
  }

  /**
   * Asks the page's job a question; resolves with its answer, rejects with its error.
   * @param {string} name
   * @param {Record<string, any>} [fields]
   * @returns {Promise<ServerMessage>}
   */
  query(name, fields = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ ...fields, type: 'query', id, query: name });
    });
  }

  /** @param {Record<string, any>} msg */
  send(msg) {
    const text = JSON.stringify(msg);
    if (this.held) this.held.push(text);
    else this.sendText(text);
  }

  /** @param {string} text sent now, or queued until the job can take it */
  sendText(text) {
    if (!this.transmit(text)) this.queue.push(text);
  }

  /** Holds what the page sends from now until `release` (a new session: its address first). */
  hold() {
    this.held ??= [];
  }

  /**
   * Sends `first` (the page's address as messages), then what was held, in order.
   * @param {Record<string, any>[]} first
   */
  release(first) {
    const held = this.held ?? [];
    this.held = null;
    for (const m of first) this.send(m);
    for (const text of held) this.sendText(text);
  }

  /**
   * Sends one message now; false when the job cannot take it yet (it is queued).
   * @param {string} _text
   * @returns {boolean}
   */
  transmit(_text) {
    return false;
  }

  /**
   * Sends a file the job keeps: a data set (`datasets`) or a checkpoint (`models`).
   * Resolves with the answer (what was kept), rejects with the sentence saying why not.
   * @param {'datasets'|'models'} _kind
   * @param {{name: string, overwrite?: boolean}} _params
   * @param {File} _file
   * @returns {Promise<any>}
   */
  upload(_kind, _params, _file) {
    return Promise.reject(new Error('this page cannot take files'));
  }

  /**
   * Saves a kept model's file to the learner's disk.
   * @param {string} _file
   * @returns {Promise<void>}
   */
  async download(_file) {}
}

/** The WebSocket to the page's session on the server. */
export class Session extends Link {
  /**
   * @param {string} page
   * @param {(msg: ServerMessage) => void} onMessage
   * @param {(state: 'open'|'closed') => void} onState
   */
  constructor(page, onMessage, onState) {
    super(page, onMessage, onState);
    // the session id per tab and page (sessionStorage): a reload finds the same session
    // within the server's grace period
    this.key = `hourglass-session-${page}`;
    /** @type {WebSocket|null} */
    this.ws = null;
    /** ms before the next reconnect: doubles while the server is away, up to 10 s */
    this.retry = 1000;
    this.connect();
  }

  connect() {
    const id = sessionStorage.getItem(this.key);
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const q = new URLSearchParams({ page: this.page });
    if (id) q.set('session', id);
    const ws = new WebSocket(`${proto}//${location.host}/ws?${q}`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 1000;
      this.onState('open');
      for (const m of this.queue.splice(0)) ws.send(m);
    };
    ws.onmessage = (ev) => {
      /** @type {ServerMessage} */
      const msg = decodeMessage(ev.data);
      if (msg.type === 'session') sessionStorage.setItem(this.key, msg.id);
      this.receive(msg, id);
    };
    ws.onclose = () => {
      this.dropPending('the connection closed');
      this.onState('closed');
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(10_000, this.retry * 2);
    };
  }

  /** @param {string} text */
  transmit(text) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(text);
    return true;
  }

  /**
   * @param {'datasets'|'models'} kind
   * @param {{name: string, overwrite?: boolean}} params
   * @param {File} file
   */
  async upload(kind, params, file) {
    const q = new URLSearchParams({ name: params.name });
    if (params.overwrite) q.set('overwrite', 'true');
    const r = await fetch(`/api/${kind}?${q}`, { method: 'POST', body: file });
    const body = await r.json().catch(() => ({ error: `the server answered ${r.status}` }));
    if (!r.ok) throw new Error(body.error || `the server answered ${r.status}`);
    return body;
  }

  /** @param {string} file */
  async download(file) {
    saveHref(`/api/models/${encodeURIComponent(file)}`, file);
  }
}

/**
 * Has the browser save `href` as the file `name`.
 * @param {string} href
 * @param {string} name
 */
export function saveHref(href, name) {
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
}

/**
 * A question asked again and again as the learner moves (a hover, a stroke): at most one is in
 * flight, and while it is, only the newest question waits — the older ones are dropped, so a
 * fast mouse never builds a backlog. Returns `ask(fields)`.
 * @param {(fields: Record<string, any>) => Promise<ServerMessage>} query sends one question
 * @param {(answer: ServerMessage, fields: Record<string, any>, ms: number) => void} onAnswer
 *   with the fields asked and the round trip in ms
 * @param {(e: Error) => void} onError
 */
export function latestOnly(query, onAnswer, onError) {
  const WAIT_MS = 10_000;
  let busy = false;
  /** @type {Record<string, any>|null} */ let next = null;
  const go = () => {
    if (busy || !next) return;
    const fields = next;
    next = null;
    busy = true;
    const t0 = performance.now();
    // an answer that never comes (lost, or a job stuck on something long) must not stop every
    // later question: after WAIT_MS the next one goes out anyway
    /** @type {ReturnType<typeof setTimeout>|undefined} */ let timer;
    const late = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the server did not answer within ${WAIT_MS / 1000} s; the next question goes out anyway`)), WAIT_MS);
    });
    Promise.race([query(fields), late]).then((m) => onAnswer(/** @type {ServerMessage} */ (m), fields, performance.now() - t0), onError).finally(() => {
      clearTimeout(timer);
      busy = false;
      go();
    });
  };
  return (/** @type {Record<string, any>} */ fields) => {
    next = fields;
    go();
  };
}
