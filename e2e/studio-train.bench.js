// The Model Studio's training speed with the page open, against `hourglass train` of the same
// configuration on the same data (the tutorial's dense 784-256-128-32 on all 60,000 MNIST
// training images, 10% for validation, batch 128, Adam, EPOCHS epochs, default 3). The page
// runs in headless Chromium, drawing every snapshot; both times are wall-clock from start to
// the last epoch's end, validation included (the page also computes PSNR and SSIM of the
// validation set and the reconstruction grid each epoch, which the CLI does not). The page's
// moments are stamped in the page when its DOM shows them. Prints
// figures; asserts nothing about speed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { startServer } from './server.js';

test('Model Studio: training with the page open against hourglass train', async ({ page }) => {
  const epochs = Number(process.env.EPOCHS || 3);
  const data = process.env.HOURGLASS_TEST_DATA || '../../shared/datasets';
  const bin = /** @type {string} */ (process.env.HOURGLASS_BIN);
  const dir = mkdtempSync(join(tmpdir(), 'hourglass-studio-bench-'));
  const cli = () => {
    const t0 = Date.now();
    const out = execFileSync(bin, ['train', '--dataset', 'mnist', '--data-dir', data, '--layers', '784,256,128,32',
      '--epochs', String(epochs), '--batch', '128', '--val-split', '0.1', '--seed', '1', '--out', join(dir, 'cli.safetensors'), '--json'], { encoding: 'utf8' });
    const summary = JSON.parse(out.trim().split('\n').pop() || '{}');
    return { wall: (Date.now() - t0) / 1000, seconds: summary.seconds, val: summary.val_loss };
  };
  const server = await startServer(['--models', dir]);
  const pageRun = async () => {
    await page.goto(`${server.url}/studio?epochs=${epochs}&train_size=60000&batch=128&layers=256,128&latent=32&val_split=0.1&seed=1`);
    await expect(page.getByTestId('studio-train')).toBeEnabled();
    // the tab's session trained before: new weights from the seed
    if (await page.getByTestId('studio-reset').isEnabled()) {
      await page.getByTestId('studio-reset').click();
      await expect(page.getByTestId('studio-progress')).toHaveAttribute('data-value', '0');
    }
    // the moments the page shows the first step and the end, stamped in the page as the DOM
    // changes (a test runner's polling would add its own interval to the end)
    await page.evaluate(() => {
      const w = /** @type {any} */ (window);
      w.__bench = { first: 0, end: 0 };
      const app = /** @type {HTMLElement} */ (document.querySelector('#app'));
      const bar = /** @type {HTMLElement} */ (document.querySelector('[data-testid="studio-progress"]'));
      new MutationObserver(() => {
        const now = performance.now();
        if (!w.__bench.first && Number(app.dataset.step) > 0) w.__bench.first = now;
        if (!w.__bench.end && bar.dataset.value === '1') w.__bench.end = now;
      }).observe(document.body, { attributes: true, subtree: true, attributeFilter: ['data-step', 'data-value'] });
      w.__bench.click = performance.now();
    });
    await page.getByTestId('studio-train').click();
    await expect(page.getByTestId('studio-progress')).toHaveAttribute('data-value', '1', { timeout: 280_000 });
    const b = await page.evaluate(() => /** @type {any} */ (window).__bench);
    const val = Number(await page.getByTestId('studio-val-loss').getAttribute('data-value'));
    return { seconds: (b.end - b.first) / 1000, whole: (b.end - b.click) / 1000, val };
  };
  // interleaved, so a slow spell of the machine falls on both
  const rounds = Number(process.env.ROUNDS || 3);
  const c = [];
  const p = [];
  for (let r = 0; r < rounds; r++) {
    c.push(cli());
    p.push(await pageRun());
  }
  /** @param {number[]} v */
  const median = (v) => v.slice().sort((x, y) => x - y)[Math.floor(v.length / 2)];
  const cs = median(c.map((x) => x.seconds));
  const ps = median(p.map((x) => x.seconds));
  console.log(`hourglass train: ${c.map((x) => x.seconds.toFixed(2)).join(', ')} s for ${epochs} epochs (val loss ${c[0].val.toFixed(5)})`);
  console.log(`Model Studio, page open: ${p.map((x) => x.seconds.toFixed(2)).join(', ')} s from the first step; ${p.map((x) => x.whole.toFixed(2)).join(', ')} s from the click, reading the data included (val loss ${p[0].val.toFixed(5)}, the same run: ${Math.abs(p[0].val - c[0].val) < 1e-6 ? 'yes' : 'no'})`);
  console.log(`page speed / CLI speed (medians): ${(100 * cs / ps).toFixed(1)}%`);
  server.stop();
});
