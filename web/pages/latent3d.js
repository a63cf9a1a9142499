// The 3D Latent Explorer: 3D points squeezed through a 2D (or 1D, 3D) bottleneck and
// rebuilt, with the exact opposite gradient of every latent code drawn as a trail, a
// timeline of the training, and PCA beside it. The server trains; this page draws.

import { h, svg, Tooltip } from '../lib/dom.js';
import { connectPage, messageLine } from '../lib/page.js';
import { lineChart } from '../lib/chart.js';
import { lossNote } from '../lib/lossnotes.js';
import { byError } from '../lib/colors.js';
import { attr, fmt, ratio, show } from '../lib/format.js';
import { choose, offered, select, trainToggle } from '../lib/controls.js';
import { check, field, settingsToUrl } from '../lib/settings.js';
import { cameraFor, createStage } from './latent3d/views.js';
import { createDatasets } from './latent3d/datasets.js';
import { createTimeline } from './latent3d/timeline.js';
import { bindViews } from './latent3d/interact.js';
import { introText, verdictText } from './latent3d/words.js';
import { challengePanel } from '../lib/challenges.js';
import { CHALLENGES } from '../challenges/latent3d.js';

/** @type {[number, string][]} */
const SPEEDS = [[30, 'slow'], [250, 'normal'], [2000, 'fast'], [0, 'as fast as it goes']];
/**
 * @typedef {{dataset: string, points: number, noise: number, seed: number, lr: number,
 *   activation: string, latent: number, trail_every: number}} Settings
 * @typedef {{training: boolean, speed: number, steps_per_second: number,
 *   losses: [number, number][], notice: {id: number, text: string}|null}} Run
 * @typedef {{type: string, moment: number|null, settings: Settings, run: Run, dataset_label: string,
 *   sizes: number[], params: number, n: number, latent: number,
 *   epoch: number, loss: number|null, ae_error: number|null, pca_error: number|null,
 *   trails_epoch: number, trail_reference: number, timeline: number[], timeline_generation: number,
 *   data: Record<string, Float32Array>}} Snapshot
 * @typedef {import('../lib/settings.js').Schema} Schema
 */

/** The URL key of a setting, where it is not the setting's name. */
const URL_KEYS = { trail_every: 'k' };

/**
 * Reads the view's own state (not settings of the job) from the URL.
 * @returns {{speed: number|null, scale: number, colour: string, trailLog: boolean, problems: string[]}}
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
  const trailLog = q.get('tlog') === '1';
  const raw = q.get('colour');
  const colour = raw === 'error' ? 'error' : 'curve';
  if (raw !== null && raw !== 'error' && raw !== 'curve') problems.push(`colour=${raw} is not one of curve, error; using curve.`);
  return { speed, scale, colour, trailLog, problems };
}

/** @param {HTMLElement} root */
export function mount(root) {
  const tooltip = new Tooltip();
  const url = readViewState();
  /** @type {Schema} */ let schema = [];
  let cameraDataset = '';
  /** @type {Snapshot|null} */ let live = null;
  let lastNotice = -1;
  let renderQueued = false;
  let snapshotCount = 0;
  let chartDrawn = 0;
  let trailScale = url.scale;
  let trailLog = url.trailLog;
  let colourMode = url.colour;

  // ---- controls
  const { el: message, say } = messageLine('latent3d');
  const send = (/** @type {Record<string, any>} */ msg) => session.send(msg);
  const configure = (/** @type {Partial<Settings>} */ c) => send({ type: 'configure', ...c });

  const toggle = trainToggle({ train: 'latent3d-play', pause: 'latent3d-pause' }, (training) => send({ type: training ? 'pause' : 'play' }));
  const step = h('button', { 'data-testid': 'latent3d-step', title: 'Train one epoch (one full-batch Adam step)', onclick: () => send({ type: 'step' }) }, 'Step');
  const reset = h('button', { 'data-testid': 'latent3d-reset', title: 'New weights from the seed; epoch 0; the timeline starts again', onclick: () => { goLive(); send({ type: 'reset' }); } }, 'Reset');

  const datasets = createDatasets({
    pick: (name) => { goLive(); configure({ dataset: name }); },
    upload: (name, csv) => { goLive(); say(''); send({ type: 'upload', name, csv }); },
    say,
    maxPoints: () => Number(field(schema, 'points').max),
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
    fill(lr, offered(field(sc, 'lr')));
    fill(activation, offered(field(sc, 'activation')));
    fill(latent, offered(field(sc, 'latent')));
    fill(trailEvery, offered(field(sc, 'trail_every')).map(([k]) => [k, `${k} epochs`]));
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
  const logBox = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', 'data-testid': 'latent3d-trail-log', checked: trailLog }));
  logBox.addEventListener('change', () => {
    trailLog = logBox.checked;
    syncUrl();
    queueRender();
  });
  // the largest trail now and at epoch 0: trails are drawn against the latter
  const largest = h('p', { class: 'muted trail-figures', 'data-testid': 'latent3d-largest-trail' });
  const intro = h('p', { 'data-testid': 'latent3d-intro' });
  intro.textContent = introText(2);
  // the colour scale, shown when points are coloured by error
  const legend = h('div', { class: 'error-legend', 'data-testid': 'latent3d-colour-legend', hidden: colourMode !== 'error' },
    h('span', {}, 'low error'), h('span', { class: 'ramp', style: `background: linear-gradient(90deg, ${byError(0)}, ${byError(0.5)}, ${byError(1)})` }), h('span', {}, 'high error'),
    h('span', { class: 'muted' }, ' (autoencoder and PCA on one scale)'));
  const colourError = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', 'data-testid': 'latent3d-colour-error', checked: colourMode === 'error' }));
  colourError.addEventListener('change', () => {
    colourMode = colourError.checked ? 'error' : 'curve';
    legend.hidden = colourMode !== 'error';
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

  // ---- views (drawn by ./latent3d/views.js)
  const stage = createStage((i, ev) => setHover(i, ev));
  const { camera, views, encoder, decoder } = stage;

  // ---- timeline (./latent3d/timeline.js)
  const tl = createTimeline({
    root,
    live: () => live,
    fetch: (index) => session.query('moment', { index }),
    redraw: () => queueRender(),
    say,
  });
  const goLive = () => tl.goLive();

  const chart = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', { class: 'chart', 'data-testid': 'latent3d-chart' })));
  const chartNote = h('p', { class: 'muted chart-note', 'data-testid': 'latent3d-loss-note' });

  /**
   * @param {import('./latent3d/views.js').View} v
   * @param {HTMLElement} [caption]
   */
  const panel = (v, caption) => h('figure', { class: 'panel' }, h('figcaption', {}, v.title), v.el, caption || null);

  // the seam check compares every pair of points: four times a second is plenty
  const challenges = challengePanel('latent3d', CHALLENGES, { root, every: 250 });
  root.replaceChildren(
    h('section', { class: 'latent3d' },
      h('aside', { class: 'explain', 'data-testid': 'explain' },
        h('h1', {}, '3D Latent Explorer'),
        intro,
        h('p', {}, 'Press Train and watch the codes spread out. The short lines in the latent view are trails: the direction each code would move to lower the loss (−∂L/∂z, exact). Drag a 3D view to turn it, hover a dot to find it everywhere, scrub the timeline to go back in time.'),
        challenges.el,
        h('div', { class: 'controls' },
          h('div', { class: 'row' }, toggle.el, step, reset),
          // in view without scrolling, right under the buttons that change them
          h('dl', { class: 'figures two' },
            h('dt', {}, 'epoch'), h('dd', {}, epoch),
            h('dt', { title: 'mean squared error' }, 'loss (MSE)'), h('dd', {}, loss),
            h('dt', {}, 'epochs/s'), h('dd', {}, rate)),
          datasets.row,
          datasets.upload,
          // beside the controls that cause them: upload and setting messages stay in view
          message,
          h('div', { class: 'settings' },
            h('label', {}, 'points', points), h('label', {}, 'noise', noise), h('label', {}, 'seed', seed),
            h('label', {}, 'learning rate', lr), h('label', {}, 'hidden activation', activation), h('label', {}, 'latent size', latent),
            h('label', {}, 'trails every', trailEvery), h('label', {}, 'speed', speed)),
          h('label', { class: 'slider' }, 'trail length ', scale, scaleOut),
          h('label', { class: 'check' }, logBox, ' trails on a log scale'),
          largest,
          h('label', { class: 'check' }, colourError, ' colour points by reconstruction error'),
          legend,
          )),
      h('div', { class: 'stage' },
        h('div', { class: 'row-views' },
          panel(views.input), h('div', { class: 'hourglass' }, encoder), panel(views.latent), h('div', { class: 'hourglass' }, decoder), panel(views.recon)),
        tl.el,
        hoverInfo,
        h('div', { class: 'row-below' },
          panel(views.layered),
          panel(views.pca, h('div', { class: 'compare' },
            h('dl', { class: 'figures' },
              h('dt', {}, 'autoencoder error'), h('dd', {}, aeError),
              h('dt', {}, 'PCA error'), h('dd', {}, pcaError)),
            verdict)),
          h('figure', { class: 'panel' }, h('figcaption', {}, 'Loss over epochs'), chart, chartNote)))));
  challenges.applyLink();

  // ---- dragging a 3D view (or its arrow keys) turns the shared camera; [ and ] step
  // from point to point (./latent3d/interact.js)
  bindViews(views, { camera, current, queueRender, setHover });

  function current() {
    return tl.moment() || live;
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

  /** @param {Snapshot} s */
  function render(s) {
    const k = s.latent;
    stage.draw(s, { colourMode, trailScale, trailLog });
    const words = introText(k);
    if (intro.textContent !== words) intro.textContent = words;
    const now = Number(stage.views.latent.el.dataset.longestTrail || 0);
    const text = `Largest −∂L/∂z now ${fmt(now)}; at epoch 0 ${fmt(s.trail_reference)}. Trails are drawn against the epoch-0 largest, so they shrink as training settles.`;
    if (largest.textContent !== text) largest.textContent = text;
    largest.dataset.value = String(now);

    // figures
    show(epoch, s.epoch, (v) => String(v));
    show(loss, s.loss);
    show(aeError, s.ae_error);
    show(pcaError, s.pca_error);
    if (s.ae_error !== null && s.pca_error !== null) {
      const text = verdictText(s.ae_error, s.pca_error, k);
      if (verdict.textContent !== text) verdict.textContent = text;
    }
    stage.drawHourglass(s.sizes);
    attr(root, 'data-snapshot-epoch', String(s.epoch));
    const hover = stage.hovered();
    if (hover !== null) describe(hover);
  }

  /**
   * @param {number|null} i
   * @param {MouseEvent} [ev]
   */
  function setHover(i, ev) {
    stage.highlight(i);
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

  function syncUrl() {
    if (!live) return;
    /** @type {Record<string, string>} */
    const extra = { speed: String(live.run.speed), scale: String(trailScale), colour: colourMode };
    if (trailLog) extra.tlog = '1';
    settingsToUrl(schema, live.settings, { extra, keys: URL_KEYS });
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
    toggle.set(run.training);
    datasets.mark(st.dataset, s.dataset_label);
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
    tl.update(s);
    if (run.notice && run.notice.id !== lastNotice) {
      if (!fresh) say(run.notice.text);
      lastNotice = run.notice.id;
    }
    // the chart is redrawn at most 4 times a second while training
    const now = performance.now();
    if (!run.training || now - chartDrawn > 250) {
      lineChart(chart, run.losses, { width: 320, height: 200, label: 'epoch' });
      const note = lossNote(run.losses, { optimizer: 'adam' });
      if (chartNote.textContent !== note) chartNote.textContent = note;
      chartDrawn = now;
    }
    attr(root, 'data-training', String(run.training));
    attr(root, 'data-live-epoch', String(s.epoch));
    syncUrl();
    if (!tl.viewing()) queueRender();
  }

  let uploadName = '';
  const { session } = connectPage('latent3d', {
    say,
    urlKeys: URL_KEYS,
    onHello: (hello, q) => {
      schema = hello.schema;
      fillControls(schema);
      datasets.show(hello.info.datasets);
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
      challenges.update({ snapshot: s });
    },
  });
}
