// Generation on the Uses page: why the VAE exists. A VAE and a plain model with 2-D codes
// decode the same draws from N(0, I); both decoders tiled over the prior's quantiles; the
// straight path between two test digits.

import { h } from '../../lib/dom.js';
import { drawImage, imageGrid } from '../../lib/images.js';
import { PX } from './shared.js';

/**
 * @param {import('./shared.js').UsesContext} ctx
 * @returns {import('./shared.js').Section}
 */
export function generateSection(ctx) {
  const toggle = ctx.runButton('generate', { train: 'generate-run', pause: 'generate-pause' });
  const progress = h('span', { class: 'muted' });
  const vaeSamples = h('div', { 'data-testid': 'generate-samples', class: 'thumbs' });
  const plainSamples = h('div', { 'data-testid': 'generate-plain-samples', class: 'thumbs' });
  const vaeManifold = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'manifold', 'data-testid': 'generate-manifold-vae' }));
  const plainManifold = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'manifold', 'data-testid': 'generate-manifold-plain' }));
  const interpolation = h('div', { 'data-testid': 'generate-interpolation' });
  let sampleSeed = 1;
  const reseed = h('button', { 'data-testid': 'generate-reseed', onclick: () => { sampleSeed++; loadSamples().catch(ctx.fail); } }, 'New samples');
  const another = h('button', { 'data-testid': 'generate-interpolate', onclick: () => loadInterpolation(true).catch(ctx.fail) }, 'Two other digits');
  const el = h('section', { class: 'panel', 'data-testid': 'uses-section-generate' },
    h('h2', {}, 'Generation'),
    h('p', {}, 'Why the variational autoencoder exists. Both models have 2-D codes (784-256-2). Draw codes from N(0, I) and decode them: the VAE was trained to keep its codes near that distribution (the KL term), so its samples look like digits; the plain model never was, so most of the same codes land where it never put an image.'),
    h('div', { class: 'row' }, toggle.el, progress, reseed),
    h('div', { class: 'two' }, h('div', {}, h('h3', {}, 'VAE: samples from the prior'), vaeSamples), h('div', {}, h('h3', {}, 'Plain: the same codes'), plainSamples)),
    h('div', { class: 'two' }, h('figure', {}, vaeManifold, h('figcaption', { class: 'muted' }, 'The VAE\u2019s decoder over the prior\u2019s 5%–95% quantiles.')), h('figure', {}, plainManifold, h('figcaption', { class: 'muted' }, 'The plain decoder over the same square.'))),
    h('h3', {}, 'Interpolation between two test digits'), another, interpolation);
  let pair = [0, 1];

  async function loadSamples() {
    const m = await ctx.query('samples', { count: 16, seed: sampleSeed });
    for (const [key, host, id] of /** @type {[string, HTMLElement, string][]} */ ([['vae', vaeSamples, 'generate-sample'], ['plain', plainSamples, 'generate-plain-sample']])) {
      imageGrid(host, Array.from({ length: 16 }, (_, i) => ({ values: m.data[key].subarray(i * PX, (i + 1) * PX), caption: '' })), { w: 28, h: 28, cols: 8, testid: id });
    }
    vaeSamples.dataset.seed = String(sampleSeed);
  }
  async function loadManifold() {
    const n = 12;
    const m = await ctx.query('manifold', { n });
    for (const [key, canvas] of /** @type {[string, HTMLCanvasElement][]} */ ([['vae', vaeManifold], ['plain', plainManifold]])) {
      const big = new Float32Array(n * 28 * n * 28);
      const src = m.data[key];
      for (let t = 0; t < n * n; t++) {
        const [r, c] = [Math.floor(t / n), t % n];
        for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) big[(r * 28 + y) * n * 28 + c * 28 + x] = src[t * PX + y * 28 + x];
      }
      drawImage(canvas, big, n * 28, n * 28);
    }
  }
  /** @param {boolean} fresh */
  async function loadInterpolation(fresh) {
    if (fresh) pair = [Math.floor(Math.random() * 10000), Math.floor(Math.random() * 10000)];
    const m = await ctx.query('interpolate', { a: pair[0], b: pair[1], steps: 8 });
    interpolation.replaceChildren();
    for (const [key, label] of [['vae', 'VAE'], ['plain', 'plain']]) {
      const row = h('div', { class: 'thumbs' });
      imageGrid(row, Array.from({ length: 8 }, (_, i) => ({ values: m.data[key].subarray(i * PX, (i + 1) * PX), caption: i ? '' : label })), { w: 28, h: 28, cols: 8, testid: `generate-path-${key}` });
      interpolation.append(row);
    }
  }

  return {
    el,
    toggle,
    progress,
    refresh(s) {
      if (s.generate) { loadSamples().catch(ctx.fail); loadManifold().catch(ctx.fail); loadInterpolation(false).catch(ctx.fail); }
    },
  };
}
