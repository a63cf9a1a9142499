// The Model Studio's architecture editor: dense layers (sizes) or conv layers (filters,
// kernel, stride, padding), the code size, presets, and the diagram of the model (the
// hourglass of layer shapes) with its parameter count. Every edit is checked by the server
// (`check`: the same rules that build the model); an impossible one is shown at its layer and
// is not applied, so Train stays disabled until it is fixed.

import { h, svg } from '../../lib/dom.js';

/**
 * @typedef {{filters: number, kernel: number, stride: number, padding: number}} Conv
 * @typedef {{kind: string, layers: number[], acts: string[], convs: Conv[], latent: number}} Draft
 * @typedef {{name: string, shape: number[]}} LayerShape
 * @typedef {{ok: boolean, describe?: string, params?: number, layers?: LayerShape[],
 *   error?: {field: string, layer: number|null, message: string}}} Summary
 */

/** The tutorials' models, one click away. */
export const PRESETS = [
  { id: 'dense', title: 'Dense 784-256-128-32', settings: { kind: 'dense', layers: '256,128', latent: 32, activation: 'relu', activations: '', output: 'sigmoid' } },
  { id: 'conv', title: 'Conv 16 → 32 filters', settings: { kind: 'conv', convs: '16:3:2:1,32:3:2:1', latent: 32, activation: 'relu', activations: '', output: 'sigmoid' } },
  { id: 'digit2d', title: '2-D digit model 784-100-50-25-2', settings: { kind: 'dense', layers: '100,50,25', latent: 2, activation: 'relu', activations: '', output: 'sigmoid' } },
];

/** The hidden activations a layer may have. */
const ACTIVATIONS = [['relu', 'ReLU'], ['leaky-relu', 'leaky ReLU'], ['tanh', 'tanh'], ['sigmoid', 'sigmoid'], ['linear', 'linear']];

/** @param {string} text @returns {number[]} */
function parseLayers(text) {
  return text.trim() ? text.split(',').map((s) => Number(s.trim())) : [];
}

/** @param {string} text @returns {Conv[]} */
function parseConvs(text) {
  return text.trim() ? text.split(',').map((p) => {
    const [filters, kernel, stride, padding] = p.split(':').map((s) => Number(s.trim()));
    return { filters, kernel, stride, padding };
  }) : [];
}

/** @param {Draft} d */
export function patchOf(d) {
  return {
    kind: d.kind,
    layers: d.layers.map((n) => (Number.isFinite(n) ? String(n) : '?')).join(','),
    convs: d.convs.map((c) => [c.filters, c.kernel, c.stride, c.padding].map((n) => (Number.isFinite(n) ? String(n) : '?')).join(':')).join(','),
    latent: d.latent,
    activations: d.kind === 'dense' ? d.acts.join(',') : '',
  };
}

/** @param {Record<string, any>} s @returns {Draft} */
export function draftOf(s) {
  const layers = parseLayers(s.layers);
  const own = s.activations ? String(s.activations).split(',').map((a) => a.trim()) : [];
  const acts = own.length === layers.length ? own : layers.map(() => String(s.activation || 'relu'));
  return { kind: s.kind, layers, acts, convs: parseConvs(s.convs), latent: Number(s.latent) };
}

/** @param {number[]} shape */
function shapeText(shape) {
  return shape.length === 3 ? (shape[0] === 1 ? `${shape[1]}×${shape[2]}` : `${shape[0]}×${shape[1]}×${shape[2]}`) : String(shape[0]);
}

/**
 * Draws the model as an hourglass: one bar per layer, its height growing with the layer's
 * size (square root, so 784 and 8 both show), its shape under it.
 * @param {SVGSVGElement} host
 * @param {LayerShape[]} layers
 */
function drawDiagram(host, layers) {
  const n = layers.length;
  const w = Math.max(320, n * 46);
  const H = 150;
  host.replaceChildren();
  host.setAttribute('viewBox', `0 0 ${w} ${H + 34}`);
  const sizes = layers.map((l) => l.shape.reduce((a, b) => a * b, 1));
  const big = Math.sqrt(Math.max(...sizes));
  const step = w / n;
  layers.forEach((l, i) => {
    const hgt = Math.max(4, (Math.sqrt(sizes[i]) / big) * H);
    const x = i * step + step * 0.2;
    const kind = l.name === 'code' ? 'code' : l.shape.length === 3 && l.name !== 'input' && l.name !== 'output' ? 'conv' : 'dense';
    const r = svg('rect', { x: x.toFixed(1), y: ((H - hgt) / 2).toFixed(1), width: (step * 0.6).toFixed(1), height: hgt.toFixed(1), rx: 3, class: `bar ${kind}` });
    const title = svg('title', {});
    title.textContent = `${l.name}: ${shapeText(l.shape)} (${sizes[i].toLocaleString('en')} values)`;
    r.append(title);
    host.append(r);
    const t = svg('text', { x: (x + step * 0.3).toFixed(1), y: H + 14, 'text-anchor': 'middle', class: 'tick' });
    t.textContent = shapeText(l.shape);
    const t2 = svg('text', { x: (x + step * 0.3).toFixed(1), y: H + 28, 'text-anchor': 'middle', class: 'tick name' });
    t2.textContent = l.name.replace('encoder ', 'enc ').replace('decoder ', 'dec ');
    host.append(t, t2);
  });
}

/**
 * The editor.
 * @param {{check: (patch: Record<string, any>) => Promise<Summary>, apply: (patch: Record<string, any>) => void,
 *   onValidity: (ok: boolean) => void, limits: () => {hidden: number, convs: number}}} opts
 */
export function architectureEditor(opts) {
  /** @type {Draft} */ let draft = { kind: 'dense', layers: [256, 128], acts: ['relu', 'relu'], convs: [], latent: 32 };
  /** @type {Summary|null} */ let summary = null;
  let editing = false;
  let asked = 0;
  /** The server's model as its last snapshot had it (patch form, as JSON). */
  let serverKey = '';
  /**
   * The server's model when an edit was sent, and when: a snapshot that still carries it was
   * published before the edit arrived and must not undo it (for at most 2 s, in case the
   * server kept its model).
   * @type {{before: string, at: number}|null}
   */
  let sent = null;

  const kind = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'studio-kind', 'aria-label': 'Kind of model' },
    h('option', { value: 'dense' }, 'dense layers'), h('option', { value: 'conv' }, 'convolutions')));
  kind.addEventListener('change', () => {
    draft.kind = kind.value;
    if (draft.kind === 'conv' && !draft.convs.length) draft.convs = [{ filters: 16, kernel: 3, stride: 2, padding: 1 }, { filters: 32, kernel: 3, stride: 2, padding: 1 }];
    rows();
    changed();
  });
  const list = h('div', { class: 'layers', 'data-testid': 'studio-layers' });
  const add = h('button', { 'data-testid': 'studio-add-layer', onclick: () => {
    if (draft.kind === 'dense') {
      const last = draft.layers.length ? draft.layers[draft.layers.length - 1] : 256;
      draft.layers.push(Math.max(draft.latent, Math.round(last / 2)));
      draft.acts.push(draft.acts.length ? draft.acts[draft.acts.length - 1] : 'relu');
    } else {
      const last = draft.convs[draft.convs.length - 1];
      draft.convs.push({ filters: last ? Math.min(256, last.filters * 2) : 16, kernel: 3, stride: 1, padding: 1 });
    }
    rows();
    changed();
  } }, '+ add a layer');
  const latent = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: 1, max: 1024, step: 1, 'data-testid': 'studio-latent', 'aria-label': 'Code size' }));
  latent.addEventListener('change', () => {
    draft.latent = Number(latent.value);
    changed();
  });
  const error = h('p', { class: 'config-error', 'data-testid': 'studio-config-error', role: 'alert', hidden: true });
  const params = h('span', { class: 'figure', 'data-testid': 'studio-params' }, '–');
  const describe = h('span', { class: 'muted', 'data-testid': 'studio-describe' });
  const diagram = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', { class: 'diagram', 'data-testid': 'studio-diagram', role: 'img', 'aria-label': 'The model, layer by layer' })));

  /**
   * A number input of a layer row.
   * @param {string} testid @param {string} label @param {number} value @param {(v: number) => void} set
   * @param {{min: number, max: number}} range
   */
  function num(testid, label, value, set, range) {
    const el = /** @type {HTMLInputElement} */ (h('input', { type: 'number', min: range.min, max: range.max, step: 1, value: Number.isFinite(value) ? value : '', 'data-testid': testid, 'aria-label': label }));
    el.addEventListener('change', () => {
      set(el.value === '' ? NaN : Number(el.value));
      changed();
    });
    el.addEventListener('focus', () => { editing = true; });
    el.addEventListener('blur', () => { editing = false; });
    return h('label', {}, h('span', { class: 'muted' }, label), el);
  }

  let rowsKey = '';
  /** What a dense model's input is: grey 28×28, or colour 28×28×3 (the data say). */
  let inputText = '784 pixels (28×28)';
  let convInputText = '1×28×28 image';
  /** @type {Map<string, [HTMLInputElement|HTMLSelectElement, () => string]>} */ let inputs = new Map();
  /**
   * A number input of a layer row, kept in `inputs` so a later redraw can set its value in
   * place (a rebuilt input would lose what is being typed into it).
   * @param {string} testid @param {string} label @param {() => number} get @param {(v: number) => void} set
   * @param {{min: number, max: number}} range
   */
  function field(testid, label, get, set, range) {
    const l = num(testid, label, get(), set, range);
    inputs.set(testid, [/** @type {HTMLInputElement} */ (l.querySelector('input')), () => {
      const v = get();
      return Number.isFinite(v) ? String(v) : '';
    }]);
    return l;
  }

  /**
   * A dense layer's activation (its mirror in the decoder uses the same).
   * @param {number} i
   */
  function activationOf(i) {
    const testid = `studio-layer-${i}-activation`;
    const el = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': testid, 'aria-label': `Activation of encoder layer ${i + 1} (and its mirror)` },
      ...ACTIVATIONS.map(([v, t]) => h('option', { value: v }, t))));
    el.value = draft.acts[i];
    el.addEventListener('change', () => {
      draft.acts[i] = el.value;
      changed();
    });
    inputs.set(testid, [el, () => draft.acts[i]]);
    return h('label', {}, h('span', { class: 'muted' }, 'activation'), el);
  }

  function rows() {
    kind.value = draft.kind;
    if (document.activeElement !== latent) latent.value = String(draft.latent);
    const bad = summary && !summary.ok && summary.error ? summary.error : null;
    /** @param {number} i */
    const isBad = (i) => !!bad && bad.layer === i + 1 && (bad.field === 'layers' || bad.field === 'convs');
    const count = draft.kind === 'dense' ? draft.layers.length : draft.convs.length;
    const key = `${draft.kind}:${count}:${bad && bad.layer}:${bad && bad.field}:${inputText}`;
    if (key === rowsKey) {
      // the same rows: their values are set in place (never the one being edited)
      for (const [el, get] of inputs.values()) {
        const text = get();
        if (document.activeElement !== el && el.value !== text) el.value = text;
      }
      return;
    }
    rowsKey = key;
    inputs = new Map();
    if (draft.kind === 'dense') {
      list.replaceChildren(
        h('div', { class: 'layer fixed' }, h('span', {}, 'input'), h('span', { class: 'muted' }, inputText)),
        ...draft.layers.map((_, i) => h('div', { class: `layer${isBad(i) ? ' bad' : ''}`, 'data-testid': `studio-layer-${i}`, 'aria-invalid': isBad(i) ? 'true' : undefined },
          h('span', {}, `encoder ${i + 1}`),
          field(`studio-layer-${i}-size`, 'units', () => draft.layers[i], (v) => { draft.layers[i] = v; }, { min: 1, max: 4096 }),
          activationOf(i),
          h('button', { class: 'remove', 'data-testid': `studio-remove-layer-${i}`, 'aria-label': `Remove encoder layer ${i + 1}`, onclick: () => { draft.layers.splice(i, 1); draft.acts.splice(i, 1); rows(); changed(); } }, '✕'))),
      );
    } else {
      list.replaceChildren(
        h('div', { class: 'layer fixed' }, h('span', {}, 'input'), h('span', { class: 'muted' }, convInputText)),
        ...draft.convs.map((_, i) => h('div', { class: `layer conv${isBad(i) ? ' bad' : ''}`, 'data-testid': `studio-layer-${i}`, 'aria-invalid': isBad(i) ? 'true' : undefined },
          h('span', {}, `conv ${i + 1}`),
          field(`studio-layer-${i}-filters`, 'filters', () => draft.convs[i].filters, (v) => { draft.convs[i].filters = v; }, { min: 1, max: 256 }),
          field(`studio-layer-${i}-kernel`, 'kernel', () => draft.convs[i].kernel, (v) => { draft.convs[i].kernel = v; }, { min: 1, max: 15 }),
          field(`studio-layer-${i}-stride`, 'stride', () => draft.convs[i].stride, (v) => { draft.convs[i].stride = v; }, { min: 1, max: 8 }),
          field(`studio-layer-${i}-padding`, 'padding', () => draft.convs[i].padding, (v) => { draft.convs[i].padding = v; }, { min: 0, max: 14 }),
          h('button', { class: 'remove', 'data-testid': `studio-remove-layer-${i}`, 'aria-label': `Remove conv layer ${i + 1}`, onclick: () => { draft.convs.splice(i, 1); rows(); changed(); } }, '✕'))),
      );
    }
    const max = draft.kind === 'dense' ? opts.limits().hidden : opts.limits().convs;
    add.toggleAttribute('disabled', count >= max);
    add.title = count >= max ? `At most ${max} layers` : 'Add a layer after the last one';
  }

  /** @param {Summary} s */
  function show(s) {
    summary = s;
    if (s.ok && s.layers) {
      error.hidden = true;
      error.textContent = '';
      params.textContent = (s.params || 0).toLocaleString('en');
      params.dataset.value = String(s.params);
      describe.textContent = s.describe || '';
      drawDiagram(diagram, s.layers);
      diagram.classList.remove('stale');
    } else if (s.error) {
      const where = s.error.layer ? `Layer ${s.error.layer}: ` : '';
      error.textContent = `${where}${s.error.message}. This model cannot be built; fix it to train.`;
      error.hidden = false;
      error.dataset.field = s.error.field;
      error.dataset.layer = s.error.layer === null ? '' : String(s.error.layer);
      params.textContent = '–';
      params.dataset.value = '';
      diagram.classList.add('stale');
    }
    opts.onValidity(s.ok);
    rows();
  }

  async function changed() {
    const patch = patchOf(draft);
    const mine = ++asked;
    try {
      const s = await opts.check(patch);
      if (mine !== asked) return;
      show(s);
      if (s.ok) {
        opts.apply(patch);
        if (JSON.stringify(patch) !== serverKey) sent = { before: serverKey, at: performance.now() };
      }
    } catch (e) {
      if (mine !== asked) return;
      show({ ok: false, error: { field: 'layers', layer: null, message: String(/** @type {any} */ (e).message || e) } });
    }
  }

  rows();
  return {
    element: h('div', { class: 'editor' },
      h('label', { class: 'row' }, h('span', {}, 'Kind'), kind),
      list,
      h('div', { class: 'row' }, add),
      h('label', { class: 'row' }, h('span', {}, 'Code size'), latent),
      error,
      diagram,
      h('p', { class: 'muted' }, 'Parameters: ', params, ' · ', describe)),
    /**
     * The server's settings and its summary of them (every snapshot). The draft follows them
     * unless it is being edited or holds an error.
     * @param {Record<string, any>} settings
     * @param {Summary} s
     */
    update(settings, s) {
      const input = s.ok && s.layers && s.layers[0] ? s.layers[0].shape : [1, 28, 28];
      const text = input[0] === 3 ? '2,352 values (28×28, colour)' : '784 pixels (28×28)';
      if (text !== inputText) {
        inputText = text;
        convInputText = input[0] === 3 ? '3×28×28 colour image' : '1×28×28 image';
        rows();
      }
      const fromServer = draftOf(settings);
      serverKey = JSON.stringify(patchOf(fromServer));
      if (sent && (serverKey !== sent.before || performance.now() - sent.at > 2000)) sent = null;
      const same = serverKey === JSON.stringify(patchOf(draft));
      const invalid = summary && !summary.ok;
      if (!same && !editing && !invalid && !sent && document.activeElement !== latent) {
        draft = fromServer;
        show(s);
      } else if (same && (!summary || JSON.stringify(summary) !== JSON.stringify(s))) {
        show(s);
      }
    },
    /** @param {Record<string, any>} preset settings of a preset */
    load(preset) {
      draft = draftOf({ ...patchOf(draft), ...preset });
      rows();
      changed();
    },
    valid: () => !summary || summary.ok,
  };
}
