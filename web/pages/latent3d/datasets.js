// The 3D explorer's dataset picker: a button per built-in shape with a thumbnail drawn from
// the server's preview (each from its own camera), and the upload of your own points.

import { h, svg } from '../../lib/dom.js';
import { attr } from '../../lib/format.js';
import { alongCurve } from '../../lib/colors.js';
import { cameraFor, rotate } from './views.js';

/** Largest CSV accepted from the page (the server's message limit is 256 KiB). */
const MAX_UPLOAD_BYTES = 200 * 1024;

/**
 * @param {{
 *   pick: (name: string) => void,
 *   upload: (name: string, csv: string) => void,
 *   say: (text: string) => void,
 *   maxPoints: () => number,
 * }} opts
 */
export function createDatasets(opts) {
  /** @type {Map<string, {b: HTMLElement, thumb: SVGSVGElement, label: HTMLElement}>} */
  const pickers = new Map();
  const row = h('div', { class: 'datasets', role: 'group', 'aria-label': 'Dataset' });
  // your uploaded points: a picker of their own once there are some
  const yours = h('button', { class: 'dataset yours', 'data-testid': 'latent3d-dataset-upload', hidden: true, title: 'your uploaded points', onclick: () => opts.pick('upload') }, 'your points');
  const file = /** @type {HTMLInputElement} */ (h('input', { type: 'file', accept: '.csv,text/csv,text/plain', 'data-testid': 'latent3d-upload', 'aria-label': 'Upload your own 3D points (CSV: x,y,z per row)' }));
  file.addEventListener('change', async () => {
    const f = file.files && file.files[0];
    file.value = '';
    if (!f) return;
    if (f.size > MAX_UPLOAD_BYTES) {
      opts.say(`${f.name} is ${Math.round(f.size / 1024)} KiB; uploads are limited to ${MAX_UPLOAD_BYTES / 1024} KiB (${opts.maxPoints()} points). Nothing changed.`);
      return;
    }
    opts.upload(f.name, await f.text());
  });

  return {
    row,
    upload: h('label', { class: 'upload' }, 'your own points (CSV, x,y,z per row) ', file),
    /**
     * The shapes the server offers, with previews; a button for each.
     * @param {{name: string, label: string, preview: number[][]}[]} sets
     */
    show(sets) {
      for (const set of sets) {
        if (!pickers.has(set.name)) {
          const thumb = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', { class: 'thumb', viewBox: '0 0 60 60', 'aria-hidden': 'true' })));
          const label = h('span', {}, set.name);
          const b = h('button', { class: 'dataset', 'data-testid': `latent3d-dataset-${set.name}`, title: set.name, onclick: () => opts.pick(set.name) }, thumb, label);
          pickers.set(set.name, { b, thumb, label });
          row.append(b);
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
    },
    /**
     * Marks the active dataset (`upload`: your points, named by their file).
     * @param {string} name
     * @param {string} label
     */
    mark(name, label) {
      for (const [n, p] of pickers) attr(p.b, 'aria-pressed', String(n === name));
      if (name === 'upload') {
        if (!yours.parentElement) row.append(yours);
        yours.hidden = false;
        yours.textContent = `your points: ${label}`;
      }
      attr(yours, 'aria-pressed', String(name === 'upload'));
    },
  };
}
