// The Model Studio: build a dense or conv autoencoder of 28×28 images, train it on the server
// with live progress (loss per step, validation loss, PSNR and SSIM per epoch, a grid of
// validation images and their reconstructions), look inside it (pages/studio/inside.js) and
// keep it in the models folder, where the Digits Lab and `hourglass eval` find it.
// The architecture editor and the diagram live in pages/studio/editor.js.

import { h, svg, showNumber } from '../lib/dom.js';
import { connectPage, messageLine } from '../lib/page.js';
import { lineChart } from '../lib/chart.js';
import { check, settingsToUrl } from '../lib/settings.js';
import { choose, controlFor, trainToggle, showSettings } from '../lib/controls.js';
import { drawImage } from '../lib/images.js';
import { architectureEditor, PRESETS } from './studio/editor.js';
import { insidePanel } from './studio/inside.js';
import { datasetDownload } from '../lib/download.js';
import { keepPanel } from './studio/keep.js';
import { reason } from './studio/files.js';
import { challengePanel } from '../lib/challenges.js';
import { CHALLENGES } from '../challenges/studio.js';

/** Settings shown as plain controls (the architecture has its editor). */
const DATA = ['train_size', 'val_split'];
const MODEL = ['activation', 'output'];
const TRAINING = ['loss', 'optimizer', 'lr', 'momentum', 'batch', 'epochs', 'seed'];
const VARIANT = ['variant', 'noise', 'noise_level', 'beta', 'sparsity', 'sparsity_weight', 'rho', 'topk', 'contraction', 'code'];
/** The options each variant uses (the others are hidden). */
const VARIANT_FIELDS = /** @type {Record<string, string[]>} */ ({
  plain: ['code'],
  denoising: ['noise', 'noise_level', 'code'],
  vae: ['beta'],
  sparse: ['sparsity', 'sparsity_weight', 'rho', 'topk', 'code'],
  contractive: ['contraction', 'code'],
});
/** What each variant does, in a sentence. */
const VARIANT_TEXT = /** @type {Record<string, string>} */ ({
  plain: 'The plain autoencoder: reconstruct the input through the bottleneck.',
  denoising: 'The input is corrupted (fresh noise every batch); the target is the clean image, so the model learns to remove the noise.',
  vae: 'The encoder gives a mean μ and a log-variance per code unit; the decoder reconstructs a sample z = μ + σ·ε. The loss is the reconstruction summed over the pixels plus β × KL(q(z|x) ‖ N(0, I)), so codes fill a Gaussian you can sample from. Choosing it brings binary cross-entropy as the loss: with mean squared error the KL term wins.',
  sparse: 'Reconstruction plus a penalty on the code: L1 on its activity, or KL toward a small mean activation ρ (a sigmoid code); or TopK, no penalty: each image keeps only its K largest code units. Few code units are active for each image.',
  contractive: 'Reconstruction plus λ‖∂z/∂x‖²: the code changes little when the input moves a little (computed exactly, one backward pass per code unit).',
});
/** Test ids of some controls, as the issue names them. */
const IDS = { activation: 'studio-hidden-activation', train_size: 'studio-train-size', val_split: 'studio-val-split' };

/**
 * @typedef {import('../lib/settings.js').Schema} Schema
 * @typedef {import('./studio/editor.js').Summary} Summary
 * @typedef {{epoch: number, at: number, train_loss: number, val_loss: number|null, psnr: number|null, ssim: number|null, seconds: number, partial: boolean}} EpochRow
 * @typedef {{name: string, file: string, describe: string|null, params: number|null, dataset: string|null, epochs: number|null,
 *   metrics: Record<string, number>|null, error: string|null}} ModelInfo
 * @typedef {{type: string, settings: Record<string, any>, run: {training: boolean, queued: number|null, steps_per_second: number,
 *   losses: [number, number][], notice: {id: number, text: string}|null}, arch: Summary, step: number, steps_per_epoch: number|null,
 *   epochs_done: number, epoch: number, progress: number, seconds_left: number|null, loss: number|null, lr: number,
 *   history: EpochRow[], before: {epoch: number, train_loss: number, val_loss?: number|null, partial?: boolean}[], variant: string, advice: string|null, terms: {name: string, points: [number, number][]}[], trained: boolean, loaded: string|null, saved: {name: string, file: string, set: string, metrics: Record<string, number|null>}|null,
 *   uploads: string[], held_out: string, download?: import('../lib/download.js').Download,
 *   models: ModelInfo[], models_dir: string, datasets: {name: string, present: boolean}[], train_samples: number|null,
 *   val_samples: number|null, weights_version: number, grid_ready: boolean, channels?: number}} Snapshot
 */

/** @param {number|null} s */
function duration(s) {
  if (s === null || !Number.isFinite(s)) return '–';
  if (s < 60) return `${Math.ceil(s)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s - 60 * m)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** @param {HTMLElement} root */
export function mount(root) {
  /** @type {Schema} */ let schema = [];
  /** @type {Snapshot|null} */ let live = null;
  /** @type {{hidden: number, convs: number}} */ let limits = { hidden: 8, convs: 6 };
  let lastNotice = -1;
  let valid = true;

  const { el: message, say } = messageLine('studio');
  const send = (/** @type {Record<string, any>} */ m) => session.send(m);
  const query = (/** @type {string} */ name, /** @type {Record<string, any>} */ fields) => session.query(name, fields);

  // ---- build
  const editor = architectureEditor({
    check: async (patch) => {
      const a = /** @type {any} */ (await query('check', { settings: patch }));
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
      const body = await session.upload('datasets', { name: file.name }, file);
      say(`Uploaded ${body.file}: ${body.samples.toLocaleString('en')} images${body.labelled ? ' with labels' : ''}${body.scaled ? ', scaled into 0–1' : ''}${body.changed ? ` (${body.changed})` : ''}. Training uses it now.`);
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
      h('div', { class: 'upload' }, h('span', {}, 'or your own (28×28 images, grey or colour: .csv, .npy, or a .zip of PNG/JPEG in class folders)'), dataUploadButton, dataUpload));
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
    if (key === gridAsked) return;
    gridAsked = key;
    if (!s.grid_ready) {
      // no data read yet (a new session, after a restart): nothing to show, not the last one's
      reconGrid.replaceChildren();
      reconGrid.dataset.sum = '';
      return;
    }
    const a = /** @type {any} */ (await query('grid', {}));
    if (gridAsked !== key) return;
    const g = /** @type {Float32Array|undefined} */ (a.data.grid);
    const r = /** @type {Float32Array|undefined} */ (a.data.recon);
    if (!g) {
      // the data went between the snapshot and the answer (a new upload): ask again later
      gridAsked = '';
      return;
    }
    gridImages = g;
    const channels = s.channels || 1;
    const size = 784 * channels;
    const n = Math.floor(g.length / size);
    const half = Math.ceil(n / 2);
    /** @param {Float32Array|undefined} v @param {string} what @param {number} from */
    const row = (v, what, from) => h('div', { class: 'recon-row' }, h('span', { class: 'muted' }, what),
      ...Array.from({ length: Math.min(half, n - from) }, (_, k) => {
        const i = from + k;
        const c = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'digit small', 'data-testid': `studio-${what === 'input' ? 'original' : 'recon'}-${i}` }));
        if (v) drawImage(c, v.subarray(i * size, (i + 1) * size), 28, 28, channels);
        return c;
      }));
    // eight images a row, each above its reconstruction
    reconGrid.replaceChildren(row(g, 'input', 0), row(r, 'rebuilt', 0), row(g, 'input', half), row(r, 'rebuilt', half));
    reconGrid.dataset.version = String(a.weights_version);
    // a fingerprint of the reconstructions, so a test (or a person) can tell they changed
    reconGrid.dataset.sum = r ? r.reduce((x, y) => x + y, 0).toFixed(3) : '';
    inside.update(gridImages, insideKey(s), s.run.training, s.channels || 1);
  }

  /**
   * When what is inside is drawn again: at every epoch's end while training (the cores are
   * training's), and at once after a step or a change while paused.
   * @param {Snapshot} s
   */
  const insideKey = (s) => (s.run.training ? `${s.weights_version}` : `${s.weights_version}:${s.step}`);

  // ---- keep: save, upload, the models folder, compare two models
  const keep = keepPanel({ say, send, query, upload: (kind, params, file) => session.upload(kind, params, file), download: (file) => session.download(file) });

  // ---- look inside
  // the challenges see each snapshot, and the first layer's filters whenever they are drawn
  const inside = insidePanel({ query, say, onFilters: (filters) => { if (live) challenges.update({ snapshot: live, filters }); } });

  const challenges = challengePanel('studio', CHALLENGES, { root });
  root.replaceChildren(
    h('section', { class: 'studio' },
      h('aside', { class: 'panel build', 'data-testid': 'explain' },
        h('h1', {}, 'Model Studio'),
        h('p', { 'data-testid': 'studio-intro' }, 'Build an autoencoder, train it on real images, watch it learn, look inside it and keep it. Each change below is checked as you make it; a model that cannot be built says which layer and why.'),
        challenges.el,
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
        keep.element),
      h('div', { class: 'side' }, inside.element)));
  challenges.applyLink();

  function syncButtons() {
    const s = live;
    const training = !!s && s.run.training;
    toggle.el.disabled = !valid && !training;
    toggle.el.title = valid ? 'Train or pause (the same button)' : 'Fix the model above to train it';
    stop.disabled = !s || !training;
    more.disabled = !valid || !s || training || !s.trained;
    reset.disabled = !s || !s.trained || training;
    keep.canSave(!!s && s.trained);
  }

  function syncUrl() {
    if (live) settingsToUrl(schema, live.settings);
  }

  /** @param {Snapshot} s */
  function draw(s) {
    challenges.update({ snapshot: s });
    live = s;
    const run = s.run;
    toggle.set(run.training);
    showSettings(controls, s.settings);
    const momentum = boxes.training.querySelector('[data-field="momentum"]');
    if (momentum) /** @type {HTMLElement} */ (momentum).hidden = s.settings.optimizer !== 'sgd';
    const used = VARIANT_FIELDS[s.settings.variant] || [];
    for (const n of VARIANT.slice(1)) {
      const label = boxes.variant.querySelector(`[data-field="${n}"]`);
      if (label) /** @type {HTMLElement} */ (label).hidden = !used.includes(n) || (n === 'rho' && s.settings.sparsity !== 'kl')
        || (n === 'topk' && s.settings.sparsity !== 'topk') || (n === 'sparsity_weight' && s.settings.sparsity === 'topk');
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
    // a loaded model's own epochs first (one point each, from its file), then this run's steps;
    // validation dots where each epoch ended
    const before = s.before.map((r, i) => /** @type {[number, number, number|null]} */ ([i + 1, r.train_loss, r.val_loss ?? null]));
    lineChart(chart, [...before.map(([x, y]) => /** @type {[number, number]} */ ([x, y])), ...run.losses], {
      width: 420, height: 200, label: 'epoch',
      second: [
        ...before.filter((r) => r[2] !== null).map(([x, , v]) => /** @type {[number, number]} */ ([x, /** @type {number} */ (v)])),
        ...s.history.filter((r) => r.val_loss !== null).map((r) => /** @type {[number, number]} */ ([r.at, /** @type {number} */ (r.val_loss)])),
      ],
      legend: ['training', 'validation'],
    });
    chart.dataset.before = String(s.before.length);
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
    keep.draw(s);
    drawDatasets(s);
    download.draw(s.download, s.settings.dataset, s.datasets);
    inside.update(gridImages, insideKey(s), run.training, s.channels || 1);
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
    lostRun: (/** @type {Snapshot} */ last) => (last.trained
      ? `the model it was training (epoch ${last.epoch.toFixed(2)} of ${last.settings.epochs}${last.loaded ? `, from ${last.loaded}` : ''}) was lost. Press Train to train again from the start`
      : null),
  });
}
