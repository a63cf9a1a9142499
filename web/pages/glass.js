// The Glass Box: a 9-6-3-6-9 autoencoder whose every weight and activation is visible,
// trained on twelve 3×3 patterns. The server trains; this page draws its snapshots.

import { h, svg, showNumber, Tooltip } from '../lib/dom.js';
import { POSITIVE, NEGATIVE, HIGH, LOW, grey } from '../lib/colors.js';
import { connectPage, messageLine } from '../lib/page.js';
import { lineChart } from '../lib/chart.js';
import { lossNote } from '../lib/lossnotes.js';
import { trainToggle } from '../lib/controls.js';
import { check, field, settingsToUrl } from '../lib/settings.js';
import { challengePanel } from '../lib/challenges.js';
import { CHALLENGES, PATTERNS, PATTERN_NAMES } from '../challenges/glass.js';


const WEIGHT_SHOWN = 0.3;

/**
 * @typedef {{inputs: number, outputs: number, weights: number[], biases: number[]}} Layer
 * @typedef {{lr: number, momentum: number, seed: number}} Settings
 * @typedef {{training: boolean, speed: number, losses: [number, number][]}} Run
 * @typedef {{epoch: number, loss: number|null, settings: Settings, run: Run, params: number,
 *   sizes: number[], layers: Layer[], input: number[], activations: number[][], output: number[],
 *   bottleneck: number[], error: number, pattern_errors: number[], top_patterns: number[][], pattern_codes: number[][]}} Snapshot
 * @typedef {import('../lib/settings.js').Schema} Schema
 */

/**
 * Reads the input pattern from the URL (the settings come from the schema, see settings.js).
 * @returns {{input: number[], problem: string|null}}
 */
function readUrlInput() {
  const raw = new URLSearchParams(location.search).get('input');
  if (raw === null) return { input: PATTERNS[0].split('').map(Number), problem: null };
  if (/^[01]{9}$/.test(raw)) return { input: raw.split('').map(Number), problem: null };
  return { input: PATTERNS[0].split('').map(Number), problem: `input=${raw} is not 9 digits of 0 and 1; using the top row.` };
}

/** @param {HTMLElement} root */
export function mount(root) {
  const tooltip = new Tooltip();
  const state = readUrlInput();
  /** @type {Schema} */ let schema = [];
  /** @type {Settings|null} */ let current = null;

  // ---- controls
  const { el: message, say } = messageLine('glass');
  const toggle = trainToggle({ train: 'glass-train', pause: 'glass-stop' }, (training) => session.send({ type: training ? 'pause' : 'play' }));
  const step = h('button', { 'data-testid': 'glass-step', title: 'Train one epoch', onclick: () => session.send({ type: 'step' }) }, 'Step');
  const seed = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 0, step: 1, 'data-testid': 'glass-seed', 'aria-label': 'Seed' }));
  const reset = h('button', {
    'data-testid': 'glass-reset',
    title: 'New He-initialised weights from the seed; epoch back to 0',
    onclick: () => {
      const c = check(field(schema, 'seed'), seed.value);
      const now = current ? current.seed : 1;
      if (!c.ok) {
        say(`${c.why}; using ${now}.`);
        seed.value = String(now);
      }
      // a new seed starts again by itself; the same seed needs a reset
      if (c.ok && c.value !== now) session.send({ type: 'configure', seed: c.value });
      else session.send({ type: 'reset' });
    },
  }, 'Reset');
  /**
   * A slider for a setting; its range comes from the schema when the session begins.
   * @param {string} testid
   * @param {'lr'|'momentum'} name
   */
  const slider = (testid, name) => {
    const input = /** @type {HTMLInputElement} */ (h('input', { type: 'range', step: 0.01, 'data-testid': testid }));
    const out = h('output', { 'data-testid': `${testid}-value` }, '–');
    input.addEventListener('input', () => {
      const c = check(field(schema, name), input.value);
      if (!c.ok) {
        say(`${c.why}.`);
        return;
      }
      showValue(out, c.value);
      session.send({ type: 'configure', [name]: c.value });
    });
    return { input, out };
  };
  /** @param {HTMLElement} out @param {number} v */
  const showValue = (out, v) => {
    out.textContent = v.toFixed(2);
    out.dataset.value = String(v);
  };
  const lr = slider('glass-lr', 'lr');
  const mu = slider('glass-momentum', 'momentum');
  const speed = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'glass-speed', 'aria-label': 'Training speed' },
    ...[[20, 'slow'], [200, 'normal'], [2000, 'fast'], [0, 'as fast as it goes']].map(([v, t]) => h('option', { value: v, selected: v === 200 }, `${t}`))));
  speed.addEventListener('change', () => session.send({ type: 'speed', value: Number(speed.value) }));
  const epoch = h('span', { class: 'figure', 'data-testid': 'glass-epoch' }, '0');
  const loss = h('span', { class: 'figure', 'data-testid': 'glass-loss' }, '–');
  const params = h('span', { class: 'figure', 'data-testid': 'glass-params' }, '168');

  // ---- input, bottleneck, reconstruction
  const inputCells = PATTERNS[0].split('').map((_, i) => h('button', {
    class: 'cell', 'data-testid': `glass-input-${i}`, 'aria-label': `input pixel ${i + 1}`,
    onclick: () => {
      const x = currentInput();
      x[i] = x[i] > 0.5 ? 0 : 1;
      setInput(x);
    },
  }));
  const clear = h('button', { 'data-testid': 'glass-clear', onclick: () => setInput(new Array(9).fill(0)) }, 'Clear');
  const outputCells = PATTERNS[0].split('').map((_, i) => h('div', { class: 'cell readonly', 'data-testid': `glass-output-${i}`, role: 'img', 'aria-label': `output pixel ${i + 1}` }));
  const bars = [0, 1, 2].map((k) => {
    const fill = h('div', { class: 'bar-fill' });
    const value = h('div', { class: 'bar-value', 'data-testid': `glass-bottleneck-${k}` }, '–');
    return { fill, value, el: h('div', { class: 'bar', role: 'img', 'aria-label': `bottleneck unit ${k + 1}` }, h('div', { class: 'bar-track' }, fill), value) };
  });
  const error = h('span', { class: 'figure', 'data-testid': 'glass-error' }, '–');

  // ---- network diagram
  const network = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', { class: 'network', 'data-testid': 'glass-network', role: 'img', 'aria-label': 'The 9-6-3-6-9 network' })));

  // ---- gallery, table, chart
  const gallery = PATTERNS.map((p, k) => h('button', {
    class: 'pattern', 'data-testid': `glass-pattern-${k}`, title: PATTERN_NAMES[k],
    onclick: () => setInput(p.split('').map(Number)),
  }, ...p.split('').map((b) => h('span', { class: b === '1' ? 'on' : '' }))));
  const tableBody = h('tbody');
  const chart = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', { class: 'chart', 'data-testid': 'glass-loss-chart' })));
  const chartNote = h('p', { class: 'muted chart-note', 'data-testid': 'glass-loss-note' });
  const stuckNote = h('p', { class: 'message', 'data-testid': 'glass-stuck', hidden: true, role: 'status' });

  const challenges = challengePanel('glass', CHALLENGES, { root });
  root.replaceChildren(
    h('section', { class: 'glass' },
      h('aside', { class: 'explain', 'data-testid': 'explain' },
        h('h1', {}, 'Glass Box'),
        h('p', {}, 'An autoencoder squeezes its input through a narrow middle and tries to rebuild it. This one takes a 3×3 picture (9 pixels), squeezes it through 6 then 3 neurons — the bottleneck — and rebuilds 9 pixels from those 3 numbers.'),
        h('p', {}, 'Press Train: it learns twelve patterns (rows, columns, diagonals, corners, a cross, a dot) by nudging its 168 weights and biases after each pattern. Blue lines are positive weights, red negative, thicker is stronger. Click pixels to draw your own input and watch the reconstruction and the three bottleneck values change.'),
        h('details', { class: 'try', 'data-testid': 'glass-try' }, h('summary', {}, 'What to try'),
          h('ul', {},
            h('li', {}, 'Train, then click a pattern below: which bottleneck unit lights up? Do the three rows light the same one?'),
            h('li', {}, 'Draw a pattern that is not one of the twelve: what does the network rebuild, and why that?'),
            h('li', {}, 'Set the seed to 3 and train: two patterns are never learned, though the loss looks settled.'),
            h('li', {}, 'Push the learning rate to 0.5 and the momentum to 0.99: what happens to the loss?'))),
        challenges.el,
        h('div', { class: 'controls' },
          h('div', { class: 'row' }, toggle.el, step, h('label', { class: 'seed' }, 'seed ', seed), reset),
          h('label', { class: 'slider' }, 'learning rate ', lr.input, lr.out),
          h('label', { class: 'slider' }, 'momentum ', mu.input, mu.out),
          h('label', { class: 'slider' }, 'speed ', speed),
          h('dl', { class: 'figures' },
            h('dt', {}, 'epoch'), h('dd', {}, epoch),
            h('dt', {}, 'loss (mean error per pattern)'), h('dd', {}, loss),
            h('dt', {}, 'parameters'), h('dd', {}, params)),
          message)),
      h('div', { class: 'diagram' }, network),
      h('div', { class: 'io' },
        h('h2', {}, 'Input'), h('div', { class: 'grid3' }, ...inputCells), clear,
        h('h2', {}, 'Bottleneck'), h('div', { class: 'bars' }, ...bars.map((b) => b.el)),
        h('h2', {}, 'Reconstruction'), h('div', { class: 'grid3' }, ...outputCells),
        h('p', {}, 'error ', error, h('span', { class: 'muted' }, ' (sum of squared differences)'))),
      h('div', { class: 'below' },
        h('div', {}, h('h2', {}, 'Training patterns'), h('p', { class: 'muted' }, 'Click one to load it.'), h('div', { class: 'gallery' }, ...gallery)),
        h('div', {}, h('h2', {}, 'Error per pattern'),
          stuckNote,
          h('table', { class: 'errors', 'data-testid': 'glass-errors' }, h('thead', {}, h('tr', {}, h('th', {}, 'pattern'), h('th', {}, 'error'), h('th', { title: 'the three bottleneck values it is squeezed into' }, 'code'))), tableBody),
          h('p', { class: 'muted' }, 'Similar patterns get similar codes: compare the rows with the columns, the two diagonals, the corners.')),
        h('div', {}, h('h2', {}, 'Loss over epochs'), chart, chartNote))));
  challenges.applyLink();

  function currentInput() {
    return inputCells.map((c) => Number(c.dataset.value || 0));
  }

  /** @param {number[]} x */
  function setInput(x) {
    drawInput(x);
    session.send({ type: 'set_input', input: x });
    syncUrl();
  }

  /** @param {number[]} x */
  function drawInput(x) {
    inputCells.forEach((c, i) => {
      c.dataset.value = String(x[i]);
      c.classList.toggle('on', x[i] > 0.5);
      c.setAttribute('aria-pressed', String(x[i] > 0.5));
    });
  }

  function syncUrl() {
    const input = currentInput().map((v) => (v > 0.5 ? '1' : '0')).join('');
    // before the first snapshot there are no settings to show, only the input
    settingsToUrl(current ? schema : [], current || {}, { extra: { input }, base: new URLSearchParams(location.search) });
  }

  /** @param {Snapshot} s */
  function drawNetwork(s) {
    const W = 600;
    const H = 560;
    const sizes = s.sizes;
    const gap = 44;
    const y = (/** @type {number} */ l) => 40 + (l * (H - 80)) / (sizes.length - 1);
    const x = (/** @type {number} */ l, /** @type {number} */ i) => W / 2 + (i - (sizes[l] - 1) / 2) * gap;
    const acts = [s.input, ...s.activations];
    network.setAttribute('viewBox', `0 0 ${W} ${H}`);
    network.replaceChildren();
    // hourglass outline: widths proportional to neuron counts
    const outline = sizes.map((n, l) => [W / 2 - (n * gap) / 2, W / 2 + (n * gap) / 2, y(l)]);
    const left = outline.map(([a, , yy]) => `${a},${yy}`).join(' ');
    const right = outline.slice().reverse().map(([, b, yy]) => `${b},${yy}`).join(' ');
    network.append(svg('polygon', { points: `${left} ${right}`, class: 'outline' }));
    // the layers' names, as the tutorial gives them
    const mid = (sizes.length - 1) / 2;
    sizes.forEach((n, l) => {
      const name = l === 0 ? 'input' : l === sizes.length - 1 ? 'output' : l === mid ? 'bottleneck' : l < mid ? 'encoder' : 'decoder';
      const t = svg('text', { x: 4, y: y(l) + 4, class: 'layer-name', 'data-testid': `glass-layer-${l}` });
      t.textContent = `${name} ${n}`;
      network.append(t);
    });
    s.layers.forEach((layer, l) => {
      for (let j = 0; j < layer.outputs; j++) {
        for (let i = 0; i < layer.inputs; i++) {
          const w = layer.weights[j * layer.inputs + i];
          if (Math.abs(w) <= WEIGHT_SHOWN) continue;
          const line = svg('line', {
            x1: x(l, i), y1: y(l), x2: x(l + 1, j), y2: y(l + 1),
            stroke: w > 0 ? POSITIVE : NEGATIVE, 'stroke-width': Math.min(8, 0.6 + 1.4 * Math.abs(w)).toFixed(2),
            class: 'weight', 'data-weight': w, 'data-from': `${l}:${i}`, 'data-to': `${l + 1}:${j}`,
          });
          line.addEventListener('mousemove', (ev) => tooltip.show(/** @type {MouseEvent} */ (ev), `weight ${w.toFixed(3)}  (layer ${l + 1} neuron ${i + 1} → layer ${l + 2} neuron ${j + 1})`));
          line.addEventListener('mouseleave', () => tooltip.hide());
          network.append(line);
        }
      }
    });
    sizes.forEach((n, l) => {
      const bottleneck = l === (sizes.length - 1) / 2;
      for (let i = 0; i < n; i++) {
        const a = acts[l][i];
        const c = svg('circle', {
          cx: x(l, i), cy: y(l), r: bottleneck ? 17 : 11, fill: grey(a), class: bottleneck ? 'neuron bottleneck' : 'neuron',
          'data-testid': `glass-neuron-${l}-${i}`, 'data-value': a,
        });
        c.addEventListener('mousemove', (ev) => {
          let text = `activation ${a.toFixed(3)}`;
          if (l > 0) text += `, bias ${s.layers[l - 1].biases[i].toFixed(3)}`;
          if (bottleneck) text += ` — driven highest by: ${s.top_patterns[i].map((k) => PATTERN_NAMES[k]).join(', ')}`;
          tooltip.show(/** @type {MouseEvent} */ (ev), text);
        });
        c.addEventListener('mouseleave', () => {
          tooltip.hide();
          lightUp(null);
        });
        // hovering a neuron fades every connection but its own
        c.addEventListener('mouseenter', () => lightUp(`${l}:${i}`));
        network.append(c);
      }
    });
  }

  /** the neuron whose connections stand out (kept across redraws while training) */
  /** @type {string|null} */ let lit = null;
  /** @param {string|null} id `layer:index`, or null for none */
  function lightUp(id) {
    lit = id;
    network.classList.toggle('focus', id !== null);
    for (const line of network.querySelectorAll('line.weight')) {
      const on = id !== null && (line.getAttribute('data-from') === id || line.getAttribute('data-to') === id);
      line.classList.toggle('lit', on);
    }
  }

  /** @param {Snapshot} s */
  function draw(s) {
    current = s.settings;
    toggle.set(s.run.training);
    epoch.textContent = String(s.epoch);
    epoch.dataset.value = String(s.epoch);
    showNumber(loss, s.loss, 4);
    params.textContent = String(s.params);
    params.dataset.value = String(s.params);
    drawInput(s.input);
    s.output.forEach((a, i) => {
      const c = outputCells[i];
      c.style.background = grey(a);
      c.classList.toggle('hot', a > 0.5);
      c.dataset.value = String(a);
      c.title = a.toFixed(3);
      c.setAttribute('aria-label', `output pixel ${i + 1}: ${a.toFixed(2)}`);
    });
    s.bottleneck.forEach((v, k) => {
      const b = bars[k];
      b.fill.style.height = `${Math.round(100 * Math.max(0, Math.min(1, v)))}%`;
      b.fill.style.background = v > 0.5 ? HIGH : LOW;
      showNumber(b.value, v, 2);
      b.el.setAttribute('aria-label', `bottleneck unit ${k + 1}: ${v.toFixed(2)}`);
    });
    showNumber(error, s.error, 4);
    drawNetwork(s);
    if (lit) lightUp(lit);
    // each pattern's error and its code (the three bottleneck values), side by side; a
    // pattern still far off once training has run a while is flagged
    const settled = s.epoch >= 2000;
    /** @param {number[]} code */
    const codeCells = (code) => h('td', { class: 'code', 'data-value': JSON.stringify(code) },
      ...code.map((a, u) => h('span', { class: 'unit', style: `background:${grey(a)}`, title: `unit ${u + 1}: ${a.toFixed(2)}` })),
      h('span', { class: 'muted' }, ` ${code.map((a) => a.toFixed(2)).join(' ')}`));
    const stuck = settled ? s.pattern_errors.map((e, k) => [e, k]).filter(([e]) => e >= 0.5).map(([, k]) => k) : [];
    const rows = s.pattern_errors.map((e, k) => h('tr', { 'data-testid': `glass-error-row-${k}`, class: stuck.includes(k) ? 'stuck' : '' },
      h('td', {}, PATTERN_NAMES[k]), h('td', { 'data-value': e }, e.toFixed(4)), codeCells(s.pattern_codes[k])));
    rows.push(h('tr', { class: 'current', 'data-testid': 'glass-error-row-current' }, h('td', {}, 'your input'), h('td', { 'data-value': s.error }, s.error.toFixed(4)), codeCells(s.bottleneck)));
    tableBody.replaceChildren(...rows);
    const stuckText = stuck.length
      ? `${stuck.length} pattern${stuck.length === 1 ? '' : 's'} not learned after ${s.epoch} epochs (${stuck.map((k) => PATTERN_NAMES[k]).join(', ')}): the loss curve looks flat because the rest are right. The network is stuck in a poor minimum — try another seed.`
      : '';
    if (stuckNote.textContent !== stuckText) stuckNote.textContent = stuckText;
    stuckNote.hidden = !stuckText;
    stuckNote.dataset.value = String(stuck.length);
    lineChart(chart, s.run.losses, { width: 360, height: 180, label: 'epoch' });
    const note = lossNote(s.run.losses, { optimizer: 'momentum' });
    if (chartNote.textContent !== note) chartNote.textContent = note;
    // keep the controls true to the server (another tab may not share them, but a reload does)
    const st = s.settings;
    if (document.activeElement !== lr.input) {
      lr.input.value = String(st.lr);
      showValue(lr.out, st.lr);
    }
    if (document.activeElement !== mu.input) {
      mu.input.value = String(st.momentum);
      showValue(mu.out, st.momentum);
    }
    if (document.activeElement !== seed) seed.value = String(st.seed);
    speed.value = String(s.run.speed);
    challenges.update({ snapshot: s });
    root.dataset.snapshotEpoch = String(s.epoch);
    root.dataset.snapshotLr = String(st.lr);
    syncUrl();
  }

  const { session } = connectPage('glass', {
    say,
    onHello: (hello) => {
      schema = hello.schema;
      for (const [name, sl] of /** @type {[string, {input: HTMLInputElement}][]} */ ([['lr', lr], ['momentum', mu]])) {
        const f = field(schema, name);
        sl.input.min = String(f.min);
        sl.input.max = String(f.max);
      }
      return state.problem ? [state.problem] : [];
    },
    // the input pattern is the page's own URL state
    fromUrlToo: (s, fresh) => ((fresh || new URLSearchParams(location.search).has('input'))
      && state.input.some((v, i) => v !== s.input[i]) ? [{ type: 'set_input', input: state.input }] : []),
    onSnapshot: draw,
  });
  drawInput(state.input);
}
