// What the recorders share: a page's job on a real server, over its WebSocket, with every
// snapshot it publishes (binary frames decoded as the page decodes them).
import { decodeFrame } from '../../web/lib/frames.js';

/**
 * Opens a session of `page` on the server at `url`.
 * @param {string} url
 * @param {string} page
 */
export async function openJob(url, page) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws?page=${page}`);
  ws.binaryType = 'arraybuffer';
  /** @type {any[]} */ const seen = [];
  /** @type {Map<number, (m: any) => void>} */ const asked = new Map();
  let nextId = 1;
  ws.onmessage = (ev) => {
    const m = typeof ev.data === 'string' ? JSON.parse(ev.data) : decodeFrame(ev.data);
    if (m.type === 'snapshot') seen.push(m);
    if ((m.type === 'answer' || m.type === 'error') && asked.has(m.id)) {
      /** @type {(m: any) => void} */ (asked.get(m.id))(m);
      asked.delete(m.id);
    }
  };
  await new Promise((r) => { ws.onopen = r; });
  return {
    /** every snapshot so far, oldest first */
    seen,
    /** @param {Record<string, any>} msg */
    send: (msg) => ws.send(JSON.stringify(msg)),
    /**
     * The first snapshot (of all so far) that meets `p`, once there is one.
     * @param {(s: any) => boolean} p
     */
    async until(p) {
      for (;;) {
        const s = seen.find(p);
        if (s) return s;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    /**
     * Asks the job a question, as the page does; resolves with its answer (rejects with its
     * error).
     * @param {string} name
     * @param {Record<string, any>} fields
     * @returns {Promise<any>}
     */
    query(name, fields = {}) {
      const id = nextId++;
      ws.send(JSON.stringify({ ...fields, type: 'query', id, query: name }));
      return new Promise((resolve, reject) => asked.set(id, (m) => (m.type === 'answer' ? resolve(m) : reject(new Error(m.message)))));
    },
    close: () => ws.close(),
  };
}

/**
 * Feeds snapshots to one challenge's check, one after another, as a page does; returns the
 * last verdict.
 * @param {{id: string, check: (state: any, memory: any) => {verdict: any, memory: any}}[]} challenges
 * @param {string} id
 * @param {any[]} snapshots
 */
export function feed(challenges, id, snapshots) {
  const c = challenges.find((x) => x.id === id);
  if (!c) throw new Error(`no challenge ${id}`);
  let memory;
  let verdict = { status: 'open' };
  for (const snapshot of snapshots) ({ verdict, memory } = c.check({ snapshot }, memory));
  return verdict;
}
