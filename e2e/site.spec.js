// The static site (scripts/build-site), served by a plain static file server with no
// `hourglass` process: every page runs its job in the browser, in a Web Worker, and sends no
// request beyond the site. Each page does its core work here; the server build's own tests
// cover every control.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { openSitePage, useSite } from './site-fixtures.js';
import { readADictionary } from './features-flow.js';
import { COLOUR_MODEL, trainOnColourPictures } from './studio-colour-flow.js';
import { COLOUR_DIGITS, mapColourPatches } from './digits-colour-flow.js';

const site = useSite();

/** @param {import('@playwright/test').Page} page @param {string} id */
const num = async (page, id) => Number(await page.getByTestId(id).getAttribute('data-value'));

test('every page opens in the browser, says where it runs, and the site root leads to the first', async ({ page }) => {
  await page.goto(`${site.url}/`);
  await expect(page).toHaveURL(/\/glass\/$/);
  for (const name of ['glass', 'latent3d', 'digits', 'studio', 'uses', 'features']) {
    await page.getByTestId(`nav-${name}`).click();
    await expect(page).toHaveURL(new RegExp(`/${name}/`));
    await expect(page.getByTestId('connection')).toHaveText('runs in your browser', { timeout: 30_000 });
    await expect(page.getByTestId('nav').locator('a')).toHaveCount(6);
    await expect(page.getByTestId('nav').locator('[aria-current="page"]')).toHaveAttribute('data-testid', `nav-${name}`);
    await expect(page.locator('#app')).not.toBeEmpty();
  }
});

test('the Glass Box trains in the browser and its loss falls', async ({ page }) => {
  await openSitePage(page, `${site.url}/glass/`);
  await expect(page.getByTestId('glass-params')).toHaveText('168');
  await page.getByTestId('glass-step').click();
  await expect(page.getByTestId('glass-epoch')).toHaveAttribute('data-value', '1');
  const first = await num(page, 'glass-loss');
  await page.getByTestId('glass-speed').selectOption('2000');
  await page.getByTestId('glass-train').click();
  await expect.poll(() => num(page, 'glass-epoch'), { timeout: 30_000 }).toBeGreaterThan(1500);
  await expect.poll(() => num(page, 'glass-loss'), { timeout: 30_000 }).toBeLessThan(first / 2);
  await page.getByTestId('glass-stop').click();
  // a pixel clicked is reconstructed by the engine in the worker
  const out = await page.getByTestId('glass-output-4').getAttribute('data-value');
  await page.getByTestId('glass-input-4').click();
  await expect(page.getByTestId('glass-output-4')).not.toHaveAttribute('data-value', out ?? '');
});

test('the 3D Latent Explorer trains in the browser', async ({ page }) => {
  await openSitePage(page, `${site.url}/latent3d/?speed=0`);
  await expect(page.getByTestId('latent3d-loss')).toHaveAttribute('data-value', /\d/);
  const before = await num(page, 'latent3d-loss');
  await page.getByTestId('latent3d-play').click();
  await expect.poll(async () => Number(await page.getByTestId('latent3d-timeline').getAttribute('data-count')), { timeout: 30_000 }).toBeGreaterThanOrEqual(6);
  await page.getByTestId('latent3d-pause').click();
  await expect(page.locator('#app')).toHaveAttribute('data-training', 'false');
  await expect.poll(() => num(page, 'latent3d-loss')).toBeLessThan(before);
});

test('the Studio trains an epoch, saves, finds the model after a reload, and its download evaluates as the page said', async ({ page }) => {
  await openSitePage(page, `${site.url}/studio/?train_size=3000&batch=100&epochs=1&layers=64&latent=8`);
  await expect(page.getByTestId('studio-latent')).toHaveValue('8');
  await page.getByTestId('studio-train').click();
  await expect.poll(() => num(page, 'studio-progress'), { timeout: 120_000 }).toBe(1);
  await expect(page.getByTestId('studio-message')).toContainText('Trained 1 epoch');
  await page.getByTestId('studio-name').fill('in the browser');
  await page.getByTestId('studio-save').click();
  await expect(page.getByTestId('studio-saved')).toContainText('Saved as in the browser.safetensors');
  const saved = JSON.parse(await page.getByTestId('studio-saved').getAttribute('data-value') || '{}');
  await expect(page.getByTestId('studio-models-dir')).toContainText('this browser');
  // kept in the browser's storage: there after a reload
  await page.reload();
  await expect(page.getByTestId('connection')).toHaveText('runs in your browser', { timeout: 30_000 });
  await expect(page.getByTestId('studio-model-in the browser')).toContainText('dense 784-64-8');
  // downloaded, it is the checkpoint `hourglass eval` reads, with the page's figures
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('studio-download-in the browser').click(),
  ]);
  const file = join(mkdtempSync(join(tmpdir(), 'hourglass-site-')), 'in the browser.safetensors');
  await download.saveAs(file);
  const bin = process.env.HOURGLASS_BIN;
  const data = process.env.HOURGLASS_TEST_DATA;
  if (!bin || !data) throw new Error('HOURGLASS_BIN and HOURGLASS_TEST_DATA are needed (scripts/test sets them)');
  const cli = JSON.parse(execFileSync(bin, ['eval', '--model', file, '--dataset', 'mnist', '--data-dir', data, '--json'], { encoding: 'utf8' }));
  for (const key of ['mse', 'psnr', 'ssim']) expect(Math.abs(cli[key] - saved[key]), key).toBeLessThanOrEqual(1e-5);
  // a checkpoint from elsewhere (this one, under another name) is checked and kept; a file
  // that is not one is refused with its reason
  await page.getByTestId('studio-upload-model').setInputFiles({ name: 'notes.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model') });
  await expect(page.getByTestId('studio-message')).toContainText('Cannot upload notes.safetensors: not a model Hourglass can read');
  await page.getByTestId('studio-upload-model').setInputFiles({ name: 'copy.safetensors', mimeType: 'application/octet-stream', buffer: readFileSync(file) });
  await expect(page.getByTestId('studio-message')).toContainText('Uploaded copy.safetensors: dense 784-64-8');
  await expect(page.getByTestId('studio-model-copy')).toBeVisible();
  await page.getByTestId('studio-delete-copy').click();
  await expect(page.getByTestId('studio-model-copy')).toHaveCount(0);
  await page.getByTestId('studio-delete-in the browser').click();
  await expect(page.getByTestId('studio-model-in the browser')).toHaveCount(0);
  await page.reload();
  await expect(page.getByTestId('connection')).toHaveText('runs in your browser', { timeout: 30_000 });
  await expect(page.getByTestId('studio-models')).toContainText('No models saved yet');
});

test('the Uses page runs its anomaly experiment in the browser', async ({ page }) => {
  await openSitePage(page, `${site.url}/uses/?train_size=5000&epochs=2`);
  await page.getByTestId('anomaly-run').click();
  await expect(page.getByTestId('anomaly-auc')).toHaveAttribute('data-value', /\d/, { timeout: 120_000 });
  expect(await num(page, 'anomaly-auc')).toBeGreaterThan(0.5);
  await expect(page.getByTestId('anomaly-roc').locator('path[data-series]')).toHaveCount(2);
});

test('the Features page trains a dictionary, reads and steers a feature, and probes the codes in the browser', async ({ page }) => {
  await openSitePage(page, `${site.url}/features/?train_size=10000&width=256&k=16`);
  await readADictionary(page);
});

test('the Studio trains on an uploaded zip of colour pictures in the browser, drawn in colour', async ({ page }) => {
  await openSitePage(page, `${site.url}/studio/?${COLOUR_MODEL}`);
  await trainOnColourPictures(page);
});

test('the Digits Lab trains on colour photo patches in the browser, drawn in colour', async ({ page }) => {
  await openSitePage(page, `${site.url}/digits/?${COLOUR_DIGITS}`);
  await mapColourPatches(page);
});

test('a click on Train as the page opens trains with the settings in the address, not before them', async ({ page }) => {
  // the click lands while the engine is still starting: it waits for the address's settings
  // (2,000 training images), which restart the job, instead of being undone by them
  await page.goto(`${site.url}/digits/?model=train&train_size=2000`);
  await page.getByTestId('digits-train').click();
  await expect(page.getByTestId('digits-train_size')).toHaveValue('2000', { timeout: 30_000 });
  await expect(page.getByTestId('digits-pause')).toBeVisible({ timeout: 30_000 });
  await expect.poll(async () => Number(await page.locator('#app').getAttribute('data-step')), { timeout: 60_000 }).toBeGreaterThan(20);
  await page.getByTestId('digits-pause').click();
});
