// The Studio on colour pictures, as a person uses it, shared by the server's test
// (studio-colour.spec.js) and the static site's (site.spec.js): a .zip of colour PNGs in
// class folders is uploaded, builds a 3×28×28 conv model, trains, and its pictures,
// reconstructions and looked-inside output are drawn in colour.
import { expect } from '@playwright/test';
import { colourPictures } from './colour-zip.js';

/** The model the flow trains (query of the Studio's address). */
export const COLOUR_MODEL = 'kind=conv&convs=8:3:2:1&latent=8&epochs=15&batch=8&lr=0.01';

/**
 * How far from grey a canvas's most colourful pixel is (0: every pixel grey).
 * @param {import('@playwright/test').Locator} canvas
 */
export function colourfulness(canvas) {
  return canvas.evaluate((c) => {
    const cv = /** @type {HTMLCanvasElement} */ (c);
    const d = /** @type {CanvasRenderingContext2D} */ (cv.getContext('2d')).getImageData(0, 0, cv.width, cv.height).data;
    let most = 0;
    for (let i = 0; i < d.length; i += 4) most = Math.max(most, Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]));
    return most;
  });
}

/**
 * Uploads the colour pictures into the Studio open at `?${COLOUR_MODEL}` and trains them.
 * @param {import('@playwright/test').Page} page
 */
export async function trainOnColourPictures(page) {
  await page.getByTestId('studio-upload').setInputFiles({ name: 'pictures.zip', mimeType: 'application/zip', buffer: colourPictures() });
  await expect(page.getByTestId('studio-message')).toContainText('Uploaded pictures.zip: 40 images', { timeout: 30_000 });
  await expect(page.getByTestId('studio-dataset')).toHaveValue('upload:pictures.zip');
  await expect(page.getByTestId('studio-describe')).toContainText('conv 3x28x28');
  await page.getByTestId('studio-train').click();
  await expect(page.getByTestId('studio-progress')).toHaveAttribute('data-value', '1', { timeout: 120_000 });
  // the pictures and their reconstructions are in colour, not grey
  await expect(page.getByTestId('studio-original-0')).toBeVisible();
  expect(await colourfulness(page.getByTestId('studio-original-0'))).toBeGreaterThan(150);
  await expect.poll(() => colourfulness(page.getByTestId('studio-recon-0')), { timeout: 20_000 }).toBeGreaterThan(100);
  // looking inside: the output is drawn in colour too
  const output = page.getByTestId('studio-activation-output').locator('canvas');
  await expect(output).toBeVisible({ timeout: 20_000 });
  expect(await colourfulness(output)).toBeGreaterThan(100);
}
