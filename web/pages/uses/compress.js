// Compression on the Uses page: a code is a compressed image. Distortion against bits per
// image for the ladder of autoencoders, PCA (float32 and 8-bit codes) and JPEG; a point shows
// its reconstructions.

import { h, svg } from '../../lib/dom.js';
import { imageGrid } from '../../lib/images.js';
import { PX, warningLine } from './shared.js';

const METHODS = {
  ae: { label: 'autoencoder (float32 code)', colour: '#2563eb' },
  ae8: { label: 'autoencoder (8-bit code)', colour: '#60a5fa' },
  pca: { label: 'PCA (float32)', colour: '#ea580c' },
  pca8: { label: 'PCA (8-bit)', colour: '#fdba74' },
  jpeg: { label: 'JPEG (scan bytes)', colour: '#16a34a' },
};

/**
 * @typedef {import('./shared.js').CompressPoint} CompressPoint
 * @param {import('./shared.js').UsesContext} ctx
 * @returns {import('./shared.js').Section}
 */
export function compressSection(ctx) {
  const toggle = ctx.runButton('compress', { train: 'compress-run', pause: 'compress-pause' });
  const progress = h('span', { class: 'muted' });
  let lastCompress = '';
  const plot = /** @type {SVGSVGElement} */ (svg('svg', { class: 'plot wide', 'data-testid': 'compress-plot', role: 'img', 'aria-label': 'Distortion against bits per image' }));
  const metric = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'compress-metric', 'aria-label': 'Measure' },
    h('option', { value: 'psnr' }, 'PSNR (dB, higher is better)'), h('option', { value: 'mse' }, 'MSE (lower is better)'), h('option', { value: 'ssim' }, 'SSIM (higher is better)')));
  metric.addEventListener('change', () => { const live = ctx.live(); if (live && live.compress) { lastCompress = `${metric.value}:${JSON.stringify(live.compress.points)}`; drawCompress(live.compress.points); } });
  const compressImages = h('div', { 'data-testid': 'compress-images' });
  const warning = warningLine('compress-undertrained');
  const compressNote = h('p', { class: 'muted', 'data-testid': 'compress-picked' }, 'Click a point to see its reconstructions.');
  const el = h('section', { class: 'panel', 'data-testid': 'uses-section-compress' },
    h('h2', {}, 'Compression'),
    h('p', {}, 'A code is a compressed image. Six models with codes of 2 to 64 numbers (784-256-k), PCA with as many components, both stored as float32 (32 bits a number) or rounded to 8 bits, and JPEG at qualities 1–95 — counted by the bytes of its scan, leaving out its headers (tables shared by every image, as the model\u2019s weights are). Measured on 1,000 test images.'),
    h('div', { class: 'row' }, toggle.el, progress, h('label', {}, 'Show ', metric)),
    warning.el,
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
        const pick = () => showCompressed(method, q.p).catch(ctx.fail);
        c.addEventListener('click', pick);
        c.addEventListener('keydown', (ev) => { if (/** @type {KeyboardEvent} */ (ev).key === 'Enter') pick(); });
        plot.append(c);
      }
    }
  }

  /** @param {string} method @param {CompressPoint} p */
  async function showCompressed(method, p) {
    const m = await ctx.query('compress_images', { method, size: p.size });
    compressNote.textContent = `${METHODS[/** @type {'ae'} */ (method)].label}, ${method === 'jpeg' ? `quality ${p.size}` : `${p.size} numbers`}: ${p.bits.toFixed(0)} bits per image, PSNR ${p.psnr.toFixed(2)} dB, SSIM ${p.ssim.toFixed(3)}. Originals above, reconstructions below.`;
    compressImages.replaceChildren();
    ctx.picked({ method, size: p.size });
    for (const key of ['original', 'reconstruction']) {
      const row = h('div', { class: 'thumbs' });
      imageGrid(row, Array.from({ length: 8 }, (_, i) => ({ values: m.data[key].subarray(i * PX, (i + 1) * PX), caption: '' })), { w: 28, h: 28, cols: 8, testid: `compress-${key}` });
      compressImages.append(row);
    }
  }

  return {
    el,
    toggle,
    progress,
    draw(s) {
      warning.set(s.compress && s.compress.warning);
      const key = s.compress ? `${metric.value}:${JSON.stringify(s.compress.points)}` : '';
      if (key === lastCompress) return;
      lastCompress = key;
      if (s.compress) drawCompress(s.compress.points); else plot.replaceChildren();
    },
  };
}
