// Features: what an autoencoder's codes are worth and the sparse dictionaries that explain
// them. Train a dictionary on the pixels (TopK or L1, up to 4096 features) and watch its L0,
// dead units and FVU; train the frontier of several k against PCA; read every feature in the
// browser and steer one; probe every representation with a linear classifier at 10, 100 and
// 1000 labels per class. One run at a time (the job's `task`); the charts are in
// features/charts.js, the browser and steering in features/browser.js.

import { h, svg } from '../lib/dom.js';
import { connectPage, messageLine } from '../lib/page.js';
import { lineChart } from '../lib/chart.js';
import { settingsToUrl } from '../lib/settings.js';
import { controlFor, trainToggle, showSettings } from '../lib/controls.js';
import { datasetDownload } from '../lib/download.js';
import { probeChart, frontierChart } from './features/charts.js';
import { browserSection } from './features/browser.js';

/** @typedef {import('../lib/settings.js').Schema} Schema */

/** @param {HTMLElement} root */
export function mount(root) {
  /** @type {Schema} */ let schema = [];
  /** @type {any} */ let live = null;
  let lastNotice = -1;
  let lastDictionary = '';
  /** @type {Record<string, HTMLSelectElement|HTMLInputElement>} */
  const controls = {};
  const { el: message, say } = messageLine('features');
  const send = (/** @type {Record<string, any>} */ m) => session.send(m);
  const fail = (/** @type {any} */ e) => say(String(e && e.message ? e.message : e));

  /** @param {string} name @param {string} testid */
  function bind(name, testid) {
    const f = schema.find((x) => x.name === name);
    if (!f) throw new Error(`no setting ${name}`);
    const el = controlFor(f, testid);
    el.addEventListener('change', () => send({ type: 'configure', [name]: f.kind === 'choice' ? el.value : Number(el.value) }));
    controls[name] = el;
    return el;
  }
  const labelled = (/** @type {string} */ label, /** @type {HTMLElement} */ el) => h('label', {}, h('span', {}, label), el);

  /** A Run/Pause button for one task. @param {string} task @param {{train: string, pause: string}} ids @param {string} text */
  function runButton(task, ids, text) {
    const t = trainToggle(ids, (training) => {
      say('');
      if (training && live && live.settings.task === task) send({ type: 'pause' });
      else {
        if (!live || live.settings.task !== task) send({ type: 'configure', task });
        send({ type: 'play' });
      }
    });
    t.el.textContent = text;
    return { ...t, text };
  }
  const buttons = {
    dictionary: runButton('dictionary', { train: 'features-train', pause: 'features-pause' }, 'Train a dictionary'),
    frontier: runButton('frontier', { train: 'features-frontier-run', pause: 'features-frontier-pause' }, 'Train the frontier'),
    probe: runButton('probe', { train: 'features-probe-run', pause: 'features-probe-pause' }, 'Run the probe'),
  };

  // ---- train a dictionary: live figures, loss, frontier
  const figure = (/** @type {string} */ id, /** @type {string} */ label) => {
    const v = h('strong', { 'data-testid': id, 'data-value': '' }, '–');
    return { el: h('div', { class: 'figure' }, h('span', { class: 'muted' }, label), v), v };
  };
  const l0 = figure('features-l0', 'L0 (active per image)');
  const dead = figure('features-dead', 'dead features');
  const fvu = figure('features-fvu', 'FVU (variance unexplained)');
  const loss = figure('features-loss', 'loss');
  const status = h('p', { class: 'muted', 'data-testid': 'features-training' }, 'Nothing training.');
  const lossChart = /** @type {SVGSVGElement} */ (svg('svg', { class: 'chart', 'data-testid': 'features-loss-chart', role: 'img', 'aria-label': 'Training loss' }));
  const frontier = /** @type {SVGSVGElement} */ (svg('svg', { class: 'chart wide', 'data-testid': 'features-frontier', role: 'img', 'aria-label': 'FVU against L0, beside PCA' }));
  const train = h('section', { class: 'panel', 'data-testid': 'features-dictionary' },
    h('h2', {}, 'Train a dictionary'),
    h('p', {}, 'A sparse autoencoder with one wide layer: each image becomes a few active features out of many (TopK keeps the k largest; L1 penalises them all), and the image is rebuilt as the sum of their directions. It is how sparse autoencoders pull features out of a language model\u2019s activations; here the activations are pixels, so every feature is a picture you can check by eye.'),
    h('div', { class: 'row' }, buttons.dictionary.el, buttons.frontier.el),
    status,
    h('div', { class: 'figures' }, l0.el, dead.el, fvu.el, loss.el),
    h('div', { class: 'two' },
      h('figure', {}, lossChart, h('figcaption', { class: 'muted' }, 'Loss (mean squared error per pixel).')),
      h('figure', {}, frontier, h('figcaption', { class: 'muted', 'data-testid': 'features-frontier-caption' }, 'The frontier: each dictionary trained (dots) as FVU against L0, and PCA (dashed) with as many components. Below the dashed line a dictionary explains more with as few active numbers.'))));

  // ---- the probe
  const probeSvg = /** @type {SVGSVGElement} */ (svg('svg', { class: 'chart wide', 'data-testid': 'features-probe-chart', role: 'img', 'aria-label': 'Probe accuracy against labels per class' }));
  const probeLegend = h('ul', { class: 'legend', 'data-testid': 'features-probe-legend' });
  const probeStatus = h('p', { class: 'muted', 'data-testid': 'features-probe-status' });
  const probeSentence = h('p', { 'data-testid': 'features-probe-sentence' });
  const probeRow = h('div', { class: 'row' }, buttons.probe.el);
  const probe = h('section', { class: 'panel', 'data-testid': 'features-probe' },
    h('h2', {}, 'What the codes are worth'),
    h('p', {}, 'Feature learning: use a representation as the input of a simple classifier trained on few labels. A linear probe (logistic regression, scikit-learn\u2019s defaults) on pixels, PCA, the shipped 30-D model\u2019s codes, your kept models\u2019 codes and the dictionary\u2019s features, with 10, 100 and 1000 labels per class — and every label, on request (minutes).'),
    probeRow, probeStatus, probeSvg, probeLegend, probeSentence);

  const browser = browserSection({ query: (name, fields = {}) => session.query(name, fields), fail });

  const side = h('aside', { class: 'explain' });
  const download = datasetDownload('features', (dataset) => send({ type: 'fetch', dataset }), say);
  const sampleNote = h('p', { class: 'message', 'data-testid': 'features-sample', hidden: true });
  function buildControls() {
    probeRow.replaceChildren(buttons.probe.el, labelled('Labels per class up to ', bind('probe_up_to', 'features-probe-up-to')));
    side.replaceChildren(
      h('h1', {}, 'Features'),
      h('p', {}, 'What an autoencoder\u2019s codes are good for, and the sparse dictionaries that explain other networks — on images you can read.'),
      h('div', { class: 'settings' },
        labelled('Dataset', bind('dataset', 'features-dataset')),
        labelled('Dictionary of', bind('source', 'features-source')),
        labelled('Features (width)', bind('width', 'features-width')),
        labelled('Sparsity', bind('penalty', 'features-penalty')),
        labelled('k (active per image)', bind('k', 'features-k')),
        labelled('L1 weight', bind('l1', 'features-l1')),
        labelled('Epochs', bind('epochs', 'features-epochs')),
        labelled('Training images', bind('train_size', 'features-train-size')),
        labelled('Seed', bind('seed', 'features-seed'))),
      h('div', { class: 'row' }, download.button, download.progress),
      sampleNote, message,
      h('p', { class: 'muted credit' }, 'TopK dictionaries: Gao et al. 2024, \u201cScaling and evaluating sparse autoencoders\u201d. MNIST: Yann LeCun, Corinna Cortes and Christopher Burges. Fashion-MNIST: Zalando Research (MIT licence).'));
  }

  /** @param {any} s */
  function draw(s) {
    const first = !live;
    live = s;
    const run = s.run;
    showSettings(controls, s.settings);
    const topk = s.settings.penalty === 'topk';
    for (const [name, show] of /** @type {[string, boolean][]} */ ([['k', topk], ['l1', !topk]])) {
      const label = controls[name] && controls[name].closest('label');
      if (label) /** @type {HTMLElement} */ (label).hidden = !show;
    }
    for (const [task, b] of Object.entries(buttons)) {
      const mine = run.training && s.settings.task === task;
      b.set(mine);
      if (!mine) b.el.textContent = b.text;
    }
    const tr = s.training;
    const figs = tr && tr.live ? tr.live : s.dictionary;
    status.textContent = tr ? `Training ${tr.name}${tr.runs > 1 ? ` (${tr.index + 1} of ${tr.runs})` : ''}: epoch ${tr.epoch.toFixed(2)} of ${tr.epochs}. Figures on the first 1,000 test images.` : (s.dictionary ? `Trained: ${s.dictionary.name}. Figures on the first ${s.dictionary.analysed.toLocaleString('en')} test images.` : 'Nothing trained yet.');
    for (const [f, v, fmt] of /** @type {[any, number|undefined, (x: number) => string][]} */ ([[l0, figs && figs.l0, (x) => x.toFixed(2)], [dead, figs && figs.dead, (x) => `${(100 * x).toFixed(1)}%`], [fvu, figs && figs.fvu, (x) => x.toFixed(3)], [loss, tr && tr.live ? tr.live.loss : (s.dictionary ? s.dictionary.loss : undefined), (x) => x.toFixed(4)]])) {
      f.v.textContent = v === undefined || v === null ? '–' : fmt(v);
      f.v.dataset.value = v === undefined || v === null ? '' : String(v);
    }
    if (s.settings.task !== 'probe') lineChart(lossChart, run.losses, { width: 300, height: 150, label: 'epoch' });
    frontierChart(frontier, s.frontier, s.pca);
    probeChart(probeSvg, s.probe_lines, probeLegend);
    probeStatus.textContent = s.probe ? `Fitting ${s.probe.representation} with ${s.probe.labels_per_class > 1000 ? 'all labels' : `${s.probe.labels_per_class} labels per class`} (${s.probe.iterations} solver iterations; fit ${s.probe.done + 1} of ${s.probe.total}).` : (s.probe_lines.length ? `Scored on the first ${s.sample ? '1,000' : '5,000'} test images.` : 'Press Run the probe.');
    probeSentence.textContent = sentence(s.probe_lines);
    sampleNote.hidden = !s.sample;
    sampleNote.textContent = s.sample ? 'No dataset here: the page runs on the shipped sample of 2,000 test images (1,000 to train and label, 1,000 to measure). Download the dataset for the real figures.' : '';
    if (run.notice && run.notice.id !== lastNotice) {
      lastNotice = run.notice.id;
      if (!first) say(run.notice.text);
    }
    download.draw(s.download, s.settings.dataset, s.datasets);
    // a new dictionary (not a probe's new point): the browser reads it from the start
    if (s.dictionary && JSON.stringify(s.dictionary) !== lastDictionary) {
      lastDictionary = JSON.stringify(s.dictionary);
      browser.refresh();
    }
    if (!s.dictionary) lastDictionary = '';
    root.dataset.training = String(run.training);
    root.dataset.task = s.settings.task;
    settingsToUrl(schema, s.settings);
  }

  root.replaceChildren(h('section', { class: 'features' }, side, h('div', { class: 'sections' }, train, browser.el, probe)));

  const { session } = connectPage('features', {
    say,
    onHello: (hello) => {
      schema = hello.schema;
      buildControls();
      return [];
    },
    onSnapshot: draw,
  });
}

/**
 * What the probe's chart shows, in a sentence, once the lines have points.
 * @param {{name: string, label: string, points: [number, number][]}[]} lines
 */
function sentence(lines) {
  /** @param {number} n @returns {{label: string, name: string, acc: number}[]} */
  const at = (n) => lines.flatMap((l) => l.points.filter((p) => p[0] === n).map((p) => ({ label: l.label, name: l.name, acc: p[1] })));
  const best = (/** @type {{label: string, name: string, acc: number}[]} */ xs) => xs.reduce((a, b) => (b.acc > a.acc ? b : a));
  const few = at(10);
  if (few.length < 2) return '';
  const top = best(few);
  const pixels = few.find((x) => x.name === 'pixels');
  let s = top.name === 'pixels' ? `With 10 labels per class the pixels do best (${(100 * top.acc).toFixed(1)}%): no representation here makes the few labels go further yet.` : `With 10 labels per class, ${top.label} does best (${(100 * top.acc).toFixed(1)}%${pixels && pixels !== top ? ` against the pixels\u2019 ${(100 * pixels.acc).toFixed(1)}%` : ''}): a representation learned without labels makes the few labels go further.`;
  const most = Math.max(...lines.flatMap((l) => l.points.map((p) => p[0])));
  const many = at(most);
  if (most >= 1000 && many.length >= 2) {
    const lead = best(many);
    s += ` With ${most > 1000 ? 'every label' : '1000'}, ${lead.label} leads (${(100 * lead.acc).toFixed(1)}%): with enough labels, more numbers to separate the classes with matter more.`;
  }
  return s;
}
