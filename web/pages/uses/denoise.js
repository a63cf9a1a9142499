// Denoising on the Uses page: a plain and a denoising model on the same noisy test images,
// side by side with the clean ones, with PSNR and SSIM.

import { h, showNumber } from '../../lib/dom.js';
import { imageGrid } from '../../lib/images.js';
import { PX, warningLine } from './shared.js';

/**
 * @param {import('./shared.js').UsesContext} ctx
 * @returns {import('./shared.js').Section}
 */
export function denoiseSection(ctx) {
  const toggle = ctx.runButton('denoise', { train: 'denoise-run', pause: 'denoise-pause' });
  const progress = h('span', { class: 'muted' });
  const denoiseGrid = h('div', { class: 'grid-rows', 'data-testid': 'denoise-grid' });
  const psnrNoisy = h('strong', { 'data-testid': 'denoise-psnr-noisy' }, '–');
  const psnrPlain = h('strong', { 'data-testid': 'denoise-psnr-plain' }, '–');
  const psnrClean = h('strong', { 'data-testid': 'denoise-psnr-clean' }, '–');
  const ssimNoisy = h('strong', { 'data-testid': 'denoise-ssim-noisy' }, '–');
  const ssimPlain = h('strong', { 'data-testid': 'denoise-ssim-plain' }, '–');
  const ssimClean = h('strong', { 'data-testid': 'denoise-ssim-clean' }, '–');
  const trainedOn = h('p', { class: 'muted', 'data-testid': 'denoise-trained-on' });
  const warning = warningLine('denoise-undertrained');
  let noiseSeed = 1;
  const redraw = h('button', { 'data-testid': 'denoise-redraw', onclick: () => { noiseSeed++; loadDenoise().catch(ctx.fail); } }, 'New noise');
  const denoiseSlot = h('div', { class: 'row' });
  const el = h('section', { class: 'panel', 'data-testid': 'uses-section-denoise' },
    h('h2', {}, 'Denoising'),
    h('p', {}, 'Two models with the same layers (784-256-32): a plain one, trained to copy clean images, and a denoising one, trained to give back the clean image from a corrupted copy. Both see the same noisy test images; PSNR and SSIM are measured against the clean ones (1,000 test images).'),
    denoiseSlot,
    warning.el,
    h('p', { class: 'facts' }, 'PSNR noisy ', psnrNoisy, ' dB · plain ', psnrPlain, ' dB · denoising ', psnrClean, ' dB'),
    h('p', { class: 'facts' }, 'SSIM noisy ', ssimNoisy, ' · plain ', ssimPlain, ' · denoising ', ssimClean),
    trainedOn, denoiseGrid, redraw);

  async function loadDenoise() {
    const m = await ctx.query('denoise', { count: 8, seed: noiseSeed });
    showNumber(psnrNoisy, m.noisy.psnr, 2);
    showNumber(psnrPlain, m.plain.psnr, 2);
    showNumber(psnrClean, m.denoised.psnr, 2);
    showNumber(ssimNoisy, m.noisy.ssim, 3);
    showNumber(ssimPlain, m.plain.ssim, 3);
    showNumber(ssimClean, m.denoised.ssim, 3);
    trainedOn.textContent = m.trained_on === m.noise ? `Noise ${m.noise}, the noise the denoising model was trained on.` : `Noise ${m.noise}; the denoising model was trained on ${m.trained_on} (Run again to train it on this noise).`;
    denoiseGrid.replaceChildren();
    for (const [key, label] of [['noisy', 'noisy'], ['plain', 'plain model'], ['denoised', 'denoising model'], ['clean', 'clean']]) {
      const row = h('div', { class: 'thumbs' });
      imageGrid(row, Array.from({ length: m.count }, (_, i) => ({ values: m.data[key].subarray(i * PX, (i + 1) * PX), caption: i ? '' : label })), { w: 28, h: 28, cols: m.count, testid: `denoise-${key}` });
      denoiseGrid.append(row);
    }
  }

  return {
    el,
    toggle,
    progress,
    // the noise controls come from the schema
    build() {
      denoiseSlot.replaceChildren(ctx.labelled('Noise ', ctx.bind('noise', 'denoise-noise')), ctx.labelled('Level ', ctx.bind('noise_level', 'denoise-level')), toggle.el, progress);
    },
    refresh(s) {
      warning.set(s.denoise && s.denoise.warning);
      if (s.denoise) loadDenoise().catch(ctx.fail); else denoiseGrid.replaceChildren();
    },
  };
}
