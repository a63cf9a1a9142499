// Uses: what autoencoders are for, each an experiment the learner runs and measures — anomaly
// detection (one class held out, scored by reconstruction error, beside PCA), denoising (a
// plain and a denoising model on the same noise), compression (a ladder of code sizes against
// PCA and JPEG), generation (a VAE and a plain model sampled the same way) and maps of wide
// codes (PCA, t-SNE and UMAP, streamed as they form, with their trustworthiness). One experiment
// trains at a time; its section's button starts it.

import { h, svg, showNumber } from '../lib/dom.js';
import { connectPage } from '../lib/page.js';
import { lineChart } from '../lib/chart.js';
import { showInUrl, toUrl } from '../lib/settings.js';
import { choose, controlFor, trainToggle } from '../lib/controls.js';
import { datasetDownload } from '../lib/download.js';
import { drawImage, imageGrid } from '../lib/images.js';
import { DrawPad } from '../lib/drawpad.js';
import { Scatter } from '../lib/scatter.js';
import { CLASS_COLOURS } from '../lib/colors.js';
import { latestOnly } from '../lib/socket.js';

const CLASS_NAMES = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  'fashion-mnist': ['T-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'boot'],
};
const PX = 784;
const METHODS = {
  ae: { label: 'autoencoder (float32 code)', colour: '#2563eb' },
  ae8: { label: 'autoencoder (8-bit code)', colour: '#60a5fa' },
  pca: { label: 'PCA (float32)', colour: '#ea580c' },
  pca8: { label: 'PCA (8-bit)', colour: '#fdba74' },
  jpeg: { label: 'JPEG (scan bytes)', colour: '#16a34a' },
};

/**
 * @typedef {import('../lib/settings.js').Schema} Schema
 * @typedef {{method: string, size: number, bits: number, mse: number, psnr: number, ssim: number}} CompressPoint
 * @typedef {{type: string, settings: Record<string, any>, run: any, version: number,
 *   datasets: {name: string, present: boolean}[], download?: any,
 *   training: {experiment: string, run: string, index: number, runs: number, names: string[], epoch: number, epochs: number, loss: number|null}|null,
 *   anomaly: {held_out: number, auc: number, pca_auc: number, count: number}|null,
 *   denoise: {noise: string}|null, compress: {points: CompressPoint[]}|null, generate: {latent: number}|null,
 *   map: {method: string, source: string, count: number, dim: number, iteration: number, iterations: number,
 *     running: boolean, searched: number|null, trust: number|null, seconds: number, images: string}|null,
 *   data?: Record<string, Float32Array>}} Snapshot
 */

/** @param {HTMLElement} root */
export function mount(root) {
  /** @type {Schema} */ let schema = [];
  /** @type {Snapshot|null} */ let live = null;
  let lastNotice = -1;
  let lastVersion = -1;
  let lastCompress = '';
  /** @type {Record<string, HTMLSelectElement|HTMLInputElement>} */
  const controls = {};

  const message = h('div', { class: 'message', 'data-testid': 'uses-message', role: 'status', hidden: true });
  const say = (/** @type {string} */ text) => {
    message.textContent = text;
    message.hidden = !text;
  };
  const send = (/** @type {Record<string, any>} */ m) => session.send(m);
  const query = (/** @type {string} */ name, /** @type {Record<string, any>} */ fields = {}) => session.query(name, fields);
  const names = () => CLASS_NAMES[/** @type {'mnist'} */ (live ? live.settings.dataset : 'mnist')] || [];
  const fail = (/** @type {any} */ e) => say(String(e && e.message ? e.message : e));

  /** A control for a setting, sent to the server when changed. @param {string} name @param {string} testid */
  function bind(name, testid) {
    const f = schema.find((x) => x.name === name);
    if (!f) throw new Error(`no setting ${name}`);
    const el = controlFor(f, testid);
    el.addEventListener('change', () => {
      const v = f.kind === 'choice' ? el.value : Number(el.value);
      send({ type: 'configure', [name]: v });
    });
    controls[name] = el;
    return el;
  }
  /** @param {string} label @param {HTMLElement} el */
  const labelled = (label, el) => h('label', {}, h('span', {}, label), el);

  /** A Run/Pause button for one experiment. @param {string} experiment @param {{train: string, pause: string}} ids */
  function runButton(experiment, ids) {
    const t = trainToggle(ids, (training) => {
      say('');
      if (training && live && live.settings.experiment === experiment) send({ type: 'pause' });
      else {
        if (!live || live.settings.experiment !== experiment) send({ type: 'configure', experiment });
        send({ type: 'play' });
      }
    });
    t.el.textContent = 'Run';
    return t;
  }
  /** @type {Record<string, {el: HTMLButtonElement, set: (b: boolean) => void}>} */
  const toggles = {};
  const progress = /** @type {Record<string, HTMLElement>} */ ({});

  // ---- the side: dataset, shared settings, training progress
  const chart = /** @type {SVGSVGElement} */ (svg('svg', { class: 'chart', 'data-testid': 'uses-loss-chart', role: 'img', 'aria-label': 'Training loss' }));
  const status = h('p', { class: 'muted', 'data-testid': 'uses-training' });
  const download = datasetDownload('uses', (dataset) => send({ type: 'fetch', dataset }), say);
  const side = h('aside', { class: 'explain' });

  // ---- anomaly detection
  const auc = h('strong', { 'data-testid': 'anomaly-auc' }, '–');
  const pcaAuc = h('strong', { 'data-testid': 'anomaly-pca-auc' }, '–');
  const hist = /** @type {SVGSVGElement} */ (svg('svg', { class: 'plot', 'data-testid': 'anomaly-histogram', role: 'img', 'aria-label': 'Histograms of reconstruction error' }));
  const rocSvg = /** @type {SVGSVGElement} */ (svg('svg', { class: 'plot square', 'data-testid': 'anomaly-roc', role: 'img', 'aria-label': 'ROC curves' }));
  const threshold = /** @type {HTMLInputElement} */ (h('input', { type: 'range', min: '0', max: '1000', value: '950', 'data-testid': 'anomaly-threshold', 'aria-label': 'Threshold', disabled: true }));
  const precision = h('strong', { 'data-testid': 'anomaly-precision' }, '–');
  const recall = h('strong', { 'data-testid': 'anomaly-recall' }, '–');
  const falsePos = h('strong', { 'data-testid': 'anomaly-false-positives' }, '–');
  const falseNeg = h('strong', { 'data-testid': 'anomaly-false-negatives' }, '–');
  const thresholdValue = h('span', { 'data-testid': 'anomaly-threshold-value' }, '');
  const worst = h('div', { 'data-testid': 'anomaly-worst', class: 'thumbs' });
  const best = h('div', { 'data-testid': 'anomaly-best', class: 'thumbs' });
  const padCanvas = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'pad', width: 196, height: 196, 'data-testid': 'anomaly-pad', 'aria-label': 'Draw an image to score' }));
  const padRecon = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'digit', width: 28, height: 28 }));
  const padScore = h('p', { 'data-testid': 'anomaly-drawn-score' }, 'Draw something: its reconstruction error is scored against the threshold.');
  /** @type {{scores: Float32Array, pca: Float32Array, labels: Float32Array, fpr: Float32Array, tpr: Float32Array, pfpr: Float32Array, ptpr: Float32Array, held: number, sorted: Float32Array}|null} */
  let anomaly = null;
  const ask = latestOnly((f) => query('score', f), (m) => {
    drawImage(padRecon, m.data.reconstruction, 28, 28);
    const t = currentThreshold();
    const flagged = t !== null && m.score > t;
    padScore.textContent = `Error ${m.score.toExponential(2)} (PCA ${m.pca_score.toExponential(2)}): higher than ${(100 * m.normal_below).toFixed(1)}% of normal test images — ${flagged ? 'flagged as an anomaly' : 'passes as normal'} at this threshold.`;
    padScore.dataset.value = String(m.score);
    padScore.dataset.flagged = String(flagged);
  }, fail);
  const pad = new DrawPad(padCanvas, (pixels) => {
    if (!live || !live.anomaly) { padScore.textContent = 'Run the experiment first: then your drawing is scored.'; return; }
    ask({ pixels: Array.from(pixels) });
  });
  const clearPad = h('button', { onclick: () => { pad.clear(); padScore.textContent = 'Draw something: its reconstruction error is scored against the threshold.'; } }, 'Clear');

  function currentThreshold() {
    if (!anomaly) return null;
    const s = anomaly.sorted;
    const i = Math.min(s.length - 1, Math.floor((Number(threshold.value) / 1000) * (s.length - 1)));
    return s[i];
  }

  function drawAnomaly() {
    if (!anomaly) return;
    const t = /** @type {number} */ (currentThreshold());
    let tp = 0; let fp = 0; let fn = 0; let tn = 0;
    for (let i = 0; i < anomaly.scores.length; i++) {
      const bad = anomaly.labels[i] === anomaly.held;
      const flagged = anomaly.scores[i] > t;
      if (bad && flagged) tp++; else if (bad) fn++; else if (flagged) fp++; else tn++;
    }
    const p = tp + fp ? tp / (tp + fp) : null;
    const r = tp + fn ? tp / (tp + fn) : null;
    showNumber(precision, p, 3);
    showNumber(recall, r, 3);
    falsePos.textContent = String(fp);
    falsePos.dataset.value = String(fp);
    falseNeg.textContent = String(fn);
    falseNeg.dataset.value = String(fn);
    thresholdValue.textContent = `threshold ${t.toExponential(2)} (flags ${(100 * (tp + fp) / anomaly.scores.length).toFixed(1)}% of the test images)`;
    thresholdValue.dataset.value = String(t);
    histogram(hist, anomaly, t);
    rocPlot(rocSvg, anomaly, fp / Math.max(1, fp + tn), r || 0);
  }

  threshold.addEventListener('input', drawAnomaly);

  const anomalySection = h('section', { class: 'panel', 'data-testid': 'uses-section-anomaly' },
    h('h2', {}, 'Anomaly detection'),
    h('p', {}, 'Train on every class but one, then score each test image by how badly the model reconstructs it: the class it never saw should score high. PCA with as many components as the code (32) is the baseline. The AUC is the chance that a random held-out image scores higher than a random normal one (ties count half).'),
    h('div', { class: 'row' }, h('label', {}, 'Hold out class ', (controls.held_out = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'anomaly-held-out', 'aria-label': 'Class held out' })))), (toggles.anomaly = runButton('anomaly', { train: 'anomaly-run', pause: 'anomaly-pause' })).el, (progress.anomaly = h('span', { class: 'muted' }))),
    h('p', { class: 'facts' }, 'AUC ', auc, ' · PCA ', pcaAuc),
    h('div', { class: 'two' },
      h('figure', {}, hist, h('figcaption', { class: 'muted' }, 'Reconstruction error (log scale): normal classes and the held-out class; the line is the threshold.')),
      h('figure', {}, rocSvg, h('figcaption', { class: 'muted' }, 'ROC: true-positive rate against false-positive rate as the threshold moves; the dot is this threshold.'))),
    h('div', { class: 'row' }, h('label', { class: 'grow' }, 'Threshold ', threshold), thresholdValue),
    h('p', { class: 'facts' }, 'precision ', precision, ' · recall ', recall, ' · false positives ', falsePos, ' · false negatives ', falseNeg),
    h('div', { class: 'two' }, h('div', {}, h('h3', {}, 'Most anomalous'), worst), h('div', {}, h('h3', {}, 'Least anomalous'), best)),
    h('h3', {}, 'Score your own drawing'),
    h('div', { class: 'row' }, padCanvas, h('figure', {}, padRecon, h('figcaption', { class: 'muted' }, 'reconstruction')), h('div', { class: 'grow' }, padScore, clearPad)));
  const heldSelect = /** @type {HTMLSelectElement} */ (controls.held_out);
  heldSelect.addEventListener('change', () => send({ type: 'configure', held_out: Number(heldSelect.value) }));

  async function loadAnomaly() {
    const m = await query('anomaly');
    const d = m.data;
    const sorted = Float32Array.from(d.scores).sort();
    anomaly = { scores: d.scores, pca: d.pca_scores, labels: d.labels, fpr: d.roc_fpr, tpr: d.roc_tpr, pfpr: d.pca_roc_fpr, ptpr: d.pca_roc_tpr, held: m.held_out, sorted };
    // start at the threshold that flags 5% of the normal images
    const normal = Float32Array.from(d.scores.filter((/** @type {number} */ _, /** @type {number} */ i) => d.labels[i] !== m.held_out)).sort();
    const t = normal[Math.floor(0.95 * (normal.length - 1))];
    let below = 0;
    while (below < sorted.length && sorted[below] <= t) below++;
    threshold.value = String(Math.round((1000 * Math.max(0, below - 1)) / (sorted.length - 1)));
    threshold.disabled = false;
    const thumbs = (/** @type {HTMLElement} */ host, /** @type {Float32Array} */ images, /** @type {any[]} */ facts, /** @type {string} */ id) => imageGrid(host, facts.map((f, i) => ({
      values: images.subarray(i * PX, (i + 1) * PX),
      caption: `${names()[f.label] ?? f.label} · ${f.score.toExponential(1)}`,
    })), { w: 28, h: 28, cols: 8, testid: id });
    thumbs(worst, d.worst_images, m.worst, 'anomaly-worst');
    thumbs(best, d.best_images, m.best, 'anomaly-best');
    drawAnomaly();
  }

  // ---- denoising
  const denoiseGrid = h('div', { class: 'grid-rows', 'data-testid': 'denoise-grid' });
  const psnrNoisy = h('strong', { 'data-testid': 'denoise-psnr-noisy' }, '–');
  const psnrPlain = h('strong', { 'data-testid': 'denoise-psnr-plain' }, '–');
  const psnrClean = h('strong', { 'data-testid': 'denoise-psnr-clean' }, '–');
  const ssimNoisy = h('strong', { 'data-testid': 'denoise-ssim-noisy' }, '–');
  const ssimPlain = h('strong', { 'data-testid': 'denoise-ssim-plain' }, '–');
  const ssimClean = h('strong', { 'data-testid': 'denoise-ssim-clean' }, '–');
  const trainedOn = h('p', { class: 'muted', 'data-testid': 'denoise-trained-on' });
  let noiseSeed = 1;
  const redraw = h('button', { 'data-testid': 'denoise-redraw', onclick: () => { noiseSeed++; loadDenoise().catch(fail); } }, 'New noise');
  const denoiseSlot = h('div', { class: 'row' });
  const denoiseSection = h('section', { class: 'panel', 'data-testid': 'uses-section-denoise' },
    h('h2', {}, 'Denoising'),
    h('p', {}, 'Two models with the same layers (784-256-32): a plain one, trained to copy clean images, and a denoising one, trained to give back the clean image from a corrupted copy. Both see the same noisy test images; PSNR and SSIM are measured against the clean ones (1,000 test images).'),
    denoiseSlot,
    h('p', { class: 'facts' }, 'PSNR noisy ', psnrNoisy, ' dB · plain ', psnrPlain, ' dB · denoising ', psnrClean, ' dB'),
    h('p', { class: 'facts' }, 'SSIM noisy ', ssimNoisy, ' · plain ', ssimPlain, ' · denoising ', ssimClean),
    trainedOn, denoiseGrid, redraw);

  async function loadDenoise() {
    const m = await query('denoise', { count: 8, seed: noiseSeed });
    showNumber(psnrNoisy, m.noisy.psnr, 2);
    showNumber(psnrPlain, m.plain.psnr, 2);
    showNumber(psnrClean, m.denoised.psnr, 2);
    showNumber(ssimNoisy, m.noisy.ssim, 3);
    showNumber(ssimPlain, m.plain.ssim, 3);
    showNumber(ssimClean, m.denoised.ssim, 3);
    trainedOn.textContent = m.trained_on === m.noise ? `Noise ${m.noise}, the noise the denoising model was trained on.` : `Noise ${m.noise}; the denoising model was trained on ${m.trained_on} (Run again to train it on this noise).`;
    denoiseGrid.replaceChildren();
    for (const [key, label] of [['noisy', 'noisy'], ['plain', 'plain model'], ['denoised', 'denoising model'], ['clean', 'clean']]) {
      const row = h('div', { class: 'thumbs' });
      imageGrid(row, Array.from({ length: m.count }, (_, i) => ({ values: m.data[key].subarray(i * PX, (i + 1) * PX), caption: i ? '' : label })), { w: 28, h: 28, cols: m.count, testid: `denoise-${key}` });
      denoiseGrid.append(row);
    }
  }

  // ---- compression
  const plot = /** @type {SVGSVGElement} */ (svg('svg', { class: 'plot wide', 'data-testid': 'compress-plot', role: 'img', 'aria-label': 'Distortion against bits per image' }));
  const metric = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'compress-metric', 'aria-label': 'Measure' },
    h('option', { value: 'psnr' }, 'PSNR (dB, higher is better)'), h('option', { value: 'mse' }, 'MSE (lower is better)'), h('option', { value: 'ssim' }, 'SSIM (higher is better)')));
  metric.addEventListener('change', () => { if (live && live.compress) { lastCompress = `${metric.value}:${JSON.stringify(live.compress.points)}`; drawCompress(live.compress.points); } });
  const compressImages = h('div', { 'data-testid': 'compress-images' });
  const compressNote = h('p', { class: 'muted', 'data-testid': 'compress-picked' }, 'Click a point to see its reconstructions.');
  const compressSection = h('section', { class: 'panel', 'data-testid': 'uses-section-compress' },
    h('h2', {}, 'Compression'),
    h('p', {}, 'A code is a compressed image. Six models with codes of 2 to 64 numbers (784-256-k), PCA with as many components, both stored as float32 (32 bits a number) or rounded to 8 bits, and JPEG at qualities 1–95 — counted by the bytes of its scan, leaving out its headers (tables shared by every image, as the model\u2019s weights are). Measured on 1,000 test images.'),
    h('div', { class: 'row' }, (toggles.compress = runButton('compress', { train: 'compress-run', pause: 'compress-pause' })).el, (progress.compress = h('span', { class: 'muted' })), h('label', {}, 'Show ', metric)),
    plot, h('div', { class: 'legend' }, ...Object.entries(METHODS).map(([, m]) => h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: `background:${m.colour}` }), m.label))),
    compressNote, compressImages);

  /** @param {CompressPoint[]} points */
  function drawCompress(points) {
    const key = /** @type {'psnr'|'mse'|'ssim'} */ (metric.value);
    const W = 560; const H = 300; const pad = { l: 52, r: 12, t: 10, b: 34 };
    plot.replaceChildren();
    plot.setAttribute('viewBox', `0 0 ${W} ${H}`);
    const xs = points.map((p) => Math.log2(p.bits));
    const ys = points.map((p) => (key === 'mse' ? Math.log10(p.mse) : p[key]));
    const [x0, x1] = [Math.floor(Math.min(...xs)), Math.ceil(Math.max(...xs))];
    const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    const sx = (/** @type {number} */ x) => pad.l + ((x - x0) / Math.max(1e-9, x1 - x0)) * (W - pad.l - pad.r);
    const sy = (/** @type {number} */ y) => pad.t + (1 - (y - y0) / Math.max(1e-9, y1 - y0)) * (H - pad.t - pad.b);
    plot.append(svg('path', { d: `M${pad.l},${pad.t} V${H - pad.b} H${W - pad.r}`, class: 'axis' }));
    for (let x = x0; x <= x1; x += 2) {
      const t = svg('text', { x: sx(x), y: H - pad.b + 14, 'text-anchor': 'middle', class: 'tick' });
      t.textContent = x >= 10 ? `${2 ** (x - 10)}k` : String(2 ** x);
      plot.append(t);
    }
    const xl = svg('text', { x: (W + pad.l) / 2, y: H - 4, 'text-anchor': 'middle', class: 'tick' });
    xl.textContent = 'bits per image (log scale)';
    plot.append(xl);
    for (let i = 0; i <= 4; i++) {
      const v = y0 + ((y1 - y0) * i) / 4;
      const t = svg('text', { x: pad.l - 4, y: sy(v) + 4, 'text-anchor': 'end', class: 'tick' });
      t.textContent = key === 'mse' ? (10 ** v).toExponential(0) : v.toFixed(key === 'ssim' ? 2 : 0);
      plot.append(t);
    }
    for (const [method, m] of Object.entries(METHODS)) {
      const ps = points.map((p, i) => ({ p, x: sx(xs[i]), y: sy(ys[i]) })).filter((q) => q.p.method === method).sort((a, b) => a.x - b.x);
      if (!ps.length) continue;
      plot.append(svg('path', { d: ps.map((q, i) => `${i ? 'L' : 'M'}${q.x.toFixed(1)},${q.y.toFixed(1)}`).join(''), stroke: m.colour, fill: 'none', 'stroke-width': 1.5 }));
      for (const q of ps) {
        const c = svg('circle', { cx: q.x.toFixed(1), cy: q.y.toFixed(1), r: 5, fill: m.colour, class: 'clickable', 'data-testid': `compress-point-${method}-${q.p.size}`, tabindex: 0 });
        const title = svg('title');
        title.textContent = `${m.label}, ${method === 'jpeg' ? `quality ${q.p.size}` : `${q.p.size} numbers`}: ${q.p.bits.toFixed(0)} bits, PSNR ${q.p.psnr.toFixed(2)} dB, SSIM ${q.p.ssim.toFixed(3)}, MSE ${q.p.mse.toExponential(2)}`;
        c.append(title);
        c.dataset.value = String(q.p[key]);
        const pick = () => showCompressed(method, q.p).catch(fail);
        c.addEventListener('click', pick);
        c.addEventListener('keydown', (ev) => { if (/** @type {KeyboardEvent} */ (ev).key === 'Enter') pick(); });
        plot.append(c);
      }
    }
  }

  /** @param {string} method @param {CompressPoint} p */
  async function showCompressed(method, p) {
    const m = await query('compress_images', { method, size: p.size });
    compressNote.textContent = `${METHODS[/** @type {'ae'} */ (method)].label}, ${method === 'jpeg' ? `quality ${p.size}` : `${p.size} numbers`}: ${p.bits.toFixed(0)} bits per image, PSNR ${p.psnr.toFixed(2)} dB, SSIM ${p.ssim.toFixed(3)}. Originals above, reconstructions below.`;
    compressImages.replaceChildren();
    for (const key of ['original', 'reconstruction']) {
      const row = h('div', { class: 'thumbs' });
      imageGrid(row, Array.from({ length: 8 }, (_, i) => ({ values: m.data[key].subarray(i * PX, (i + 1) * PX), caption: '' })), { w: 28, h: 28, cols: 8, testid: `compress-${key}` });
      compressImages.append(row);
    }
  }

  // ---- generation
  const vaeSamples = h('div', { 'data-testid': 'generate-samples', class: 'thumbs' });
  const plainSamples = h('div', { 'data-testid': 'generate-plain-samples', class: 'thumbs' });
  const vaeManifold = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'manifold', 'data-testid': 'generate-manifold-vae' }));
  const plainManifold = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'manifold', 'data-testid': 'generate-manifold-plain' }));
  const interpolation = h('div', { 'data-testid': 'generate-interpolation' });
  let sampleSeed = 1;
  const reseed = h('button', { 'data-testid': 'generate-reseed', onclick: () => { sampleSeed++; loadSamples().catch(fail); } }, 'New samples');
  const another = h('button', { 'data-testid': 'generate-interpolate', onclick: () => loadInterpolation(true).catch(fail) }, 'Two other digits');
  const generateSection = h('section', { class: 'panel', 'data-testid': 'uses-section-generate' },
    h('h2', {}, 'Generation'),
    h('p', {}, 'Why the variational autoencoder exists. Both models have 2-D codes (784-256-2). Draw codes from N(0, I) and decode them: the VAE was trained to keep its codes near that distribution (the KL term), so its samples look like digits; the plain model never was, so most of the same codes land where it never put an image.'),
    h('div', { class: 'row' }, (toggles.generate = runButton('generate', { train: 'generate-run', pause: 'generate-pause' })).el, (progress.generate = h('span', { class: 'muted' })), reseed),
    h('div', { class: 'two' }, h('div', {}, h('h3', {}, 'VAE: samples from the prior'), vaeSamples), h('div', {}, h('h3', {}, 'Plain: the same codes'), plainSamples)),
    h('div', { class: 'two' }, h('figure', {}, vaeManifold, h('figcaption', { class: 'muted' }, 'The VAE\u2019s decoder over the prior\u2019s 5%–95% quantiles.')), h('figure', {}, plainManifold, h('figcaption', { class: 'muted' }, 'The plain decoder over the same square.'))),
    h('h3', {}, 'Interpolation between two test digits'), another, interpolation);
  let pair = [0, 1];

  async function loadSamples() {
    const m = await query('samples', { count: 16, seed: sampleSeed });
    for (const [key, host, id] of /** @type {[string, HTMLElement, string][]} */ ([['vae', vaeSamples, 'generate-sample'], ['plain', plainSamples, 'generate-plain-sample']])) {
      imageGrid(host, Array.from({ length: 16 }, (_, i) => ({ values: m.data[key].subarray(i * PX, (i + 1) * PX), caption: '' })), { w: 28, h: 28, cols: 8, testid: id });
    }
    vaeSamples.dataset.seed = String(sampleSeed);
  }
  async function loadManifold() {
    const n = 12;
    const m = await query('manifold', { n });
    for (const [key, canvas] of /** @type {[string, HTMLCanvasElement][]} */ ([['vae', vaeManifold], ['plain', plainManifold]])) {
      const big = new Float32Array(n * 28 * n * 28);
      const src = m.data[key];
      for (let t = 0; t < n * n; t++) {
        const [r, c] = [Math.floor(t / n), t % n];
        for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) big[(r * 28 + y) * n * 28 + c * 28 + x] = src[t * PX + y * 28 + x];
      }
      drawImage(canvas, big, n * 28, n * 28);
    }
  }
  /** @param {boolean} fresh */
  async function loadInterpolation(fresh) {
    if (fresh) pair = [Math.floor(Math.random() * 10000), Math.floor(Math.random() * 10000)];
    const m = await query('interpolate', { a: pair[0], b: pair[1], steps: 8 });
    interpolation.replaceChildren();
    for (const [key, label] of [['vae', 'VAE'], ['plain', 'plain']]) {
      const row = h('div', { class: 'thumbs' });
      imageGrid(row, Array.from({ length: 8 }, (_, i) => ({ values: m.data[key].subarray(i * PX, (i + 1) * PX), caption: i ? '' : label })), { w: 28, h: 28, cols: 8, testid: `generate-path-${key}` });
      interpolation.append(row);
    }
  }

  // ---- maps of wide codes
  /** @type {Record<string, string>} */
  const METHOD_NAMES = { pca: 'PCA', tsne: 't-SNE', umap: 'UMAP' };
  const mapCanvas = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'map', width: 560, height: 560, 'data-testid': 'project-canvas', role: 'img', 'aria-label': 'Map of the codes' }));
  const scatter = new Scatter(mapCanvas);
  // for tests and the console: where point i is drawn (as fractions of the canvas), and how many there are
  /** @type {any} */ (window).usesMap = {
    at: (/** @type {number} */ i) => {
      const [x, y] = scatter.toCanvas([scatter.xy[2 * i], scatter.xy[2 * i + 1]]);
      return [x / mapCanvas.width, y / mapCanvas.height];
    },
    count: () => scatter.xy.length / 2,
  };
  const iteration = h('strong', { 'data-testid': 'project-iteration' }, '–');
  const iterationWord = h('span', {}, 'iteration');
  /** @type {Record<string, HTMLElement>} */
  const methodSettings = {};
  const trust = h('strong', { 'data-testid': 'project-trust' }, '–');
  const mapNote = h('p', { class: 'muted', 'data-testid': 'project-note' });
  const hover = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'digit', width: 28, height: 28, 'data-testid': 'project-hover' }));
  const hoverNote = h('p', { class: 'muted' }, 'Hover a point to see its image; click it for its nearest neighbours in what was mapped.');
  const neighbours = h('div', { 'data-testid': 'project-neighbours' });
  const exportButton = h('button', { 'data-testid': 'project-export', disabled: true, onclick: exportCsv }, 'Export CSV');
  const legend = h('div', { class: 'legend', 'data-testid': 'project-legend' });
  const projectSlot = h('div', { class: 'row' });
  const projectSection = h('section', { class: 'panel', 'data-testid': 'uses-section-project' },
    h('h2', {}, 'Maps of wide codes'),
    h('p', {}, 'A 30-number code cannot be looked at; a map can. PCA keeps the two directions of most variance (straight lines, true distances along them); t-SNE keeps each point\u2019s neighbours near it and lets everything else go; UMAP does the same from a graph of each point\u2019s nearest neighbours, pulling joined points together and pushing random others away, and tends to keep more of the layout between groups. Trustworthiness (k = 10) says how many of a point\u2019s neighbours on the map are its true neighbours: 1 means all.'),
    projectSlot,
    h('p', { class: 'facts' }, iterationWord, ' ', iteration, ' · trustworthiness ', trust, ' ', exportButton),
    mapNote,
    h('div', { class: 'map-row' }, mapCanvas, h('div', { class: 'hover' }, hover, hoverNote, neighbours)),
    legend,
    h('p', { class: 'caution', 'data-testid': 'project-caution' }, 'Reading t-SNE and UMAP: the sizes of their clusters and the gaps between them mean little — they spread dense groups out and squeeze sparse ones, and far-apart clusters may be near in the code. What they keep is who is next to whom. Change the perplexity (t-SNE) or the neighbours (UMAP) and see what stays.'));

  function exportCsv() {
    if (!live || !live.data || !live.data.map_xy) return;
    const xy = live.data.map_xy; const labels = live.data.map_labels;
    const rows = ['x,y,label'];
    for (let i = 0; i < xy.length / 2; i++) rows.push(`${xy[2 * i]},${xy[2 * i + 1]},${labels ? labels[i] : ''}`);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([rows.join('\n') + '\n'], { type: 'text/csv' }));
    a.download = `hourglass-${live.map ? live.map.method : 'map'}-${live.settings.dataset}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
  }
  const at = (/** @type {MouseEvent} */ ev) => {
    const r = mapCanvas.getBoundingClientRect();
    return scatter.nearest(((ev.clientX - r.left) * mapCanvas.width) / r.width, ((ev.clientY - r.top) * mapCanvas.height) / r.height, 8);
  };
  const askImage = latestOnly((f) => query('map_image', f), (m) => {
    drawImage(hover, m.data.pixels, 28, 28);
    hoverNote.textContent = `Image ${m.index}: ${names()[m.label] ?? m.label}`;
  }, fail);
  mapCanvas.addEventListener('mousemove', (ev) => {
    const i = at(ev);
    if (i >= 0) askImage({ index: i });
  });
  mapCanvas.addEventListener('click', (ev) => {
    const i = at(ev);
    if (i < 0) return;
    query('neighbours', { index: i, k: 8 }).then((m) => {
      neighbours.replaceChildren(h('p', { class: 'muted' }, `Its 8 nearest neighbours in the ${live && live.map ? (live.map.source === 'codes' ? 'code' : 'pixel') : ''} space (${m.kept_on_map} of them are among its 8 nearest on the map):`));
      const grid = h('div', { class: 'thumbs' });
      imageGrid(grid, m.neighbours.map((/** @type {{label: number, distance: number}} */ n, /** @type {number} */ j) => ({ values: m.data.images.subarray(j * PX, (j + 1) * PX), caption: `${names()[n.label] ?? n.label}` })), { w: 28, h: 28, cols: 4, testid: 'project-neighbour' });
      neighbours.append(grid);
      neighbours.dataset.value = String(m.kept_on_map);
    }, fail);
  });

  function drawLegend() {
    legend.replaceChildren(...names().map((n, i) => h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: `background:${CLASS_COLOURS[i]}` }), n)));
  }

  // ---- the snapshot
  function buildControls() {
    side.replaceChildren(
      h('h1', {}, 'Uses'),
      h('p', {}, 'What autoencoders are for, as experiments you run and measure. Each section trains what it needs (a few seconds to a minute here) and compares the autoencoder with the simple baseline a practitioner would try first.'),
      h('div', { class: 'settings' },
        labelled('Dataset', bind('dataset', 'uses-dataset')),
        labelled('Epochs per model', bind('epochs', 'uses-epochs')),
        labelled('Training images', bind('train_size', 'uses-train-size')),
        labelled('Seed', bind('seed', 'uses-seed'))),
      h('div', { class: 'row' }, download.button, download.progress),
      message,
      h('h3', {}, 'Training'),
      status, chart,
      h('p', { class: 'muted credit' }, 'MNIST: Yann LeCun, Corinna Cortes and Christopher Burges. Fashion-MNIST: Zalando Research (MIT licence).'));
    denoiseSlot.replaceChildren(labelled('Noise ', bind('noise', 'denoise-noise')), labelled('Level ', bind('noise_level', 'denoise-level')), (toggles.denoise = runButton('denoise', { train: 'denoise-run', pause: 'denoise-pause' })).el, (progress.denoise = h('span', { class: 'muted' })));
    projectSlot.replaceChildren(labelled('Method ', bind('method', 'project-method')), labelled('Of ', bind('source', 'project-source')), labelled('Images ', bind('points', 'project-points')), (methodSettings.perplexity = labelled('Perplexity ', bind('perplexity', 'project-perplexity'))), (methodSettings.neighbours = labelled('Neighbours ', bind('neighbours', 'project-umap-neighbours'))), (methodSettings.min_dist = labelled('Min. distance ', bind('min_dist', 'project-min-dist'))), (toggles.project = runButton('project', { train: 'project-start', pause: 'project-pause' })).el, (progress.project = h('span', { class: 'muted' })));
    toggles.project.el.textContent = 'Start';
  }

  /** @param {Snapshot} s */
  function draw(s) {
    const first = !live;
    const datasetChanged = !live || live.settings.dataset !== s.settings.dataset;
    live = s;
    const run = s.run;
    for (const [name, el] of Object.entries(controls)) {
      if (document.activeElement === el || name === 'held_out') continue;
      const v = String(s.settings[name]);
      if (el instanceof HTMLSelectElement) choose(el, v);
      else if (el.value !== v) el.value = v;
    }
    if (datasetChanged) {
      heldSelect.replaceChildren(...names().map((n, i) => h('option', { value: String(i) }, n)));
      drawLegend();
    }
    if (document.activeElement !== heldSelect) heldSelect.value = String(s.settings.held_out);
    for (const [experiment, t] of Object.entries(toggles)) {
      const mine = run.training && s.settings.experiment === experiment;
      t.set(mine);
      if (!mine) t.el.textContent = experiment === 'project' ? 'Start' : 'Run';
    }
    const tr = s.training;
    status.textContent = tr ? `${tr.run} (model ${tr.index + 1} of ${tr.runs}): epoch ${tr.epoch} of ${tr.epochs}${tr.loss !== null ? `, loss ${tr.loss.toFixed(4)}` : ''}` : 'Nothing training.';
    for (const [experiment, el] of Object.entries(progress)) {
      el.textContent = tr && tr.experiment === experiment ? `training ${tr.run}: epoch ${tr.epoch}/${tr.epochs}` : (run.queued !== null && s.settings.experiment === experiment ? `waiting for a free training slot (place ${run.queued})` : '');
    }
    lineChart(chart, run.losses, { width: 300, height: 150, label: 'epoch' });
    if (run.notice && run.notice.id !== lastNotice) {
      lastNotice = run.notice.id;
      if (!first) say(run.notice.text);
    }
    download.draw(s.download, s.settings.dataset, s.datasets);
    // results
    if (s.anomaly) {
      showNumber(auc, s.anomaly.auc, 3);
      showNumber(pcaAuc, s.anomaly.pca_auc, 3);
    } else {
      showNumber(auc, null, 3);
      showNumber(pcaAuc, null, 3);
    }
    const compressKey = s.compress ? `${metric.value}:${JSON.stringify(s.compress.points)}` : '';
    if (compressKey !== lastCompress) {
      lastCompress = compressKey;
      if (s.compress) drawCompress(s.compress.points); else plot.replaceChildren();
    }
    methodSettings.perplexity.hidden = s.settings.method !== 'tsne';
    methodSettings.neighbours.hidden = methodSettings.min_dist.hidden = s.settings.method !== 'umap';
    const m = s.map;
    if (m) {
      showNumber(iteration, m.iteration, 0);
      showNumber(trust, m.trust, 3);
      iterationWord.textContent = m.method === 'umap' ? 'epoch' : 'iteration';
      const where = m.searched !== null ? `; finding each point\u2019s nearest neighbours: ${m.searched.toLocaleString()} of ${m.count.toLocaleString()} points` : `; ${m.method === 'umap' ? 'epoch' : 'iteration'} ${m.iteration} of ${m.iterations}`;
      mapNote.textContent = `${METHOD_NAMES[m.method] ?? m.method} of ${m.count.toLocaleString()} ${m.source === 'codes' ? `${m.dim}-D codes (the shipped model)` : 'images\u2019 pixels'} — ${m.images}${m.running ? where : `; done in ${m.seconds.toFixed(1)} s`}.`;
    } else {
      showNumber(iteration, null, 0);
      showNumber(trust, null, 3);
      mapNote.textContent = 'Press Start to make the map.';
    }
    const xy = s.data && s.data.map_xy;
    if (xy) {
      scatter.setPoints(xy, s.data && s.data.map_labels ? s.data.map_labels : null);
      scatter.draw();
    } else if (scatter.xy.length) {
      scatter.setPoints(new Float32Array(0), null);
      scatter.draw();
    }
    /** @type {HTMLButtonElement} */ (exportButton).disabled = !xy || !!(m && m.running);
    if (s.version !== lastVersion) {
      lastVersion = s.version;
      if (s.anomaly) loadAnomaly().catch(fail); else { anomaly = null; threshold.disabled = true; worst.replaceChildren(); best.replaceChildren(); hist.replaceChildren(); rocSvg.replaceChildren(); }
      if (s.denoise) loadDenoise().catch(fail); else denoiseGrid.replaceChildren();
      if (s.generate) { loadSamples().catch(fail); loadManifold().catch(fail); loadInterpolation(false).catch(fail); }
    }
    root.dataset.training = String(run.training);
    root.dataset.experiment = s.settings.experiment;
    const q = new URLSearchParams();
    toUrl(q, schema, s.settings);
    showInUrl(q);
  }

  root.replaceChildren(
    h('section', { class: 'uses' },
      side,
      h('div', { class: 'sections' }, anomalySection, denoiseSection, compressSection, generateSection, projectSection)));

  const { session } = connectPage('uses', {
    say,
    onHello: (hello) => {
      schema = hello.schema;
      buildControls();
      const missing = hello.info.datasets.filter((/** @type {{present: boolean}} */ d) => !d.present).map((/** @type {{name: string}} */ d) => d.name);
      return missing.length ? [`Not on this machine: ${missing.join(', ')}. Training needs them: press Download (or run \`hourglass data fetch ${missing[0]}\`, or start the server with --data-dir). Maps work on the shipped sample of 2,000 test images without them.`] : [];
    },
    onSnapshot: draw,
  });
}

/**
 * Two histograms of log10 scores (normal, held out) with the threshold.
 * @param {SVGSVGElement} host
 * @param {{scores: Float32Array, labels: Float32Array, held: number}} a
 * @param {number} threshold
 */
function histogram(host, a, threshold) {
  const W = 360; const H = 200; const pad = { l: 10, r: 10, t: 10, b: 26 };
  const BINS = 40;
  host.replaceChildren();
  host.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const logs = Array.from(a.scores, (v) => Math.log10(Math.max(v, 1e-12)));
  const lo = Math.min(...logs); const hi = Math.max(...logs);
  const bin = (/** @type {number} */ v) => Math.min(BINS - 1, Math.floor(((v - lo) / Math.max(1e-9, hi - lo)) * BINS));
  const normal = new Array(BINS).fill(0); const held = new Array(BINS).fill(0);
  logs.forEach((v, i) => { (a.labels[i] === a.held ? held : normal)[bin(v)]++; });
  // each as a share of its own images, so the small class is visible beside the large one
  const nN = normal.reduce((x, y) => x + y, 0) || 1; const nH = held.reduce((x, y) => x + y, 0) || 1;
  const top = Math.max(...normal.map((c) => c / nN), ...held.map((c) => c / nH));
  const bw = (W - pad.l - pad.r) / BINS;
  const y = (/** @type {number} */ f) => H - pad.b - (f / top) * (H - pad.t - pad.b);
  for (const [counts, n, colour, name] of /** @type {[number[], number, string, string][]} */ ([[normal, nN, '#64748b', 'normal'], [held, nH, '#dc2626', 'held out']])) {
    const d = counts.map((c, i) => `${i ? 'L' : 'M'}${(pad.l + i * bw).toFixed(1)},${y(c / n).toFixed(1)}H${(pad.l + (i + 1) * bw).toFixed(1)}`).join('');
    host.append(svg('path', { d: `${d}V${H - pad.b}H${pad.l}Z`, fill: colour, 'fill-opacity': 0.35, stroke: colour, 'data-series': name }));
  }
  const tx = pad.l + ((Math.log10(threshold) - lo) / Math.max(1e-9, hi - lo)) * (W - pad.l - pad.r);
  host.append(svg('line', { x1: tx, x2: tx, y1: pad.t, y2: H - pad.b, stroke: '#111827', 'stroke-dasharray': '4 3' }));
  host.append(svg('path', { d: `M${pad.l},${H - pad.b}H${W - pad.r}`, class: 'axis' }));
  for (const [v, anchor] of /** @type {[number, string][]} */ ([[lo, 'start'], [hi, 'end']])) {
    const t = svg('text', { x: anchor === 'start' ? pad.l : W - pad.r, y: H - 8, 'text-anchor': anchor, class: 'tick' });
    t.textContent = (10 ** v).toExponential(0);
    host.append(t);
  }
}

/**
 * The ROC curves of the model and of PCA, with the current operating point.
 * @param {SVGSVGElement} host
 * @param {{fpr: Float32Array, tpr: Float32Array, pfpr: Float32Array, ptpr: Float32Array}} a
 * @param {number} fpr
 * @param {number} tpr
 */
function rocPlot(host, a, fpr, tpr) {
  const S = 220; const pad = 26;
  host.replaceChildren();
  host.setAttribute('viewBox', `0 0 ${S + pad + 6} ${S + pad + 6}`);
  const sx = (/** @type {number} */ v) => pad + v * S;
  const sy = (/** @type {number} */ v) => 6 + (1 - v) * S;
  host.append(svg('rect', { x: pad, y: 6, width: S, height: S, fill: 'none', class: 'axis' }));
  host.append(svg('line', { x1: sx(0), y1: sy(0), x2: sx(1), y2: sy(1), stroke: '#cbd5e1', 'stroke-dasharray': '3 3' }));
  for (const [xs, ys, colour, name] of /** @type {[Float32Array, Float32Array, string, string][]} */ ([[a.pfpr, a.ptpr, '#ea580c', 'pca'], [a.fpr, a.tpr, '#2563eb', 'autoencoder']])) {
    // thinned to at most ~600 vertices: a curve of 10,000 steps draws the same
    const step = Math.max(1, Math.floor(xs.length / 600));
    let d = '';
    for (let i = 0; i < xs.length; i += step) d += `${d ? 'L' : 'M'}${sx(xs[i]).toFixed(1)},${sy(ys[i]).toFixed(1)}`;
    d += `L${sx(xs[xs.length - 1]).toFixed(1)},${sy(ys[ys.length - 1]).toFixed(1)}`;
    host.append(svg('path', { d, fill: 'none', stroke: colour, 'stroke-width': 2, 'data-series': name }));
  }
  host.append(svg('circle', { cx: sx(fpr), cy: sy(tpr), r: 4, fill: '#111827' }));
  const lx = svg('text', { x: pad + S / 2, y: S + pad + 2, 'text-anchor': 'middle', class: 'tick' });
  lx.textContent = 'false-positive rate';
  const key = svg('text', { x: pad + S - 4, y: 6 + S - 8, 'text-anchor': 'end', class: 'tick' });
  key.textContent = 'blue: autoencoder · orange: PCA';
  host.append(lx, key);
}
