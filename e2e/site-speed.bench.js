// The static site's speed in headless Chromium (bench/browser/run runs it): how soon the Glass
// Box is interactive from a local static server; the Digits Lab's hover decode in the worker;
// training steps per second in the worker for the Digits Lab's 784-100-50-25-2 and the
// Studio's dense 784-256-128-32 (batch 128); and TensorFlow.js training the same models in the
// same browser on each of its backends. Prints figures; asserts nothing about speed.
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { serveStatic } from './static-server.js';

/** @param {number[]} v @param {number} q */
const quantile = (v, q) => v.slice().sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(q * v.length))];
const SECONDS = Number(process.env.SECONDS || 8);

/**
 * Steps per second of the page's training: the `data-step` attribute's rise over SECONDS.
 * @param {import('@playwright/test').Page} page
 */
async function stepsPerSecond(page) {
  await page.waitForTimeout(2000);
  const s0 = Number(await page.locator('#app').getAttribute('data-step'));
  const t0 = Date.now();
  await page.waitForTimeout(SECONDS * 1000);
  const s1 = Number(await page.locator('#app').getAttribute('data-step'));
  return (s1 - s0) / ((Date.now() - t0) / 1000);
}

test('the static site: time to interactive, hover decode, training speed; TF.js alongside', async ({ page }) => {
  const root = process.env.HOURGLASS_SITE;
  if (!root) throw new Error('HOURGLASS_SITE must name the built site');
  const site = await serveStatic(root);
  // the Glass Box: from navigation to its first reconstruction drawn
  const times = [];
  for (let k = 0; k < 3; k++) {
    const t0 = Date.now();
    await page.goto(`${site.url}/glass/`);
    await expect(page.getByTestId('glass-output-0')).toHaveAttribute('data-value', /\d/, { timeout: 30_000 });
    times.push(Date.now() - t0);
  }
  console.log(`Glass Box interactive after ${times.map((t) => `${t} ms`).join(', ')} (first load, then cached)`);

  // the Digits Lab: hover decode on the shipped 2-D model, answered by the worker
  await page.goto(`${site.url}/digits/`);
  await expect.poll(() => page.evaluate(() => { const m = /** @type {any} */ (window).digitsMap; return m ? m.count() : -1; }), { timeout: 60_000 }).toBe(10000);
  const box = /** @type {{x: number, y: number, width: number, height: number}} */ (await page.getByTestId('digits-map').boundingBox());
  await page.evaluate(() => { /** @type {any} */ (window).digitsDecodeTimes.length = 0; });
  const t0 = Date.now();
  for (let k = 0; k < 400; k++) {
    const wait = t0 + k * 8 - Date.now();
    if (wait > 0) await page.waitForTimeout(wait);
    const t = k / 400;
    await page.mouse.move(box.x + box.width * (0.1 + 0.8 * t), box.y + box.height * (0.5 + 0.4 * Math.sin(12 * t)));
  }
  await page.waitForTimeout(300);
  const decodes = /** @type {number[]} */ (await page.evaluate(() => /** @type {any} */ (window).digitsDecodeTimes.slice()));
  console.log(`hover decode in the worker (a move every 8 ms): ${decodes.length} decodes, p50 ${quantile(decodes, 0.5).toFixed(2)} ms, p99 ${quantile(decodes, 0.99).toFixed(2)} ms`);

  // training in the worker
  await page.goto(`${site.url}/digits/?model=train&train_size=60000&batch=128`);
  await expect(page.getByTestId('connection')).toHaveText('runs in your browser', { timeout: 30_000 });
  // the address's settings are applied first (a Train pressed before would be undone by them)
  await expect(page.getByTestId('digits-train_size')).toHaveValue('60000');
  await page.getByTestId('digits-train').click();
  const digits = await stepsPerSecond(page);
  await page.getByTestId('digits-pause').click();
  console.log(`wasm worker, Digits Lab 784-100-50-25-2, batch 128: ${digits.toFixed(1)} steps/s`);
  await page.goto(`${site.url}/studio/?train_size=60000&batch=128&epochs=5&layers=256,128&latent=32`);
  await expect(page.getByTestId('connection')).toHaveText('runs in your browser', { timeout: 30_000 });
  await expect(page.getByTestId('studio-latent')).toHaveValue('32');
  await page.getByTestId('studio-train').click();
  await expect(page.getByTestId('studio-pause')).toBeVisible();
  const rates = [];
  await page.waitForTimeout(2000);
  for (let k = 0; k < SECONDS; k++) {
    await page.waitForTimeout(1000);
    rates.push(Number(await page.getByTestId('studio-rate').getAttribute('data-value')));
  }
  await page.getByTestId('studio-pause').click();
  console.log(`wasm worker, Studio dense 784-256-128-32, batch 128: ${quantile(rates, 0.5).toFixed(1)} steps/s (median of ${rates.length} readings)`);
  await site.stop();

  // TensorFlow.js, the same models, the same batch, in the same browser
  const tfjs = await serveStatic(join(import.meta.dirname, '../bench/browser'));
  await page.goto(`${tfjs.url}/tfjs.html`);
  for (const backend of ['wasm', 'webgl', 'cpu']) {
    for (const [name, layers] of /** @type {[string, number[]][]} */ ([['784-100-50-25-2', [100, 50, 25, 2]], ['784-256-128-32', [256, 128, 32]]])) {
      const r = await page.evaluate(([b, l, s]) => /** @type {any} */ (window).measure(b, l, 128, s), /** @type {[string, number[], number]} */ ([backend, layers, SECONDS]));
      console.log(`TensorFlow.js 4.22 (${r.backend}), ${name}, batch 128: ${r.rate.toFixed(1)} steps/s`);
    }
  }
  await tfjs.stop();
});
