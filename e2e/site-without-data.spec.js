// The static site without its datasets (a host that serves only the pages and the engine): the
// Digits Lab works on what ships inside the engine — the shipped models, their sample of 2,000
// test images, training on that sample — and the learner brings MNIST from their own disk.
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { openSitePage, useSite } from './site-fixtures.js';

const site = useSite({ '/datasets/index.json': '[]' });
const data = process.env.HOURGLASS_TEST_DATA || join(import.meta.dirname, '../../shared/datasets');

/** @param {import('@playwright/test').Page} page @param {string} id */
const num = async (page, id) => Number(await page.getByTestId(id).getAttribute('data-value'));
/** @param {import('@playwright/test').Page} page */
const mapCount = (page) => page.evaluate(() => { const m = /** @type {any} */ (window).digitsMap; return m ? m.count() : -1; });

test('the Digits Lab decodes under the mouse and trains its 2-D model on the shipped sample', async ({ page }) => {
  await openSitePage(page, `${site.url}/digits/`);
  await expect(page.getByTestId('digits-message')).toContainText('Not in this browser: mnist');
  await expect.poll(() => mapCount(page), { timeout: 30_000 }).toBe(2000);
  const map = page.getByTestId('digits-map');
  const box = /** @type {{x: number, y: number, width: number, height: number}} */ (await map.boundingBox());
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
  await expect(page.getByTestId('digits-decoded')).toHaveAttribute('data-value', /^\[/);
  const a = await page.getByTestId('digits-decoded').getAttribute('data-value');
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.7);
  await expect(page.getByTestId('digits-decoded')).not.toHaveAttribute('data-value', a ?? '');
  // your own model: trained here on the sample, its loss falls
  await page.getByTestId('digits-model').selectOption('train');
  await page.getByTestId('digits-train').click();
  await expect(page.getByTestId('digits-on-sample')).toBeVisible();
  await expect.poll(() => num(page, 'digits-epoch'), { timeout: 60_000 }).toBeGreaterThan(0.5);
  const early = await num(page, 'digits-loss');
  await expect.poll(() => num(page, 'digits-epoch'), { timeout: 60_000 }).toBeGreaterThan(5);
  await expect.poll(() => num(page, 'digits-loss')).toBeLessThan(early);
  await page.getByTestId('digits-pause').click();
});

test('MNIST picked from disk is checked by its sha256, kept in the browser, and there after a reload', async ({ page }) => {
  await openSitePage(page, `${site.url}/studio/?train_size=500&batch=50&epochs=1&layers=32&latent=4`);
  await expect(page.getByTestId('studio-download')).toHaveText('Use mnist files from disk\u2026');
  // a file that is not one of the dataset's is refused, named
  await page.getByTestId('studio-pick-dataset').setInputFiles({ name: 'notes.gz', mimeType: 'application/gzip', buffer: Buffer.from('not mnist') });
  await expect(page.getByTestId('studio-message')).toContainText('notes.gz is not one of the files of MNIST or Fashion-MNIST');
  const files = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
  await page.getByTestId('studio-pick-dataset').setInputFiles(files.map((f) => join(data, 'mnist', f)));
  await expect(page.getByTestId('studio-message')).toContainText('mnist is here: its four files, read from your disk and checked by their sha256', { timeout: 30_000 });
  await expect(page.getByTestId('studio-download')).toBeHidden();
  await page.getByTestId('studio-train').click();
  await expect.poll(() => num(page, 'studio-progress'), { timeout: 60_000 }).toBe(1);
  await page.reload();
  await expect(page.getByTestId('connection')).toHaveText('runs in your browser', { timeout: 30_000 });
  await expect(page.getByTestId('studio-download')).toBeHidden();
});
