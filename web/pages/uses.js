// Uses: what autoencoders are for, each an experiment the learner runs and measures — anomaly
// detection (one class held out, scored by reconstruction error, beside PCA), denoising (a
// plain and a denoising model on the same noise), compression (a ladder of code sizes against
// PCA and JPEG), generation (a VAE and a plain model sampled the same way) and maps of wide
// codes (PCA, t-SNE and UMAP, seen as they form, with their trustworthiness). One experiment
// trains at a time; its section's button starts it. Each experiment is a module of its own in
// uses/ (as each is a file of the job's in the page crate); this one holds the side (dataset,
// shared settings, training progress) and hands every snapshot to the sections.

import { h, svg } from '../lib/dom.js';
import { connectPage, messageLine } from '../lib/page.js';
import { lineChart } from '../lib/chart.js';
import { settingsToUrl } from '../lib/settings.js';
import { controlFor, trainToggle, showSettings } from '../lib/controls.js';
import { datasetDownload } from '../lib/download.js';
import { CLASS_NAMES } from './uses/shared.js';
import { anomalySection } from './uses/anomaly.js';
import { denoiseSection } from './uses/denoise.js';
import { compressSection } from './uses/compress.js';
import { generateSection } from './uses/generate.js';
import { mapsSection } from './uses/maps.js';
import { challengePanel } from '../lib/challenges.js';
import { CHALLENGES } from '../challenges/uses.js';

/**
 * @typedef {import('../lib/settings.js').Schema} Schema
 * @typedef {import('./uses/shared.js').Snapshot} Snapshot
 */

/** @param {HTMLElement} root */
export function mount(root) {
  /** @type {Schema} */ let schema = [];
  /** @type {Snapshot|null} */ let live = null;
  let lastNotice = -1;
  let lastVersion = -1;
  /** @type {Record<string, HTMLSelectElement|HTMLInputElement>} */
  const controls = {};

  const { el: message, say } = messageLine('uses');
  const send = (/** @type {Record<string, any>} */ m) => session.send(m);

  /** A control for a setting, sent to the server when changed. @param {string} name @param {string} testid */
  function bind(name, testid) {
    const f = schema.find((x) => x.name === name);
    if (!f) throw new Error(`no setting ${name}`);
    const el = controlFor(f, testid);
    el.addEventListener('change', () => {
      const v = f.kind === 'choice' ? el.value : Number(el.value);
      send({ type: 'configure', [name]: v });
    });
    controls[name] = el;
    return el;
  }

  /** A Run/Pause button for one experiment. @param {string} experiment @param {{train: string, pause: string}} ids */
  function runButton(experiment, ids) {
    const t = trainToggle(ids, (training) => {
      say('');
      if (training && live && live.settings.experiment === experiment) send({ type: 'pause' });
      else {
        if (!live || live.settings.experiment !== experiment) send({ type: 'configure', experiment });
        send({ type: 'play' });
      }
    });
    t.el.textContent = 'Run';
    return t;
  }

  /** @type {import('./uses/shared.js').UsesContext} */
  const ctx = {
    query: (name, fields = {}) => session.query(name, fields),
    send,
    fail: (e) => say(String(e && e.message ? e.message : e)),
    names: () => CLASS_NAMES[/** @type {'mnist'} */ (live ? live.settings.dataset : 'mnist')] || [],
    live: () => live,
    runButton,
    bind,
    labelled: (label, el) => h('label', {}, h('span', {}, label), el),
    // a compression point the learner opened: the challenges see it beside the snapshot
    picked: (p) => { if (live) challenges.update({ snapshot: live, picked: p }); },
  };
  /** The experiments, by name, in the page's order. */
  const sections = {
    anomaly: anomalySection(ctx),
    denoise: denoiseSection(ctx),
    compress: compressSection(ctx),
    generate: generateSection(ctx),
    project: mapsSection(ctx),
  };

  // ---- the side: dataset, shared settings, training progress
  const chart = /** @type {SVGSVGElement} */ (svg('svg', { class: 'chart', 'data-testid': 'uses-loss-chart', role: 'img', 'aria-label': 'Training loss' }));
  const status = h('p', { class: 'muted', 'data-testid': 'uses-training' });
  const download = datasetDownload('uses', (dataset) => send({ type: 'fetch', dataset }), say);
  const side = h('aside', { class: 'explain' });
  const challenges = challengePanel('uses', CHALLENGES, { root });

  function buildControls() {
    side.replaceChildren(
      h('h1', {}, 'Uses'),
      h('p', {}, 'What autoencoders are for, as experiments you run and measure. Each section trains what it needs (a few seconds to a minute here) and compares the autoencoder with the simple baseline a practitioner would try first.'),
      challenges.el,
      h('div', { class: 'settings' },
        ctx.labelled('Dataset', bind('dataset', 'uses-dataset')),
        ctx.labelled('Epochs per model', bind('epochs', 'uses-epochs')),
        ctx.labelled('Training images', bind('train_size', 'uses-train-size')),
        ctx.labelled('Seed', bind('seed', 'uses-seed'))),
      h('div', { class: 'row' }, download.button, download.progress),
      message,
      h('h3', {}, 'Training'),
      status, chart,
      h('p', { class: 'muted credit' }, 'MNIST: Yann LeCun, Corinna Cortes and Christopher Burges. Fashion-MNIST: Zalando Research (MIT licence).'));
    for (const section of Object.values(sections)) if (section.build) section.build();
    challenges.applyLink();
  }

  /** @param {Snapshot} s */
  function draw(s) {
    const first = !live;
    const datasetChanged = !live || live.settings.dataset !== s.settings.dataset;
    live = s;
    const run = s.run;
    showSettings(controls, s.settings);
    const tr = s.training;
    status.textContent = tr ? `${tr.run} (model ${tr.index + 1} of ${tr.runs}): epoch ${tr.epoch} of ${tr.epochs}${tr.loss !== null ? `, loss ${tr.loss.toFixed(4)}` : ''}` : (run.training && s.settings.experiment === 'project' ? 'Making a map (below): no model trains for it.' : 'Nothing training.');
    for (const [experiment, section] of Object.entries(sections)) {
      const mine = run.training && s.settings.experiment === experiment;
      section.toggle.set(mine);
      if (!mine) section.toggle.el.textContent = experiment === 'project' ? 'Start' : 'Run';
      section.progress.textContent = tr && tr.experiment === experiment ? `training ${tr.run}: epoch ${tr.epoch}/${tr.epochs}` : (run.queued !== null && s.settings.experiment === experiment ? `waiting for a free training slot (place ${run.queued})` : '');
      if (section.draw) section.draw(s, datasetChanged);
    }
    lineChart(chart, run.losses, { width: 300, height: 150, label: 'epoch' });
    if (run.notice && run.notice.id !== lastNotice) {
      lastNotice = run.notice.id;
      if (!first) say(run.notice.text);
    }
    download.draw(s.download, s.settings.dataset, s.datasets);
    if (s.version !== lastVersion) {
      lastVersion = s.version;
      for (const section of Object.values(sections)) if (section.refresh) section.refresh(s);
    }
    root.dataset.training = String(run.training);
    root.dataset.experiment = s.settings.experiment;
    settingsToUrl(schema, s.settings);
    challenges.update({ snapshot: s });
  }

  root.replaceChildren(
    h('section', { class: 'uses' },
      side,
      h('div', { class: 'sections' }, ...Object.values(sections).map((x) => x.el))));

  const { session } = connectPage('uses', {
    say,
    onHello: (hello) => {
      schema = hello.schema;
      buildControls();
      const missing = hello.info.datasets.filter((/** @type {{present: boolean}} */ d) => !d.present).map((/** @type {{name: string}} */ d) => d.name);
      return missing.length ? [`Not on this machine: ${missing.join(', ')}. Training needs them: press Download (or run \`hourglass data fetch ${missing[0]}\`, or start the server with --data-dir). Maps work on the shipped sample of 2,000 test images without them.`] : [];
    },
    onSnapshot: draw,
  });
}
