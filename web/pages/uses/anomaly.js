// Anomaly detection on the Uses page: hold a class out of training, then read the two
// histograms of reconstruction error, the ROC curves (the model's and PCA's) and their AUC,
// move the threshold and see precision and recall trade, and score a drawing.

import { h, svg, showNumber } from '../../lib/dom.js';
import { drawImage, imageGrid } from '../../lib/images.js';
import { DrawPad } from '../../lib/drawpad.js';
import { latestOnly } from '../../lib/socket.js';
import { PX } from './shared.js';

/**
 * @param {import('./shared.js').UsesContext} ctx
 * @returns {import('./shared.js').Section}
 */
export function anomalySection(ctx) {
  const toggle = ctx.runButton('anomaly', { train: 'anomaly-run', pause: 'anomaly-pause' });
  const progress = h('span', { class: 'muted' });
  const heldSelect = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'anomaly-held-out', 'aria-label': 'Class held out' }));
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
  const ask = latestOnly((f) => ctx.query('score', f), (m) => {
    drawImage(padRecon, m.data.reconstruction, 28, 28);
    const t = currentThreshold();
    const flagged = t !== null && m.score > t;
    padScore.textContent = `Error ${m.score.toExponential(2)} (PCA ${m.pca_score.toExponential(2)}): higher than ${(100 * m.normal_below).toFixed(1)}% of normal test images — ${flagged ? 'flagged as an anomaly' : 'passes as normal'} at this threshold.`;
    padScore.dataset.value = String(m.score);
    padScore.dataset.flagged = String(flagged);
  }, ctx.fail);
  const pad = new DrawPad(padCanvas, (pixels) => {
    const live = ctx.live();
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

  const el = h('section', { class: 'panel', 'data-testid': 'uses-section-anomaly' },
    h('h2', {}, 'Anomaly detection'),
    h('p', {}, 'Train on every class but one, then score each test image by how badly the model reconstructs it: the class it never saw should score high. PCA with as many components as the code (32) is the baseline. The AUC is the chance that a random held-out image scores higher than a random normal one (ties count half).'),
    h('div', { class: 'row' }, h('label', {}, 'Hold out class ', heldSelect), toggle.el, progress),
    h('p', { class: 'facts' }, 'AUC ', auc, ' · PCA ', pcaAuc),
    h('div', { class: 'two' },
      h('figure', {}, hist, h('figcaption', { class: 'muted' }, 'Reconstruction error (log scale): normal classes and the held-out class; the line is the threshold.')),
      h('figure', {}, rocSvg, h('figcaption', { class: 'muted' }, 'ROC: true-positive rate against false-positive rate as the threshold moves; the dot is this threshold.'))),
    h('div', { class: 'row' }, h('label', { class: 'grow' }, 'Threshold ', threshold), thresholdValue),
    h('p', { class: 'facts' }, 'precision ', precision, ' · recall ', recall, ' · false positives ', falsePos, ' · false negatives ', falseNeg),
    h('div', { class: 'two' }, h('div', {}, h('h3', {}, 'Most anomalous'), worst), h('div', {}, h('h3', {}, 'Least anomalous'), best)),
    h('h3', {}, 'Score your own drawing'),
    h('div', { class: 'row' }, padCanvas, h('figure', {}, padRecon, h('figcaption', { class: 'muted' }, 'reconstruction')), h('div', { class: 'grow' }, padScore, clearPad)));
  heldSelect.addEventListener('change', () => ctx.send({ type: 'configure', held_out: Number(heldSelect.value) }));

  async function loadAnomaly() {
    const m = await ctx.query('anomaly');
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
      caption: `${ctx.names()[f.label] ?? f.label} · ${f.score.toExponential(1)}`,
    })), { w: 28, h: 28, cols: 8, testid: id });
    thumbs(worst, d.worst_images, m.worst, 'anomaly-worst');
    thumbs(best, d.best_images, m.best, 'anomaly-best');
    drawAnomaly();
  }

  return {
    el,
    toggle,
    progress,
    draw(s, datasetChanged) {
      if (datasetChanged) heldSelect.replaceChildren(...ctx.names().map((n, i) => h('option', { value: String(i) }, n)));
      if (document.activeElement !== heldSelect) heldSelect.value = String(s.settings.held_out);
      showNumber(auc, s.anomaly ? s.anomaly.auc : null, 3);
      showNumber(pcaAuc, s.anomaly ? s.anomaly.pca_auc : null, 3);
    },
    refresh(s) {
      if (s.anomaly) loadAnomaly().catch(ctx.fail);
      else { anomaly = null; threshold.disabled = true; worst.replaceChildren(); best.replaceChildren(); hist.replaceChildren(); rocSvg.replaceChildren(); }
    },
  };
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
