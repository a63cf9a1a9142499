// The static site's engine host: a dedicated Web Worker that loads the wasm engine
// (engine/hourglass_web.js, built by scripts/build-site), starts one page's job, hands it the
// page's messages and ticks it on a timer; posts snapshots, answers and errors back in the
// WebSocket's shapes. Models and picked datasets are kept in IndexedDB (found again after a
// reload); the datasets the site has are read from its own origin. Nothing else is fetched.

const ENGINE = new URL('./engine/hourglass_web.js', import.meta.url).href;
const SLICE_MS = 12;
const DB = 'hourglass';

/** @type {any} */
const scope = self;
/** @type {any} the engine's Lab */
let lab = null;
/** @type {Promise<IDBDatabase>|null} */
let dbOpen = null;

/** @param {any} msg @param {Transferable[]} [transfer] */
const post = (msg, transfer = []) => scope.postMessage(msg, transfer);

/** @param {any} m the engine's text or bytes */
function postMsg(m) {
  if (m === undefined || m === null) return;
  if (typeof m === 'string') post({ kind: 'msg', data: m });
  else post({ kind: 'msg', data: m.buffer }, [m.buffer]);
}

// a panic's message, told by the engine just before wasm aborts
scope.hourglassPanic = (/** @type {string} */ message) => post({ kind: 'fault', message });

/** @returns {Promise<IDBDatabase>} */
function db() {
  dbOpen ??= new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore('models');
      r.result.createObjectStore('datasets');
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  return dbOpen;
}

/**
 * Every entry of a store, as [key, value].
 * @param {string} store
 * @returns {Promise<[string, Uint8Array][]>}
 */
async function entries(store) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(store, 'readonly');
    /** @type {[string, Uint8Array][]} */ const out = [];
    const r = t.objectStore(store).openCursor();
    r.onsuccess = () => {
      const c = r.result;
      if (!c) return resolve(out);
      out.push([String(c.key), new Uint8Array(c.value)]);
      c.continue();
    };
    r.onerror = () => reject(r.error);
  });
}

/**
 * Writes (or deletes, when `value` is null) one entry; resolves when it is on disk.
 * @param {string} store @param {string} key @param {Uint8Array|null} value
 */
async function keep(store, key, value) {
  const d = await db();
  return new Promise((resolve, reject) => {
    const t = d.transaction(store, 'readwrite');
    if (value) t.objectStore(store).put(value, key);
    else t.objectStore(store).delete(key);
    t.oncomplete = () => resolve(undefined);
    t.onabort = t.onerror = () => reject(t.error);
  });
}

/** Writes the models the job saved, deleted or renamed through to IndexedDB, in order. */
let writing = Promise.resolve();
function writeThrough() {
  const changes = lab.take_journal();
  for (const c of changes) {
    writing = writing.then(() => keep('models', c.file, c.op === 'put' ? c.bytes : null)).catch((/** @type {any} */ e) => {
      const what = c.op === 'put'
        ? `${c.file} could not be kept in this browser's storage (${e && e.name === 'QuotaExceededError' ? 'the storage is full' : String(e && e.message || e)}). It is still here until this tab closes: download it to keep it, or delete other models to make room.`
        : `${c.file} could not be removed from this browser's storage (${String(e && e.message || e)}); it may come back after a reload.`;
      post({ kind: 'note', code: 'io', message: what });
    });
  }
}

// the tick loop: one slice of training, then the event loop (messages) before the next
let timer = 0;
let soon = false;
const channel = new MessageChannel();
channel.port1.onmessage = () => { soon = false; tick(); };

function wake() {
  if (soon) return;
  clearTimeout(timer);
  soon = true;
  channel.port2.postMessage(0);
}

function tick() {
  const next = lab.tick(SLICE_MS);
  postMsg(lab.snapshot());
  writeThrough();
  if (next < 0) return;
  if (next < 1) wake();
  else {
    clearTimeout(timer);
    timer = setTimeout(tick, next);
  }
}

/** @param {string} page @param {number} run */
async function start(page, run) {
  const engine = await import(ENGINE);
  await engine.default();
  const base = new URL('./datasets', import.meta.url).href;
  /** @type {string[]} */
  const site = await fetch(`${base}/index.json`).then((r) => (r.ok ? r.json() : [])).catch(() => []);
  lab = new engine.Lab(site, base);
  try {
    for (const [file, bytes] of await entries('models')) {
      lab.restore_model(file, bytes);
    }
    for (const [key, bytes] of await entries('datasets')) {
      try {
        lab.pick_dataset_file(key, bytes);
      } catch {
        await keep('datasets', key, null);
      }
    }
  } catch (e) {
    post({ kind: 'note', code: 'io', message: `This browser's storage cannot be read (${String(/** @type {any} */ (e).message || e)}): models are kept for this tab only.` });
  }
  const hello = JSON.parse(lab.start(page));
  postMsg(JSON.stringify({ ...hello, type: 'session', id: `browser-${run}-${Date.now()}` }));
  wake();
}

/** @param {any} d */
async function fileWork(d) {
  const bytes = new Uint8Array(d.bytes || 0);
  if (d.op === 'upload' && d.kind === 'models') {
    const r = JSON.parse(lab.upload_model(d.name, bytes, d.overwrite));
    writeThrough();
    await writing;
    return r;
  }
  if (d.op === 'upload' && d.kind === 'datasets') return JSON.parse(lab.upload_dataset(d.name, bytes));
  if (d.op === 'model') {
    const b = lab.model_bytes(d.name);
    if (!b) throw new Error(`there is no model '${d.name}' in this browser`);
    return b.buffer;
  }
  if (d.op === 'pick') {
    const r = JSON.parse(lab.pick_dataset_file(d.name, bytes));
    try {
      await keep('datasets', `${r.dataset}/${r.file}`, bytes);
    } catch (e) {
      r.note = `not kept for the next visit: ${String(/** @type {any} */ (e).message || e)}`;
    }
    wake();
    return r;
  }
  throw new Error(`unknown request '${d.op}'`);
}

scope.onmessage = (/** @type {MessageEvent} */ ev) => {
  const d = ev.data;
  if (d.op === 'start') {
    start(d.page, d.run).catch((e) => post({ kind: 'fault', message: String(e && e.message || e) }));
  } else if (d.op === 'send') {
    if (!lab) return;
    postMsg(lab.deliver(d.text));
    writeThrough();
    wake();
  } else {
    fileWork(d).then(
      (body) => post({ kind: 'reply', id: d.id, ok: true, body }, body instanceof ArrayBuffer ? [body] : []),
      (e) => post({ kind: 'reply', id: d.id, ok: false, error: String(e && e.message || e) }),
    );
  }
};
