// The page's WebSocket to its session: reconnects, and keeps the session id per tab and
// page (sessionStorage) so a reload finds the same session within the server's grace period.
// JSON text messages arrive parsed; binary frames arrive decoded (see frames.js). The same
// wire for every page: shared commands (play, pause, step, reset, speed, configure), the
// page's own commands, and queries whose answers (or errors) carry their id back.

import { decodeFrame } from './frames.js';

/**
 * @typedef {{type: string, [key: string]: any}} ServerMessage
 */

export class Session {
  /**
   * @param {string} page the page's name on the server (`glass`, `latent3d`)
   * @param {(msg: ServerMessage) => void} onMessage
   * @param {(state: 'open'|'closed') => void} onState
   */
  constructor(page, onMessage, onState) {
    this.page = page;
    this.key = `hourglass-session-${page}`;
    this.onMessage = onMessage;
    this.onState = onState;
    /** @type {WebSocket|null} */
    this.ws = null;
    /** @type {string[]} */
    this.queue = [];
    this.fresh = false;
    /** @type {ServerMessage|null} the session greeting: schema, info */
    this.hello = null;
    this.nextId = 1;
    /** @type {Map<number, {resolve: (m: ServerMessage) => void, reject: (e: Error) => void}>} */
    this.pending = new Map();
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
      const msg = ev.data instanceof ArrayBuffer ? decodeFrame(ev.data) : JSON.parse(ev.data);
      if (msg.type === 'session') {
        this.fresh = msg.id !== id;
        this.hello = msg;
        sessionStorage.setItem(this.key, msg.id);
      }
      const waiting = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
      if (waiting && (msg.type === 'answer' || msg.type === 'error')) {
        this.pending.delete(msg.id);
        if (msg.type === 'answer') waiting.resolve(msg);
        else waiting.reject(Object.assign(new Error(String(msg.message)), { code: msg.code }));
        return;
      }
      this.onMessage(msg);
    };
    ws.onclose = () => {
      for (const p of this.pending.values()) p.reject(new Error('the connection closed'));
      this.pending.clear();
      this.onState('closed');
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(10_000, this.retry * 2);
    };
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
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
    else this.queue.push(text);
  }
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
