// Looking inside a Studio model: pick one of the 16 validation images or draw a digit, and
// see every layer's activations for it — a conv layer as one small image per channel, a dense
// layer as a heat strip folded into a near-square block — the code as bars, and the
// reconstruction; and the first layer's filters as pictures (a dense model's weight rows as
// 28×28 images, a conv model's kernels), refreshed as the model trains.

import { h } from '../../lib/dom.js';
import { drawImage } from '../../lib/images.js';
import { DrawPad } from '../../lib/drawpad.js';
import { Scatter } from '../../lib/scatter.js';

/**
 * @typedef {{name: string, shape: number[], array: string}} LayerInfo
 */

/** A layer's name as people read it, and as a test id. */
/** @param {string} name */
function title(name) {
  if (name === 'latent') return 'code';
  if (name === 'output') return 'reconstruction';
  const m = name.match(/^(encoder|decoder)\.(conv\.|deconv\.)?(\d+)$/);
  if (!m) return name;
  const kind = m[2] === 'conv.' ? 'conv' : m[2] === 'deconv.' ? 'deconv' : m[1];
  return `${kind} ${Number(m[3]) + 1}`;
}

/** @param {string} name */
export function layerId(name) {
  return name.replace(/\./g, '-');
}

/**
 * Values signed around zero drawn as colours (blue negative, orange positive), into a
 * `w`×`h` canvas, scaled by `scale`.
 * @param {HTMLCanvasElement} c @param {ArrayLike<number>} v @param {number} w @param {number} h @param {number} scale
 */
function heat(c, v, w, h, scale) {
  c.width = w;
  c.height = h;
  const ctx = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d'));
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const x = i < v.length ? v[i] / (scale || 1) : 0;
    const t = Math.max(-1, Math.min(1, x));
    const [r, g, b] = t >= 0 ? [255, 255 - 120 * t, 255 - 255 * t] : [255 + 220 * t, 255 + 120 * t, 255];
    img.data.set([r, g, b, i < v.length ? 255 : 0], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

/** @param {ArrayLike<number>} v */
function absMax(v) {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m || 1;
}

/**
 * @param {{query: (name: string, fields: Record<string, any>) => Promise<any>, say: (t: string) => void,
 *   onFilters?: (f: {height: number, width: number, shown: number, values: Float32Array}) => void}} opts
 */
export function insidePanel(opts) {
  /** @type {Float32Array|null} */ let grid = null;
  /** The images' channels: 1 grey, 3 colour (28×28 each). */
  let channels = 1;
  /** @type {{kind: 'grid', index: number}|{kind: 'drawn', pixels: number[]}} */ let input = { kind: 'grid', index: 0 };
  let inflight = false;
  let again = false;
  let filtersVersion = '';
  let filtersAsked = 0;

  const picks = h('div', { class: 'picks', 'data-testid': 'studio-inputs', role: 'group', 'aria-label': 'Pick an input image' });
  const pad = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'pad', width: 196, height: 196, 'data-testid': 'studio-pad', 'aria-label': 'Draw a digit here' }));
  const drawpad = new DrawPad(pad, (pixels) => {
    input = { kind: 'drawn', pixels: Array.from(pixels, (x) => Math.round(x * 1e4) / 1e4) };
    markPick(-1);
    refresh();
  });
  const clear = h('button', { 'data-testid': 'studio-pad-clear', onclick: () => { drawpad.clear(); input = { kind: 'grid', index: 0 }; markPick(0); refresh(); } }, 'Clear');
  const acts = h('div', { class: 'activations', 'data-testid': 'studio-activations' });
  const filters = h('div', { class: 'filters', 'data-testid': 'studio-filters' });
  const filtersNote = h('p', { class: 'muted', 'data-testid': 'studio-filters-note' });
  // a 2-D code has a place on a map: the validation images at their codes, the input ringed
  const mapCanvas = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'code-map', width: 320, height: 320, 'data-testid': 'studio-code-map', role: 'img', 'aria-label': 'The validation images at their 2-number codes, with the input marked' }));
  const mapBox = h('div', { class: 'code-map-box', hidden: true },
    h('h3', {}, 'Where the input lands'),
    h('p', { class: 'muted' }, 'The code has two numbers, so every image has a place: the validation images at their codes, coloured by class, and the input ringed.'),
    mapCanvas);
  const scatter = new Scatter(mapCanvas);
  let mapVersion = '';
  /** @type {number[]|null} */ let inputCode = null;
  /** @param {string} version */
  async function refreshMap(version) {
    if (version === mapVersion) return;
    mapVersion = version;
    try {
      const m = /** @type {any} */ (await opts.query('codes', {}));
      scatter.setPoints(m.data.codes, m.data.labels && m.data.labels.length ? m.data.labels : null);
      scatter.setMarker(inputCode);
      mapCanvas.dataset.count = String(m.count);
    } catch (e) {
      mapVersion = '';
      opts.say(String(/** @type {any} */ (e).message || e));
    }
  }

  /** @param {number} i */
  function markPick(i) {
    picks.querySelectorAll('button').forEach((b, j) => b.setAttribute('aria-pressed', String(j === i)));
  }

  let drawnGrid = '';
  /** @type {Float32Array|null} */ let seenGrid = null;
  /** The picker shows the grid's images: drawn again when they change (another data split). */
  function drawPicks() {
    // every snapshot hands over the same array until the grid is asked for again
    if (!grid || grid === seenGrid) return false;
    seenGrid = grid;
    const size = 784 * channels;
    const n = Math.floor(grid.length / size);
    let sum = 0;
    for (let i = 0; i < grid.length; i++) sum += grid[i] * ((i % 97) + 1);
    const sig = `${n}:${sum.toFixed(3)}`;
    if (sig === drawnGrid) return false;
    drawnGrid = sig;
    picks.dataset.sum = sig;
    picks.replaceChildren(...Array.from({ length: n }, (_, i) => {
      const c = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'digit small' }));
      drawImage(c, /** @type {Float32Array} */ (grid).subarray(i * size, (i + 1) * size), 28, 28, channels);
      return h('button', { class: 'pick', 'data-testid': `studio-input-${i}`, 'aria-label': `Validation image ${i + 1}`, 'aria-pressed': String(input.kind === 'grid' && input.index === i), onclick: () => {
        input = { kind: 'grid', index: i };
        markPick(i);
        refresh();
      } }, c);
    }));
    return true;
  }

  /** @param {any} a the answer */
  function drawActivations(a) {
    /** @type {LayerInfo[]} */ const layers = a.layers;
    const blocks = layers.map((l) => {
      const v = /** @type {Float32Array} */ (a.data[l.array]);
      const id = layerId(l.name);
      const box = h('figure', { class: 'layer-act', 'data-testid': `studio-activation-${id}`, 'data-shape': l.shape.join('x') });
      const caption = h('figcaption', {}, `${title(l.name)} · ${l.shape.join('×')}`);
      if (l.name === 'output') {
        const c = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'digit', role: 'img', 'aria-label': 'The reconstruction' }));
        drawImage(c, v, 28, 28, channels);
        box.append(c);
      } else if (l.shape.length === 3) {
        const [ch, hh, ww] = l.shape;
        const maps = h('div', { class: 'maps' });
        const scale = absMax(v);
        for (let k = 0; k < ch; k++) {
          const c = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'map', 'data-testid': `studio-activation-${id}-${k}`, title: `channel ${k + 1}` }));
          heat(c, v.subarray(k * hh * ww, (k + 1) * hh * ww), ww, hh, scale);
          maps.append(c);
        }
        box.append(maps);
      } else if (l.name === 'latent') {
        const scale = absMax(v);
        const bars = h('div', { class: 'code-bars', role: 'img', 'aria-label': `The code: ${Array.from(v, (x) => x.toFixed(2)).join(', ')}` },
          ...Array.from(v, (x, i) => h('span', { class: `bar ${x < 0 ? 'neg' : 'pos'}`, title: `unit ${i + 1}: ${x.toFixed(3)}`, style: `height: ${(Math.abs(x) / scale) * 100}%` })));
        box.append(bars);
      } else {
        // a dense layer folded into a near-square block, one cell per unit
        const n = l.shape[0];
        const w = Math.ceil(Math.sqrt(n));
        const c = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'map dense', title: `${n} units` }));
        heat(c, v, w, Math.ceil(n / w), absMax(v));
        box.append(c);
      }
      box.prepend(caption);
      return box;
    });
    acts.replaceChildren(...blocks);
    const code = layers.find((l) => l.name === 'latent');
    const two = !!code && code.shape.length === 1 && code.shape[0] === 2;
    mapBox.hidden = !two;
    if (two && code) {
      const v = /** @type {Float32Array} */ (a.data[code.array]);
      inputCode = [v[0], v[1]];
      mapCanvas.dataset.marker = inputCode.map((x) => x.toFixed(4)).join(',');
      refreshMap(currentVersion).then(() => scatter.setMarker(inputCode));
    }
  }

  async function refresh() {
    if (inflight) {
      again = true;
      return;
    }
    inflight = true;
    try {
      const fields = input.kind === 'grid' ? { index: input.index } : { pixels: input.pixels };
      const a = await opts.query('activations', fields);
      drawActivations(a);
    } catch (e) {
      opts.say(String(/** @type {any} */ (e).message || e));
    } finally {
      inflight = false;
      if (again) {
        again = false;
        refresh();
      }
    }
  }

  async function refreshFilters() {
    const mine = ++filtersAsked;
    const version = filtersVersion;
    try {
      const f = await opts.query('filters', {});
      if (mine !== filtersAsked) return;
      const { shown, count, height, width } = /** @type {any} */ (f);
      // (a colour model's filters come summed over its three channels: one plane each)
      const v = /** @type {Float32Array} */ (f.data.filters);
      const per = v.length / shown;
      // a conv kernel has one slice per input channel: the first layer reads one channel.
      // Each filter on its own scale, so a weak one still shows its shape.
      filters.replaceChildren(...Array.from({ length: shown }, (_, i) => {
        const c = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'map filter', title: `filter ${i + 1}` }));
        const w = v.subarray(i * per, i * per + height * width);
        heat(c, w, width, height, absMax(w));
        return c;
      }));
      filters.dataset.count = String(shown);
      if (opts.onFilters) opts.onFilters({ height, width, shown, values: v });
      // the weights shown (tests read it: off screen while training, no refresh)
      filters.dataset.version = version;
      const colour = f.channels === 3 ? ' Colour images: each picture is a unit\'s weights summed over red, green and blue (how it answers grey light).' : '';
      filtersNote.textContent = (height === 28
        ? `The first layer's weights, one 28×28 picture per unit (${shown} of ${count}): orange pixels push the unit up, blue ones down (each on its own scale). Random at first; strokes and blobs appear as it trains.`
        : `The first layer's ${count} kernels (${height}×${width}), ${shown} shown: orange weights push the channel up, blue ones down. Edge and spot detectors appear as it trains.`) + colour;
    } catch (e) {
      opts.say(String(/** @type {any} */ (e).message || e));
    }
  }

  let lastFilters = 0;
  let currentVersion = '';
  // While a model trains, a panel off screen is neither fetched nor drawn (the page leaves the
  // cores to the training: the Studio's with-page speed); scrolled into view, it catches up.
  let actsBehind = false;
  let filtersBehind = false;
  const actsPanel = h('div', { class: 'panel' },
    h('h2', {}, 'Look inside'),
    h('p', { class: 'muted' }, 'Pick a validation image or draw a digit: every layer\u2019s activations for it, the code, and the reconstruction, updated as you draw.'),
    picks,
    h('div', { class: 'pad-row' }, pad, h('div', {}, clear, h('p', { class: 'muted' }, 'Draw with the mouse or a finger.'))),
    mapBox,
    acts);
  const filtersPanel = h('div', { class: 'panel' },
    h('h2', {}, 'First-layer filters'),
    filtersNote,
    filters);
  const element = h('div', { class: 'inside' }, actsPanel, filtersPanel);
  /** @param {HTMLElement} el */
  const onScreen = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.bottom > 0 && r.top < window.innerHeight;
  };
  if (typeof IntersectionObserver !== 'undefined') {
    const observer = new IntersectionObserver((entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        if (e.target === actsPanel && actsBehind) {
          actsBehind = false;
          refresh();
        } else if (e.target === filtersPanel && filtersBehind) {
          filtersBehind = false;
          refreshFilters();
        }
      }
    });
    observer.observe(actsPanel);
    observer.observe(filtersPanel);
  }
  return {
    element,
    /**
     * @param {Float32Array|null} g the 16 grid images
     * @param {string} version the weights' version and the step (a new one redraws)
     * @param {boolean} training
     * @param {number} [ch] the images' channels: 1 grey, 3 colour
     */
    update(g, version, training, ch = 1) {
      currentVersion = version.split(':')[0];
      if (ch !== channels) {
        channels = ch;
        drawnGrid = '';
        seenGrid = null;
      }
      const first = !grid && g;
      if (g) grid = g;
      // other images under the same picks: what is looked inside changed too
      const changed = drawPicks() && !first && input.kind === 'grid';
      if (version !== filtersVersion) {
        // while training, at most one refresh every 1.5 s, and none of a panel off screen
        const now = performance.now();
        if (!training || now - lastFilters > 1500) {
          filtersVersion = version;
          lastFilters = now;
          filtersBehind = training && !onScreen(filtersPanel);
          actsBehind = training && !onScreen(actsPanel);
          if (!filtersBehind) refreshFilters();
          if (!actsBehind) refresh();
        }
      } else if (first || changed) {
        refresh();
      }
    },
  };
}
