// The Digits Lab's latent map: every map image at its code (a wide code: at its first two
// principal components), coloured by class; pan and zoom; dots, thumbnails of the real
// images, or the decoder's images tiled over the plane; hover anywhere to decode, click to
// stamp; the basin map of encode→decode; frames of a model in training aligned by Procrustes.

import { h } from '../../lib/dom.js';
import { latestOnly } from '../../lib/socket.js';
import { CLASS_COLOURS } from '../../lib/colors.js';
import { Scatter } from '../../lib/scatter.js';
import { drawImage, shaped } from '../../lib/images.js';
import { procrustes, apply, invert, applyAll, identity } from '../../lib/procrustes.js';

/**
 * Sets an element's text only when it changes (a change costs the browser layout work).
 * @param {HTMLElement} el
 * @param {string} text
 */
const setText = (el, text) => {
  if (el.textContent !== text) el.textContent = text;
};

/** Colours of basins (by fixed point), cycling; cells that settled nowhere are grey. */
const BASIN_COLOURS = ['#bfdbfe', '#fde68a', '#bbf7d0', '#fecaca', '#ddd6fe', '#fed7aa', '#a5f3fc', '#f5d0fe', '#d9f99d', '#e5e7eb', '#c7d2fe', '#fbcfe8'];

/**
 * @typedef {{session: {query: (name: string, fields: Record<string, any>) => Promise<any>}, say: (t: string) => void,
 *   names: () => string[], shape: () => number[], onDot: (index: number) => void,
 *   onEvent: (e: import('../../challenges/digits.js').Event) => void}} Ctx
 */

/** @param {Ctx} ctx */
export function mapPanel(ctx) {
  const { session, say } = ctx;
  // the model's images: 28×28 grey digits, or 64×64 colour patches
  const { paint, nth, size, grid: imageGrid } = shaped(ctx.shape);
  const canvas = /** @type {HTMLCanvasElement} */ (h('canvas', { width: 560, height: 560, class: 'map', 'data-testid': 'digits-map', role: 'img', 'aria-label': 'The latent map: images at their codes. Hover to decode, click to stamp, wheel to zoom, drag to pan, double-click to see everything.' }));
  const map = new Scatter(canvas);
  /** from the model's plane to the one drawn (a Procrustes fit while training, else nothing) */
  let fit = identity();
  let align = true;
  /** @type {Float32Array|null} the last frame as drawn */ let shown = null;
  /** @type {string} which images the map shows (thumbnails are kept per set) */ let setKey = '';
  const toShown = (/** @type {number[]} */ p) => apply(fit, p);
  const toModel = (/** @type {number[]} */ p) => invert(fit, p);

  const legend = h('div', { class: 'legend', 'data-testid': 'digits-legend' });
  const hoverInfo = h('p', { class: 'muted', 'data-testid': 'digits-hover' }, 'Hover the map: the decoder draws the image at that code. Click to pin it there.');
  const decoded = /** @type {HTMLCanvasElement} */ (h('canvas', { width: 28, height: 28, class: 'digit large', 'data-testid': 'digits-decoded', role: 'img', 'aria-label': 'the image decoded at the code under the mouse' }));
  drawImage(decoded, new Float32Array(784), 28, 28);
  const decodedCode = h('p', { class: 'muted', 'data-testid': 'digits-decoded-code' }, 'code –');
  const stamps = h('span', { class: 'figure', 'data-testid': 'digits-stamps', 'data-value': '0' }, '0');
  const clearStamps = h('button', { 'data-testid': 'digits-stamps-clear', onclick: () => {
    map.clearStamps();
    stamps.textContent = '0';
    stamps.dataset.value = '0';
  } }, 'Clear stamps');
  // the dot under the mouse: two canvases kept and redrawn (no DOM rebuilt per dot)
  const dotImage = /** @type {HTMLCanvasElement} */ (h('canvas', { width: 28, height: 28, class: 'digit', 'data-testid': 'digits-dot-0', role: 'img', 'aria-label': 'the test image under the mouse' }));
  const dotRecon = /** @type {HTMLCanvasElement} */ (h('canvas', { width: 28, height: 28, class: 'digit', 'data-testid': 'digits-dot-1', role: 'img', 'aria-label': 'its reconstruction' }));
  const dotCaption = h('figcaption', { class: 'muted' }, 'the image under the mouse');
  const dot = h('div', { class: 'dot', 'data-testid': 'digits-dot', hidden: true },
    h('figure', {}, dotImage, dotCaption), h('figure', {}, dotRecon, h('figcaption', { class: 'muted' }, 'its reconstruction')));

  // ---- what the map draws
  const mode = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'digits-mode', 'aria-label': 'What the map draws' },
    h('option', { value: 'dots' }, 'dots'),
    h('option', { value: 'thumbnails' }, 'thumbnails'),
    h('option', { value: 'grid' }, 'decoded grid')));
  mode.addEventListener('change', () => refreshLayers());
  const alignBox = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', checked: true, 'data-testid': 'digits-align' }));
  alignBox.addEventListener('change', () => {
    align = alignBox.checked;
    if (!align) fit = identity();
  });
  const alignLabel = h('label', { class: 'inline', title: 'Rotate or flip each new frame to match the last (orthogonal Procrustes), so the map does not spin while it trains' }, alignBox, ' keep frames aligned');
  const resetView = h('button', { 'data-testid': 'digits-view-reset', title: 'Show every point (or double-click the map)', onclick: () => map.resetView() }, 'Whole map');
  const basinsButton = h('button', { 'data-testid': 'digits-basins', 'aria-pressed': 'false', title: 'Iterate encode→decode from every cell of a grid over the view (64×64; 16×16 for colour images) and colour each by where it ends' }, 'Basin map');
  const basinInfo = h('p', { class: 'muted', 'data-testid': 'digits-basins-info' });
  const basinPoints = h('div', { class: 'strip', 'data-testid': 'digits-basin-points', tabindex: 0, role: 'group', 'aria-label': 'the fixed points and how many cells end at each' });
  let basinsOn = false;

  // ---- the decoder under the mouse (latest hover wins: no backlog)
  /** round-trip times of hover decodes, page → server → image drawn (ms), for the benchmark */
  const decodeTimes = /** @type {number[]} */ ([]);
  /** @type {any} */ (window).digitsDecodeTimes = decodeTimes;
  /** the image decoded under the mouse (a stamp is a copy of it) */
  /** @type {Float32Array|null} */ let decodedImage = null;
  const decodeAt = latestOnly((f) => session.query('decode', f), (m, f, ms) => {
    decodedImage = m.data.image;
    paint(decoded, m.data.image);
    decoded.dataset.value = JSON.stringify(m.code);
    decoded.dataset.at = JSON.stringify(f.at);
    const c = /** @type {number[]} */ (m.code);
    setText(decodedCode, c.length <= 4 ? `code (${c.map((v) => v.toFixed(2)).join(', ')})` : `a ${c.length}-number code at map (${f.at.map((/** @type {number} */ v) => v.toFixed(2)).join(', ')})`);
    decodeTimes.push(ms);
    if (decodeTimes.length > 10000) decodeTimes.splice(0, 5000);
  }, (e) => say(e.message));

  let lastDot = -1;
  const showDot = latestOnly((f) => session.query('sample', f), (m) => {
    const names = ctx.names();
    paint(dotImage, m.data.image);
    paint(dotRecon, m.data.reconstruction);
    dotCaption.textContent = `image ${m.index}: ${names[m.label] ?? m.label}`;
    dot.hidden = false;
    dot.dataset.value = String(m.index);
  }, (e) => say(e.message));

  /** @param {PointerEvent|MouseEvent} ev @returns {[number, number]} */
  const at = (ev) => {
    const r = canvas.getBoundingClientRect();
    return [((ev.clientX - r.left) * canvas.width) / r.width, ((ev.clientY - r.top) * canvas.height) / r.height];
  };
  /** @param {PointerEvent} ev */
  const decodeUnder = (ev) => {
    if (map.dragged) return;
    decodeAt({ at: toModel(map.toCode(at(ev))) });
  };
  // The decode goes out on `pointerrawupdate` where the browser has it: that event comes as
  // soon as the mouse moves, while `pointermove` waits for the next frame and is followed by
  // that frame's layout and paint — an answer arriving meanwhile waited for them, and the
  // image it brought showed a frame later. Sent early, the answer is usually back before the
  // frame is drawn, and the decoded image shows in the same frame as the move.
  const rawMoves = 'onpointerrawupdate' in window;
  if (rawMoves) canvas.addEventListener(/** @type {'pointermove'} */ ('pointerrawupdate'), decodeUnder);
  canvas.addEventListener('pointermove', (ev) => {
    if (map.dragged) return;
    if (!rawMoves) decodeUnder(ev);
    const [x, y] = at(ev);
    const i = map.nearest(x, y);
    const names = ctx.names();
    if (i < 0 || !map.classes) {
      setText(hoverInfo, 'Hover the map: the decoder draws the image at that spot. Click to pin it there.');
      return;
    }
    setText(hoverInfo, `image ${i}: ${names[map.classes[i]] ?? map.classes[i]} — shift-click to make it your digit`);
    // the same dot is not asked for again while the mouse stays on it
    if (i !== lastDot) showDot({ index: i });
    lastDot = i;
  });
  canvas.addEventListener('click', (ev) => {
    if (map.dragged) return;
    const [x, y] = at(ev);
    const i = map.nearest(x, y, 4);
    if (i >= 0 && ev.shiftKey) {
      ctx.onDot(i);
      return;
    }
    const code = decoded.dataset.at ? JSON.parse(decoded.dataset.at) : null;
    if (!code) return;
    const copy = /** @type {HTMLCanvasElement} */ (h('canvas', { width: decoded.width, height: decoded.height }));
    /** @type {CanvasRenderingContext2D} */ (copy.getContext('2d')).drawImage(decoded, 0, 0);
    map.stamp(toShown(code), copy);
    stamps.textContent = String(map.stamps.length);
    stamps.dataset.value = String(map.stamps.length);
    if (decodedImage) ctx.onEvent({ kind: 'stamp', at: code, image: decodedImage });
  });

  // ---- the layers: thumbnails, the decoded grid, the basins (asked for the view shown)
  /** @type {Map<number, HTMLCanvasElement>} */ let thumbCache = new Map();
  /** The model plane's box under the view, and the corners to draw an image of it with. */
  function viewInModel() {
    const v = map.view;
    const corners = [[v.x0, v.y1], [v.x1, v.y1], [v.x0, v.y0], [v.x1, v.y0]].map(toModel);
    const xs = corners.map((c) => c[0]);
    const ys = corners.map((c) => c[1]);
    const box = { x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
    // the box's top-left, top-right and bottom-left corners, as drawn
    const drawn = [toShown([box.x0, box.y1]), toShown([box.x1, box.y1]), toShown([box.x0, box.y0])];
    return { box, drawn };
  }
  const askGrid = latestOnly((f) => session.query('grid', { grid: f.grid, bounds: f.bounds }), (m, f) => {
    if (mode.value !== 'grid' || basinsOn) return;
    const n = m.grid;
    const [, th, tw] = ctx.shape();
    const tile = /** @type {HTMLCanvasElement} */ (h('canvas', { width: tw, height: th }));
    const big = /** @type {HTMLCanvasElement} */ (h('canvas', { width: tw * n, height: th * n }));
    const g = /** @type {CanvasRenderingContext2D} */ (big.getContext('2d'));
    const imgs = m.data.images;
    for (let k = 0; k < n * n; k++) {
      paint(tile, nth(imgs, k));
      g.drawImage(tile, (k % n) * tw, Math.floor(k / n) * th);
    }
    map.background = { image: big, corners: f.drawn, alpha: 0.85 };
    map.draw();
  }, (e) => say(e.message));
  const askImages = latestOnly((f) => session.query('images', { indices: f.indices }), (m, f) => {
    if (f.key !== setKey) return;
    const imgs = m.data.images;
    m.indices.forEach((/** @type {number} */ i, /** @type {number} */ k) => {
      const c = /** @type {HTMLCanvasElement} */ (h('canvas'));
      paint(c, nth(imgs, k));
      thumbCache.set(i, c);
    });
    placeThumbs();
  }, (e) => say(e.message));
  /** Thumbnails that do not overlap: one per 24-pixel cell of the canvas, at most 600. */
  function placeThumbs() {
    const taken = new Set();
    /** @type {Map<number, HTMLCanvasElement>} */ const chosen = new Map();
    const missing = [];
    for (const i of map.visible()) {
      const [x, y] = map.toCanvas([map.xy[2 * i], map.xy[2 * i + 1]]);
      const key = `${Math.floor(x / 24)},${Math.floor(y / 24)}`;
      if (taken.has(key)) continue;
      taken.add(key);
      const c = thumbCache.get(i);
      if (c) chosen.set(i, c);
      else missing.push(i);
      if (taken.size >= 600) break;
    }
    map.thumbs = chosen;
    map.draw();
    if (missing.length) askImages({ indices: missing, key: setKey });
  }
  let layerTimer = 0;
  function refreshLayers() {
    clearTimeout(layerTimer);
    layerTimer = window.setTimeout(() => {
      map.thumbs = null;
      if (!basinsOn) map.background = null;
      if (mode.value === 'thumbnails') placeThumbs();
      if (mode.value === 'grid' && !basinsOn) {
        const { box, drawn } = viewInModel();
        askGrid({ grid: 20, bounds: [box.x0, box.x1, box.y0, box.y1], drawn });
      }
      map.draw();
    }, 60);
  }
  map.onView = refreshLayers;

  basinsButton.addEventListener('click', async () => {
    if (basinsOn) {
      basinsOn = false;
      basinsButton.setAttribute('aria-pressed', 'false');
      map.background = null;
      map.fixed = [];
      basinPoints.replaceChildren();
      basinInfo.textContent = '';
      basinInfo.dataset.value = '';
      refreshLayers();
      return;
    }
    const { box, drawn } = viewInModel();
    // a 64×64 colour patch is 16 times a digit's values: a 16×16 grid is as much work as 64×64
    const grid = size() > 784 ? 16 : 64;
    basinInfo.textContent = `Iterating ${(grid * grid).toLocaleString('en')} codes…`;
    try {
      const m = await session.query('basins', { grid, iterations: 50, bounds: [box.x0, box.x1, box.y0, box.y1] });
      basinsOn = true;
      basinsButton.setAttribute('aria-pressed', 'true');
      const n = m.grid;
      const img = /** @type {HTMLCanvasElement} */ (h('canvas', { width: n, height: n }));
      const g = /** @type {CanvasRenderingContext2D} */ (img.getContext('2d'));
      const cells = m.data.cells;
      for (let k = 0; k < n * n; k++) {
        g.fillStyle = cells[k] < 0 ? '#f3f4f6' : BASIN_COLOURS[cells[k] % BASIN_COLOURS.length];
        g.fillRect(k % n, Math.floor(k / n), 1, 1);
      }
      map.background = { image: img, corners: drawn, alpha: 1 };
      const points = /** @type {{position: number[], cells: number, code: number[]}[]} */ (m.fixed_points);
      map.fixed = points.map((p) => toShown(p.position));
      map.draw();
      const settled = n * n - m.unsettled;
      basinInfo.textContent = `${points.length} fixed point${points.length === 1 ? '' : 's'} (diamonds): every cell of a ${n}×${n} grid was iterated up to ${m.iterations ?? 50} times; ${settled.toLocaleString('en')} of ${(n * n).toLocaleString('en')} settled, in ${Math.round(m.ms)} ms. Each colour is one basin: the codes that end at the same image.`;
      basinInfo.dataset.value = String(points.length);
      const shownPoints = points.slice(0, 24);
      imageGrid(basinPoints, shownPoints.map((p, k) => ({ values: nth(m.data.images, k), caption: `${p.cells} cells` })), { cols: 8, testid: 'digits-basin-point' });
      [...basinPoints.querySelectorAll('canvas')].forEach((c, k) => {
        /** @type {HTMLElement} */ (c).style.outline = `4px solid ${BASIN_COLOURS[k % BASIN_COLOURS.length]}`;
      });
    } catch (e) {
      basinInfo.textContent = '';
      say(/** @type {Error} */ (e).message);
    }
  });

  function drawLegend() {
    const names = ctx.names();
    legend.replaceChildren(...names.map((n, k) => {
      const b = h('button', { class: 'legend-item', 'data-testid': `digits-class-${k}`, 'aria-pressed': String(!map.hidden.has(k)), title: `show or hide ${n}` },
        h('span', { class: 'swatch', style: `background:${CLASS_COLOURS[k]}` }), n);
      b.addEventListener('click', () => {
        if (map.hidden.has(k)) map.hidden.delete(k);
        else map.hidden.add(k);
        b.setAttribute('aria-pressed', String(!map.hidden.has(k)));
        map.draw();
        if (mode.value === 'thumbnails') placeThumbs();
      });
      return b;
    }));
  }

  // a test hook: codes ↔ canvas coordinates (the dots are not in the DOM)
  /** @type {any} */ (window).digitsMap = {
    /** canvas coordinates of a spot of the model's plane (a 2-D code) */
    toCanvas: (/** @type {number[]} */ c) => map.toCanvas(toShown(c)),
    /** the spot of the model's plane at canvas coordinates */
    toCode: (/** @type {number[]} */ p) => toModel(map.toCode(p)),
    count: () => map.xy.length / 2,
    /** the thumbnails drawn on the map now (canvases) */
    thumbs: () => (map.thumbs ? [...map.thumbs.values()] : []),
    /** the first n points, as drawn */
    codes: (/** @type {number} */ n) => Array.from(map.xy.slice(0, 2 * n)),
    /** canvas coordinates of dot i */
    dot: (/** @type {number} */ i) => map.toCanvas([map.xy[2 * i], map.xy[2 * i + 1]]),
    /** ms to redraw the map (the benchmark) */
    timeDraw: () => {
      const t = performance.now();
      map.draw();
      return performance.now() - t;
    },
    /** mean ms to find the dot under canvas point (x, y), over 1,000 tries (the benchmark) */
    timeNearest: (/** @type {number} */ x, /** @type {number} */ y) => {
      const t = performance.now();
      for (let k = 0; k < 1000; k++) map.nearest(x + (k % 7), y + (k % 5));
      return (performance.now() - t) / 1000;
    },
    /** the first n points of class k, as the model places them */
    ofClass: (/** @type {number} */ k, /** @type {number} */ n) => {
      const out = [];
      for (let i = 0; i < map.xy.length / 2 && out.length < n; i++) {
        if (map.classes && map.classes[i] === k) out.push(toModel([map.xy[2 * i], map.xy[2 * i + 1]]));
      }
      return out;
    },
  };

  const element = h('figure', { class: 'panel map-panel' },
    h('figcaption', {}, 'Latent map'),
    h('div', { class: 'row toolbar' }, h('label', { class: 'inline' }, 'draw ', mode), basinsButton, resetView, alignLabel),
    canvas, legend, hoverInfo,
    h('div', { class: 'under-mouse' }, decoded,
      h('div', {}, h('p', {}, 'Decoded under the mouse'), decodedCode, h('p', {}, 'stamps ', stamps, ' ', clearStamps)),
      dot),
    basinInfo, basinPoints,
    h('p', { class: 'muted' }, 'The decoder can draw any spot of the plane, not just where the dots are: between the clusters it blends them, far outside it makes things no test image looks like. Look for one class in two groups (2s with and without a loop, 7s with and without a bar): switch to thumbnails, or hover each group\u2019s dots, to see what the encoder told apart. Shift-click a dot to make it your digit. Wheel to zoom, drag to pan.'));

  return {
    element,
    map,
    /** @param {{positions: Float32Array|null, labels: Float32Array|null, key: string, training: boolean, legend: boolean}} s */
    update(s) {
      alignLabel.hidden = !s.training;
      if (s.legend) drawLegend();
      if (s.key !== setKey) {
        setKey = s.key;
        thumbCache = new Map();
        shown = null;
        fit = identity();
        map.zoomed = false;
        if (basinsOn) basinsButton.click();
      }
      if (!s.positions) {
        map.setPoints(new Float32Array(0), null);
        shown = null;
        return;
      }
      if (s.training && align && shown && shown.length === s.positions.length) fit = procrustes(s.positions, shown);
      else if (!s.training) fit = identity();
      shown = applyAll(fit, s.positions);
      map.setPoints(shown, s.labels);
      if (mode.value !== 'dots' && !s.training) refreshLayers();
    },
    /** @param {number[]|null} position a spot of the model's plane */
    setMarker(position) {
      map.setMarker(position ? toShown(position) : null);
    },
    /** @param {number[][]|null} positions */
    setPath(positions) {
      map.path = positions ? positions.map(toShown) : null;
      map.fixed = basinsOn ? map.fixed : [];
      map.draw();
    },
    /** @param {number[][]|null} points a closed outline on the model's plane (a VAE's 1-σ ellipse) */
    setOutline(points) {
      map.outline = points ? points.map(toShown) : null;
      map.canvas.dataset.outline = points ? String(points.length) : '';
      map.draw();
    },
    /** @param {number[]} position */
    markFixed(position) {
      map.fixed = [toShown(position)];
      map.draw();
    },
  };
}
