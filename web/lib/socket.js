// The page's WebSocket to its session: reconnects, and keeps the session id per tab and
// page (sessionStorage) so a reload finds the same session within the server's grace period.
// JSON text messages arrive parsed; binary frames arrive decoded (see frames.js).

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
      this.onState('open');
      for (const m of this.queue.splice(0)) ws.send(m);
    };
    ws.onmessage = (ev) => {
      /** @type {ServerMessage} */
      const msg = ev.data instanceof ArrayBuffer ? decodeFrame(ev.data) : JSON.parse(ev.data);
      if (msg.type === 'session') {
        this.fresh = msg.id !== id;
        sessionStorage.setItem(this.key, msg.id);
      }
      this.onMessage(msg);
    };
    ws.onclose = () => {
      this.onState('closed');
      setTimeout(() => this.connect(), 1000);
    };
  }

  /** @param {Record<string, any>} msg */
  send(msg) {
    const text = JSON.stringify(msg);
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
    else this.queue.push(text);
  }
}
