// The Digits Lab: a real digit autoencoder's latent space. Pick a model — one Hourglass ships
// (2-D and 30-D codes of MNIST and Fashion-MNIST), one from the models folder, or your own
// trained here while you watch the map form — then hover the map to decode any spot, draw a
// digit, slide its code, iterate encode→decode to a fixed point, and compare code sizes.
// The parts live in pages/digits/: map.js (the map), digit.js (your digit and what you do
// with it). This module holds the model picker, the training controls and the snapshot.

import { h, svg, showNumber } from '../lib/dom.js';
import { connectPage, messageLine } from '../lib/page.js';
import { lineChart } from '../lib/chart.js';
import { check, settingsToUrl } from '../lib/settings.js';
import { choose, controlFor, trainToggle, showSettings } from '../lib/controls.js';
import { mapPanel } from './digits/map.js';
import { digitPanels } from './digits/digit.js';
import { datasetDownload } from '../lib/download.js';
import { inBrowser } from '../lib/socket.js';
import { challengePanel } from '../lib/challenges.js';
import { CHALLENGES } from '../challenges/digits.js';

const CLASS_NAMES = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  'fashion-mnist': ['T-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'boot'],
};
/** The data sets' names as people write them. */
const TITLES = { mnist: 'MNIST', 'fashion-mnist': 'Fashion-MNIST', 'photo-patches': 'photo-patches' };
/** The built-in colour data set: 64×64 patches of four photographs (2,000 train, 500 test). */
const PHOTOS = 'photo-patches';
/** Settings that only training uses (hidden while a trained model is shown). */
const TRAINING = ['dataset', 'train_size', 'lr', 'batch', 'seed'];

/**
 * @typedef {import('../lib/settings.js').Schema} Schema
 * @typedef {{model: string, map: string, dataset: string, train_size: number, lr: number, batch: number, seed: number}} Settings
 * @typedef {{training: boolean, queued: number|null, speed: number, steps_per_second: number,
 *   losses: [number, number][], notice: {id: number, text: string}|null}} Run
 * @typedef {import('../lib/download.js').Download} Download
 * @typedef {{name: string, title: string, kind: string, dataset: string|null, latent: number|null, error: string|null}} ModelEntry
 * @typedef {{dataset: string, source: string, count: number, latent: number, projected: boolean,
 *   ranges: [number, number][], class_means: (number[]|null)[], vae?: boolean, classes?: string[]}} MapInfo
 * @typedef {{type: string, settings: Settings, run: Run, model: string, title: string, layers: string,
 *   latent: number, image: number[], quality: any, models: ModelEntry[], step: number, steps_per_epoch: number|null,
 *   epoch: number|null, loss: number|null, trains_on_sample: boolean, datasets: {name: string, present: boolean}[],
 *   download?: Download, map?: MapInfo, map_error: string|null, data?: Record<string, Float32Array>}} Snapshot
 */

/** @param {HTMLElement} root */
export function mount(root) {
  /** @type {Schema} */ let schema = [];
  /** @type {Snapshot|null} */ let live = null;
  let lastNotice = -1;
  let lastStep = -1;
  let lastMapKey = '';

  const { el: message, say } = messageLine('digits');
  const send = (/** @type {Record<string, any>} */ m) => session.send(m);
  const dataset = () => (live && live.map ? live.map.dataset : live ? live.settings.dataset : 'mnist');
  const names = () => (live && live.map && live.map.classes) || CLASS_NAMES[/** @type {'mnist'} */ (dataset())] || [];
  /** the images the model takes: [channels, height, width] */
  const shape = () => (live && live.image ? live.image : [1, 28, 28]);
  /** the model's layer sizes, e.g. 784-100-50-25-2 (null for a conv model) */
  const sizesOf = (/** @type {Snapshot} */ s) => { const m = s.layers.match(/\d+(?:-\d+)+/); return m ? m[0] : null; };

  // ---- the model picker: shipped models, your own, and the models folder
  const picker = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'digits-model', 'aria-label': 'Model' }));
  picker.addEventListener('change', () => {
    say('');
    send({ type: 'configure', model: picker.value });
  });
  const rescan = h('button', { 'data-testid': 'digits-rescan', title: 'Read the models folder again', onclick: () => send({ type: 'rescan' }) }, '↻');
  const modelNote = h('p', { class: 'muted', 'data-testid': 'digits-model-note' });
  const quality = h('p', { class: 'quality', 'data-testid': 'digits-quality' });
  const mapNote = h('p', { class: 'muted', 'data-testid': 'digits-map-source' });
  let pickerKey = '';
  /** @param {Snapshot} s */
  function drawPicker(s) {
    const key = JSON.stringify(s.models);
    if (key !== pickerKey) {
      pickerKey = key;
      /** @param {string} kind @param {string} label */
      const group = (kind, label) => {
        const entries = s.models.filter((m) => m.kind === kind);
        if (!entries.length) return null;
        return h('optgroup', { label }, ...entries.map((m) => h('option', {
          value: m.name,
          'data-testid': `digits-model-${m.name}`,
          disabled: m.error ? true : undefined,
          title: m.error || undefined,
        }, m.error ? `${m.title} — cannot be used: ${m.error}` : m.title)));
      };
      picker.replaceChildren(...[group('shipped', 'Shipped with Hourglass'), group('train', 'Yours'), group('file', 'Models folder')].filter((g) => g !== null));
    }
    if (document.activeElement !== picker) choose(picker, s.settings.model);
    const bad = s.models.filter((m) => m.error);
    modelNote.textContent = bad.length ? `${bad.length} file${bad.length === 1 ? '' : 's'} in the models folder cannot be shown here (the reason is in the list).` : '';
    const q = s.quality;
    if (q && q.test_mse !== undefined) {
      quality.textContent = `Test error (MSE per pixel, all ${s.map && s.map.source === 'sample' ? 'test images, measured when it was made' : 'test images'}): ${q.test_mse.toFixed(4)} — PCA with ${q.pca_components} components: ${q.pca_test_mse.toFixed(4)} (the autoencoder's is ${(q.test_mse / q.pca_test_mse).toFixed(2)}× PCA's). Trained for ${q.epochs} epochs with Adam.`;
      quality.dataset.value = JSON.stringify({ test_mse: q.test_mse, pca_test_mse: q.pca_test_mse });
    } else if (q && q.metrics) {
      const m = Object.entries(q.metrics).map(([k, v]) => `${k.replace('_', ' ')} ${Number(v).toFixed(4)}`).join(', ');
      quality.textContent = `Trained for ${q.epochs} epochs${m ? `: ${m}` : ''}.`;
      quality.dataset.value = '';
    } else {
      quality.textContent = s.settings.model === 'train' ? `Your model: the tutorial\u2019s ${sizesOf(s)}, trained here with Adam.` : '';
      quality.dataset.value = '';
    }
    const m = s.map;
    const total = m ? TITLES[/** @type {'mnist'} */ (m.dataset)] || m.dataset : 'MNIST';
    const photos = !!m && m.dataset === PHOTOS;
    mapNote.textContent = !m ? (s.map_error || '')
      : m.source === 'sample' ? `The map shows the 2,000 test images shipped with Hourglass. Download ${total} (below) for all 10,000.`
        : m.source === 'subset' ? `The map shows ${photos ? `all ${m.count.toLocaleString('en')}` : `a fixed ${m.count.toLocaleString('en')} of the`} ${total} test images, re-encoded as the model trains.`
          : `The map shows all ${m.count.toLocaleString('en')} ${m.source === 'train' ? 'training' : 'test'} images of ${total}${m.projected ? `, placed by the first two principal components of their ${m.latent}-number codes` : ''}.`;
    mapSource.hidden = !m || m.source === 'sample' || m.source === 'subset';
    const counts = photos ? ['500', '2,000'] : ['10,000', '60,000'];
    mapSource.options[0].textContent = `test images (${counts[0]})`;
    mapSource.options[1].textContent = `training images (${counts[1]})`;
  }
  const mapSource = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'digits-map-split', 'aria-label': 'Which images the map shows' },
    h('option', { value: 'test' }, 'test images (10,000)'), h('option', { value: 'train' }, 'training images (60,000)')));
  mapSource.addEventListener('change', () => send({ type: 'configure', map: mapSource.value }));

  // ---- training your own
  const toggle = trainToggle({ train: 'digits-train', pause: 'digits-pause' }, (training) => {
    if (training) {
      send({ type: 'pause' });
      return;
    }
    // a shipped model is already trained: Train starts your own
    if (live && live.settings.model !== 'train') send({ type: 'configure', model: 'train' });
    send({ type: 'play' });
  });
  const step = h('button', { 'data-testid': 'digits-step', title: 'Train one mini-batch', onclick: () => {
    if (live && live.settings.model !== 'train') send({ type: 'configure', model: 'train' });
    send({ type: 'step' });
  } }, 'Step');
  const reset = h('button', { 'data-testid': 'digits-reset', title: 'New weights from the seed', onclick: () => send({ type: 'reset' }) }, 'Reset');
  /** @type {Record<string, HTMLSelectElement|HTMLInputElement>} */
  const controls = {};
  const settingsBox = h('div', { class: 'settings' });
  function buildControls() {
    settingsBox.replaceChildren();
    for (const f of schema) {
      if (!TRAINING.includes(f.name)) continue;
      const el = controlFor(f, `digits-${f.name}`);
      el.addEventListener('change', () => {
        const c = check(f, el.value);
        if (!c.ok) {
          say(`${c.why}.`);
          if (live) el.value = String(live.settings[/** @type {keyof Settings} */ (f.name)]);
          return;
        }
        say('');
        send({ type: 'configure', [f.name]: c.value });
      });
      controls[f.name] = el;
      settingsBox.append(h('label', {}, f.label, el));
    }
  }
  const epoch = h('span', { class: 'figure', 'data-testid': 'digits-epoch' }, '–');
  const loss = h('span', { class: 'figure', 'data-testid': 'digits-loss' }, '–');
  const rate = h('span', { class: 'figure', 'data-testid': 'digits-rate' }, '–');
  const queued = h('p', { class: 'message', 'data-testid': 'digits-queued', hidden: true });
  const onSample = h('p', { class: 'muted', 'data-testid': 'digits-on-sample', hidden: true }, 'Training on the shipped sample of 2,000 test images: the dataset is not here.');
  // a dataset that is not on the machine can be downloaded from here (checked by its sha256)
  const download = datasetDownload('digits', (dataset) => send({ type: 'fetch', dataset }), say);
  const chart = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', { class: 'chart', 'data-testid': 'digits-chart' })));
  const trainingBox = h('div', { class: 'training' },
    settingsBox,
    h('dl', { class: 'figures' },
      h('dt', {}, 'epoch'), h('dd', {}, epoch),
      h('dt', {}, 'loss (mean squared error)'), h('dd', {}, loss),
      h('dt', {}, 'steps per second'), h('dd', {}, rate)),
    onSample,
    chart);

  const intro = h('p', { 'data-testid': 'digits-intro' });
  const trainNote = h('p', { class: 'muted' });
  /** @param {Snapshot} s */
  function drawIntro(s) {
    const sizes = sizesOf(s);
    const hidden = sizes ? `${sizes.split('-').slice(1, -1).join(', ')} neurons` : 'convolution layers';
    const [c, hh, w] = s.image;
    const what = c === 3
      ? `An autoencoder of colour photographs: ${(c * hh * w).toLocaleString('en')} numbers (${hh}×${w} pixels, each red, green and blue)`
      : `A real digit autoencoder: ${hh * w} pixels`;
    const text = s.latent === 2
      ? `${what} squeezed through ${hidden} down to a code of just two numbers, and rebuilt from those two. Because the code has two numbers, every image has a place on a map: each dot is an image at its code, coloured by what it shows. Similar images end up near each other, although the model never sees the labels.`
      : `${what} squeezed through ${hidden} down to a code of ${s.latent} numbers, and rebuilt from those. ${s.latent} numbers do not fit on a page, so the map places each image by the two directions along which the codes vary most (PCA of the codes): a flattened view, where classes overlap more than they do in the code itself.`;
    if (intro.textContent !== text) intro.textContent = text;
    const first = s.settings.dataset === PHOTOS ? '12288' : '784';
    // what the photo-patches set is, said only when it is the one picked
    const data = s.settings.dataset === PHOTOS ? ' (photo-patches: all 2,000 of its 64×64 colour training patches, built in)' : '';
    const own = `Train your own: the tutorial\u2019s ${first}-100-50-25-2 model from random weights, on the dataset below${data}; watch the map form.`;
    if (trainNote.textContent !== own) trainNote.textContent = own;
  }

  // ---- the map and your digit (they ask the server through `server`: the session opens below)
  const server = { query: (/** @type {string} */ name, /** @type {Record<string, any>} */ fields) => session.query(name, fields) };
  // the challenges are checked on what the learner does (each answer, as an event) against
  // the map as it is
  const challenges = challengePanel('digits', CHALLENGES, { root });
  const onEvent = (/** @type {import('../challenges/digits.js').Event} */ event) => {
    if (live) challenges.update({ snapshot: live, event });
  };
  const mp = mapPanel({ session: server, say, names, shape, onDot: (i) => digit.loadImage(i), onEvent });
  const digit = digitPanels({
    session: server,
    say,
    names,
    shape,
    count: () => mp.map.xy.length / 2,
    setMarker: (p) => mp.setMarker(p),
    setPath: (p) => mp.setPath(p),
    markFixed: (p) => mp.markFixed(p),
    setOutline: (p) => mp.setOutline(p),
    onEvent,
  });

  root.replaceChildren(
    h('section', { class: 'digits' },
      h('aside', { class: 'explain', 'data-testid': 'explain' },
        h('h1', {}, 'Digits Lab'),
        intro,
        challenges.el,
        h('label', { class: 'picker' }, 'Model ', picker, rescan),
        modelNote, quality, mapNote, mapSource,
        h('div', { class: 'controls' },
          h('div', { class: 'row' }, toggle.el, step, reset),
          trainNote,
          trainingBox,
          queued,
          h('div', { class: 'row' }, download.button, download.progress),
          message),
        h('p', { class: 'muted' }, 'The shipped models are Hourglass\u2019s own: trained with Adam on all 60,000 training images (the tutorial pre-trained its layers as RBMs instead), with a sigmoid output and mean squared error.'),
        h('p', { class: 'muted credit' }, 'MNIST: Yann LeCun, Corinna Cortes and Christopher Burges. Fashion-MNIST: Zalando Research (MIT licence). Both are redistributed here, as a sample of 2,000 test images each, with attribution. photo-patches is cut from four photographs scikit-image ships: the astronaut Eileen Collins (NASA, public domain), Chelsea the cat (Stefan van der Walt, CC0), a coffee cup (Rachel Michetti, CC0) and the DSCOVR launch (SpaceX, public domain).')),
      h('div', { class: 'middle' }, mp.element),
      h('div', { class: 'side' }, ...digit.panels)));

  function syncUrl() {
    if (live) settingsToUrl(schema, live.settings);
  }

  /** @param {Snapshot} s */
  function missingDataset(s) {
    return s.settings.model === 'train' ? s.settings.dataset : (s.map ? s.map.dataset : s.settings.dataset);
  }

  /** @param {Snapshot} s */
  function draw(s) {
    const datasetChanged = !live || dataset() !== (s.map ? s.map.dataset : s.settings.dataset);
    live = s;
    const run = s.run;
    const training = s.settings.model === 'train';
    toggle.set(run.training);
    reset.hidden = !training;
    trainingBox.hidden = !training;
    showSettings(controls, s.settings);
    // photo-patches has 2,000 training patches, all of them used: the size is not asked
    const sizeLabel = controls.train_size && controls.train_size.parentElement;
    if (sizeLabel) sizeLabel.hidden = s.settings.dataset === PHOTOS;
    if (document.activeElement !== mapSource) mapSource.value = s.settings.map;
    drawPicker(s);
    drawIntro(s);
    showNumber(epoch, s.epoch, 2);
    onSample.hidden = !s.trains_on_sample;
    showNumber(loss, s.loss, 4);
    showNumber(rate, run.training ? run.steps_per_second : null, 0);
    queued.hidden = run.queued === null;
    queued.textContent = run.queued === null ? '' : `Waiting for a free training slot: place ${run.queued} in the queue (other tabs are training). It starts by itself.`;
    queued.dataset.value = run.queued === null ? '' : String(run.queued);
    if (run.notice && run.notice.id !== lastNotice) {
      lastNotice = run.notice.id;
      say(run.notice.text);
    }
    download.draw(s.download, missingDataset(s), s.datasets);
    if (training) lineChart(chart, run.losses, { width: 300, height: 180, label: 'epoch' });
    const m = s.map;
    const key = `${s.settings.model}:${m ? `${m.dataset}:${m.source}:${m.count}` : ''}`;
    const positions = s.data && s.data.codes ? s.data.codes : null;
    mp.update({ positions, labels: s.data && s.data.labels ? s.data.labels : null, key, training, legend: datasetChanged || key !== lastMapKey });
    const moved = s.step !== lastStep || key !== lastMapKey;
    digit.update(m || null, key, moved);
    lastMapKey = key;
    lastStep = s.step;
    root.dataset.step = String(s.step);
    root.dataset.training = String(run.training);
    root.dataset.model = s.settings.model;
    syncUrl();
  }

  const { session } = connectPage('digits', {
    say,
    onHello: (hello) => {
      schema = hello.schema;
      buildControls();
      const missing = hello.info.datasets.filter((/** @type {{present: boolean}} */ d) => !d.present).map((/** @type {{name: string}} */ d) => d.name);
      if (!missing.length) return [];
      return [inBrowser
        ? `Not in this browser: ${missing.join(', ')}. The shipped models work without them, and your own model trains on their shipped sample of 2,000 test images; for the rest, pick the dataset's four IDX files from your disk (Use ${missing[0]} files from disk\u2026).`
        : `Not on this machine: ${missing.join(', ')}. The shipped models work without them (on a sample of 2,000 test images), and your own model trains on that sample; press Download for the rest (or run \`hourglass data fetch ${missing[0]}\`, or start the server with --data-dir).`];
    },
    onSnapshot: draw,
  });
  challenges.applyLink();
}
