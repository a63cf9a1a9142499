// The Model Studio: build a dense or conv autoencoder of 28×28 images, train it on the server
// with live progress (loss per step, validation loss, PSNR and SSIM per epoch, a grid of
// validation images and their reconstructions), look inside it (pages/studio/inside.js) and
// keep it in the models folder, where the Digits Lab and `hourglass eval` find it.
// The architecture editor and the diagram live in pages/studio/editor.js.

import { h, svg, showNumber } from '../lib/dom.js';
import { connectPage } from '../lib/page.js';
import { lineChart } from '../lib/chart.js';
import { check, showInUrl, toUrl } from '../lib/settings.js';
import { choose, controlFor, trainToggle } from '../lib/controls.js';
import { drawImage } from '../lib/images.js';
import { architectureEditor, PRESETS } from './studio/editor.js';
import { insidePanel } from './studio/inside.js';
import { datasetDownload } from '../lib/download.js';

/** Settings shown as plain controls (the architecture has its editor). */
const DATA = ['train_size', 'val_split'];
const MODEL = ['activation', 'output'];
const TRAINING = ['loss', 'optimizer', 'lr', 'momentum', 'batch', 'epochs', 'seed'];
const VARIANT = ['variant', 'noise', 'noise_level', 'beta', 'sparsity', 'sparsity_weight', 'rho', 'contraction', 'code'];
/** The options each variant uses (the others are hidden). */
const VARIANT_FIELDS = /** @type {Record<string, string[]>} */ ({
  plain: ['code'],
  denoising: ['noise', 'noise_level', 'code'],
  vae: ['beta'],
  sparse: ['sparsity', 'sparsity_weight', 'rho', 'code'],
  contractive: ['contraction', 'code'],
});
/** What each variant does, in a sentence. */
const VARIANT_TEXT = /** @type {Record<string, string>} */ ({
  plain: 'The plain autoencoder: reconstruct the input through the bottleneck.',
  denoising: 'The input is corrupted (fresh noise every batch); the target is the clean image, so the model learns to remove the noise.',
  vae: 'The encoder gives a mean μ and a log-variance per code unit; the decoder reconstructs a sample z = μ + σ·ε. The loss is the reconstruction summed over the pixels plus β × KL(q(z|x) ‖ N(0, I)), so codes fill a Gaussian you can sample from. Choosing it brings binary cross-entropy as the loss: with mean squared error the KL term wins.',
  sparse: 'Reconstruction plus a penalty on the code: L1 on its activity, or KL toward a small mean activation ρ (a sigmoid code). Few code units are active for each image.',
  contractive: 'Reconstruction plus λ‖∂z/∂x‖²: the code changes little when the input moves a little (computed exactly, one backward pass per code unit).',
});
/** Test ids of some controls, as the issue names them. */
const IDS = { activation: 'studio-hidden-activation', train_size: 'studio-train-size', val_split: 'studio-val-split' };

/**
 * @typedef {import('../lib/settings.js').Schema} Schema
 * @typedef {import('./studio/editor.js').Summary} Summary
 * @typedef {{epoch: number, train_loss: number, val_loss: number|null, psnr: number|null, ssim: number|null, seconds: number, partial: boolean}} EpochRow
 * @typedef {{name: string, file: string, describe: string|null, params: number|null, dataset: string|null, epochs: number|null,
 *   metrics: Record<string, number>|null, error: string|null}} ModelInfo
 * @typedef {{type: string, settings: Record<string, any>, run: {training: boolean, queued: number|null, steps_per_second: number,
 *   losses: [number, number][], notice: {id: number, text: string}|null}, arch: Summary, step: number, steps_per_epoch: number|null,
 *   epochs_done: number, epoch: number, progress: number, seconds_left: number|null, loss: number|null, lr: number,
 *   history: EpochRow[], variant: string, advice: string|null, terms: {name: string, points: [number, number][]}[], trained: boolean, loaded: string|null, saved: {name: string, file: string, set: string, metrics: Record<string, number|null>}|null,
 *   uploads: string[], held_out: string, download?: import('../lib/download.js').Download,
 *   models: ModelInfo[], models_dir: string, datasets: {name: string, present: boolean}[], train_samples: number|null,
 *   val_samples: number|null, weights_version: number, grid_ready: boolean}} Snapshot
 */

/** @param {number|null} s */
function duration(s) {
  if (s === null || !Number.isFinite(s)) return '–';
  if (s < 60) return `${Math.ceil(s)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s - 60 * m)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * Uploads a file; resolves with the server's JSON answer, rejects with its sentence saying why
 * it was refused.
 * @param {string} url
 * @param {File} file
 * @returns {Promise<any>}
 */
async function postFile(url, file) {
  const r = await fetch(url, { method: 'POST', body: file });
  const body = await r.json().catch(() => ({ error: `the server answered ${r.status}` }));
  if (!r.ok) throw new Error(body.error || `the server answered ${r.status}`);
  return body;
}

/**
 * Why a file was refused, without its name when the reason begins with it (the message
 * names the file already).
 * @param {string} name
 * @param {any} e
 */
function reason(name, e) {
  const why = String(e && e.message ? e.message : e);
  return why.startsWith(`${name}: `) ? why.slice(name.length + 2) : why;
}

/** @param {HTMLElement} root */
export function mount(root) {
  /** @type {Schema} */ let schema = [];
  /** @type {Snapshot|null} */ let live = null;
  /** @type {{hidden: number, convs: number}} */ let limits = { hidden: 8, convs: 6 };
  let lastNotice = -1;
  let valid = true;

  const message = h('div', { class: 'message', 'data-testid': 'studio-message', role: 'status', hidden: true });
  const say = (/** @type {string} */ text) => {
    message.textContent = text;
    message.hidden = !text;
  };
  const send = (/** @type {Record<string, any>} */ m) => session.send(m);
  const query = (/** @type {string} */ name, /** @type {Record<string, any>} */ fields) => session.query(name, fields);

  // ---- build
  const editor = architectureEditor({
    check: async (patch) => {
      const a = /** @type {any} */ (await query('check', patch));
      return /** @type {Summary} */ (a.ok ? { ok: true, describe: a.describe, params: a.params, layers: a.layers } : { ok: false, error: a.error });
    },
    apply: (patch) => {
      if (!live) return;
      /** @type {Record<string, any>} */ const diff = {};
      for (const [k, v] of Object.entries(patch)) if (live.settings[k] !== v) diff[k] = v;
      if (Object.keys(diff).length) send({ type: 'configure', ...diff });
    },
    onValidity: (ok) => {
      valid = ok;
      syncButtons();
    },
    limits: () => limits,
  });
  const presets = h('div', { class: 'presets', role: 'group', 'aria-label': 'Presets' },
    ...PRESETS.map((p) => h('button', { 'data-testid': `studio-preset-${p.id}`, onclick: () => {
      say('');
      send({ type: 'configure', activation: p.settings.activation, activations: '', output: p.settings.output });
      editor.load(p.settings);
    } }, p.title)));
  /** @type {Record<string, HTMLSelectElement|HTMLInputElement>} */
  const controls = {};
  const boxes = { data: h('div', { class: 'settings' }), model: h('div', { class: 'settings' }), training: h('div', { class: 'settings' }), variant: h('div', { class: 'settings' }) };
  const variantText = h('p', { class: 'muted', 'data-testid': 'studio-variant-text' });
  // why these settings will likely train a model that does not work (the job says when)
  const advice = h('p', { class: 'message', 'data-testid': 'studio-advice', role: 'status', hidden: true });
  // the data set: MNIST, Fashion-MNIST, or one uploaded from here (a CSV, an NPY array, or a
  // .zip of PNG/JPEG images in class folders; 28×28, checked by the server before it is kept)
  const datasetPick = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'studio-dataset', 'aria-label': 'Data set' }));
  datasetPick.addEventListener('change', () => {
    say('');
    send({ type: 'configure', dataset: datasetPick.value });
  });
  const dataUpload = /** @type {HTMLInputElement} */ (h('input', { type: 'file', hidden: true, accept: '.csv,.npy,.zip', 'data-testid': 'studio-upload', 'aria-label': 'Upload a data set (.csv, .npy or .zip of images)' }));
  // the browser's own file control shows "No file chosen", cut short in a narrow column: a
  // button that opens it instead (the outcome is said in the message line)
  const dataUploadButton = h('button', { type: 'button', class: 'file-button', 'data-testid': 'studio-upload-button', onclick: () => dataUpload.click() }, 'Upload a data set\u2026');
  dataUpload.addEventListener('change', async () => {
    const file = dataUpload.files && dataUpload.files[0];
    if (!file) return;
    say(`Uploading ${file.name}…`);
    try {
      const body = await postFile(`/api/datasets?name=${encodeURIComponent(file.name)}`, file);
      say(`Uploaded ${body.file}: ${body.samples.toLocaleString('en')} images${body.labelled ? ' with labels' : ''}${body.scaled ? ', scaled into 0–1' : ''}. Training uses it now.`);
      send({ type: 'rescan' });
      send({ type: 'configure', dataset: `upload:${body.file}` });
    } catch (e) {
      say(`Cannot use ${file.name}: ${reason(file.name, e)}`);
    } finally {
      dataUpload.value = '';
    }
  });
  // a known dataset not on the machine: downloaded from here, each file checked by its sha256
  const download = datasetDownload('studio', (dataset) => send({ type: 'fetch', dataset }), say);
  let datasetKey = '';
  /** @param {Snapshot} s */
  function drawDatasets(s) {
    const options = [
      ...s.datasets.map((d) => [d.name, `${d.name === 'mnist' ? 'MNIST digits' : 'Fashion-MNIST'}${d.present ? '' : ' (not on this machine)'}`]),
      ...s.uploads.map((u) => [`upload:${u}`, `${u} (uploaded)`]),
    ];
    const key = JSON.stringify(options);
    if (key !== datasetKey) {
      datasetKey = key;
      datasetPick.replaceChildren(...options.map(([v, t]) => h('option', { value: v }, t)));
    }
    if (document.activeElement !== datasetPick) choose(datasetPick, s.settings.dataset);
  }

  function buildControls() {
    for (const box of Object.values(boxes)) box.replaceChildren();
    boxes.data.append(h('label', { 'data-field': 'dataset' }, 'dataset', datasetPick),
      h('div', { class: 'row' }, download.button, download.progress),
      h('div', { class: 'upload' }, h('span', {}, 'or your own (28×28 images: .csv, .npy, or a .zip of PNG/JPEG in class folders)'), dataUploadButton, dataUpload));
    for (const f of schema) {
      const box = DATA.includes(f.name) ? boxes.data : MODEL.includes(f.name) ? boxes.model : TRAINING.includes(f.name) ? boxes.training : VARIANT.includes(f.name) ? boxes.variant : null;
      if (!box) continue;
      const id = /** @type {Record<string, string>} */ (IDS)[f.name] || `studio-${f.name.replace(/_/g, '-')}`;
      const el = controlFor(f, id);
      el.addEventListener('change', () => {
        const c = check(f, el.value);
        if (!c.ok) {
          say(`${c.why}.`);
          if (live) el.value = String(live.settings[f.name]);
          return;
        }
        say('');
        // the one activation for every hidden layer replaces the layers' own
        send({ type: 'configure', [f.name]: c.value, ...(f.name === 'activation' ? { activations: '' } : {}) });
      });
      controls[f.name] = el;
      box.append(h('label', { 'data-field': f.name }, f.label, el));
    }
  }

  // ---- train
  const toggle = trainToggle({ train: 'studio-train', pause: 'studio-pause' }, (training) => {
    say('');
    send({ type: training ? 'pause' : 'play' });
  });
  const stop = /** @type {HTMLButtonElement} */ (h('button', { 'data-testid': 'studio-stop', title: 'End the epoch here and keep the model so far', onclick: () => send({ type: 'stop' }) }, 'Stop'));
  const more = /** @type {HTMLButtonElement} */ (h('button', { 'data-testid': 'studio-more', title: 'Train one more epoch', onclick: () => {
    say('');
    send({ type: 'more' });
    send({ type: 'play' });
  } }, 'One more epoch'));
  const reset = /** @type {HTMLButtonElement} */ (h('button', { 'data-testid': 'studio-reset', title: 'Forget the trained weights: new ones from the seed', onclick: () => send({ type: 'reset' }) }, 'Reset'));
  const progress = /** @type {HTMLProgressElement} */ (h('progress', { max: 1, value: 0, 'data-testid': 'studio-progress', 'data-value': '0', 'aria-label': 'Training progress' }));
  const progressText = h('span', { class: 'muted', 'data-testid': 'studio-progress-text' });
  /** @param {string} id */
  const figure = (id) => h('span', { class: 'figure', 'data-testid': id }, '–');
  const fig = {
    epoch: figure('studio-epoch'), train: figure('studio-train-loss'), val: figure('studio-val-loss'),
    psnr: figure('studio-psnr'), ssim: figure('studio-ssim'), rate: figure('studio-rate'), left: figure('studio-time-left'),
  };
  const lossName = h('span', {}, 'loss');
  const queued = h('p', { class: 'message', 'data-testid': 'studio-queued', hidden: true });
  const chart = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', { class: 'chart', 'data-testid': 'studio-chart', role: 'img', 'aria-label': 'Training and validation loss' })));
  const termsChart = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', { class: 'chart', 'data-testid': 'studio-terms-chart', role: 'img', 'aria-label': 'The loss split into its terms' })));
  const termsBox = h('div', { hidden: true }, h('h3', {}, 'The loss, term by term'), termsChart);
  const reconGrid = h('div', { class: 'recon-grid', 'data-testid': 'studio-recon-grid' });
  let reconKey = '';

  /** @type {Float32Array|null} */ let gridImages = null;
  let gridAsked = '';
  /**
   * Asks for the grid and its reconstructions when the weights changed (an epoch ended, a
   * model was loaded), then draws them.
   * @param {Snapshot} s
   */
  async function drawRecon(s) {
    const key = `${s.weights_version}:${s.grid_ready}`;
    if (key === gridAsked || !s.grid_ready) return;
    gridAsked = key;
    const a = /** @type {any} */ (await query('grid', {}));
    if (gridAsked !== key) return;
    const g = /** @type {Float32Array|undefined} */ (a.data.grid);
    const r = /** @type {Float32Array|undefined} */ (a.data.recon);
    if (!g) return;
    gridImages = g;
    const n = Math.floor(g.length / 784);
    const half = Math.ceil(n / 2);
    /** @param {Float32Array|undefined} v @param {string} what @param {number} from */
    const row = (v, what, from) => h('div', { class: 'recon-row' }, h('span', { class: 'muted' }, what),
      ...Array.from({ length: Math.min(half, n - from) }, (_, k) => {
        const i = from + k;
        const c = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'digit small', 'data-testid': `studio-${what === 'input' ? 'original' : 'recon'}-${i}` }));
        if (v) drawImage(c, v.subarray(i * 784, (i + 1) * 784), 28, 28);
        return c;
      }));
    // eight images a row, each above its reconstruction
    reconGrid.replaceChildren(row(g, 'input', 0), row(r, 'rebuilt', 0), row(g, 'input', half), row(r, 'rebuilt', half));
    reconGrid.dataset.version = String(a.weights_version);
    // a fingerprint of the reconstructions, so a test (or a person) can tell they changed
    reconGrid.dataset.sum = r ? r.reduce((x, y) => x + y, 0).toFixed(3) : '';
    inside.update(gridImages, insideKey(s), s.run.training);
  }

  /**
   * When what is inside is drawn again: at every epoch's end while training (the cores are
   * training's), and at once after a step or a change while paused.
   * @param {Snapshot} s
   */
  const insideKey = (s) => (s.run.training ? `${s.weights_version}` : `${s.weights_version}:${s.step}`);

  // ---- keep
  const name = /** @type {HTMLInputElement} */ (h('input', { type: 'text', maxlength: 64, placeholder: 'my-model', 'data-testid': 'studio-name', 'aria-label': 'Model name' }));
  const replace = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', 'data-testid': 'studio-replace' }));
  const save = /** @type {HTMLButtonElement} */ (h('button', { class: 'primary', 'data-testid': 'studio-save', onclick: () => {
    const n = name.value.trim();
    if (!n) {
      say('Give the model a name first.');
      name.focus();
      return;
    }
    say('');
    send({ type: 'save', name: n, overwrite: replace.checked });
  } }, 'Save'));
  const savedNote = h('p', { class: 'muted', 'data-testid': 'studio-saved', role: 'status' });
  // a checkpoint trained elsewhere (`hourglass train`) into the models folder: checked by the
  // server before anything is written
  const upload = /** @type {HTMLInputElement} */ (h('input', { type: 'file', hidden: true, accept: '.safetensors', 'data-testid': 'studio-upload-model', 'aria-label': 'Upload a model (.safetensors)' }));
  const uploadButton = h('button', { type: 'button', class: 'file-button', 'data-testid': 'studio-upload-model-button', onclick: () => upload.click() }, 'Upload a model\u2026');
  upload.addEventListener('change', async () => {
    const file = upload.files && upload.files[0];
    if (!file) return;
    const stem = file.name.replace(/\.safetensors$/i, '');
    say(`Uploading ${file.name}…`);
    try {
      const body = await postFile(`/api/models?name=${encodeURIComponent(stem)}`, file);
      say(`Uploaded ${body.file}: ${body.describe}, ${body.epochs} epochs.`);
      send({ type: 'rescan' });
    } catch (e) {
      say(`Cannot upload ${file.name}: ${reason(file.name, e)}`);
    } finally {
      upload.value = '';
    }
  });
  const models = h('div', { class: 'models', 'data-testid': 'studio-models' });
  const modelsNote = h('p', { class: 'muted', 'data-testid': 'studio-models-dir' });
  let modelsKey = '';

  /** @param {Snapshot} s */
  function drawModels(s) {
    const key = JSON.stringify(s.models);
    if (key === modelsKey) return;
    modelsKey = key;
    modelsNote.textContent = `Models folder: ${s.models_dir}. The Digits Lab lists these too; \`hourglass eval --model <file>\` evaluates one.`;
    if (!s.models.length) {
      models.replaceChildren(h('p', { class: 'muted' }, 'No models saved yet.'));
      return;
    }
    models.replaceChildren(h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'name'), h('th', {}, 'model'), h('th', {}, 'test MSE'), h('th', {}, 'PSNR'), h('th', {}, 'SSIM'), h('th', {}, ''))),
      h('tbody', {}, ...s.models.map((m) => {
        const mt = m.metrics || {};
        /** @param {number|undefined} v @param {number} d */
        const num = (v, d) => (v === undefined || v === null ? '–' : Number(v).toFixed(d));
        return h('tr', { 'data-testid': `studio-model-${m.name}` },
          h('td', {}, m.name),
          h('td', { class: 'muted' }, m.error ? `cannot be read: ${m.error}` : `${m.describe} · ${m.epochs} epochs · ${m.dataset}`),
          h('td', {}, num(mt.test_mse, 4)), h('td', {}, num(mt.test_psnr, 2)), h('td', {}, num(mt.test_ssim, 3)),
          h('td', { class: 'actions' },
            h('button', { 'data-testid': `studio-load-${m.name}`, disabled: m.error ? true : undefined, onclick: () => { say(''); send({ type: 'load', name: m.name }); } }, 'Load'),
            h('button', { 'data-testid': `studio-rename-${m.name}`, onclick: () => {
              const to = prompt(`New name for ${m.name}`, m.name);
              if (to && to !== m.name) send({ type: 'rename', from: m.name, to });
            } }, 'Rename'),
            h('a', { class: 'button', href: `/api/models/${encodeURIComponent(m.file)}`, download: m.file, 'data-testid': `studio-download-${m.name}` }, 'Download'),
            h('button', { 'data-testid': `studio-delete-${m.name}`, onclick: () => { say(''); send({ type: 'delete', name: m.name }); } }, 'Delete')));
      }))));
  }

  // ---- compare two models: the same 16 test images, the test set's metrics, the loss curves
  const pickA = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'studio-compare-a', 'aria-label': 'First model to compare' }));
  const pickB = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'studio-compare-b', 'aria-label': 'Second model to compare' }));
  const compareResult = h('div', { class: 'compare-result', 'data-testid': 'studio-compare-result' });
  const compareButton = /** @type {HTMLButtonElement} */ (h('button', { 'data-testid': 'studio-compare', onclick: async () => {
    say('');
    compareButton.disabled = true;
    compareResult.textContent = 'Evaluating both on the test set…';
    try {
      drawCompare(await query('compare', { a: pickA.value, b: pickB.value }));
    } catch (e) {
      compareResult.textContent = '';
      say(String(/** @type {any} */ (e).message || e));
    } finally {
      compareButton.disabled = false;
    }
  } }, 'Compare'));
  /** @param {Snapshot} s */
  function drawPickers(s) {
    const options = [...(s.trained ? [['current', 'this model (here)']] : []), ...s.models.filter((m) => !m.error).map((m) => [m.name, m.name])];
    const key = JSON.stringify(options);
    if (pickA.dataset.key === key) return;
    for (const [sel, k] of /** @type {[HTMLSelectElement, number][]} */ ([[pickA, 0], [pickB, 1]])) {
      const was = sel.value;
      sel.replaceChildren(...options.map(([v, t]) => h('option', { value: v }, t)));
      sel.dataset.key = key;
      if (options.some(([v]) => v === was)) sel.value = was;
      else if (options[k]) sel.value = options[k][0];
    }
    compareButton.disabled = options.length < 2;
  }
  /** @param {any} c the answer */
  function drawCompare(c) {
    const [a, b] = c.models;
    /** @param {number|null} v @param {number} d */
    const f = (v, d) => (v === null || v === undefined ? '–' : Number(v).toFixed(d));
    const rows = [['MSE', 'mse', 5, -1], ['BCE', 'bce', 5, -1], ['PSNR (dB)', 'psnr', 2, 1], ['SSIM', 'ssim', 4, 1]].map(([label, k, d, better]) => {
      const [va, vb] = [a.metrics[k], b.metrics[k]];
      const win = va === null || vb === null || va === vb ? '' : (Number(better) * (va - vb) > 0 ? 'a' : 'b');
      return h('tr', { 'data-testid': `studio-compare-${k}` }, h('th', {}, String(label)),
        h('td', { class: win === 'a' ? 'better' : '', 'data-value': String(va) }, f(va, Number(d))),
        h('td', { class: win === 'b' ? 'better' : '', 'data-value': String(vb) }, f(vb, Number(d))));
    });
    const table = h('table', { 'data-testid': 'studio-compare-table' },
      h('thead', {}, h('tr', {}, h('th', {}, `${c.set} set (${c.dataset}, ${a.metrics.samples.toLocaleString('en')} images)`), h('th', {}, `${a.name}`), h('th', {}, `${b.name}`))),
      h('tbody', {}, ...rows,
        h('tr', {}, h('th', {}, 'model'), h('td', { class: 'muted' }, `${a.describe}, ${a.epochs} epochs`), h('td', { class: 'muted' }, `${b.describe}, ${b.epochs} epochs`))));
    const n = Math.floor(c.data.images.length / 784);
    const half = Math.ceil(n / 2);
    /** @param {Float32Array} v @param {string} label @param {string} id @param {number} from */
    const row = (v, label, id, from) => h('div', { class: 'recon-row' }, h('span', { class: 'muted', title: label }, label),
      ...Array.from({ length: Math.min(half, n - from) }, (_, k) => {
        const i = from + k;
        const cv = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'digit small', 'data-testid': `studio-compare-${id}-${i}` }));
        drawImage(cv, v.subarray(i * 784, (i + 1) * 784), 28, 28);
        return cv;
      }));
    const chartEl = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', { class: 'chart', 'data-testid': 'studio-compare-chart', role: 'img', 'aria-label': 'The two models’ validation loss per epoch' })));
    /** @param {any} m */
    const curve = (m) => m.history.map((/** @type {any} */ r) => [r.epoch, r.val_loss === undefined || r.val_loss === null ? r.train_loss : r.val_loss]);
    lineChart(chartEl, curve(a), { width: 420, height: 180, label: 'epoch', second: curve(b), legend: [a.name, b.name] });
    compareResult.replaceChildren(table,
      h('div', { class: 'recon-grid' }, ...[0, half].flatMap((from) => [row(c.data.images, 'input', 'input', from), row(c.data.a, a.name, 'a', from), row(c.data.b, b.name, 'b', from)])),
      h('p', { class: 'muted' }, 'Validation loss per epoch (training loss where a model kept no validation set):'), chartEl);
  }

  // ---- look inside
  const inside = insidePanel({ query, say });

  root.replaceChildren(
    h('section', { class: 'studio' },
      h('aside', { class: 'panel build', 'data-testid': 'explain' },
        h('h1', {}, 'Model Studio'),
        h('p', { 'data-testid': 'studio-intro' }, 'Build an autoencoder, train it on real images, watch it learn, look inside it and keep it. Each change below is checked as you make it; a model that cannot be built says which layer and why.'),
        h('h2', {}, 'Data'), boxes.data,
        h('h2', {}, 'Model'), presets, editor.element, boxes.model,
        h('h2', {}, 'Variant'), boxes.variant, variantText, advice,
        h('h2', {}, 'Training'), boxes.training,
        h('p', { class: 'muted' }, 'Changing the data or the model starts again from new weights; the learning rate and the epochs change without stopping. Save first to keep a model.')),
      h('div', { class: 'middle' },
        h('div', { class: 'panel' },
          h('h2', {}, 'Train'),
          h('div', { class: 'row' }, toggle.el, stop, more, reset),
          h('div', { class: 'row' }, progress, progressText),
          queued,
          message,
          h('dl', { class: 'figures' },
            h('dt', {}, 'epoch'), h('dd', {}, fig.epoch),
            h('dt', {}, 'training ', lossName), h('dd', {}, fig.train),
            h('dt', {}, 'validation loss'), h('dd', {}, fig.val),
            h('dt', {}, 'validation PSNR (dB)'), h('dd', {}, fig.psnr),
            h('dt', {}, 'validation SSIM'), h('dd', {}, fig.ssim),
            h('dt', {}, 'steps per second'), h('dd', {}, fig.rate),
            h('dt', {}, 'time left'), h('dd', {}, fig.left)),
          chart,
          termsBox,
          h('h3', {}, 'Validation images and their reconstructions'),
          h('p', { class: 'muted' }, 'Redrawn at the end of every epoch: watch them sharpen.'),
          reconGrid),
        h('div', { class: 'panel' },
          h('h2', {}, 'Keep'),
          h('div', { class: 'row' }, name, save, h('label', { class: 'inline' }, replace, 'replace a model of that name')),
          savedNote,
          models,
          h('div', { class: 'row upload' }, h('span', {}, 'A model trained with hourglass train:'), uploadButton, upload),
          modelsNote,
          h('h3', {}, 'Compare two models'),
          h('div', { class: 'row' }, pickA, h('span', {}, 'with'), pickB, compareButton),
          compareResult)),
      h('div', { class: 'side' }, inside.element)));

  function syncButtons() {
    const s = live;
    const training = !!s && s.run.training;
    toggle.el.disabled = !valid && !training;
    toggle.el.title = valid ? 'Train or pause (the same button)' : 'Fix the model above to train it';
    stop.disabled = !s || !training;
    more.disabled = !valid || !s || training || !s.trained;
    reset.disabled = !s || !s.trained || training;
    save.disabled = !s || !s.trained;
  }

  function syncUrl() {
    if (!live) return;
    const q = new URLSearchParams();
    toUrl(q, schema, live.settings);
    showInUrl(q);
  }

  /** @param {Snapshot} s */
  function draw(s) {
    live = s;
    const run = s.run;
    toggle.set(run.training);
    for (const [n, el] of Object.entries(controls)) {
      const v = String(s.settings[n]);
      if (document.activeElement === el) continue;
      if (el instanceof HTMLSelectElement) choose(el, v);
      else if (el.value !== v) el.value = v;
    }
    const momentum = boxes.training.querySelector('[data-field="momentum"]');
    if (momentum) /** @type {HTMLElement} */ (momentum).hidden = s.settings.optimizer !== 'sgd';
    const used = VARIANT_FIELDS[s.settings.variant] || [];
    for (const n of VARIANT.slice(1)) {
      const label = boxes.variant.querySelector(`[data-field="${n}"]`);
      if (label) /** @type {HTMLElement} */ (label).hidden = !used.includes(n) || (n === 'rho' && s.settings.sparsity !== 'kl');
    }
    variantText.textContent = VARIANT_TEXT[s.settings.variant] || '';
    advice.textContent = s.advice || '';
    advice.hidden = !s.advice;
    editor.update(s.settings, s.arch);
    valid = editor.valid();
    syncButtons();
    lossName.textContent = s.settings.loss === 'bce' ? 'loss (cross-entropy)' : 'loss (MSE)';
    const last = s.history.length ? s.history[s.history.length - 1] : null;
    showNumber(fig.epoch, s.trained ? s.epoch : null, 2);
    fig.epoch.title = `${s.epochs_done} of ${s.settings.epochs} epochs done`;
    showNumber(fig.train, s.loss, 5);
    showNumber(fig.val, last ? last.val_loss : null, 5);
    showNumber(fig.psnr, last ? last.psnr : null, 2);
    showNumber(fig.ssim, last ? last.ssim : null, 4);
    showNumber(fig.rate, run.training ? run.steps_per_second : null, 0);
    fig.left.textContent = run.training ? duration(s.seconds_left) : '–';
    progress.value = s.progress;
    progress.dataset.value = String(s.progress);
    progressText.textContent = s.trained
      ? `${s.epochs_done} of ${s.settings.epochs} epochs${s.steps_per_epoch ? ` · ${s.steps_per_epoch} steps each` : ''}${s.train_samples ? ` · ${s.train_samples.toLocaleString('en')} training and ${(s.val_samples || 0).toLocaleString('en')} validation images` : ''}`
      : `${s.settings.epochs} epochs to go. Press Train.`;
    queued.hidden = run.queued === null;
    queued.textContent = run.queued === null ? '' : `Waiting for a free training slot: place ${run.queued} in the queue (other tabs are training). It starts by itself.`;
    if (run.notice && run.notice.id !== lastNotice) {
      lastNotice = run.notice.id;
      say(run.notice.text);
    }
    lineChart(chart, run.losses, {
      width: 420, height: 200, label: 'epoch',
      second: s.history.filter((r) => r.val_loss !== null).map((r) => [r.epoch, /** @type {number} */ (r.val_loss)]),
      legend: ['training', 'validation'],
    });
    chart.dataset.points = String(run.losses.length);
    termsBox.hidden = s.terms.length === 0;
    if (s.terms.length) {
      const [a, b] = s.terms;
      lineChart(termsChart, a.points, {
        width: 420, height: 160, label: 'epoch', second: b ? b.points : [], dots: false,
        legend: [a.name, b ? b.name : ''],
      });
      termsChart.dataset.terms = s.terms.map((t) => t.name).join(',');
      termsChart.dataset.points = String(a.points.length);
    }
    chart.dataset.epochs = String(s.history.length);
    drawRecon(s).catch((e) => say(String(e.message || e)));
    if (s.saved) {
      const m = s.saved.metrics;
      savedNote.textContent = `Saved as ${s.saved.file}. On all ${s.saved.set} images: MSE ${Number(m.mse).toFixed(5)}, BCE ${Number(m.bce).toFixed(5)}, PSNR ${m.psnr === null ? '–' : Number(m.psnr).toFixed(2)} dB, SSIM ${m.ssim === null ? '–' : Number(m.ssim).toFixed(4)}.`;
      savedNote.dataset.value = JSON.stringify(m);
    } else {
      savedNote.textContent = s.loaded ? `Loaded ${s.loaded}: train it further, or look inside.` : '';
      savedNote.dataset.value = '';
    }
    drawModels(s);
    drawPickers(s);
    drawDatasets(s);
    download.draw(s.download, s.settings.dataset, s.datasets);
    inside.update(gridImages, insideKey(s), run.training);
    root.dataset.step = String(s.step);
    root.dataset.training = String(run.training);
    syncUrl();
  }

  const { session } = connectPage('studio', {
    say,
    onHello: (hello) => {
      schema = hello.schema;
      limits = hello.info.limits || limits;
      buildControls();
      const missing = hello.info.datasets.filter((/** @type {{present: boolean}} */ d) => !d.present).map((/** @type {{name: string}} */ d) => d.name);
      return missing.length ? [`Not on this machine: ${missing.join(', ')}. Training needs the dataset: press Download (or run \`hourglass data fetch ${missing[0]}\`, or start the server with --data-dir), or upload your own.`] : [];
    },
    onSnapshot: draw,
  });
}
