// The feature browser and steering on the Features page: every feature of the last dictionary
// as a card (its decoder direction, firing rate, label), one card opened (its 9 top test
// images, its histogram and class mix), a test image or a drawn digit with the features it
// uses, and one of them clamped up or down with the reconstruction redrawn.

import { h, svg } from '../../lib/dom.js';
import { drawImage } from '../../lib/images.js';
import { DrawPad } from '../../lib/drawpad.js';
import { latestOnly } from '../../lib/socket.js';

const PX = 784;

/**
 * A decoder direction on a canvas: blue where the feature adds ink, red where it takes ink
 * away, white where it does nothing (scaled by the largest magnitude).
 * @param {HTMLCanvasElement} canvas
 * @param {ArrayLike<number>} values
 */
export function drawDirection(canvas, values) {
  canvas.width = 28;
  canvas.height = 28;
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  const img = ctx.createImageData(28, 28);
  let m = 1e-9;
  for (let i = 0; i < PX; i++) m = Math.max(m, Math.abs(values[i]));
  for (let i = 0; i < PX; i++) {
    const v = values[i] / m;
    const a = Math.round(255 * (1 - Math.abs(v)));
    img.data[4 * i] = v > 0 ? a : 255;
    img.data[4 * i + 1] = a;
    img.data[4 * i + 2] = v > 0 ? 255 : a;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** @param {string} testid */
function canvas(testid, cls = 'digit') {
  return /** @type {HTMLCanvasElement} */ (h('canvas', { class: cls, 'data-testid': testid, width: 28, height: 28 }));
}

/**
 * @param {{query: (name: string, fields?: Record<string, any>) => Promise<any>, fail: (e: any) => void}} ctx
 */
export function browserSection(ctx) {
  const sort = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'features-sort' },
    h('option', { value: 'rate' }, 'most often active'), h('option', { value: 'purity' }, 'purest class'), h('option', { value: 'index' }, 'by number')));
  const grid = h('div', { class: 'cards', 'data-testid': 'features-cards' });
  const more = h('button', { 'data-testid': 'features-more' }, 'More features');
  const detail = h('div', { class: 'detail', 'data-testid': 'features-detail', hidden: true });
  const summary = h('p', { class: 'muted', 'data-testid': 'features-summary' }, 'Train a dictionary (above) to read its features here.');
  let shown = 0;
  /** @type {number|null} */ let opened = null;

  // ---- an image and the features it uses; steering one of them
  const imageIn = canvas('features-image');
  const imageOut = canvas('features-image-reconstruction');
  const used = h('ol', { class: 'used', 'data-testid': 'features-used' });
  const steerOut = canvas('features-steer-output');
  const steerPlain = canvas('features-steer-plain');
  const slider = /** @type {HTMLInputElement} */ (h('input', { type: 'range', min: '0', max: '1', step: 'any', value: '0', 'data-testid': 'features-steer-value' }));
  const steerText = h('p', { class: 'muted', 'data-testid': 'features-steer-text' }, 'Pick a test image (click one of a card\u2019s top images) or draw a digit, then a feature it uses.');
  const padCanvas = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'pad', width: 196, height: 196, 'data-testid': 'features-pad' }));
  /** @type {{index?: number, pixels?: number[]}|null} */ let input = null;
  /** @type {number|null} */ let steered = null;
  const pad = new DrawPad(padCanvas, (pixels) => { input = { pixels: Array.from(pixels) }; showImage(); });
  const clear = h('button', { 'data-testid': 'features-pad-clear', onclick: () => pad.clear() }, 'Clear');

  const steer = latestOnly((f) => ctx.query('steer', f), (m) => {
    drawImage(steerOut, m.data.reconstruction, 28, 28);
    drawImage(steerPlain, m.data.original, 28, 28);
    steerOut.dataset.change = String(m.largest_change);
    steerText.textContent = `Feature ${m.feature} (${m.label}) clamped to ${m.value.toFixed(2)} (it was ${m.was.toFixed(2)}): the reconstruction changes by up to ${m.largest_change.toFixed(2)} of full ink.`;
  }, ctx.fail);

  function pickFeature(/** @type {number} */ j, /** @type {number} */ activation, /** @type {number} */ max) {
    steered = j;
    slider.max = String(Math.max(1, 3 * Math.max(max, activation)).toFixed(2));
    slider.value = String(activation);
    for (const li of used.children) li.classList.toggle('picked', /** @type {HTMLElement} */ (li).dataset.feature === String(j));
    sendSteer();
  }
  function sendSteer() {
    if (!input || steered === null) return;
    steer({ ...input, feature: steered, value: Number(slider.value) });
  }
  slider.addEventListener('input', sendSteer);

  async function showImage() {
    if (!input) return;
    const m = await ctx.query('image', input);
    drawImage(imageIn, m.data.pixels, 28, 28);
    drawImage(imageOut, m.data.reconstruction, 28, 28);
    used.replaceChildren();
    used.dataset.active = String(m.active);
    m.features.forEach((/** @type {{index: number, activation: number, label: string}} */ f, /** @type {number} */ i) => {
      const c = canvas(`features-used-dir-${i}`, 'digit small');
      drawDirection(c, m.data.directions.subarray(i * PX, (i + 1) * PX));
      const li = h('li', { 'data-testid': `features-used-${i}`, 'data-feature': String(f.index), title: 'Steer this feature' },
        c, h('span', {}, `#${f.index} · ${f.activation.toFixed(2)} · ${f.label}`));
      li.addEventListener('click', () => pickFeature(f.index, f.activation, f.activation));
      used.append(li);
    });
    const first = m.features[0];
    if (first) pickFeature(steered !== null && m.features.some((/** @type {{index: number}} */ f) => f.index === steered) ? steered : first.index, first.activation, first.activation);
    else steerText.textContent = 'This image uses no feature.';
  }

  // ---- the cards
  async function loadCards(/** @type {boolean} */ fresh) {
    if (fresh) { grid.replaceChildren(); shown = 0; }
    const m = await ctx.query('cards', { sort: sort.value, offset: shown, count: 24 });
    summary.textContent = `${m.total} features, statistics on the first ${m.analysed.toLocaleString('en')} test images. Blue adds ink, red takes it away${m.on_codes ? ' (a feature of the model\u2019s codes: what the model\u2019s decoder adds when it fires at its strongest)' : ''}. Click a card for its top images.`;
    m.cards.forEach((/** @type {{index: number, rate: number, label: string}} */ c, /** @type {number} */ i) => {
      const cv = canvas(`features-direction-${c.index}`, 'digit');
      drawDirection(cv, m.data.directions.subarray(i * PX, (i + 1) * PX));
      const card = h('button', { class: 'card', 'data-testid': `features-card-${c.index}`, 'data-index': String(c.index) },
        cv, h('span', { class: 'num' }, `#${c.index} · fires on ${(100 * c.rate).toFixed(1)}%`), h('span', { class: 'label' }, c.label));
      card.addEventListener('click', () => openCard(c.index).catch(ctx.fail));
      grid.append(card);
    });
    shown += m.cards.length;
    more.hidden = shown >= m.total;
  }
  more.addEventListener('click', () => loadCards(false).catch(ctx.fail));
  sort.addEventListener('change', () => loadCards(true).catch(ctx.fail));

  async function openCard(/** @type {number} */ j) {
    opened = j;
    const m = await ctx.query('feature', { index: j });
    const dir = canvas('features-detail-direction', 'digit big');
    drawDirection(dir, m.data.direction);
    const tops = h('div', { class: 'thumbs' });
    m.top.forEach((/** @type {{image: number, activation: number, label: string}} */ t, /** @type {number} */ i) => {
      const c = canvas(`features-top-${i}`, 'digit');
      drawImage(c, m.data.top_pixels.subarray(i * PX, (i + 1) * PX), 28, 28);
      const b = h('button', { class: 'thumb', title: `test image ${t.image}: ${t.activation.toFixed(2)}` }, c, h('span', { class: 'muted' }, `${t.label} · ${t.activation.toFixed(1)}`));
      b.addEventListener('click', () => { input = { index: t.image }; steered = j; showImage().catch(ctx.fail); });
      tops.append(b);
    });
    detail.replaceChildren(
      h('h3', {}, `Feature ${j}: ${m.label}`),
      h('div', { class: 'row' }, dir, h('div', {},
        h('p', {}, `Fires on ${(100 * m.rate).toFixed(1)}% of the ${m.analysed.toLocaleString('en')} test images; its largest activation ${m.max.toFixed(2)}.`),
        histogram(m.histogram, m.max), classMix(m.classes, m.class_names))),
      h('h4', {}, 'The test images it fires most on (click one to see its features)'), tops);
    detail.hidden = false;
  }

  const el = h('section', { class: 'panel', 'data-testid': 'features-browser' },
    h('h2', {}, 'The feature browser'),
    h('p', {}, 'Each feature is a direction in pixel space: when it fires, the decoder adds that picture, scaled by how strongly. A good dictionary\u2019s features are parts — strokes, loops, edges — that many digits share, each used by a few images at a time.'),
    summary, h('label', {}, h('span', {}, 'Sort by '), sort), grid, more, detail,
    h('section', { class: 'steer', 'data-testid': 'features-steer' },
      h('h2', {}, 'Steer'),
      h('p', {}, 'An image, its reconstruction from its few active features, and the features it uses (strongest first). Pick one and move the slider: the reconstruction is the same code with that one feature clamped.'),
      h('div', { class: 'row' },
        h('figure', {}, imageIn, h('figcaption', { class: 'muted' }, 'image')),
        h('figure', {}, imageOut, h('figcaption', { class: 'muted' }, 'its reconstruction')),
        h('figure', {}, steerPlain, h('figcaption', { class: 'muted' }, 'before')),
        h('figure', {}, steerOut, h('figcaption', { class: 'muted' }, 'steered')),
        h('figure', {}, padCanvas, h('figcaption', { class: 'muted' }, 'or draw a digit '), clear)),
      h('label', {}, h('span', {}, 'Clamp to '), slider), steerText, used));

  return {
    el,
    /** A new dictionary: its cards from the start. */
    refresh() {
      detail.hidden = true;
      loadCards(true).then(() => (opened !== null ? openCard(opened) : undefined)).catch(ctx.fail);
      if (input) showImage().catch(ctx.fail);
    },
  };
}

/**
 * @param {number[]} counts
 * @param {number} max
 */
function histogram(counts, max) {
  const s = /** @type {SVGSVGElement} */ (svg('svg', { class: 'hist', viewBox: '0 0 160 60', 'data-testid': 'features-histogram', role: 'img', 'aria-label': 'Activation histogram' }));
  const top = Math.max(1, ...counts);
  counts.forEach((c, i) => s.append(svg('rect', { x: i * 10, y: 50 - (45 * c) / top, width: 9, height: (45 * c) / top, fill: '#1f77b4' })));
  const t = svg('text', { x: 0, y: 59, class: 'tick' });
  t.textContent = `0 … ${max.toFixed(1)}`;
  s.append(t);
  return s;
}

/**
 * @param {number[]} shares
 * @param {string[]} names
 */
function classMix(shares, names) {
  return h('div', { class: 'mix', 'data-testid': 'features-class-mix' }, ...shares.map((s, i) =>
    h('div', { class: 'bar', title: `${names[i]}: ${(100 * s).toFixed(0)}%` },
      h('span', { class: 'fill', style: `height:${Math.round(40 * s)}px` }), h('span', { class: 'muted' }, names[i].slice(0, 4)))));
}
