// The Studio's Keep card: save the model, upload one trained with `hourglass train`, the
// models folder (load, rename, download, delete), and two models compared on the same test
// images.

import { h, svg } from '../../lib/dom.js';
import { lineChart } from '../../lib/chart.js';
import { drawImage } from '../../lib/images.js';
import { reason } from './files.js';

/**
 * @typedef {import('../studio.js').Snapshot} Snapshot
 */

/**
 * @param {{say: (text: string) => void, send: (m: Record<string, any>) => void, query: (name: string, fields: Record<string, any>) => Promise<any>,
 *   upload: (kind: 'datasets'|'models', params: {name: string}, file: File) => Promise<any>, download: (file: string) => Promise<void>}} opts
 */
export function keepPanel({ say, send, query, upload: sendFile, download }) {
  const name = /** @type {HTMLInputElement} */ (h('input', { type: 'text', maxlength: 64, placeholder: 'my-model', 'data-testid': 'studio-name', 'aria-label': 'Model name' }));
  const replace = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', 'data-testid': 'studio-replace' }));
  const save = /** @type {HTMLButtonElement} */ (h('button', { class: 'primary', 'data-testid': 'studio-save', onclick: () => {
    const n = name.value.trim();
    if (!n) {
      say('Give the model a name first.');
      name.focus();
      return;
    }
    say('');
    send({ type: 'save', name: n, overwrite: replace.checked });
  } }, 'Save'));
  const savedNote = h('p', { class: 'muted', 'data-testid': 'studio-saved', role: 'status' });
  // a checkpoint trained elsewhere (`hourglass train`) into the models folder: checked by the
  // server before anything is written
  const upload = /** @type {HTMLInputElement} */ (h('input', { type: 'file', hidden: true, accept: '.safetensors', 'data-testid': 'studio-upload-model', 'aria-label': 'Upload a model (.safetensors)' }));
  const uploadButton = h('button', { type: 'button', class: 'file-button', 'data-testid': 'studio-upload-model-button', onclick: () => upload.click() }, 'Upload a model\u2026');
  upload.addEventListener('change', async () => {
    const file = upload.files && upload.files[0];
    if (!file) return;
    const stem = file.name.replace(/\.safetensors$/i, '');
    say(`Uploading ${file.name}…`);
    try {
      const body = await sendFile('models', { name: stem }, file);
      say(`Uploaded ${body.file}: ${body.describe}, ${body.epochs} epochs.`);
      send({ type: 'rescan' });
    } catch (e) {
      say(`Cannot upload ${file.name}: ${reason(file.name, e)}`);
    } finally {
      upload.value = '';
    }
  });
  const models = h('div', { class: 'models', 'data-testid': 'studio-models' });
  const modelsNote = h('p', { class: 'muted', 'data-testid': 'studio-models-dir' });
  let modelsKey = '';

  /** @param {Snapshot} s */
  function drawModels(s) {
    const key = JSON.stringify(s.models);
    if (key === modelsKey) return;
    modelsKey = key;
    modelsNote.textContent = `Models folder: ${s.models_dir}. The Digits Lab lists these too; \`hourglass eval --model <file>\` evaluates one.`;
    if (!s.models.length) {
      models.replaceChildren(h('p', { class: 'muted' }, 'No models saved yet.'));
      return;
    }
    models.replaceChildren(h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'name'), h('th', {}, 'model'), h('th', {}, 'test MSE'), h('th', {}, 'PSNR'), h('th', {}, 'SSIM'), h('th', {}, ''))),
      h('tbody', {}, ...s.models.map((m) => {
        const mt = m.metrics || {};
        /** @param {number|undefined} v @param {number} d */
        const num = (v, d) => (v === undefined || v === null ? '–' : Number(v).toFixed(d));
        return h('tr', { 'data-testid': `studio-model-${m.name}` },
          h('td', {}, m.name),
          h('td', { class: 'muted' }, m.error ? `cannot be read: ${m.error}` : `${m.describe} · ${m.epochs} epochs · ${m.dataset}`),
          h('td', {}, num(mt.test_mse, 4)), h('td', {}, num(mt.test_psnr, 2)), h('td', {}, num(mt.test_ssim, 3)),
          h('td', { class: 'actions' },
            h('button', { 'data-testid': `studio-load-${m.name}`, disabled: m.error ? true : undefined, onclick: () => { say(''); send({ type: 'load', name: m.name }); } }, 'Load'),
            h('button', { 'data-testid': `studio-rename-${m.name}`, onclick: () => {
              const to = prompt(`New name for ${m.name}`, m.name);
              if (to && to !== m.name) send({ type: 'rename', from: m.name, to });
            } }, 'Rename'),
            h('button', { 'data-testid': `studio-download-${m.name}`, onclick: () => download(m.file).catch((e) => say(`Cannot download ${m.file}: ${String(e.message || e)}`)) }, 'Download'),
            h('button', { 'data-testid': `studio-delete-${m.name}`, onclick: () => { say(''); send({ type: 'delete', name: m.name }); } }, 'Delete')));
      }))));
  }

  // ---- compare two models: the same 16 test images, the test set's metrics, the loss curves
  const pickA = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'studio-compare-a', 'aria-label': 'First model to compare' }));
  const pickB = /** @type {HTMLSelectElement} */ (h('select', { 'data-testid': 'studio-compare-b', 'aria-label': 'Second model to compare' }));
  const compareResult = h('div', { class: 'compare-result', 'data-testid': 'studio-compare-result' });
  const compareButton = /** @type {HTMLButtonElement} */ (h('button', { 'data-testid': 'studio-compare', onclick: async () => {
    say('');
    compareButton.disabled = true;
    compareResult.textContent = 'Evaluating both on the test set…';
    try {
      drawCompare(await query('compare', { a: pickA.value, b: pickB.value }));
    } catch (e) {
      compareResult.textContent = '';
      say(String(/** @type {any} */ (e).message || e));
    } finally {
      compareButton.disabled = false;
    }
  } }, 'Compare'));
  /** @param {Snapshot} s */
  function drawPickers(s) {
    const options = [...(s.trained ? [['current', 'this model (here)']] : []), ...s.models.filter((m) => !m.error).map((m) => [m.name, m.name])];
    const key = JSON.stringify(options);
    if (pickA.dataset.key === key) return;
    for (const [sel, k] of /** @type {[HTMLSelectElement, number][]} */ ([[pickA, 0], [pickB, 1]])) {
      const was = sel.value;
      sel.replaceChildren(...options.map(([v, t]) => h('option', { value: v }, t)));
      sel.dataset.key = key;
      if (options.some(([v]) => v === was)) sel.value = was;
      else if (options[k]) sel.value = options[k][0];
    }
    compareButton.disabled = options.length < 2;
  }
  /** @param {any} c the answer */
  function drawCompare(c) {
    const [a, b] = c.models;
    /** @param {number|null} v @param {number} d */
    const f = (v, d) => (v === null || v === undefined ? '–' : Number(v).toFixed(d));
    const rows = [['MSE', 'mse', 5, -1], ['BCE', 'bce', 5, -1], ['PSNR (dB)', 'psnr', 2, 1], ['SSIM', 'ssim', 4, 1]].map(([label, k, d, better]) => {
      const [va, vb] = [a.metrics[k], b.metrics[k]];
      const win = va === null || vb === null || va === vb ? '' : (Number(better) * (va - vb) > 0 ? 'a' : 'b');
      return h('tr', { 'data-testid': `studio-compare-${k}` }, h('th', {}, String(label)),
        h('td', { class: win === 'a' ? 'better' : '', 'data-value': String(va) }, f(va, Number(d))),
        h('td', { class: win === 'b' ? 'better' : '', 'data-value': String(vb) }, f(vb, Number(d))));
    });
    const table = h('table', { 'data-testid': 'studio-compare-table' },
      h('thead', {}, h('tr', {}, h('th', {}, `${c.set} set (${c.dataset}, ${a.metrics.samples.toLocaleString('en')} images)`), h('th', {}, `${a.name}`), h('th', {}, `${b.name}`))),
      h('tbody', {}, ...rows,
        h('tr', {}, h('th', {}, 'model'), h('td', { class: 'muted' }, `${a.describe}, ${a.epochs} epochs`), h('td', { class: 'muted' }, `${b.describe}, ${b.epochs} epochs`))));
    const channels = c.channels || 1;
    const size = 784 * channels;
    const n = Math.floor(c.data.images.length / size);
    const half = Math.ceil(n / 2);
    /** @param {Float32Array} v @param {string} label @param {string} id @param {number} from */
    const row = (v, label, id, from) => h('div', { class: 'recon-row' }, h('span', { class: 'muted', title: label }, label),
      ...Array.from({ length: Math.min(half, n - from) }, (_, k) => {
        const i = from + k;
        const cv = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'digit small', 'data-testid': `studio-compare-${id}-${i}` }));
        drawImage(cv, v.subarray(i * size, (i + 1) * size), 28, 28, channels);
        return cv;
      }));
    const chartEl = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', { class: 'chart', 'data-testid': 'studio-compare-chart', role: 'img', 'aria-label': 'The two models’ validation loss per epoch' })));
    /** @param {any} m */
    const curve = (m) => m.history.map((/** @type {any} */ r) => [r.epoch, r.val_loss === undefined || r.val_loss === null ? r.train_loss : r.val_loss]);
    lineChart(chartEl, curve(a), { width: 420, height: 180, label: 'epoch', second: curve(b), legend: [a.name, b.name] });
    compareResult.replaceChildren(table,
      h('div', { class: 'recon-grid' }, ...[0, half].flatMap((from) => [row(c.data.images, 'input', 'input', from), row(c.data.a, a.name, 'a', from), row(c.data.b, b.name, 'b', from)])),
      h('p', { class: 'muted' }, 'Validation loss per epoch (training loss where a model kept no validation set):'), chartEl);
  }

  /** @param {Snapshot} s */
  function drawSaved(s) {
    if (s.saved) {
      const m = s.saved.metrics;
      savedNote.textContent = `Saved as ${s.saved.file}. On all ${s.saved.set} images: MSE ${Number(m.mse).toFixed(5)}, BCE ${Number(m.bce).toFixed(5)}, PSNR ${m.psnr === null ? '–' : Number(m.psnr).toFixed(2)} dB, SSIM ${m.ssim === null ? '–' : Number(m.ssim).toFixed(4)}.`;
      savedNote.dataset.value = JSON.stringify(m);
    } else {
      savedNote.textContent = s.loaded ? `Loaded ${s.loaded}: train it further, or look inside.` : '';
      savedNote.dataset.value = '';
    }
  }

  const element = h('div', { class: 'panel' },
    h('h2', {}, 'Keep'),
    h('div', { class: 'row' }, name, save, h('label', { class: 'inline' }, replace, 'replace a model of that name')),
    savedNote,
    models,
    h('div', { class: 'row upload' }, h('span', {}, 'A model trained with hourglass train:'), uploadButton, upload),
    modelsNote,
    h('h3', {}, 'Compare two models'),
    h('div', { class: 'row' }, pickA, h('span', {}, 'with'), pickB, compareButton),
    compareResult);

  return {
    element,
    /** Save works once there is a trained model. @param {boolean} on */
    canSave: (on) => { save.disabled = !on; },
    /** @param {Snapshot} s */
    draw(s) {
      drawSaved(s);
      drawModels(s);
      drawPickers(s);
    },
  };
}
