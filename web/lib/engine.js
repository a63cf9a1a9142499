// The static site's transport: the page's job runs in this tab, in a dedicated Web Worker
// (../worker.js) that holds the wasm engine. Messages travel by postMessage in the WebSocket's
// shapes (JSON text, binary frames), so pages do not know which transport they have. When the
// engine stops (a fault inside aborts wasm), the worker is started again and the page is told,
// as it is when a server restarts.

import { decodeMessage } from './frames.js';
import { Link, saveHref } from './socket.js';

let started = 0;

export class WorkerSession extends Link {
  /**
   * @param {string} page
   * @param {(msg: import('./socket.js').ServerMessage) => void} onMessage
   * @param {(state: 'open'|'closed') => void} onState
   */
  constructor(page, onMessage, onState) {
    super(page, onMessage, onState);
    this.where = 'runs in your browser';
    this.lostWhy = 'The engine in this tab stopped';
    this.lostWhere = 'Models you saved are safe in this browser\u2019s storage.';
    /** @type {Worker|null} */
    this.worker = null;
    this.ready = false;
    /** starts that failed in a row, and why the last did once they keep failing */
    this.failures = 0;
    /** @type {string|null} */
    this.stuckWhy = null;
    /** @type {string|null} the session id of the worker the page had */
    this.id = null;
    /** @type {Map<number, {resolve: (v: any) => void, reject: (e: Error) => void}>} file work */
    this.files = new Map();
    this.start();
  }

  start() {
    const w = new Worker(new URL('../worker.js', import.meta.url), { type: 'module' });
    this.worker = w;
    this.ready = false;
    started += 1;
    w.onmessage = (ev) => {
      const d = ev.data;
      if (d.kind === 'msg') {
        /** @type {import('./socket.js').ServerMessage} */
        const msg = decodeMessage(d.data);
        const known = this.id;
        if (msg.type === 'session') {
          this.id = msg.id;
          this.ready = true;
          this.onState('open');
          this.receive(msg, known);
          for (const m of this.queue.splice(0)) w.postMessage({ op: 'send', text: m });
          return;
        }
        this.receive(msg, known);
      } else if (d.kind === 'reply') {
        const p = this.files.get(d.id);
        if (!p) return;
        this.files.delete(d.id);
        if (d.ok) p.resolve(d.body);
        else p.reject(new Error(d.error));
      } else if (d.kind === 'fault') {
        this.restart(String(d.message));
      } else if (d.kind === 'note') {
        this.onMessage({ type: 'error', code: d.code || 'io', message: String(d.message) });
      }
    };
    w.onerror = (ev) => {
      ev.preventDefault();
      this.restart(ev.message || 'the engine could not start');
    };
    w.postMessage({ op: 'start', page: this.page, run: started });
  }

  /** @param {string} why */
  restart(why) {
    // starts that fail one after another, never reaching a session: the engine cannot run
    // here (no WebAssembly, engine files missing or broken), and the page says why
    this.failures = this.ready ? 1 : (this.failures || 0) + 1;
    this.stuckWhy = this.failures >= 3 ? why : null;
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.ready = false;
    this.lostWhy = `The engine in this tab stopped (${why})`;
    this.dropPending('the engine stopped');
    for (const p of this.files.values()) p.reject(new Error('the engine stopped'));
    this.files.clear();
    this.onState('closed');
    // a fault at every start must not spin: wait a little longer each time
    setTimeout(() => this.start(), Math.min(10_000, 200 * started));
  }

  /** @param {string} text */
  transmit(text) {
    if (!this.worker || !this.ready) return false;
    this.worker.postMessage({ op: 'send', text });
    return true;
  }

  /**
   * Work on files, answered by id.
   * @param {Record<string, any>} msg
   * @param {Transferable[]} [transfer]
   * @returns {Promise<any>}
   */
  ask(msg, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.worker) {
        reject(new Error('the engine is starting again; try once more in a moment'));
        return;
      }
      this.files.set(id, { resolve, reject });
      this.worker.postMessage({ ...msg, id }, transfer);
    });
  }

  /**
   * @param {'datasets'|'models'} kind
   * @param {{name: string, overwrite?: boolean}} params
   * @param {File} file
   */
  async upload(kind, params, file) {
    const bytes = await file.arrayBuffer();
    return this.ask({ op: 'upload', kind, name: params.name, overwrite: !!params.overwrite, bytes }, [bytes]);
  }

  /** @param {string} file */
  async download(file) {
    /** @type {ArrayBuffer} */
    const bytes = await this.ask({ op: 'model', name: file });
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    saveHref(url, file);
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  /**
   * IDX files of MNIST or Fashion-MNIST from the learner's disk: each is known by its sha256
   * (or refused), kept in this browser's storage, and the dataset is here once all four are.
   * Resolves with one sentence per file.
   * @param {File[]} files
   * @returns {Promise<string[]>}
   */
  async pickDatasetFiles(files) {
    const said = [];
    for (const f of files) {
      const bytes = await f.arrayBuffer();
      try {
        const r = await this.ask({ op: 'pick', name: f.name, bytes }, [bytes]);
        said.push(`${f.name}: ${r.dataset}'s ${r.file} (${r.have} of 4 files here).`);
      } catch (e) {
        said.push(String(/** @type {Error} */ (e).message));
      }
    }
    return said;
  }
}
