// The Digits Lab (its first part): train the tutorial's 784-100-50-25-2 digit autoencoder on
// MNIST or Fashion-MNIST and watch its 2-D latent map form — every dot a test image at its
// code, coloured by its class. The server trains on its heavy-work budget; this page draws.

import { h, svg, showNumber } from '../lib/dom.js';
import { connectPage } from '../lib/page.js';
import { latestOnly } from '../lib/socket.js';
import { lineChart } from '../lib/chart.js';
import { CLASS_COLOURS } from '../lib/colors.js';
import { Scatter } from '../lib/scatter.js';
import { DrawPad } from '../lib/drawpad.js';
import { drawImage, imageGrid } from '../lib/images.js';
import { check, toUrl } from '../lib/settings.js';
import { choose, controlFor } from '../lib/controls.js';

const CLASS_NAMES = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  'fashion-mnist': ['T-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'boot'],
};

/**
 * @typedef {import('../lib/settings.js').Schema} Schema
 * @typedef {{dataset: string, train_size: number, lr: number, batch: number, seed: number}} Settings
 * @typedef {{training: boolean, queued: number|null, speed: number, steps_per_second: number,
 *   losses: [number, number][], notice: {id: number, text: string}|null}} Run
 * @typedef {{dataset: string, file: string, done: number, total: number|null, files_done: number,
 *   files: number, state: string, message: string}} Download
 * @typedef {{type: string, settings: Settings, run: Run, model: string, step: number,
 *   steps_per_epoch: number|null, epoch: number|null, loss: number|null,
 *   datasets: {name: string, present: boolean}[], download?: Download,
 *   data?: Record<string, Float32Array>}} Snapshot
 */

/** @param {HTMLElement} root */
export function mount(root) {
  /** @type {Schema} */ let schema = [];
  /** @type {Snapshot|null} */ let live = null;
  let lastNotice = -1;
  let lastStep = -1;

  const message = h('div', { class: 'message', 'data-testid': 'digits-message', role: 'status', hidden: true });
  const say = (/** @type {string} */ text) => {
    message.textContent = text;
    message.hidden = !text;
  };
  const send = (/** @type {Record<string, any>} */ m) => session.send(m);

  const train = h('button', { class: 'primary', 'data-testid': 'digits-train', onclick: () => send({ type: 'play' }) }, 'Train');
  const pause = h('button', { class: 'primary', 'data-testid': 'digits-pause', hidden: true, onclick: () => send({ type: 'pause' }) }, 'Pause');
  const step = h('button', { 'data-testid': 'digits-step', title: 'Train one mini-batch', onclick: () => send({ type: 'step' }) }, 'Step');
  const reset = h('button', { 'data-testid': 'digits-reset', title: 'New weights from the seed', onclick: () => send({ type: 'reset' }) }, 'Reset');

  /** @type {Record<string, HTMLSelectElement|HTMLInputElement>} */
  const controls = {};
  const settingsBox = h('div', { class: 'settings' });
  /** Builds one control per setting from the schema. */
  function buildControls() {
    settingsBox.replaceChildren();
    for (const f of schema) {
      const el = controlFor(f, `digits-${f.name}`);
      el.addEventListener('change', () => {
        const c = check(f, el.value);
        if (!c.ok) {
          say(`${c.why}.`);
          if (live) el.value = String(live.settings[/** @type {keyof Settings} */ (f.name)]);
          return;
        }
        say('');
        send({ type: 'configure', [f.name]: c.value });
      });
      controls[f.name] = el;
      settingsBox.append(h('label', {}, f.label, el));
    }
  }

  const epoch = h('span', { class: 'figure', 'data-testid': 'digits-epoch' }, '–');
  const loss = h('span', { class: 'figure', 'data-testid': 'digits-loss' }, '–');
  const rate = h('span', { class: 'figure', 'data-testid': 'digits-rate' }, '–');
  const queued = h('p', { class: 'message', 'data-testid': 'digits-queued', hidden: true });
  // a dataset that is not on the machine can be downloaded from here (checked by its sha256)
  const download = h('button', { 'data-testid': 'digits-download', hidden: true, onclick: () => live && send({ type: 'fetch', dataset: live.settings.dataset }) }, 'Download');
  const progress = /** @type {HTMLProgressElement} */ (h('progress', { max: 1, value: 0, 'data-testid': 'digits-download-progress', hidden: true, 'aria-label': 'Download progress' }));
  let lastDownload = '';
  const chart = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', { class: 'chart', 'data-testid': 'digits-chart' })));

  const canvas = /** @type {HTMLCanvasElement} */ (h('canvas', { width: 560, height: 560, class: 'map', 'data-testid': 'digits-map', role: 'img', 'aria-label': 'The latent map: test images at their 2-D codes' }));
  const map = new Scatter(canvas);
  const legend = h('div', { class: 'legend', 'data-testid': 'digits-legend' });
  const hoverInfo = h('p', { class: 'muted', 'data-testid': 'digits-hover' }, 'Hover the map: the decoder draws the image at that code. Click to pin it there.');
  // ---- the decoder under the mouse: hover anywhere on the plane, see the image decoded at
  // those coordinates; click to stamp it on the map (latest hover wins: no backlog)
  const decoded = /** @type {HTMLCanvasElement} */ (h('canvas', { width: 28, height: 28, class: 'digit large', 'data-testid': 'digits-decoded', role: 'img', 'aria-label': 'the image decoded at the code under the mouse' }));
  const decodedCode = h('p', { class: 'muted', 'data-testid': 'digits-decoded-code' }, 'code –');
  const stamps = h('span', { class: 'figure', 'data-testid': 'digits-stamps', 'data-value': '0' }, '0');
  const clearStamps = h('button', { 'data-testid': 'digits-stamps-clear', onclick: () => {
    map.clearStamps();
    stamps.textContent = '0';
    stamps.dataset.value = '0';
  } }, 'Clear stamps');
  drawImage(decoded, new Float32Array(784), 28, 28);
  /** round-trip times of hover decodes, page → server → image drawn (ms), for the benchmark */
  const decodeTimes = /** @type {number[]} */ ([]);
  /** @type {any} */ (window).digitsDecodeTimes = decodeTimes;
  const decodeAt = latestOnly((f) => session.query('decode', f), (m, f, ms) => {
    drawImage(decoded, m.data.image, 28, 28);
    decoded.dataset.value = JSON.stringify(m.code);
    decodedCode.textContent = `code (${f.code.map((/** @type {number} */ v) => v.toFixed(2)).join(', ')})`;
    decodeTimes.push(ms);
    if (decodeTimes.length > 10000) decodeTimes.splice(0, 5000);
  }, (e) => say(e.message));
  // a test hook: codes ↔ canvas coordinates (the dots are not in the DOM)
  /** @type {any} */ (window).digitsMap = {
    toCanvas: (/** @type {number[]} */ c) => map.toCanvas(c),
    toCode: (/** @type {number[]} */ p) => map.toCode(p),
    count: () => map.xy.length / 2,
    /** the first n codes, as drawn */
    codes: (/** @type {number} */ n) => Array.from(map.xy.slice(0, 2 * n)),
    /** canvas coordinates of dot i */
    dot: (/** @type {number} */ i) => map.toCanvas([map.xy[2 * i], map.xy[2 * i + 1]]),
  };
  canvas.addEventListener('pointermove', (ev) => {
    const r = canvas.getBoundingClientRect();
    const x = ((ev.clientX - r.left) * canvas.width) / r.width;
    const y = ((ev.clientY - r.top) * canvas.height) / r.height;
    decodeAt({ code: map.toCode([x, y]) });
    const i = map.nearest(x, y);
    const names = CLASS_NAMES[/** @type {'mnist'} */ (live ? live.settings.dataset : 'mnist')] || [];
    if (i < 0 || !map.classes) {
      const [a, b] = map.toCode([x, y]);
      hoverInfo.textContent = `code (${a.toFixed(2)}, ${b.toFixed(2)})`;
      return;
    }
    hoverInfo.textContent = `test image ${i}: ${names[map.classes[i]] ?? map.classes[i]} at code (${map.xy[2 * i].toFixed(2)}, ${map.xy[2 * i + 1].toFixed(2)})`;
    // the same dot is not asked for again while the mouse stays on it
    if (i !== lastDot) showDot({ index: i });
    lastDot = i;
  });

  // ---- the draw pad: draw a digit, see its 28×28 input, its code on the map, and its
  // reconstruction (asked of the server as it is drawn; the latest drawing wins)
  const pad = /** @type {HTMLCanvasElement} */ (h('canvas', { width: 280, height: 280, class: 'pad', 'data-testid': 'digits-draw', 'aria-label': 'Draw a digit here' }));
  const input = /** @type {HTMLCanvasElement} */ (h('canvas', { width: 28, height: 28, class: 'digit', 'data-testid': 'digits-input', role: 'img', 'aria-label': 'the 28×28 input' }));
  const recon = /** @type {HTMLCanvasElement} */ (h('canvas', { width: 28, height: 28, class: 'digit', 'data-testid': 'digits-reconstruction', role: 'img', 'aria-label': 'its reconstruction' }));
  const codeOut = h('span', { class: 'figure', 'data-testid': 'digits-code' }, '–');
  const errorOut = h('span', { class: 'figure', 'data-testid': 'digits-error' }, '–');
  /** @type {Float32Array|null} */ let drawn = null;
  const drawPad = new DrawPad(pad, (px) => {
    drawn = px;
    drawImage(input, px, 28, 28);
    ask();
  });
  const clearPad = h('button', { 'data-testid': 'digits-draw-clear', onclick: () => {
    drawPad.clear();
    drawn = null;
    drawImage(input, new Float32Array(784), 28, 28);
    drawImage(recon, new Float32Array(784), 28, 28);
    codeOut.textContent = '–';
    codeOut.dataset.value = '';
    showNumber(errorOut, null, 4);
    map.setMarker(null);
  } }, 'Clear');
  drawImage(input, new Float32Array(784), 28, 28);
  drawImage(recon, new Float32Array(784), 28, 28);
  /** the drawing's code and reconstruction; the newest drawing wins */
  const encodeDrawing = latestOnly((f) => session.query('encode', f), (m) => {
    const code = /** @type {number[]} */ (m.code);
    codeOut.textContent = `(${code.map((v) => v.toFixed(2)).join(', ')})`;
    codeOut.dataset.value = JSON.stringify(code);
    showNumber(errorOut, m.error, 4);
    drawImage(recon, m.data.reconstruction, 28, 28);
    map.setMarker(code);
  }, (e) => say(e.message));
  function ask() {
    if (drawn) encodeDrawing({ pixels: Array.from(drawn, (v) => Math.round(v * 1000) / 1000) });
  }
  /** @type {any} */ (window).digitsInput = () => (drawn ? Array.from(drawn) : null);

  // ---- the dot under the mouse: its original image and its reconstruction
  const dot = h('div', { class: 'dot', 'data-testid': 'digits-dot' });
  let lastDot = -1;
  const showDot = latestOnly((f) => session.query('sample', f), (m) => {
    const names = CLASS_NAMES[/** @type {'mnist'} */ (live ? live.settings.dataset : 'mnist')] || [];
    imageGrid(dot, [
      { values: m.data.image, caption: `test image ${m.index}: ${names[m.label] ?? m.label}` },
      { values: m.data.reconstruction, caption: 'its reconstruction' },
    ], { w: 28, h: 28, cols: 2, testid: 'digits-dot' });
    dot.dataset.value = String(m.index);
  }, (e) => say(e.message));

  canvas.addEventListener('click', () => {
    const code = decoded.dataset.value ? JSON.parse(decoded.dataset.value) : null;
    if (!code) return;
    const copy = /** @type {HTMLCanvasElement} */ (h('canvas', { width: 28, height: 28 }));
    /** @type {CanvasRenderingContext2D} */ (copy.getContext('2d')).drawImage(decoded, 0, 0);
    map.stamp(code, copy);
    stamps.textContent = String(map.stamps.length);
    stamps.dataset.value = String(map.stamps.length);
  });

  function drawLegend() {
    const names = CLASS_NAMES[/** @type {'mnist'} */ (live ? live.settings.dataset : 'mnist')] || [];
    legend.replaceChildren(...names.map((n, k) => {
      const b = h('button', { class: 'legend-item', 'data-testid': `digits-class-${k}`, 'aria-pressed': String(!map.hidden.has(k)), title: `show or hide ${n}` },
        h('span', { class: 'swatch', style: `background:${CLASS_COLOURS[k]}` }), n);
      b.addEventListener('click', () => {
        if (map.hidden.has(k)) map.hidden.delete(k);
        else map.hidden.add(k);
        b.setAttribute('aria-pressed', String(!map.hidden.has(k)));
        map.draw();
      });
      return b;
    }));
  }

  root.replaceChildren(
    h('section', { class: 'digits' },
      h('aside', { class: 'explain', 'data-testid': 'explain' },
        h('h1', {}, 'Digits Lab'),
        h('p', {}, 'A real digit autoencoder: 784 pixels squeezed through 100, 50 and 25 neurons down to just two numbers — the code — and rebuilt from those two. Because the code has two numbers, every image has a place on a map.'),
        h('p', {}, 'Press Train and watch the map form: each dot is a test image at its code, coloured by what it shows. Similar images end up near each other, although the model never sees the labels. (This is the tutorial\'s model, trained with Adam here instead of its layer-by-layer RBM pre-training.)'),
        h('div', { class: 'controls' },
          h('div', { class: 'row' }, train, pause, step, reset),
          settingsBox,
          h('dl', { class: 'figures' },
            h('dt', {}, 'epoch'), h('dd', {}, epoch),
            h('dt', {}, 'loss (mean squared error)'), h('dd', {}, loss),
            h('dt', {}, 'steps per second'), h('dd', {}, rate)),
          queued,
          h('div', { class: 'row' }, download, progress),
          message),
        h('p', { class: 'muted credit' }, 'MNIST: Yann LeCun, Corinna Cortes and Christopher Burges. Fashion-MNIST: Zalando Research (MIT licence).')),
      h('figure', { class: 'panel' }, h('figcaption', {}, 'Latent map'), canvas, legend, hoverInfo,
        h('div', { class: 'under-mouse' }, decoded,
          h('div', {}, h('p', {}, 'Decoded under the mouse'), decodedCode, h('p', {}, 'stamps ', stamps, ' ', clearStamps)),
          dot)),
      h('div', { class: 'side' },
        h('figure', { class: 'panel' }, h('figcaption', {}, 'Draw a digit'),
          pad,
          h('div', { class: 'row' }, clearPad),
          h('div', { class: 'pair' },
            h('figure', {}, input, h('figcaption', {}, 'the 28×28 input')),
            h('figure', {}, recon, h('figcaption', {}, 'its reconstruction'))),
          h('dl', { class: 'figures' }, h('dt', {}, 'code'), h('dd', {}, codeOut), h('dt', {}, 'error (MSE)'), h('dd', {}, errorOut)),
          h('p', { class: 'muted' }, 'Your drawing is made into an input the way MNIST\'s digits were: fitted into 20×20 pixels and centred by its centre of mass in 28×28. Its code is the ringed spot on the map.')),
        h('figure', { class: 'panel' }, h('figcaption', {}, 'Loss while training'), chart))));

  function syncUrl() {
    if (!live) return;
    const q = new URLSearchParams();
    toUrl(q, schema, live.settings);
    const next = `${location.pathname}?${q}`;
    if (next !== location.pathname + location.search) history.replaceState(null, '', next);
  }

  /** @param {Snapshot} s */
  function draw(s) {
    const datasetChanged = !live || live.settings.dataset !== s.settings.dataset;
    live = s;
    const run = s.run;
    train.hidden = run.training;
    pause.hidden = !run.training;
    for (const [name, el] of Object.entries(controls)) {
      const v = String(s.settings[/** @type {keyof Settings} */ (name)]);
      if (document.activeElement === el) continue;
      if (el instanceof HTMLSelectElement) choose(el, v);
      else if (el.value !== v) el.value = v;
    }
    showNumber(epoch, s.epoch, 2);
    showNumber(loss, s.loss, 4);
    showNumber(rate, run.training ? run.steps_per_second : null, 0);
    queued.hidden = run.queued === null;
    queued.textContent = run.queued === null ? '' : `Waiting for a free training slot: place ${run.queued} in the queue (other tabs are training). It starts by itself.`;
    queued.dataset.value = run.queued === null ? '' : String(run.queued);
    if (run.notice && run.notice.id !== lastNotice) {
      lastNotice = run.notice.id;
      say(run.notice.text);
    }
    drawDownload(s);
    lineChart(chart, run.losses, { width: 360, height: 200, label: 'epoch' });
    if (datasetChanged) drawLegend();
    if (s.data && s.data.codes) map.setPoints(s.data.codes, s.data.labels || null);
    else if (s.step === 0) map.setPoints(new Float32Array(0), null);
    // the model moved on: the drawing's code moves with it
    if (drawn && s.step !== lastStep) ask();
    lastStep = s.step;
    root.dataset.step = String(s.step);
    root.dataset.training = String(run.training);
    syncUrl();
  }

  /** @param {Snapshot} s */
  function drawDownload(s) {
    const d = s.download;
    const running = !!d && d.state === 'running';
    const here = s.datasets.find((x) => x.name === s.settings.dataset);
    download.hidden = running || !here || here.present;
    download.textContent = `Download ${s.settings.dataset}`;
    progress.hidden = !running;
    if (d && running) {
      const part = d.total ? d.done / d.total : 0;
      const f = Math.min(1, (d.files_done + part) / d.files);
      progress.value = f;
      progress.dataset.value = String(f);
      progress.title = `${d.file}: ${(d.done / 1e6).toFixed(1)} MB`;
    }
    const key = d ? `${d.dataset}:${d.state}` : '';
    if (d && key !== lastDownload && d.state !== 'running') say(d.message);
    lastDownload = key;
  }

  const { session } = connectPage('digits', {
    say,
    onHello: (hello) => {
      schema = hello.schema;
      buildControls();
      const missing = hello.info.datasets.filter((/** @type {{present: boolean}} */ d) => !d.present).map((/** @type {{name: string}} */ d) => d.name);
      return missing.length ? [`Not on this machine: ${missing.join(', ')}. Press Download when you pick it (or run \`hourglass data fetch ${missing[0]}\`, or start the server with --data-dir).`] : [];
    },
    onSnapshot: draw,
  });
}
