// The Digits Lab's "your digit" panels: draw one (or load a test image), see its 28×28 input,
// its code on the map and its reconstruction; slide along each code unit (and, for a wide code,
// from one class toward another); iterate encode→decode to its fixed point; compare the 2-D
// and the 30-D model on it; and decode the straight line between two digits' codes.

import { h, showNumber } from '../../lib/dom.js';
import { latestOnly } from '../../lib/socket.js';
import { DrawPad } from '../../lib/drawpad.js';
import { shaped } from '../../lib/images.js';

/**
 * @typedef {{session: {query: (name: string, fields: Record<string, any>) => Promise<any>}, say: (t: string) => void,
 *   names: () => string[], shape: () => number[], count: () => number, setMarker: (p: number[]|null) => void,
 *   setPath: (p: number[][]|null) => void, markFixed: (p: number[]) => void, setOutline: (p: number[][]|null) => void,
 *   onEvent: (e: import('../../challenges/digits.js').Event) => void}} Ctx
 * @typedef {{latent: number, ranges: [number, number][], class_means: (number[]|null)[], vae?: boolean}} MapInfo
 */

/**
 * A seeded sequence in [0, 1) (Park–Miller): "load a test digit" and "two at random" pick the
 * same images in the same order on every visit, so what a learner saw can be seen again.
 */
function seeded(seed = 1) {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return (s - 1) / 2147483646;
  };
}

/** @param {number} x */
const short = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2));

/** @param {Ctx} ctx */
export function digitPanels(ctx) {
  const { session, say } = ctx;
  // the model's images: 28×28 grey digits, or 64×64 colour patches (no drawing then)
  const { paint, nth, grid: imageGrid, size } = shaped(ctx.shape);
  const drawable = () => ctx.shape().join('x') === '1x28x28';
  const random = seeded(1);
  const pick = () => Math.floor(random() * ctx.count());
  /** the learner's digit: its pixels and, once asked, its code */
  /** @type {Float32Array|null} */ let pixels = null;
  /** @type {number[]|null} */ let code = null;
  /** @type {number[]|null} the code the sliders show */ let slid = null;
  /** @type {MapInfo|null} */ let info = null;
  /** where the digit came from: a drawing, or a map image with its label */
  /** @type {{source: 'drawing'|'test', label: number|null}} */ let origin = { source: 'drawing', label: null };
  let sliderKey = '';

  // ---- draw pad and input
  const pad = /** @type {HTMLCanvasElement} */ (h('canvas', { width: 280, height: 280, class: 'pad', 'data-testid': 'digits-draw', 'aria-label': 'Draw a digit here' }));
  const input = /** @type {HTMLCanvasElement} */ (h('canvas', { width: 28, height: 28, class: 'digit', 'data-testid': 'digits-input', role: 'img', 'aria-label': 'the 28×28 input' }));
  const recon = /** @type {HTMLCanvasElement} */ (h('canvas', { width: 28, height: 28, class: 'digit', 'data-testid': 'digits-reconstruction', role: 'img', 'aria-label': 'its reconstruction' }));
  const reconCaption = h('figcaption', {}, 'its reconstruction');
  const inputCaption = h('figcaption', {}, 'the 28×28 input');
  const yourCaption = h('figcaption', {}, 'Your digit');
  const drawNote = h('p', { class: 'muted', 'data-testid': 'digits-draw-note' });
  let shapeKey = '';
  /** The pad draws 28×28 grey digits: a model of other images takes a map image instead. */
  function followShape() {
    const [c, hh, w] = ctx.shape();
    const key = `${c}x${hh}x${w}`;
    if (key === shapeKey) return;
    const changed = shapeKey !== '';
    shapeKey = key;
    // an image of the old shape means nothing to the new model
    if (changed) clear();
    const grey = drawable();
    pad.hidden = !grey;
    loadTest.textContent = grey ? 'Load a test digit' : 'Load a test image';
    yourCaption.textContent = grey ? 'Your digit' : 'Your image';
    inputCaption.textContent = `the ${hh}×${w}${c === 3 ? ' colour' : ''} input`;
    drawNote.textContent = grey
      ? 'Draw with the mouse or a finger. Your drawing is made into an input the way MNIST\u2019s digits were: fitted into 20×20 pixels and centred by its centre of mass in 28×28. Its code is the ringed spot on the map.'
      : `This model takes ${hh}×${w}${c === 3 ? ' colour' : ''} images, and the pad draws 28×28 grey digits, so drawing is off: load an image from the map (the button, or shift-click a dot). Its code is the ringed spot on the map.`;
  }
  const codeOut = h('span', { class: 'figure code', 'data-testid': 'digits-code' }, '–');
  const errorOut = h('span', { class: 'figure', 'data-testid': 'digits-error' }, '–');
  const source = h('p', { class: 'muted', 'data-testid': 'digits-source' });
  const drawPad = new DrawPad(pad, (px) => {
    source.textContent = 'your drawing';
    origin = { source: 'drawing', label: null };
    setInput(px);
  });
  const blank = () => new Float32Array(size());
  paint(input, blank());
  paint(recon, blank());

  function clear() {
    drawPad.clear();
    pixels = null;
    code = null;
    slid = null;
    paint(input, blank());
    paint(recon, blank());
    codeOut.textContent = '–';
    codeOut.dataset.value = '';
    source.textContent = '';
    showNumber(errorOut, null, 4);
    ctx.setMarker(null);
    ctx.setPath(null);
    ctx.setOutline(null);
    sigmaOut.textContent = '';
    syncSliders();
  }
  const sigmaOut = h('p', { class: 'muted', 'data-testid': 'digits-sigma' });
  let resampleSeed = 1;
  const resampled = latestOnly((f) => session.query('resample', f), (m) => {
    if (!pixels) return;
    paint(recon, m.data.image);
    reconCaption.textContent = `decoded from z = μ + σ·ε (draw ${resampleSeed - 1})`;
    recon.dataset.value = JSON.stringify(m.code);
    ctx.setMarker(m.position);
  }, (e) => say(e.message));
  const resample = /** @type {HTMLButtonElement} */ (h('button', { 'data-testid': 'digits-resample', hidden: true, title: 'Decode another sample of this digit\u2019s code distribution', onclick: () => {
    if (pixels) resampled({ pixels: Array.from(pixels, (v) => Math.round(v * 1000) / 1000), seed: resampleSeed++ });
  } }, 'Resample'));
  const clearButton = h('button', { 'data-testid': 'digits-draw-clear', onclick: clear }, 'Clear');
  const loadTest = h('button', { 'data-testid': 'digits-load-test', title: 'A random image from the map', onclick: () => loadImage(pick()) }, 'Load a test digit');

  /**
   * Makes map image `index` the learner's digit.
   * @param {number} index
   */
  async function loadImage(index) {
    if (!(index >= 0)) return;
    try {
      const m = await session.query('sample', { index });
      drawPad.clear();
      source.textContent = `image ${m.index} of the map: ${ctx.names()[m.label] ?? m.label}`;
      source.dataset.value = String(m.index);
      origin = { source: 'test', label: m.label };
      setInput(m.data.image);
    } catch (e) {
      say(/** @type {Error} */ (e).message);
    }
  }

  /** @param {Float32Array} px */
  function setInput(px) {
    pixels = Float32Array.from(px);
    paint(input, pixels);
    ask();
  }

  /** the digit's code and reconstruction; the newest digit wins */
  const encodeDigit = latestOnly((f) => session.query('encode', f), (m) => {
    // an answer that arrives after the digit was cleared is for no digit
    if (!pixels) return;
    code = /** @type {number[]} */ (m.code);
    slid = [...code];
    codeOut.textContent = code.length <= 4 ? `(${code.map(short).join(', ')})` : `${code.length} numbers: (${code.slice(0, 3).map(short).join(', ')}, …)`;
    codeOut.dataset.value = JSON.stringify(code);
    showNumber(errorOut, m.error, 4);
    paint(recon, m.data.reconstruction);
    reconCaption.textContent = 'its reconstruction';
    ctx.setMarker(m.position);
    // a VAE's code is a Gaussian: its 1-σ ellipse on the map, its σ in words
    ctx.setOutline(m.ellipse || null);
    sigmaOut.textContent = m.sigma ? `σ = (${m.sigma.slice(0, 4).map(short).join(', ')}${m.sigma.length > 4 ? ', …' : ''}): the ring on the map is one σ around μ` : '';
    sigmaOut.dataset.value = m.sigma ? JSON.stringify(m.sigma) : '';
    syncSliders();
    compareAsk();
    ctx.onEvent({ kind: 'encode', ...origin, pixels, position: m.position });
  }, (e) => say(e.message));
  function ask() {
    if (pixels) encodeDigit({ pixels: Array.from(pixels, (v) => Math.round(v * 1000) / 1000) });
  }
  /** @type {any} */ (window).digitsInput = () => (pixels ? Array.from(pixels) : null);

  // ---- sliders: one per code unit, from the 1st to the 99th percentile of the map's codes
  const sliders = h('div', { class: 'sliders', 'data-testid': 'digits-sliders' });
  const slidersNote = h('p', { class: 'muted' });
  /** @type {HTMLInputElement[]} */ let sliderInputs = [];
  const decodeSlid = latestOnly((f) => session.query('decode', f), (m) => {
    paint(recon, m.data.image);
    reconCaption.textContent = 'decoded from the sliders';
    recon.dataset.value = JSON.stringify(m.code);
    ctx.setMarker(m.position);
  }, (e) => say(e.message));
  function buildSliders() {
    if (!info) return;
    const n = info.latent;
    sliderInputs = info.ranges.map(([lo, hi], i) => {
      const el = /** @type {HTMLInputElement} */ (h('input', { type: 'range', value: (lo + hi) / 2, 'data-testid': `digits-slider-${i}`, 'aria-label': `code unit ${i + 1}` }));
      el.addEventListener('input', () => {
        if (!slid) slid = info ? info.ranges.map(([a, b]) => (a + b) / 2) : [];
        slid[i] = Number(el.value);
        el.title = short(slid[i]);
        decodeSlid({ code: slid });
      });
      return el;
    });
    setRanges();
    sliders.replaceChildren(...sliderInputs.map((el, i) => h('label', {}, h('span', { class: 'muted' }, `z${i + 1}`), el)));
    sliders.classList.toggle('many', n > 4);
    slidersNote.textContent = n === 2
      ? 'Two numbers are the whole code: the sliders move the digit across the map (the ring follows).'
      : `${n} numbers: each slider is one of them. Few of them alone change the digit much — a wide code spreads what it knows over many units.`;
  }
  /** Each slider spans its unit's codes on the map now (1st to 99th percentile, and a tenth more). */
  function setRanges() {
    if (!info) return;
    info.ranges.forEach(([lo, hi], i) => {
      const el = sliderInputs[i];
      if (!el) return;
      const pad = (hi - lo) * 0.1 || 1;
      el.min = String(lo - pad);
      el.max = String(hi + pad);
      el.step = String((hi - lo + 2 * pad) / 400);
    });
  }
  function syncSliders() {
    if (!info) return;
    const start = slid || info.ranges.map(([a, b]) => (a + b) / 2);
    sliderInputs.forEach((el, i) => { el.value = String(start[i]); });
  }

  // ---- attribute slider (wide codes): from one group's mean code toward another's — two
  // classes, or examples the learner marks (their codes are kept here)
  /** @type {{A: number[][], B: number[][]}} */ const marked = { A: [], B: [] };
  const fromClass = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'digits-attribute-from', 'aria-label': 'from group' }));
  const toClass = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'digits-attribute-to', 'aria-label': 'toward group' }));
  const amount = /** @type {HTMLInputElement} */ (h('input', { type: 'range', min: -1, max: 2, step: 0.02, value: 0, 'data-testid': 'digits-attribute', 'aria-label': 'how far along the difference of the two groups\u2019 mean codes' }));
  const markedCount = h('span', { class: 'muted', 'data-testid': 'digits-marked' }, 'A: 0, B: 0');
  /** @param {'A'|'B'} g */
  const mark = (g) => {
    if (!code) {
      say('Draw or load a digit first: its code is what gets marked.');
      return;
    }
    marked[g].push([...code]);
    markedCount.textContent = `A: ${marked.A.length}, B: ${marked.B.length}`;
    markedCount.dataset.value = JSON.stringify([marked.A.length, marked.B.length]);
  };
  const attribute = h('div', { class: 'attribute', hidden: true },
    h('p', {}, 'Attribute slider: add the difference between two groups\u2019 mean codes to your digit\u2019s code — two classes, or examples you mark (e.g. 7s with and without a bar).'),
    h('div', { class: 'row' }, h('label', { class: 'inline' }, 'from ', fromClass), h('label', { class: 'inline' }, ' toward ', toClass)),
    h('label', { class: 'inline wide' }, '−1 ', amount, ' 2'),
    h('div', { class: 'row' },
      h('button', { 'data-testid': 'digits-mark-a', onclick: () => mark('A') }, 'Mark as A'),
      h('button', { 'data-testid': 'digits-mark-b', onclick: () => mark('B') }, 'Mark as B'),
      markedCount));
  /**
   * The mean code of a group: a class (its index) or the marked examples (`A`, `B`).
   * @param {string} g
   * @returns {number[]|null}
   */
  const groupMean = (g) => {
    if (g === 'A' || g === 'B') {
      const list = marked[g];
      if (!list.length) return null;
      return list[0].map((_, j) => list.reduce((s, c) => s + c[j], 0) / list.length);
    }
    return info ? info.class_means[Number(g)] : null;
  };
  amount.addEventListener('input', () => {
    if (!info || !code) return;
    const a = groupMean(fromClass.value);
    const b = groupMean(toClass.value);
    if (!a || !b) {
      say('Mark at least one example in each group first (Mark as A / Mark as B).');
      return;
    }
    const t = Number(amount.value);
    slid = code.map((v, j) => v + t * (b[j] - a[j]));
    syncSliders();
    decodeSlid({ code: slid });
  });
  for (const s of [fromClass, toClass]) s.addEventListener('change', () => { amount.value = '0'; });

  // ---- encode → decode, again and again
  const iterateButton = h('button', { 'data-testid': 'digits-iterate', title: 'Feed the reconstruction back in, again and again' }, 'Iterate');
  const iterations = h('div', { class: 'strip', 'data-testid': 'digits-iterations', tabindex: 0, role: 'group', 'aria-label': 'the images of each round' });
  const fixedPoint = h('div', { class: 'fixed', 'data-testid': 'digits-fixed-point' });
  iterateButton.addEventListener('click', async () => {
    if (!pixels) await loadImage(pick());
    if (!pixels) return;
    try {
      const m = await session.query('iterate', { pixels: Array.from(pixels, (v) => Math.round(v * 1000) / 1000), steps: 200 });
      const n = m.iterations;
      const imgs = m.data.images;
      const shown = n <= 12 ? [...Array(n).keys()] : [0, 1, 2, 3, 4, 5, 6, 7, 8, Math.floor(n / 2), n - 2, n - 1];
      imageGrid(iterations, shown.map((k) => ({ values: nth(imgs, k), caption: `round ${k + 1}` })), { cols: 6, testid: 'digits-iteration' });
      iterations.dataset.value = String(n);
      ctx.setPath(m.positions);
      fixedPoint.replaceChildren();
      const c = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'digit' }));
      paint(c, nth(imgs, n - 1));
      fixedPoint.append(c, h('p', {}, m.fixed
        ? `A fixed point after ${n} round${n === 1 ? '' : 's'}: decoding its code and encoding the result gives the same code back (it moves less than ${m.tolerance.toExponential(1)}). It is marked ◆ on the map.`
        : `Still moving after ${n} rounds: the path on the map has not settled.`));
      fixedPoint.dataset.value = String(m.fixed);
      if (m.fixed) ctx.markFixed(m.positions[m.positions.length - 1]);
      ctx.onEvent({ kind: 'iterate', label: origin.label, fixed: m.fixed, positions: m.positions });
    } catch (e) {
      say(/** @type {Error} */ (e).message);
    }
  });

  // ---- 2-D versus 30-D on the same digit
  const compare = h('div', { class: 'strip', 'data-testid': 'digits-compare', tabindex: 0, role: 'group', 'aria-label': 'your digit through the 2-D and the 30-D model' });
  const comparePanel = h('figure', { class: 'panel' }, h('figcaption', {}, '2 numbers or 30?'),
    h('p', { class: 'muted' }, 'The same digit through the shipped model with a 2-number code and the one with 30: two numbers say roughly which digit it is; thirty keep its strokes.'),
    compare);
  const compareNow = latestOnly((f) => session.query('compare', f), (m) => {
    const models = /** @type {{title: string, latent: number, error: number}[]} */ (m.models);
    const r = m.data.reconstructions;
    /** @type {{values: ArrayLike<number>, caption: string}[]} */
    const items = [{ values: pixels || blank(), caption: 'your digit' }];
    models.forEach((x, k) => items.push({ values: nth(r, k), caption: `${x.latent}-D: error ${x.error.toFixed(4)}` }));
    // only the shipped data sets have a 2-D and a 30-D model to compare
    comparePanel.hidden = !models.length;
    imageGrid(compare, items, { cols: items.length, testid: 'digits-compare' });
    compare.dataset.value = JSON.stringify(models.map((x) => ({ latent: x.latent, error: x.error })));
    if (m.input_read !== null) ctx.onEvent({ kind: 'compare', label: origin.label, input_read: m.input_read, models: m.models });
  }, (e) => say(e.message));
  const compareAsk = () => { if (pixels) compareNow({ pixels: Array.from(pixels, (v) => Math.round(v * 1000) / 1000) }); };

  // ---- interpolation between two map images (or your digit)
  const fromIndex = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 0, value: 0, 'data-testid': 'digits-interp-a', 'aria-label': 'first image (number on the map)' }));
  const toIndex = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 0, value: 1, 'data-testid': 'digits-interp-b', 'aria-label': 'second image (number on the map)' }));
  const fromMine = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', 'data-testid': 'digits-interp-mine' }));
  const strip = h('div', { class: 'strip', 'data-testid': 'digits-interpolate', tabindex: 0, role: 'group', 'aria-label': 'images along the line between the two codes' });
  const go = h('button', { 'data-testid': 'digits-interpolate-go' }, 'Interpolate');
  const randomPair = h('button', { 'data-testid': 'digits-interpolate-random', onclick: () => {
    fromIndex.value = String(pick());
    toIndex.value = String(pick());
    go.click();
  } }, 'Two at random');
  go.addEventListener('click', async () => {
    try {
      const a = fromMine.checked && code ? { code, label: 'your digit', class: origin.label } : await endpoint(Number(fromIndex.value));
      const b = await endpoint(Number(toIndex.value));
      const m = await session.query('interpolate', { a: a.code, b: b.code, steps: 10 });
      const imgs = m.data.images;
      imageGrid(strip, [...Array(m.steps).keys()].map((k) => ({ values: nth(imgs, k), caption: k === 0 ? a.label : k === m.steps - 1 ? b.label : '' })), { cols: 5, testid: 'digits-interp' });
      strip.dataset.value = String(m.steps);
      ctx.onEvent({ kind: 'interpolate', from: a.class, to: b.class, positions: m.positions });
    } catch (e) {
      say(/** @type {Error} */ (e).message);
    }
  });
  /** @param {number} index */
  async function endpoint(index) {
    const m = await session.query('sample', { index });
    return { code: /** @type {number[]} */ (m.code), label: `${ctx.names()[m.label] ?? m.label} (${m.index})`, class: /** @type {number|null} */ (m.label) };
  }

  // ---- samples from the prior (a VAE's reason to exist)
  const priorGrid = h('div', { 'data-testid': 'digits-prior-grid' });
  let priorSeed = 1;
  const priorAsk = latestOnly((f) => session.query('prior', f), (m) => {
    const im = m.data.images;
    imageGrid(priorGrid, Array.from({ length: m.count }, (_, i) => ({ values: nth(im, i), caption: `sample ${i + 1}` })), { cols: 4, testid: 'digits-prior' });
    priorGrid.dataset.seed = String(m.seed);
  }, (e) => say(e.message));
  const priorButton = h('button', { 'data-testid': 'digits-prior-new', onclick: () => priorAsk({ count: 16, seed: ++priorSeed }) }, 'New samples');
  const priorPanel = h('figure', { class: 'panel', hidden: true, 'data-testid': 'digits-prior' }, h('figcaption', {}, 'Samples from the prior'),
    h('p', { class: 'muted' }, 'Codes drawn from N(0, I), the distribution a VAE\u2019s KL term pulls its codes toward, decoded. A plain autoencoder\u2019s codes follow no such distribution, so the same draws decode to smudges there.'),
    h('div', { class: 'row' }, priorButton), priorGrid);
  let priorKey = '';

  const panels = [
    h('figure', { class: 'panel' }, yourCaption,
      h('div', { class: 'pad-row' }, pad,
        h('div', {},
          h('div', { class: 'pair' },
            h('figure', {}, input, inputCaption),
            h('figure', {}, recon, reconCaption)),
          h('dl', { class: 'figures' }, h('dt', {}, 'code'), h('dd', {}, codeOut), h('dt', {}, 'error (MSE)'), h('dd', {}, errorOut)),
          source)),
      sigmaOut,
      h('div', { class: 'row' }, clearButton, loadTest, resample),
      drawNote,
      h('h2', { class: 'sub' }, 'Sliders'), slidersNote, sliders, attribute),
    h('figure', { class: 'panel' }, h('figcaption', {}, 'Encode → decode, again and again'),
      h('p', { class: 'muted' }, 'Feed the reconstruction back in as the input, again and again. Each round the code moves; where it stops, the image is one the autoencoder rebuilds exactly — a fixed point. The Basin map on the left does this for a whole grid of codes at once.'),
      h('div', { class: 'row' }, iterateButton), iterations, fixedPoint),
    comparePanel,
    priorPanel,
    h('figure', { class: 'panel' }, h('figcaption', {}, 'Between two digits'),
      h('p', { class: 'muted' }, 'Decode the straight line between two codes: the images in between are what the decoder makes of the space between them.'),
      h('div', { class: 'row' }, h('label', { class: 'inline' }, 'from image ', fromIndex), h('label', { class: 'inline' }, ' to ', toIndex), h('label', { class: 'inline' }, fromMine, ' from your digit')),
      h('div', { class: 'row' }, go, randomPair),
      strip),
  ];

  return {
    panels,
    loadImage,
    clear,
    /**
     * The model or its map changed: rebuild the sliders, and ask for the digit's code again.
     * @param {MapInfo|null} next
     * @param {string} key which model and step
     * @param {boolean} moved the model moved on (training)
     */
    update(next, key, moved) {
      followShape();
      if (next) {
        info = next;
        const k = `${key}:${next.latent}`;
        if (k === sliderKey && moved) {
          // a model in training spreads its codes: the sliders follow the map's ranges
          setRanges();
          syncSliders();
        }
        if (k !== sliderKey) {
          sliderKey = k;
          buildSliders();
          syncSliders();
          const names = ctx.names();
          const options = () => [...names.map((n, i) => h('option', { value: String(i) }, n)),
            h('option', { value: 'A' }, 'marked A'), h('option', { value: 'B' }, 'marked B')];
          fromClass.replaceChildren(...options());
          toClass.replaceChildren(...options());
          toClass.value = '1';
          // marked codes belong to the model they were made with
          marked.A = [];
          marked.B = [];
          markedCount.textContent = 'A: 0, B: 0';
        }
        attribute.hidden = next.latent <= 2;
        const vae = !!next.vae;
        resample.hidden = !vae;
        priorPanel.hidden = !vae;
        if (vae && priorKey !== key) {
          priorKey = key;
          priorAsk({ count: 16, seed: priorSeed });
        }
      }
      if (moved) ask();
    },
    ask,
  };
}
