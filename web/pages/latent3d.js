// The 3D Latent Explorer: 3D points squeezed through a 2D (or 1D, 3D) bottleneck and
// rebuilt, with the exact opposite gradient of every latent code drawn as a trail, a
// timeline of the training, and PCA beside it. The server trains; this page draws.

import { h, svg, Tooltip } from '../lib/dom.js';
import { connectPage } from '../lib/page.js';
import { lineChart } from '../lib/chart.js';
import { alongCurve, byError } from '../lib/colors.js';
import { check, field, toUrl } from '../lib/settings.js';

/** @type {[number, string][]} */
const SPEEDS = [[30, 'slow'], [250, 'normal'], [2000, 'fast'], [0, 'as fast as it goes']];
const MAX_UPLOAD_BYTES = 200 * 1024;
const VIEW = 300; // each view's viewBox is VIEW × VIEW
const TRAIL_PX = 40; // the longest trail at scale 1, in view units
const REPLAY_FPS = 12;
/** A camera that shows a shape for what it is (yaw about z, then pitch), per built-in shape. */
const CAMERAS = /** @type {Record<string, {yaw: number, pitch: number}>} */ ({
  // the circle is tilted 30° out of the x-y plane: look along its normal, a little off it
  circle: { yaw: Math.PI, pitch: 0.6 },
  // the roll winds in the x-z plane around the y axis: look down its axis, slightly turned
  roller: { yaw: -0.35, pitch: 0.25 },
  // the sine wave lies mostly in the x-y plane: look from above
  sine: { yaw: 0, pitch: 1.1 },
});
const DEFAULT_CAMERA = { yaw: -0.7, pitch: 0.45 };
/** @param {string} dataset */
const cameraFor = (dataset) => ({ ...(CAMERAS[dataset] || DEFAULT_CAMERA) });

/**
 * @typedef {{dataset: string, points: number, noise: number, seed: number, lr: number,
 *   activation: string, latent: number, trail_every: number}} Settings
 * @typedef {{training: boolean, speed: number, steps_per_second: number,
 *   losses: [number, number][], notice: {id: number, text: string}|null}} Run
 * @typedef {{type: string, moment: number|null, settings: Settings, run: Run, dataset_label: string,
 *   sizes: number[], params: number, n: number, latent: number,
 *   epoch: number, loss: number|null, ae_error: number|null, pca_error: number|null,
 *   trails_epoch: number, timeline: number[], timeline_generation: number,
 *   data: Record<string, Float32Array>}} Snapshot
 * @typedef {import('../lib/settings.js').Schema} Schema
 */

/** The URL key of a setting, where it is not the setting's name. */
const URL_KEYS = { trail_every: 'k' };

/**
 * Reads the view's own state (not settings of the job) from the URL.
 * @returns {{speed: number|null, scale: number, colour: string, problems: string[]}}
 */
export function readViewState() {
  const q = new URLSearchParams(location.search);
  /** @type {string[]} */
  const problems = [];
  /**
   * @param {string} key
   * @param {(v: number) => boolean} ok
   * @param {number|null} def
   * @param {string} what
   */
  const num = (key, ok, def, what) => {
    const raw = q.get(key);
    if (raw === null) return def;
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v) || !ok(v)) {
      problems.push(`${key}=${raw} is not ${what}; using ${def ?? 'the default'}.`);
      return def;
    }
    return v;
  };
  const speed = num('speed', (v) => v >= 0 && v <= 100000, null, 'a speed in 0–100000 epochs/s (0: as fast as it goes)');
  const scale = /** @type {number} */ (num('scale', (v) => v >= 0 && v <= 3, 1, 'a trail scale in 0–3'));
  const raw = q.get('colour');
  const colour = raw === 'error' ? 'error' : 'curve';
  if (raw !== null && raw !== 'error' && raw !== 'curve') problems.push(`colour=${raw} is not one of curve, error; using curve.`);
  return { speed, scale, colour, problems };
}

/**
 * A number for people: fixed decimals, or scientific when it is tiny.
 * @param {number|null|undefined} v
 */
function fmt(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(2);
  return v.toFixed(4);
}

/**
 * Sets an element's text and exact data-value.
 * @param {HTMLElement} el
 * @param {number|null|undefined} v
 * @param {(v: number|null|undefined) => string} [format]
 */
function show(el, v, format = fmt) {
  const text = format(v);
  if (el.textContent !== text) el.textContent = text;
  attr(el, 'data-value', v === null || v === undefined || !Number.isFinite(v) ? '' : String(v));
}

/**
 * Sets an attribute only when it changes (each change costs the browser style work).
 * @param {Element} el
 * @param {string} name
 * @param {string} value
 */
function attr(el, name, value) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

/**
 * A select with the given options.
 * @param {string} testid
 * @param {string} label
 * @param {[string|number, string][]} options
 */
function select(testid, label, options) {
  return /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': testid, 'aria-label': label },
    ...options.map(([v, t]) => h('option', { value: String(v) }, t))));
}

/**
 * Makes sure `sel` offers `value` (a URL may hold a value between the listed ones) and selects it.
 * @param {HTMLSelectElement} sel
 * @param {number|string} value
 */
function choose(sel, value) {
  const v = String(value);
  if (sel.value === v) return;
  if (![...sel.options].some((o) => o.value === v)) sel.append(h('option', { value: v }, v));
  sel.value = v;
}

/**
 * One view: an SVG with a frame, trails, links and points layers.
 * @param {string} name
 * @param {string} title
 * @param {boolean} is3d
 */
function makeView(name, title, is3d) {
  const el = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', {
    class: `view ${is3d ? 'view3d' : 'view2d'}`, viewBox: `0 0 ${VIEW} ${VIEW}`, 'data-testid': `latent3d-view-${name}`, role: 'img', 'aria-label': title,
  })));
  const frame = svg('g', { class: 'frame' });
  const links = svg('g', { class: 'links' });
  const trails = svg('g', { class: 'trails' });
  const under = svg('g', { class: 'points under' });
  const points = svg('g', { class: 'points' });
  el.append(frame, links, trails, under, points);
  return {
    name, title, is3d, el, frame, links, trails, under, points,
    /** @type {SVGElement[]} */ circles: [],
    /** @type {SVGElement[]} */ extra: [],
    /** @type {SVGElement[]} */ lines: [],
  };
}

/** @typedef {ReturnType<typeof makeView>} View */

/** @param {HTMLElement} root */
export function mount(root) {
  const tooltip = new Tooltip();
  const url = readViewState();
  /** @type {Schema} */ let schema = [];
  const camera = { ...DEFAULT_CAMERA };
  let cameraDataset = '';
  /** @type {Snapshot|null} */ let live = null;
  /** @type {Snapshot|null} */ let moment = null;
  /** @type {number|null} index of the timeline moment shown, null = live */
  let viewing = null;
  /** @type {number|null} */ let hover = null;
  /** @type {ReturnType<typeof setInterval>|null} */ let replayTimer = null;
  let lastNotice = -1;
  let lastGeneration = -1;
  let renderQueued = false;
  let snapshotCount = 0;
  let chartDrawn = 0;
  let trailScale = url.scale;
  let colourMode = url.colour;

  // ---- controls
  const message = h('div', { class: 'message', 'data-testid': 'latent3d-message', role: 'status', hidden: true });
  const say = (/** @type {string} */ text) => {
    message.textContent = text;
    message.hidden = !text;
  };
  const send = (/** @type {Record<string, any>} */ msg) => session.send(msg);
  const configure = (/** @type {Partial<Settings>} */ c) => send({ type: 'configure', ...c });

  const play = h('button', { class: 'primary', 'data-testid': 'latent3d-play', onclick: () => send({ type: 'play' }) }, 'Play');
  const pause = h('button', { class: 'primary', 'data-testid': 'latent3d-pause', hidden: true, onclick: () => send({ type: 'pause' }) }, 'Pause');
  const step = h('button', { 'data-testid': 'latent3d-step', title: 'Train one epoch (one full-batch Adam step)', onclick: () => send({ type: 'step' }) }, 'Step');
  const reset = h('button', { 'data-testid': 'latent3d-reset', title: 'New weights from the seed; epoch 0; the timeline starts again', onclick: () => { goLive(); send({ type: 'reset' }); } }, 'Reset');

  /** @type {Map<string, {b: HTMLElement, thumb: SVGSVGElement, label: HTMLElement}>} */
  const pickers = new Map();
  const pickerRow = h('div', { class: 'datasets', role: 'group', 'aria-label': 'Dataset' });
  const upload = /** @type {HTMLInputElement} */ (h('input', { type: 'file', accept: '.csv,text/csv,text/plain', 'data-testid': 'latent3d-upload', 'aria-label': 'Upload your own 3D points (CSV: x,y,z per row)' }));
  upload.addEventListener('change', async () => {
    const file = upload.files && upload.files[0];
    upload.value = '';
    if (!file) return;
    if (file.size > MAX_UPLOAD_BYTES) {
      say(`${file.name} is ${Math.round(file.size / 1024)} KiB; uploads are limited to ${MAX_UPLOAD_BYTES / 1024} KiB (${field(schema, 'points').max} points). Nothing changed.`);
      return;
    }
    const text = await file.text();
    goLive();
    say('');
    send({ type: 'upload', name: file.name, csv: text });
  });

  const points = /** @type {HTMLInputElement} */ (h('input', { type: 'number', step: 1, 'data-testid': 'latent3d-points', 'aria-label': 'Number of points' }));
  const noise = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 0, max: 1, step: 0.01, 'data-testid': 'latent3d-noise', 'aria-label': 'Noise' }));
  const seed = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 0, step: 1, 'data-testid': 'latent3d-seed', 'aria-label': 'Seed' }));
  /**
   * A number field for a setting, checked against the schema.
   * @param {HTMLInputElement} input
   * @param {keyof Settings} key
   */
  const numberField = (input, key) => input.addEventListener('change', () => {
    const c = check(field(schema, key), input.value);
    if (!c.ok) {
      const now = live ? live.settings[key] : field(schema, key).default;
      say(`${input.getAttribute('aria-label')} "${input.value}": ${c.why}; keeping ${now}.`);
      input.value = String(now);
      return;
    }
    say('');
    goLive();
    configure({ [key]: c.value });
  });
  numberField(points, 'points');
  numberField(noise, 'noise');
  numberField(seed, 'seed');

  const lr = select('latent3d-lr', 'Learning rate', []);
  lr.addEventListener('change', () => configure({ lr: Number(lr.value) }));
  const activation = select('latent3d-activation', 'Hidden activation', []);
  activation.addEventListener('change', () => { goLive(); configure({ activation: activation.value }); });
  const latent = select('latent3d-latent', 'Latent size', []);
  latent.addEventListener('change', () => { goLive(); configure({ latent: Number(latent.value) }); });
  const trailEvery = select('latent3d-trail-every', 'Trails and timeline every', []);
  trailEvery.addEventListener('change', () => configure({ trail_every: Number(trailEvery.value) }));
  const speed = select('latent3d-speed', 'Training speed', SPEEDS.map(([v, t]) => [v, t]));
  speed.addEventListener('change', () => send({ type: 'speed', value: Number(speed.value) }));

  /**
   * Fills the controls' choices from the schema (the server's ranges, in one place).
   * @param {Schema} sc
   */
  function fillControls(sc) {
    /**
     * @param {HTMLSelectElement} sel
     * @param {[string|number, string][]} options
     */
    const fill = (sel, options) => sel.replaceChildren(...options.map(([v, t]) => h('option', { value: String(v) }, t)));
    const offered = (/** @type {string} */ name) => /** @type {number[]} */ (/** @type {any} */ (field(sc, name)).choices || []);
    fill(lr, offered('lr').map((v) => [v, String(v)]));
    fill(activation, /** @type {[string, string][]} */ (field(sc, 'activation').choices));
    fill(latent, /** @type {[number, string][]} */ (field(sc, 'latent').choices));
    fill(trailEvery, offered('trail_every').map((k) => [k, `${k} epochs`]));
    for (const [el, name] of /** @type {[HTMLInputElement, string][]} */ ([[points, 'points'], [noise, 'noise']])) {
      el.min = String(field(sc, name).min);
      el.max = String(field(sc, name).max);
    }
  }
  const scale = /** @type {HTMLInputElement} */ (h('input', { type: 'range', min: 0, max: 3, step: 0.1, value: trailScale, 'data-testid': 'latent3d-trail-scale', 'aria-label': 'Trail length' }));
  const scaleOut = h('output', { 'data-value': trailScale }, trailScale.toFixed(1));
  scale.addEventListener('input', () => {
    const v = Number(scale.value);
    trailScale = Number.isFinite(v) && v >= 0 && v <= 3 ? v : 1;
    scaleOut.textContent = trailScale.toFixed(1);
    scaleOut.dataset.value = String(trailScale);
    syncUrl();
    queueRender();
  });
  const colourError = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', 'data-testid': 'latent3d-colour-error', checked: colourMode === 'error' }));
  colourError.addEventListener('change', () => {
    colourMode = colourError.checked ? 'error' : 'curve';
    syncUrl();
    queueRender();
  });

  const epoch = h('span', { class: 'figure', 'data-testid': 'latent3d-epoch' }, '0');
  const loss = h('span', { class: 'figure', 'data-testid': 'latent3d-loss' }, '–');
  const rate = h('span', { class: 'figure', 'data-testid': 'latent3d-rate' }, '–');
  const aeError = h('span', { class: 'figure', 'data-testid': 'latent3d-ae-error' }, '–');
  const pcaError = h('span', { class: 'figure', 'data-testid': 'latent3d-pca-error' }, '–');
  const verdict = h('p', { class: 'muted', 'data-testid': 'latent3d-verdict' });
  const hoverInfo = h('div', { class: 'hover-info', 'data-testid': 'latent3d-hover' }, 'Hover a point to see it in every view.');

  // ---- views
  const views = {
    input: makeView('input', 'Input: the 3D points', true),
    latent: makeView('latent', 'Latent codes, with trails', false),
    recon: makeView('recon', 'Reconstruction', true),
    layered: makeView('layered', 'Reconstruction laid over the input', true),
    pca: makeView('pca', 'PCA of the same points', false),
  };
  const encoder = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', { class: 'trapezoid', viewBox: '0 0 60 300', 'data-testid': 'latent3d-encoder' })));
  const decoder = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', { class: 'trapezoid', viewBox: '0 0 60 300', 'data-testid': 'latent3d-decoder' })));

  // ---- timeline
  const timeline = /** @type {HTMLInputElement} */ (h('input', { type: 'range', min: 0, max: 0, step: 1, value: 0, 'data-testid': 'latent3d-timeline', 'aria-label': 'Timeline' }));
  const timelineLabel = h('span', { class: 'figure', 'data-testid': 'latent3d-timeline-epoch' }, 'live');
  const replay = h('button', { 'data-testid': 'latent3d-replay', title: 'Play the recorded moments back from the start' }, 'Play back');
  const liveButton = h('button', { 'data-testid': 'latent3d-live', title: 'Back to the live model', disabled: true }, 'Live');
  let scrubbing = false;
  timeline.addEventListener('pointerdown', () => { scrubbing = true; stopReplay(); });
  timeline.addEventListener('input', () => {
    stopReplay();
    showMoment(Number(timeline.value));
  });
  timeline.addEventListener('change', () => {
    scrubbing = false;
    // releasing the slider returns to live while training; when paused the moment stays
    if (live && live.run.training) goLive();
  });
  replay.addEventListener('click', () => {
    if (!live || live.timeline.length === 0) return;
    stopReplay();
    let i = 0;
    showMoment(i);
    replayTimer = setInterval(() => {
      i += 1;
      if (!live || i >= live.timeline.length) {
        goLive();
        return;
      }
      showMoment(i);
    }, 1000 / REPLAY_FPS);
  });
  liveButton.addEventListener('click', () => goLive());

  const chart = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', { class: 'chart', 'data-testid': 'latent3d-chart' })));

  /**
   * @param {View} v
   * @param {HTMLElement} [caption]
   */
  const panel = (v, caption) => h('figure', { class: 'panel' }, h('figcaption', {}, v.title), v.el, caption || null);

  root.replaceChildren(
    h('section', { class: 'latent3d' },
      h('aside', { class: 'explain', 'data-testid': 'explain' },
        h('h1', {}, '3D Latent Explorer'),
        h('p', {}, 'Each dot is a point in 3D. The encoder squeezes its three coordinates into two numbers — its latent code — and the decoder tries to rebuild the point from those two. Colours run along the shape, so a point and its reconstruction share a colour.'),
        h('p', {}, 'Press Play and watch the codes spread out. The short lines in the latent view are trails: the direction each code would move to lower the loss (−∂L/∂z, computed exactly). Drag a 3D view to turn it; hover a dot to find it everywhere; scrub the timeline to go back in time. PCA, the best flat squeeze, is shown beside it for comparison.'),
        h('div', { class: 'controls' },
          h('div', { class: 'row' }, play, pause, step, reset),
          pickerRow,
          h('label', { class: 'upload' }, 'your own points (CSV, x,y,z per row) ', upload),
          h('div', { class: 'settings' },
            h('label', {}, 'points', points), h('label', {}, 'noise', noise), h('label', {}, 'seed', seed),
            h('label', {}, 'learning rate', lr), h('label', {}, 'hidden activation', activation), h('label', {}, 'latent size', latent),
            h('label', {}, 'trails every', trailEvery), h('label', {}, 'speed', speed)),
          h('label', { class: 'slider' }, 'trail length ', scale, scaleOut),
          h('label', { class: 'check' }, colourError, ' colour points by reconstruction error'),
          h('dl', { class: 'figures' },
            h('dt', {}, 'epoch'), h('dd', {}, epoch),
            h('dt', {}, 'loss (mean squared error)'), h('dd', {}, loss),
            h('dt', {}, 'epochs per second'), h('dd', {}, rate)),
          message)),
      h('div', { class: 'stage' },
        h('div', { class: 'row-views' },
          panel(views.input), h('div', { class: 'hourglass' }, encoder), panel(views.latent), h('div', { class: 'hourglass' }, decoder), panel(views.recon)),
        h('div', { class: 'timeline' }, h('span', {}, 'timeline'), timeline, timelineLabel, replay, liveButton),
        hoverInfo,
        h('div', { class: 'row-below' },
          panel(views.layered),
          panel(views.pca, h('div', { class: 'compare' },
            h('dl', { class: 'figures' },
              h('dt', {}, 'autoencoder error'), h('dd', {}, aeError),
              h('dt', {}, 'PCA error'), h('dd', {}, pcaError)),
            verdict)),
          h('figure', { class: 'panel' }, h('figcaption', {}, 'Loss over epochs'), chart)))));

  // ---- dragging a 3D view turns the shared camera
  for (const v of [views.input, views.recon, views.layered, views.latent]) {
    /** @type {{x: number, y: number}|null} */
    let drag = null;
    v.el.addEventListener('pointerdown', (ev) => {
      if (!v.is3d && !(v.name === 'latent' && current() && /** @type {Snapshot} */ (current()).latent === 3)) return;
      drag = { x: ev.clientX, y: ev.clientY };
      v.el.setPointerCapture(ev.pointerId);
      v.el.classList.add('dragging');
    });
    v.el.addEventListener('pointermove', (ev) => {
      if (!drag) return;
      camera.yaw += (ev.clientX - drag.x) * 0.01;
      camera.pitch = Math.max(-1.5, Math.min(1.5, camera.pitch + (ev.clientY - drag.y) * 0.01));
      drag = { x: ev.clientX, y: ev.clientY };
      queueRender();
    });
    const end = () => { drag = null; v.el.classList.remove('dragging'); };
    v.el.addEventListener('pointerup', end);
    v.el.addEventListener('pointercancel', end);
  }

  function current() {
    return viewing !== null && moment && moment.moment === viewing ? moment : live;
  }

  /** @param {number} i */
  function showMoment(i) {
    if (!live || live.timeline.length === 0) return;
    const idx = Math.max(0, Math.min(live.timeline.length - 1, i));
    viewing = idx;
    timeline.value = String(idx);
    timelineLabel.textContent = `epoch ${live.timeline[idx]}`;
    liveButton.removeAttribute('disabled');
    root.dataset.viewing = String(idx);
    session.query('moment', { index: idx }).then((m) => {
      const s = /** @type {Snapshot} */ (/** @type {unknown} */ (m));
      if (viewing === s.moment) {
        moment = s;
        queueRender();
      }
    }, (e) => {
      goLive();
      say(e.message);
    });
  }

  function stopReplay() {
    if (replayTimer !== null) clearInterval(replayTimer);
    replayTimer = null;
  }

  function goLive() {
    stopReplay();
    viewing = null;
    moment = null;
    timelineLabel.textContent = 'live';
    liveButton.setAttribute('disabled', '');
    delete root.dataset.viewing;
    if (live) timeline.value = String(Math.max(0, live.timeline.length - 1));
    queueRender();
  }

  function queueRender() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      const s = current();
      if (s) render(s);
    });
  }

  // ---- projection
  /**
   * Camera rotation: yaw about the vertical (z) axis, then pitch; returns [x, y, depth].
   * @param {number} x @param {number} y @param {number} z
   * @param {{yaw: number, pitch: number}} [cam]
   */
  function rotate(x, y, z, cam = camera) {
    const [cy, sy, cp, sp] = [Math.cos(cam.yaw), Math.sin(cam.yaw), Math.cos(cam.pitch), Math.sin(cam.pitch)];
    const x1 = x * cy - y * sy;
    const y1 = x * sy + y * cy;
    return [x1, z * cp - y1 * sp, y1 * cp + z * sp];
  }

  /**
   * A projector into a view for 3D data within radius `r`.
   * @param {number} r
   */
  function projector3d(r) {
    const k = (VIEW * 0.4) / (r || 1);
    return (/** @type {number} */ x, /** @type {number} */ y, /** @type {number} */ z) => {
      const [a, b, d] = rotate(x, y, z);
      return [VIEW / 2 + a * k, VIEW / 2 - b * k, d / (r || 1)];
    };
  }

  /**
   * Draws the cube of half-side r and its axes into a view's frame.
   * @param {View} v
   * @param {number} r
   */
  function drawFrame(v, r) {
    // redrawn only when the camera or the scale changed
    const key = `${camera.yaw},${camera.pitch},${r}`;
    if (v.el.dataset.frameKey === key) return;
    v.el.dataset.frameKey = key;
    const p = projector3d(r * Math.sqrt(3));
    const c = [-r, r];
    /** @type {[number[], number[]][]} */
    const edges = [];
    for (const a of c) for (const b of c) {
      edges.push([[-r, a, b], [r, a, b]], [[a, -r, b], [a, r, b]], [[a, b, -r], [a, b, r]]);
    }
    v.frame.replaceChildren(...edges.map(([s, e]) => {
      const [x1, y1] = p(s[0], s[1], s[2]);
      const [x2, y2] = p(e[0], e[1], e[2]);
      return svg('line', { x1, y1, x2, y2, class: 'edge' });
    }));
    /** @type {[string, number[]][]} */
    const axes = [['x', [r, 0, 0]], ['y', [0, r, 0]], ['z', [0, 0, r]]];
    for (const [name, e] of axes) {
      const [x0, y0] = p(0, 0, 0);
      const [x1, y1] = p(e[0], e[1], e[2]);
      v.frame.append(svg('line', { x1: x0, y1: y0, x2: x1, y2: y1, class: 'axis3d' }));
      const t = svg('text', { x: x1, y: y1, class: 'axis-label' });
      t.textContent = name;
      v.frame.append(t);
    }
    v.el.dataset.yaw = camera.yaw.toFixed(4);
    v.el.dataset.pitch = camera.pitch.toFixed(4);
  }

  /**
   * The cross of a 2-D view's axes.
   * @param {View} v
   */
  function flatFrame(v) {
    if (v.el.dataset.frameKey === 'flat') return;
    v.el.dataset.frameKey = 'flat';
    v.frame.replaceChildren(svg('line', { x1: VIEW / 2, y1: 6, x2: VIEW / 2, y2: VIEW - 6, class: 'axis2d' }), svg('line', { x1: 6, y1: VIEW / 2, x2: VIEW - 6, y2: VIEW / 2, class: 'axis2d' }));
    delete v.el.dataset.yaw;
    delete v.el.dataset.pitch;
  }

  /**
   * Ensures a view has `n` circles (and `extra` circles / `lines` when asked).
   * @param {View} v
   * @param {number} n
   * @param {{extra?: boolean, lines?: boolean}} [opts]
   */
  function ensure(v, n, opts = {}) {
    /**
     * @param {SVGElement[]} list
     * @param {SVGElement} parent
     * @param {string} tag
     * @param {string} cls
     * @param {number} count
     */
    const grow = (list, parent, tag, cls, count) => {
      while (list.length > count) /** @type {SVGElement} */ (list.pop()).remove();
      while (list.length < count) {
        const i = list.length;
        const el = svg(tag, { class: cls, 'data-index': i });
        if (tag === 'circle') {
          el.addEventListener('pointerenter', (ev) => setHover(i, /** @type {MouseEvent} */ (ev)));
          el.addEventListener('pointermove', (ev) => setHover(i, /** @type {MouseEvent} */ (ev)));
          el.addEventListener('pointerleave', () => setHover(null));
        }
        list.push(el);
        parent.append(el);
      }
    };
    grow(v.circles, v.points, 'circle', v.name === 'layered' ? 'pt recon' : 'pt', n);
    grow(v.extra, v.under, 'circle', 'pt input', opts.extra ? n : 0);
    grow(v.lines, v.name === 'latent' ? v.trails : v.links, 'line', v.name === 'latent' ? 'trail' : 'link', opts.lines ? n : 0);
  }

  /**
   * Positions circles at projected points.
   * @param {SVGElement[]} circles
   * @param {number[][]} xy screen [x, y, depth]
   * @param {string[]} colours
   * @param {number} r
   */
  function place(circles, xy, colours, r) {
    circles.forEach((c, i) => {
      const [x, y, d] = xy[i];
      c.setAttribute('cx', x.toFixed(1));
      c.setAttribute('cy', y.toFixed(1));
      attr(c, 'r', (r * (1 + 0.25 * Math.max(-1, Math.min(1, d || 0)))).toFixed(2));
      attr(c, 'fill', colours[i]);
      c.classList.toggle('hl', hover === i);
    });
  }

  /**
   * Screen positions for codes in a 2-D view (1-D: code across, order down; 3-D: camera).
   * @param {Float32Array} codes
   * @param {number} n
   * @param {number} k
   * @returns {{xy: number[][], map: (z: number[], i?: number) => number[]}}
   */
  function codeLayout(codes, n, k) {
    if (k === 3) {
      let r = 0;
      for (let i = 0; i < n * 3; i++) r = Math.max(r, Math.abs(codes[i]));
      const p = projector3d(r * Math.sqrt(3) || 1);
      const map = (/** @type {number[]} */ z) => p(z[0], z[1], z[2]);
      return { xy: Array.from({ length: n }, (_, i) => map([codes[3 * i], codes[3 * i + 1], codes[3 * i + 2]])), map };
    }
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < n; i++) {
      const x = codes[k * i];
      const y = k === 2 ? codes[k * i + 1] : 0;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    const span = Math.max(x1 - x0, k === 2 ? y1 - y0 : 0, 1e-6);
    const s = (VIEW * 0.8) / span;
    const [cx, cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
    const map = (/** @type {number[]} */ z, /** @type {number} */ i = 0) => (k === 2
      ? [VIEW / 2 + (z[0] - cx) * s, VIEW / 2 - (z[1] - cy) * s, 0]
      : [VIEW / 2 + (z[0] - cx) * s, VIEW * 0.1 + (VIEW * 0.8 * i) / Math.max(1, n - 1), 0]);
    return {
      xy: Array.from({ length: n }, (_, i) => map(k === 2 ? [codes[2 * i], codes[2 * i + 1]] : [codes[i]], i)),
      map,
    };
  }

  /** @param {Snapshot} s */
  function render(s) {
    const { n, latent: k } = s;
    const d = s.data;
    let maxErr = 0;
    for (let i = 0; i < n; i++) maxErr = Math.max(maxErr, d.errors[i]);
    const colours = Array.from({ length: n }, (_, i) => (colourMode === 'error'
      ? byError(Math.sqrt(d.errors[i] / (maxErr || 1)))
      : alongCurve(n > 1 ? i / (n - 1) : 0.5)));
    // 3D views share one scale: the input's extent
    let r = 0;
    for (let i = 0; i < 3 * n; i++) r = Math.max(r, Math.abs(d.points[i]));
    r = r || 1;
    const p = projector3d(r * Math.sqrt(3));
    const at = (/** @type {Float32Array} */ a) => Array.from({ length: n }, (_, i) => p(a[3 * i], a[3 * i + 1], a[3 * i + 2]));
    const inputXY = at(d.points);
    const reconXY = at(d.reconstructions);
    for (const v of [views.input, views.recon, views.layered]) drawFrame(v, r);
    ensure(views.input, n);
    place(views.input.circles, inputXY, colours, 4.5);
    ensure(views.recon, n);
    place(views.recon.circles, reconXY, colours, 4.5);
    ensure(views.layered, n, { extra: true, lines: true });
    place(views.layered.extra, inputXY, colours, 4.5);
    place(views.layered.circles, reconXY, colours, 3.5);
    views.layered.lines.forEach((l, i) => {
      l.setAttribute('x1', inputXY[i][0].toFixed(1));
      l.setAttribute('y1', inputXY[i][1].toFixed(1));
      l.setAttribute('x2', reconXY[i][0].toFixed(1));
      l.setAttribute('y2', reconXY[i][1].toFixed(1));
    });

    // latent codes and their trails
    const lv = views.latent;
    lv.is3d = k === 3;
    lv.el.classList.toggle('view3d', k === 3);
    const code = codeLayout(d.codes, n, k);
    if (k === 3) drawFrame(lv, 1);
    else flatFrame(lv);
    ensure(lv, n, { lines: true });
    place(lv.circles, code.xy, colours, 4.5);
    let longest = 0;
    for (let i = 0; i < n; i++) {
      let l2 = 0;
      for (let j = 0; j < k; j++) l2 += d.trails[k * i + j] ** 2;
      longest = Math.max(longest, Math.sqrt(l2));
    }
    lv.lines.forEach((l, i) => {
      const [x, y] = code.xy[i];
      // the trail's direction in screen space: map code + ε·trail, then scale the longest to TRAIL_PX
      const z = Array.from({ length: k }, (_, j) => d.codes[k * i + j]);
      const eps = 1e-3 / (longest || 1);
      const ze = z.map((v, j) => v + eps * d.trails[k * i + j]);
      const [xe, ye] = k === 1 ? code.map(ze, i) : code.map(ze);
      const len = Math.hypot(xe - x, ye - y);
      let gl = 0;
      for (let j = 0; j < k; j++) gl += d.trails[k * i + j] ** 2;
      const want = longest > 0 ? (TRAIL_PX * trailScale * Math.sqrt(gl)) / longest : 0;
      const f = len > 0 ? want / len : 0;
      l.setAttribute('x1', x.toFixed(1));
      l.setAttribute('y1', y.toFixed(1));
      l.setAttribute('x2', (x + (xe - x) * f).toFixed(1));
      l.setAttribute('y2', (y + (ye - y) * f).toFixed(1));
      attr(l, 'stroke', colours[i]);
      l.dataset.length = String(Math.sqrt(gl));
    });
    attr(lv.el, 'data-trails-epoch', String(s.trails_epoch));

    // PCA
    const pv = views.pca;
    const pcode = codeLayout(d.pca_codes, n, k);
    if (k === 3) drawFrame(pv, 1);
    else flatFrame(pv);
    ensure(pv, n);
    place(pv.circles, pcode.xy, colours, 4.5);

    // figures
    show(epoch, s.epoch, (v) => String(v));
    show(loss, s.loss);
    show(aeError, s.ae_error);
    show(pcaError, s.pca_error);
    if (s.ae_error !== null && s.pca_error !== null) {
      const [a, b] = [s.ae_error, s.pca_error];
      const text = b < 1e-12 && a < 1e-12 ? 'Both rebuild the points exactly.'
        : b < 1e-12 ? `PCA with ${k} component${k > 1 ? 's' : ''} rebuilds these points exactly; the autoencoder is still ${fmt(a)} away.`
          : a < b ? `The autoencoder's error is ${(b / Math.max(a, 1e-12)).toFixed(1)}× lower than PCA's: a curved squeeze beats the best flat one.`
            : `PCA's error is ${(a / Math.max(b, 1e-12)).toFixed(1)}× lower so far: the autoencoder has not yet found a better squeeze than a flat one.`;
      if (verdict.textContent !== text) verdict.textContent = text;
    }
    drawHourglass(s.sizes);
    attr(root, 'data-snapshot-epoch', String(s.epoch));
    if (hover !== null) describe(hover);
  }

  /** @param {number[]} sizes */
  function drawHourglass(sizes) {
    if (encoder.dataset.sizes === sizes.slice(0, 4).join(',')) return;
    const k = sizes[3];
    const tall = 150;
    const short = 40 + 30 * (k - 1);
    /**
     * @param {SVGSVGElement} el
     * @param {number} left
     * @param {number} right
     * @param {string} label
     */
    const trap = (el, left, right, label) => {
      el.replaceChildren(svg('polygon', { points: `4,${150 - left / 2} 56,${150 - right / 2} 56,${150 + right / 2} 4,${150 + left / 2}`, class: 'trap' }));
      const t = svg('text', { x: 30, y: 30, 'text-anchor': 'middle', class: 'trap-title' });
      t.textContent = label;
      el.append(t);
    };
    trap(encoder, tall, short, 'encoder');
    trap(decoder, short, tall, 'decoder');
    // the layer sizes, one per line, inside each trapezoid
    /**
     * @param {SVGSVGElement} el
     * @param {number[]} list
     */
    const sizesIn = (el, list) => list.forEach((n, j) => {
      const t = svg('text', { x: 30, y: 150 - 7.5 * (list.length - 1) + 15 * j + 4, 'text-anchor': 'middle', class: 'trap-label' });
      t.textContent = String(n);
      el.append(t);
    });
    sizesIn(encoder, sizes.slice(0, 4));
    sizesIn(decoder, sizes.slice(3));
    encoder.dataset.sizes = sizes.slice(0, 4).join(',');
    decoder.dataset.sizes = sizes.slice(3).join(',');
  }

  /**
   * @param {number|null} i
   * @param {MouseEvent} [ev]
   */
  function setHover(i, ev) {
    if (hover !== i) {
      hover = i;
      for (const v of Object.values(views)) {
        for (const list of [v.circles, v.extra]) list.forEach((c, j) => c.classList.toggle('hl', j === i));
      }
    }
    if (i === null) {
      tooltip.hide();
      hoverInfo.textContent = 'Hover a point to see it in every view.';
      delete hoverInfo.dataset.index;
      return;
    }
    const text = describe(i);
    if (ev && text) tooltip.show(ev, text);
  }

  /** @param {number} i */
  function describe(i) {
    const s = current();
    if (!s || i >= s.n) return '';
    const d = s.data;
    const k = s.latent;
    const v3 = (/** @type {Float32Array} */ a) => `(${[0, 1, 2].map((j) => a[3 * i + j].toFixed(3)).join(', ')})`;
    const code = `(${Array.from({ length: k }, (_, j) => d.codes[k * i + j].toFixed(3)).join(', ')})`;
    const trail = `(${Array.from({ length: k }, (_, j) => d.trails[k * i + j].toExponential(2)).join(', ')})`;
    const text = `point ${i}: input ${v3(d.points)} → code ${code} → reconstruction ${v3(d.reconstructions)}; error ${fmt(d.errors[i])}; trail −∂L/∂z ${trail}`;
    hoverInfo.textContent = text;
    hoverInfo.dataset.index = String(i);
    return text;
  }

  /** @param {{name: string, label: string, preview: number[][]}[]} sets */
  function drawThumbnails(sets) {
    for (const set of sets) {
      if (!pickers.has(set.name)) {
        const thumb = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', { class: 'thumb', viewBox: '0 0 60 60', 'aria-hidden': 'true' })));
        const label = h('span', {}, set.name);
        const b = h('button', { class: 'dataset', 'data-testid': `latent3d-dataset-${set.name}`, title: set.name, onclick: () => { goLive(); configure({ dataset: set.name }); } }, thumb, label);
        pickers.set(set.name, { b, thumb, label });
        pickerRow.append(b);
      }
      const p = /** @type {{b: HTMLElement, thumb: SVGSVGElement, label: HTMLElement}} */ (pickers.get(set.name));
      p.label.textContent = set.label;
      p.b.title = set.label;
      const r = Math.max(...set.preview.flat().map(Math.abs)) || 1;
      const k = 22 / r;
      p.thumb.replaceChildren(...set.preview.map((q, i) => {
        const [a, b] = rotate(q[0], q[1], q[2], cameraFor(set.name));
        return svg('circle', { cx: (30 + a * k).toFixed(1), cy: (30 - b * k).toFixed(1), r: 2.2, fill: alongCurve(i / Math.max(1, set.preview.length - 1)) });
      }));
    }
  }

  let lastUrl = '';
  function syncUrl() {
    if (!live) return;
    const q = new URLSearchParams();
    toUrl(q, schema, live.settings, URL_KEYS);
    q.set('speed', String(live.run.speed));
    q.set('scale', String(trailScale));
    q.set('colour', colourMode);
    const next = `${location.pathname}?${q}`;
    // only when something changed: browsers throttle frequent history updates
    if (next !== lastUrl) {
      lastUrl = next;
      history.replaceState(null, '', next);
    }
  }

  /** @param {Snapshot} s */
  function onLive(s) {
    const fresh = live === null;
    snapshotCount += 1;
    root.dataset.snapshots = String(snapshotCount);
    live = s;
    const st = s.settings;
    // a new shape starts from its own camera; your points keep the camera you had
    if (st.dataset !== cameraDataset) {
      cameraDataset = st.dataset;
      if (st.dataset !== 'upload') Object.assign(camera, cameraFor(st.dataset));
    }
    const run = s.run;
    if (play.hidden !== run.training) {
      play.hidden = run.training;
      pause.hidden = !run.training;
    }
    for (const [name, p] of pickers) attr(p.b, 'aria-pressed', String(name === st.dataset));
    attr(root, 'data-dataset', st.dataset);
    /** @param {HTMLInputElement} el @param {number} v */
    const keep = (el, v) => { if (document.activeElement !== el && el.value !== String(v)) el.value = String(v); };
    keep(points, st.points);
    keep(noise, st.noise);
    keep(seed, st.seed);
    choose(lr, st.lr);
    choose(activation, st.activation);
    choose(latent, st.latent);
    choose(trailEvery, st.trail_every);
    choose(speed, run.speed);
    if (points.disabled !== (st.dataset === 'upload')) {
      points.disabled = st.dataset === 'upload';
      noise.disabled = st.dataset === 'upload';
    }
    show(rate, run.steps_per_second, (v) => (v === null || v === undefined ? '–' : v.toFixed(0)));
    if (s.timeline_generation !== lastGeneration) {
      if (lastGeneration !== -1 && viewing !== null) goLive();
      lastGeneration = s.timeline_generation;
    }
    attr(timeline, 'max', String(Math.max(0, s.timeline.length - 1)));
    attr(timeline, 'data-count', String(s.timeline.length));
    if (viewing === null && !scrubbing && timeline.value !== timeline.max) timeline.value = timeline.max;
    if (run.notice && run.notice.id !== lastNotice) {
      if (!fresh) say(run.notice.text);
      lastNotice = run.notice.id;
    }
    // the chart is redrawn at most 4 times a second while training
    const now = performance.now();
    if (!run.training || now - chartDrawn > 250) {
      lineChart(chart, run.losses, { width: 320, height: 200, label: 'epoch' });
      chartDrawn = now;
    }
    attr(root, 'data-training', String(run.training));
    attr(root, 'data-live-epoch', String(s.epoch));
    syncUrl();
    if (viewing === null) queueRender();
  }

  let uploadName = '';
  const { session } = connectPage('latent3d', {
    say,
    urlKeys: URL_KEYS,
    onHello: (hello, q) => {
      schema = hello.schema;
      fillControls(schema);
      drawThumbnails(hello.info.datasets);
      /** @type {string[]} */
      const problems = [...url.problems];
      if (q.get('dataset') === 'upload') {
        problems.push('Uploaded points are not kept in the URL; showing the circle. Upload the file again.');
        q.delete('dataset');
      }
      return problems;
    },
    // the speed is the page's own URL state (the runner's, not a setting)
    fromUrlToo: (s) => (url.speed !== null && url.speed !== s.run.speed ? [{ type: 'speed', value: url.speed }] : []),
    onSnapshot: (/** @type {Snapshot} */ s) => {
      if (s.settings.dataset === 'upload' && s.dataset_label !== uploadName) {
        uploadName = s.dataset_label;
        if (live) say(`Loaded ${s.n} points from ${s.dataset_label}, centred and scaled to fit the unit cube.`);
      }
      onLive(s);
    },
  });
}
