// The page's WebSocket to its session: reconnects, and keeps the session id per tab
// (sessionStorage) so a reload finds the same session within the server's grace period.

/**
 * @typedef {{type: string, [key: string]: any}} ServerMessage
 */

export class Session {
  /**
   * @param {(msg: ServerMessage) => void} onMessage
   * @param {(state: 'open'|'closed') => void} onState
   */
  constructor(onMessage, onState) {
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
    const id = sessionStorage.getItem('hourglass-session');
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${location.host}/ws${id ? `?session=${encodeURIComponent(id)}` : ''}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      this.onState('open');
      for (const m of this.queue.splice(0)) ws.send(m);
    };
    ws.onmessage = (ev) => {
      /** @type {ServerMessage} */
      const msg = JSON.parse(ev.data);
      if (msg.type === 'session') {
        this.fresh = msg.id !== id;
        sessionStorage.setItem('hourglass-session', msg.id);
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
