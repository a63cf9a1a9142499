// Uses, driven as a learner runs its experiments: hold out a class and read the histograms,
// the ROC curve and the AUC beside PCA's, move the threshold, score a drawing; denoise;
// climb the compression ladder; sample a VAE and a plain model; watch a t-SNE map form and
// export it.
import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import { useServer } from './fixtures.js';

const server = useServer();

/** @param {import('@playwright/test').Page} page @param {string} id */
const num = async (page, id) => Number(await page.getByTestId(id).getAttribute('data-value'));
/** Waits until the page says it is not training. @param {import('@playwright/test').Page} page */
const idle = (page) => expect(page.locator('#app')).toHaveAttribute('data-training', 'false', { timeout: 120_000 });

test('hold out a class: histograms, a ROC curve and an AUC beside PCA; the threshold trades precision for recall; a drawing is scored', async ({ page }, info) => {
  await page.goto(`${server.url}/uses?train_size=5000&epochs=2`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await expect(page.getByTestId('uses-section-anomaly')).toBeVisible();
  for (const s of ['denoise', 'compress', 'generate', 'project']) await expect(page.getByTestId(`uses-section-${s}`)).toBeVisible();
  await page.getByTestId('anomaly-held-out').selectOption('4');
  await expect(page).toHaveURL(/held_out=4/);
  await page.getByTestId('anomaly-run').click();
  await expect(page.getByTestId('anomaly-auc')).toHaveAttribute('data-value', /\d/, { timeout: 120_000 });
  const auc = await num(page, 'anomaly-auc');
  const pca = await num(page, 'anomaly-pca-auc');
  expect(auc).toBeGreaterThan(0.5);
  expect(auc).toBeLessThanOrEqual(1);
  expect(pca).toBeGreaterThan(0.4);
  // two histograms and two ROC curves are drawn
  await expect(page.getByTestId('anomaly-histogram').locator('path[data-series]')).toHaveCount(2);
  await expect(page.getByTestId('anomaly-roc').locator('path[data-series]')).toHaveCount(2);
  await expect(page.getByTestId('anomaly-worst-0')).toBeVisible();
  await expect(page.getByTestId('anomaly-best-0')).toBeVisible();
  // a higher threshold flags fewer images: precision up (or level), recall down
  await expect(page.getByTestId('anomaly-recall')).toHaveAttribute('data-value', /\d/);
  const r1 = await num(page, 'anomaly-recall');
  const fp1 = await num(page, 'anomaly-false-positives');
  await page.getByTestId('anomaly-threshold').fill('995');
  await expect.poll(() => num(page, 'anomaly-recall')).toBeLessThan(r1);
  expect(await num(page, 'anomaly-false-positives')).toBeLessThan(fp1);
  await page.getByTestId('anomaly-threshold').fill('500');
  await expect.poll(() => num(page, 'anomaly-recall')).toBeGreaterThan(r1);
  // draw a stroke and get a score
  const pad = page.getByTestId('anomaly-pad');
  const b = /** @type {{x: number, y: number, width: number, height: number}} */ (await pad.boundingBox());
  await page.mouse.move(b.x + b.width * 0.5, b.y + b.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width * 0.5, b.y + b.height * 0.8, { steps: 8 });
  await page.mouse.up();
  await expect(page.getByTestId('anomaly-drawn-score')).toHaveAttribute('data-value', /\d/, { timeout: 20_000 });
  const shot = info.outputPath('uses-anomaly.png');
  await page.screenshot({ path: shot, fullPage: true });
  await info.attach('anomaly detection', { path: shot, contentType: 'image/png' });
});

test('denoising, compression and generation each run and show their figures', async ({ page }) => {
  await page.goto(`${server.url}/uses?train_size=10000&epochs=3`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await page.getByTestId('denoise-noise').selectOption('salt-pepper');
  await page.getByTestId('denoise-level').selectOption('0.3');
  await page.getByTestId('denoise-run').click();
  await expect(page.getByTestId('denoise-psnr-clean')).toHaveAttribute('data-value', /\d/, { timeout: 120_000 });
  expect(await num(page, 'denoise-psnr-clean')).toBeGreaterThan(await num(page, 'denoise-psnr-noisy'));
  await expect(page.getByTestId('denoise-noisy-0')).toBeVisible();
  await expect(page.getByTestId('denoise-trained-on')).toContainText('salt-pepper:0.3');
  await expect(page.getByTestId('denoise-undertrained'), 'trained enough to teach the lesson').toBeHidden();
  await idle(page);
  await page.getByTestId('compress-run').click();
  const point = page.getByTestId('compress-point-pca-16');
  await expect(point).toBeAttached({ timeout: 120_000 });
  for (const id of ['ae-2', 'ae8-64', 'pca8-2', 'jpeg-50']) await expect(page.getByTestId(`compress-point-${id}`)).toBeAttached();
  // more components, less error: PCA's PSNR climbs with its size
  expect(await num(page, 'compress-point-pca-64')).toBeGreaterThan(await num(page, 'compress-point-pca-2'));
  await point.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('compress-reconstruction-0')).toBeVisible();
  await expect(page.getByTestId('compress-picked')).toContainText('16 numbers');
  await expect(page.getByTestId('compress-undertrained')).toBeHidden();
  await idle(page);
  await page.getByTestId('generate-run').click();
  await expect(page.getByTestId('generate-sample-0')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('generate-plain-sample-0')).toBeVisible();
  const before = await page.getByTestId('generate-sample-0').evaluate((c) => /** @type {HTMLCanvasElement} */ (c).toDataURL());
  await page.getByTestId('generate-reseed').click();
  await expect(page.getByTestId('generate-samples')).toHaveAttribute('data-seed', '2');
  await expect.poll(() => page.getByTestId('generate-sample-0').evaluate((c) => /** @type {HTMLCanvasElement} */ (c).toDataURL())).not.toBe(before);
  await expect(page.getByTestId('generate-path-vae-7')).toBeVisible();
});

test('models that have not learned yet say so, with what to change', async ({ page }) => {
  await page.goto(`${server.url}/uses?train_size=1000&epochs=1`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await page.getByTestId('compress-run').click();
  const ladder = page.getByTestId('compress-undertrained');
  await expect(ladder).toBeVisible({ timeout: 120_000 });
  await expect(ladder).toContainText('no better than the average image');
  await expect(ladder).toContainText('1 epoch on 1000 training images');
  await expect(ladder).toContainText('raise Epochs');
  await idle(page);
  await page.getByTestId('denoise-run').click();
  await expect(page.getByTestId('denoise-undertrained')).toContainText('The denoiser is no better than the average image', { timeout: 120_000 });
});

test('t-SNE of 2,000 codes: the iteration count advances, the map changes, it is trustworthy, and it exports; PCA keeps less, UMAP as much', async ({ page }) => {
  await page.goto(`${server.url}/uses?experiment=project&method=tsne&points=2000`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await expect(page.getByTestId('project-caution')).toContainText('sizes of their clusters');
  await page.getByTestId('project-start').click();
  await expect.poll(() => num(page, 'project-iteration'), { timeout: 60_000 }).toBeGreaterThan(0);
  const map = page.getByTestId('project-canvas');
  const early = await map.evaluate((c) => /** @type {HTMLCanvasElement} */ (c).toDataURL());
  const i1 = await num(page, 'project-iteration');
  await expect.poll(() => num(page, 'project-iteration'), { timeout: 60_000 }).toBeGreaterThan(i1);
  await expect(page.getByTestId('project-trust')).toHaveAttribute('data-value', /\d/, { timeout: 120_000 });
  expect(await num(page, 'project-iteration')).toBe(750);
  expect(await num(page, 'project-trust')).toBeGreaterThan(0.9);
  expect(await map.evaluate((c) => /** @type {HTMLCanvasElement} */ (c).toDataURL())).not.toBe(early);
  // hover a point: its image; click: its neighbours
  await map.scrollIntoViewIfNeeded();
  const b = /** @type {{x: number, y: number, width: number, height: number}} */ (await map.boundingBox());
  const [px, py] = await page.evaluate(() => /** @type {any} */ (window).usesMap.at(0));
  const [x, y] = [b.x + px * b.width, b.y + py * b.height];
  await page.mouse.move(x, y);
  await expect(page.getByTestId('project-hover')).toBeVisible();
  await page.mouse.click(x, y);
  await expect(page.getByTestId('project-neighbour-7')).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('project-neighbours')).toHaveAttribute('data-value', /\d/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('project-export').click()]);
  const file = await download.path();
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  expect(lines[0]).toBe('x,y,label');
  expect(lines.length).toBe(2001);
  // PCA of the same codes, for comparison, is less trustworthy
  const tsneTrust = await num(page, 'project-trust');
  await page.getByTestId('project-method').selectOption('pca');
  await page.getByTestId('project-start').click();
  await expect.poll(() => page.locator('[data-testid=project-note]').textContent(), { timeout: 60_000 }).toContain('PCA of');
  await expect(page.getByTestId('project-trust')).toHaveAttribute('data-value', /\d/, { timeout: 60_000 });
  const pcaTrust = await num(page, 'project-trust');
  expect(pcaTrust).toBeLessThan(tsneTrust);
  // UMAP: its own settings instead of the perplexity, epochs counted up to 500, as trustworthy
  await expect(page.getByTestId('project-perplexity')).toBeHidden();
  await page.getByTestId('project-method').selectOption('umap');
  await expect(page.getByTestId('project-umap-neighbours')).toBeVisible();
  await expect(page.getByTestId('project-min-dist')).toBeVisible();
  await expect(page.getByTestId('project-perplexity')).toBeHidden();
  await page.getByTestId('project-start').click();
  await expect.poll(() => page.locator('[data-testid=project-note]').textContent(), { timeout: 60_000 }).toContain('UMAP of 2,000');
  await expect(page.getByTestId('project-trust')).toHaveAttribute('data-value', /\d/, { timeout: 120_000 });
  expect(await num(page, 'project-iteration')).toBe(500);
  await expect(page.locator('[data-testid=uses-section-project] .facts')).toContainText('epoch 500');
  expect(await num(page, 'project-trust')).toBeGreaterThan(Math.max(0.9, pcaTrust));
});

test('the side\u2019s selects list their values in order, a value from the URL in its place', async ({ page }) => {
  await page.goto(`${server.url}/uses?epochs=7`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  const values = (/** @type {string} */ id) => page.getByTestId(id).locator('option').evaluateAll((os) => os.map((o) => Number(/** @type {HTMLOptionElement} */ (o).value)));
  await expect(page.getByTestId('uses-epochs')).toHaveValue('7');
  expect(await values('uses-epochs')).toEqual([1, 3, 5, 7, 10]);
  await expect(page.getByTestId('uses-train-size')).toHaveValue('20000');
  expect(await values('uses-train-size')).toEqual([2000, 10000, 20000, 60000]);
});

test('challenges: the autoencoder beating PCA is checked from the experiment\u2019s result; a teacher link keeps its place', async ({ page }) => {
  await page.goto(`${server.url}/uses?train_size=2000&epochs=1&held_out=0&challenge=beat-pca&hide=seed`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await page.evaluate(() => localStorage.removeItem('hourglass-challenges-uses'));
  await page.reload();
  await expect(page.getByTestId('challenges')).toHaveAttribute('open', '');
  await expect(page.getByTestId('uses-seed')).toBeHidden();
  const beat = page.getByTestId('challenge-uses-beat-pca');
  await expect(beat).toHaveAttribute('data-state', 'open');
  await page.getByTestId('anomaly-run').click();
  await expect(page.getByTestId('anomaly-auc')).toHaveAttribute('data-value', /\d/, { timeout: 120_000 });
  // held out: 0, on 2,000 images for one epoch, the autoencoder's AUC is above PCA's
  expect(await num(page, 'anomaly-auc')).toBeGreaterThan(await num(page, 'anomaly-pca-auc'));
  await expect(beat).toHaveAttribute('data-state', 'done');
  await expect(page.getByTestId('challenge-why-beat-pca')).toBeVisible();
  await expect(page.getByTestId('challenge-note-every-class')).toContainText('1 of 10 classes tried');
  await expect(page).toHaveURL(/challenge=beat-pca/);
});
