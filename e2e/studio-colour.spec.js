// The Model Studio on colour images: a .zip of colour PNGs in class folders is uploaded,
// trains a conv model, and its pictures and reconstructions are drawn in colour.
import { test, expect } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useServer } from './fixtures.js';
import { colourPictures } from './colour-zip.js';

const models = mkdtempSync(join(tmpdir(), 'hourglass-studio-colour-e2e-'));
const server = useServer(() => ['--models', models]);

/**
 * How far from grey a canvas's most colourful pixel is (0: every pixel grey).
 * @param {import('@playwright/test').Page} page @param {string} id
 */
async function colourfulness(page, id) {
  return page.getByTestId(id).evaluate((c) => {
    const cv = /** @type {HTMLCanvasElement} */ (c);
    const d = /** @type {CanvasRenderingContext2D} */ (cv.getContext('2d')).getImageData(0, 0, cv.width, cv.height).data;
    let most = 0;
    for (let i = 0; i < d.length; i += 4) most = Math.max(most, Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]));
    return most;
  });
}

test('an uploaded zip of colour pictures trains a colour model, drawn in colour', async ({ page }) => {
  await page.goto(`${server.url}/studio?kind=conv&convs=8:3:2:1&latent=8&epochs=15&batch=8&lr=0.01`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await page.getByTestId('studio-upload').setInputFiles({ name: 'pictures.zip', mimeType: 'application/zip', buffer: colourPictures() });
  await expect(page.getByTestId('studio-message')).toContainText('Uploaded pictures.zip: 40 images');
  await expect(page.getByTestId('studio-dataset')).toHaveValue('upload:pictures.zip');
  await expect(page.getByTestId('studio-describe')).toContainText('conv 3x28x28');
  await page.getByTestId('studio-train').click();
  await expect(page.getByTestId('studio-progress')).toHaveAttribute('data-value', '1', { timeout: 60_000 });
  // the pictures and their reconstructions are in colour, not grey
  await expect(page.getByTestId('studio-original-0')).toBeVisible();
  expect(await colourfulness(page, 'studio-original-0')).toBeGreaterThan(150);
  await expect.poll(() => colourfulness(page, 'studio-recon-0'), { timeout: 20_000 }).toBeGreaterThan(100);
  // looking inside: the output is drawn in colour too
  await expect(page.getByTestId('studio-activation-output').locator('canvas')).toBeVisible({ timeout: 20_000 });
  const out = await page.getByTestId('studio-activation-output').locator('canvas').evaluate((c) => {
    const cv = /** @type {HTMLCanvasElement} */ (c);
    const d = /** @type {CanvasRenderingContext2D} */ (cv.getContext('2d')).getImageData(0, 0, cv.width, cv.height).data;
    let most = 0;
    for (let i = 0; i < d.length; i += 4) most = Math.max(most, Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]));
    return most;
  });
  expect(out).toBeGreaterThan(100);
});
