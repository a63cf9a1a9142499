// The Model Studio, driven as a person uses it: build a small dense model, train it, change
// the learning rate mid-run, save it, find it after a reload, load it and delete it; build a
// conv model and see one feature map per channel for a drawn digit; an impossible model says
// where and why, and cannot be trained.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect } from '@playwright/test';
import { useServer } from './fixtures.js';

const models = mkdtempSync(join(tmpdir(), 'hourglass-studio-e2e-'));
const server = useServer(() => ['--models', models]);

/** @param {import('@playwright/test').Page} page @param {string} id */
const num = async (page, id) => Number(await page.getByTestId(id).getAttribute('data-value'));

test('train a small dense model, change its learning rate mid-run, save, reload, load and delete it', async ({ page }) => {
  // 1,688 steps: long enough that Stop shows and a mid-run change lands before the epoch ends
  await page.goto(`${server.url}/studio?train_size=60000&batch=32&epochs=1&layers=128&latent=16`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  const params = 2 * 784 * 128 + 2 * 128 * 16 + 128 + 16 + 128 + 784;
  await expect.poll(() => num(page, 'studio-params')).toBe(params);
  await expect(page.getByTestId('studio-layer-0-size')).toHaveValue('128');
  await expect(page.getByTestId('studio-latent')).toHaveValue('16');
  await expect(page.getByTestId('studio-save')).toBeDisabled();
  await page.getByTestId('studio-train').click();
  await expect(page.getByTestId('studio-pause')).toBeVisible();
  // the first figure shown (a batch's loss, a few hundred steps in at most)
  await expect.poll(() => num(page, 'studio-train-loss'), { timeout: 30_000, intervals: [20] }).toBeGreaterThan(0);
  const early = await num(page, 'studio-train-loss');
  await expect.poll(() => num(page, 'studio-progress'), { timeout: 30_000 }).toBeGreaterThan(0.05);
  const firstGrid = await page.getByTestId('studio-recon-grid').getAttribute('data-sum');
  // the learning rate changes while it trains, and training goes on
  await page.getByTestId('studio-lr').selectOption('0.0003');
  await expect(page.getByTestId('studio-lr')).toHaveValue('0.0003');
  await expect(page.getByTestId('studio-pause'), 'still training after the change').toBeVisible();
  await expect.poll(() => num(page, 'studio-progress'), { timeout: 60_000 }).toBe(1);
  await expect(page.getByTestId('studio-train')).toBeVisible();
  await expect(page.getByTestId('studio-message')).toContainText('Trained 1 epoch');
  // the loss fell: the epoch's validation loss (a mean over 6,000 images) is below that first batch's
  expect(await num(page, 'studio-val-loss')).toBeGreaterThan(0);
  expect(await num(page, 'studio-val-loss')).toBeLessThan(early);
  expect(await num(page, 'studio-psnr')).toBeGreaterThan(10);
  expect(await num(page, 'studio-ssim')).toBeGreaterThan(0);
  expect(Number(await page.getByTestId('studio-chart').getAttribute('data-points'))).toBeGreaterThan(10);
  await expect(page.getByTestId('studio-chart')).toHaveAttribute('data-epochs', '1');
  await expect(page.getByTestId('studio-recon-grid')).not.toHaveAttribute('data-sum', firstGrid || '');
  await expect(page.getByTestId('studio-recon-grid').locator('canvas')).toHaveCount(32);
  // keep it
  await page.getByTestId('studio-name').fill('e2e dense');
  await page.getByTestId('studio-save').click();
  await expect(page.getByTestId('studio-saved')).toContainText('Saved as e2e dense.safetensors');
  const saved = JSON.parse(await page.getByTestId('studio-saved').getAttribute('data-value') || '{}');
  expect(saved.mse).toBeGreaterThan(0);
  await expect(page.getByTestId('studio-model-e2e dense')).toContainText('dense 784-128-16');
  // compared with itself (the model here): the same figures, the same pictures
  await page.getByTestId('studio-compare-a').selectOption('current');
  await page.getByTestId('studio-compare-b').selectOption('e2e dense');
  await page.getByTestId('studio-compare').click();
  const mse = page.getByTestId('studio-compare-mse').locator('td');
  await expect(mse.first()).toHaveAttribute('data-value', String(saved.mse));
  await expect(mse.nth(1)).toHaveAttribute('data-value', String(saved.mse));
  await expect(page.getByTestId('studio-compare-result').locator('canvas')).toHaveCount(48);
  // one epoch each: a dot per model on the loss chart
  await expect(page.getByTestId('studio-compare-chart').locator('circle.point')).toHaveCount(2);
  // a checkpoint from elsewhere: a bad one is refused with its reason, a good one joins the list
  // (Chromium logs the refused request itself as a console error)
  server.allow(/Failed to load resource: the server responded with a status of 400/);
  await page.getByTestId('studio-upload-model').setInputFiles({ name: 'notes.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model') });
  await expect(page.getByTestId('studio-message')).toContainText('Cannot upload notes.safetensors: not a model Hourglass can read');
  await expect(page.getByTestId('studio-model-notes')).toHaveCount(0);
  await page.getByTestId('studio-upload-model').setInputFiles({ name: 'copy.safetensors', mimeType: 'application/octet-stream', buffer: readFileSync(join(models, 'e2e dense.safetensors')) });
  await expect(page.getByTestId('studio-message')).toContainText('Uploaded copy.safetensors: dense 784-128-16');
  await expect(page.getByTestId('studio-model-copy')).toBeVisible();
  await page.getByTestId('studio-delete-copy').click();
  await expect(page.getByTestId('studio-model-copy')).toHaveCount(0);
  // after a reload it is in the list; loading it brings its shape and its epochs back
  await page.goto(`${server.url}/studio?layers=32&latent=4`);
  await expect(page.getByTestId('studio-model-e2e dense')).toBeVisible();
  await expect(page.getByTestId('studio-latent')).toHaveValue('4');
  await page.getByTestId('studio-load-e2e dense').click();
  await expect(page.getByTestId('studio-saved')).toContainText('Loaded e2e dense');
  await expect(page.getByTestId('studio-latent')).toHaveValue('16');
  await expect(page.getByTestId('studio-layer-0-size')).toHaveValue('128');
  await expect.poll(() => num(page, 'studio-epoch')).toBe(1);
  // its own history is drawn (the file has it); Epochs (1 in this tab's session) becomes one
  // more than the model has had
  await expect(page.getByTestId('studio-chart')).toHaveAttribute('data-before', '1');
  await expect(page.getByTestId('studio-epochs')).toHaveValue('2');
  await expect(page.getByTestId('studio-activations').locator('[data-testid="studio-activation-latent"]')).toHaveAttribute('data-shape', '16');
  await page.getByTestId('studio-delete-e2e dense').click();
  await expect(page.getByTestId('studio-model-e2e dense')).toHaveCount(0);
  await expect(page.getByTestId('studio-models')).toContainText('No models saved yet');
});

test('the look-inside picker shows the validation images of the grid, after the data change too', async ({ page }) => {
  await page.goto(`${server.url}/studio?train_size=2000&layers=32&latent=4`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  const picture = (/** @type {import('@playwright/test').Locator} */ c) => c.evaluate((el) => /** @type {HTMLCanvasElement} */ (el).toDataURL());
  const grid = () => picture(page.getByTestId('studio-original-3'));
  const pick = () => picture(page.getByTestId('studio-input-3').locator('canvas'));
  await expect.poll(async () => (await pick()) === (await grid()), { timeout: 15_000 }).toBe(true);
  const before = await grid();
  await page.getByTestId('studio-train-size').selectOption('10000');
  await expect.poll(grid, { timeout: 15_000 }).not.toBe(before);
  await expect.poll(async () => (await pick()) === (await grid())).toBe(true);
});

test('Stop part-way counts part of an epoch; One more epoch never asks for fewer', async ({ page }) => {
  // epochs of a few seconds, so the stop lands inside one, not in the end-of-epoch work
  // (a 784-64-8 model at batch 32 ran an epoch in ~0.4 s: one stop in ~7 landed on its end)
  await page.goto(`${server.url}/studio?train_size=30000&batch=8&epochs=5&layers=512&latent=8`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await page.getByTestId('studio-train').click();
  await expect.poll(() => num(page, 'studio-progress'), { timeout: 30_000 }).toBeGreaterThan(0.02);
  await page.getByTestId('studio-stop').click();
  await expect(page.getByTestId('studio-train')).toBeVisible();
  // the epoch cut short is part of one, shown as such (e.g. 0.37, "0 of 5 epochs"), not as a
  // whole one ("1.00", "1 of 5")
  // (the figure shows once the stopped run's snapshot has drawn: read it then — on a busy
  // machine a training snapshot at an epoch's end, a whole number, can come first)
  await expect.poll(async () => (await num(page, 'studio-epoch')) % 1).toBeGreaterThan(0);
  const epoch = await num(page, 'studio-epoch');
  await expect(page.getByTestId('studio-progress-text')).toContainText(`${Math.floor(epoch)} of 5 epochs`);
  await page.getByTestId('studio-more').click();
  await expect(page.getByTestId('studio-pause')).toBeVisible();
  await expect(page.getByTestId('studio-epochs')).toHaveValue('5');
  await page.getByTestId('studio-stop').click();
  await expect(page.getByTestId('studio-train')).toBeVisible();
});

test('while a model trains, the filters below the fold wait, and catch up once scrolled into view', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(`${server.url}/studio?train_size=30000&batch=32&epochs=30&layers=128&latent=16`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  const filters = page.getByTestId('studio-filters');
  // a dense model's first-layer weight rows as pictures, drawn once the page has the model
  await expect(filters.locator('canvas')).toHaveCount(64);
  // the filters' panel below the fold (the activations above it stay on screen and keep up)
  await expect(filters.locator('xpath=..')).not.toBeInViewport();
  const before = await filters.getAttribute('data-version');
  await page.getByTestId('studio-train').click();
  await expect.poll(() => num(page, 'studio-epoch'), { timeout: 60_000 }).toBeGreaterThanOrEqual(2);
  // two epochs of new weights, and the hidden filters were not fetched nor drawn
  expect(await filters.getAttribute('data-version')).toBe(before);
  await filters.scrollIntoViewIfNeeded();
  await expect(filters).not.toHaveAttribute('data-version', before || '', { timeout: 5_000 });
  await expect(page.getByTestId('studio-pause'), 'still training').toBeVisible();
  // on screen, they follow the training (at most one refresh every 1.5 s)
  const seen = await filters.getAttribute('data-version');
  await expect(filters).not.toHaveAttribute('data-version', seen || '', { timeout: 5_000 });
  await page.getByTestId('studio-stop').click();
  await expect(page.getByTestId('studio-train')).toBeVisible();
});

test('a conv model shows one feature map per channel for a drawn digit', async ({ page }) => {
  await page.goto(`${server.url}/studio`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await page.getByTestId('studio-preset-conv').click();
  await expect(page.getByTestId('studio-kind')).toHaveValue('conv');
  await expect(page.getByTestId('studio-layer-0-filters')).toHaveValue('16');
  await expect(page.getByTestId('studio-layer-1-filters')).toHaveValue('32');
  // conv 1→16 and 16→32 (3×3), dense 32·7·7→32 and back, transposed convs back to one channel
  const params = (16 * 9 + 16) + (32 * 16 * 9 + 32) + (32 * 1568 + 32) + (1568 * 32 + 1568) + (32 * 16 * 9 + 16) + (16 * 9 + 1);
  await expect.poll(() => num(page, 'studio-params')).toBe(params);
  const pad = page.getByTestId('studio-pad');
  const box = await pad.boundingBox();
  if (!box) throw new Error('no pad');
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.8, { steps: 8 });
  await page.mouse.up();
  const conv1 = page.getByTestId('studio-activation-encoder-conv-0');
  await expect(conv1).toHaveAttribute('data-shape', '16x14x14');
  await expect(conv1.locator('canvas')).toHaveCount(16);
  await expect(page.getByTestId('studio-activation-encoder-conv-1').locator('canvas')).toHaveCount(32);
  await expect(page.getByTestId('studio-activation-output')).toHaveAttribute('data-shape', '1x28x28');
  await expect(page.getByTestId('studio-filters').locator('canvas')).toHaveCount(16);
  // the 2-D digit model: the drawn digit has a place on the map of the validation images
  await expect(page.getByTestId('studio-code-map')).toBeHidden();
  await page.getByTestId('studio-preset-digit2d').click();
  await expect(page.getByTestId('studio-latent')).toHaveValue('2');
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.7, { steps: 8 });
  await page.mouse.up();
  await expect(page.getByTestId('studio-code-map')).toBeVisible();
  await expect(page.getByTestId('studio-code-map')).toHaveAttribute('data-count', /\d+/);
  await expect(page.getByTestId('studio-code-map')).toHaveAttribute('data-marker', /^-?\d+\.\d+,-?\d+\.\d+$/);
});

test('an impossible model says which layer and why, and cannot be trained', async ({ page }) => {
  await page.goto(`${server.url}/studio?kind=conv&convs=16:3:2:1,32:3:2:1`);
  await expect(page.getByTestId('studio-layer-1-kernel')).toHaveValue('3');
  await expect(page.getByTestId('studio-config-error')).toBeHidden();
  await page.getByTestId('studio-layer-1-padding').fill('0');
  await page.getByTestId('studio-layer-1-padding').press('Tab');
  await page.getByTestId('studio-layer-1-kernel').fill('15');
  await page.getByTestId('studio-layer-1-kernel').press('Tab');
  await expect(page.getByTestId('studio-config-error')).toContainText('Layer 2');
  await expect(page.getByTestId('studio-config-error')).toContainText('kernel 15 does not fit a 14-pixel side');
  await expect(page.getByTestId('studio-layer-1')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByTestId('studio-train')).toBeDisabled();
  // the server kept the last model that can be built
  await expect(page).toHaveURL(/convs=16%3A3%3A2%3A1%2C32%3A3%3A2%3A[01]/);
  await page.getByTestId('studio-layer-1-kernel').fill('3');
  await page.getByTestId('studio-layer-1-kernel').press('Tab');
  await expect(page.getByTestId('studio-config-error')).toBeHidden();
  await expect(page.getByTestId('studio-train')).toBeEnabled();
  // a dense layer of 0 units
  await page.getByTestId('studio-kind').selectOption('dense');
  await page.getByTestId('studio-layer-0-size').fill('0');
  await page.getByTestId('studio-layer-0-size').press('Tab');
  await expect(page.getByTestId('studio-config-error')).toContainText("hidden layer 1: '0' is not a size from 1 to 4096");
  await expect(page.getByTestId('studio-train')).toBeDisabled();
});

test('your own data: an uploaded CSV of 28×28 images trains; a file that is not images is refused', async ({ page }) => {
  await page.goto(`${server.url}/studio?layers=32&latent=4&epochs=1&batch=20`);
  await expect(page.getByTestId('studio-dataset')).toHaveValue('mnist');
  server.allow(/Failed to load resource: the server responded with a status of 400/);
  await page.getByTestId('studio-upload').setInputFiles({ name: 'narrow.csv', mimeType: 'text/csv', buffer: Buffer.from('1,2,3\n4,5,6\n') });
  await expect(page.getByTestId('studio-message')).toContainText('Cannot use narrow.csv');
  await expect(page.getByTestId('studio-message')).toContainText('784');
  await expect(page.getByTestId('studio-dataset')).toHaveValue('mnist');
  // a file that only pretends: the reason once, in words (the name is not said twice, no
  // escape sequence shown as text)
  await page.getByTestId('studio-upload').setInputFiles({ name: 'bad.npy', mimeType: 'application/octet-stream', buffer: Buffer.from('not numpy at all') });
  await expect(page.getByTestId('studio-message')).toHaveText("Cannot use bad.npy: not an .npy file (it does not start with NumPy's magic bytes)");
  // the upload is a button that says what it does, whole, at a desktop width (the browser's
  // own control read "No fil...hosen")
  await page.setViewportSize({ width: 1400, height: 900 });
  const button = page.getByTestId('studio-upload-button');
  await expect(button).toBeVisible();
  await expect(button).toHaveText('Upload a data set\u2026');
  expect(await button.evaluate((b) => b.scrollWidth <= b.clientWidth)).toBe(true);
  // 120 images in MNIST's CSV layout: the label, then 784 pixels from 0 to 255 (a stroke whose
  // place depends on the label)
  const rows = [];
  for (let i = 0; i < 120; i++) {
    const label = i % 10;
    const px = Array.from({ length: 784 }, (_, k) => (Math.abs((k % 28) - 4 - 2 * label) < 2 && k > 112 && k < 672 ? 255 : 0));
    rows.push([label, ...px].join(','));
  }
  await page.getByTestId('studio-upload').setInputFiles({ name: 'strokes.csv', mimeType: 'text/csv', buffer: Buffer.from(`${rows.join('\n')}\n`) });
  await expect(page.getByTestId('studio-message')).toContainText('Uploaded strokes.csv: 120 images with labels, scaled into 0–1');
  await expect(page.getByTestId('studio-dataset')).toHaveValue('upload:strokes.csv');
  await page.getByTestId('studio-train').click();
  await expect(page.getByTestId('studio-progress')).toHaveAttribute('data-value', '1', { timeout: 30_000 });
  await expect(page.getByTestId('studio-progress-text')).toContainText('108 training and 12 validation images');
  expect(await num(page, 'studio-val-loss')).toBeGreaterThan(0);
  // fewer than 16 validation images: the grid shows 16 training images instead
  await expect(page.getByTestId('studio-recon-grid').locator('canvas')).toHaveCount(32);
});

test('each dense layer has its own activation, mirrored in the decoder', async ({ page }) => {
  await page.goto(`${server.url}/studio?kind=dense&layers=64,32&latent=8`);
  await expect(page.getByTestId('studio-describe')).toHaveText('dense 784-64-32-8 (relu, sigmoid out)');
  await page.getByTestId('studio-layer-1-activation').selectOption('tanh');
  await expect(page.getByTestId('studio-describe')).toHaveText('dense 784-64-32-8 (relu/tanh, sigmoid out)');
  await expect(page).toHaveURL(/activations=relu%2Ctanh/);
  // a new layer takes the one before it's; one activation for all says so once
  await page.getByTestId('studio-add-layer').click();
  await expect(page.getByTestId('studio-layer-2-activation')).toHaveValue('tanh');
  await page.getByTestId('studio-hidden-activation').selectOption('sigmoid');
  await expect(page.getByTestId('studio-describe')).toHaveText(/^dense 784-64-32-\d+-8 \(sigmoid, sigmoid out\)$/);
  await expect(page.getByTestId('studio-layer-0-activation')).toHaveValue('sigmoid');
});

test('a VAE trained here shows its KL term, and in the Digits Lab its ellipse, resamples and prior samples', async ({ page }) => {
  await page.goto(`${server.url}/studio?train_size=3000&batch=50&epochs=1&layers=128&latent=2&variant=vae&loss=bce`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await expect(page.getByTestId('studio-variant')).toHaveValue('vae');
  await expect(page.getByTestId('studio-variant-text')).toContainText('KL');
  await expect(page.getByTestId('studio-beta')).toBeVisible();
  await expect(page.getByTestId('studio-noise')).toBeHidden();
  await page.getByTestId('studio-train').click();
  await expect(page.getByTestId('studio-message')).toContainText('Trained 1 epoch', { timeout: 60_000 });
  // the loss split into its terms: the reconstruction and the KL divergence, a point per step
  const terms = page.getByTestId('studio-terms-chart');
  await expect(terms).toBeVisible();
  await expect(terms).toHaveAttribute('data-terms', 'reconstruction,kl');
  expect(Number(await terms.getAttribute('data-points'))).toBe(54);
  await expect(terms).toContainText('kl');
  await page.getByTestId('studio-name').fill('e2e-vae');
  await page.getByTestId('studio-save').click();
  await expect(page.getByTestId('studio-saved')).toContainText('Saved as e2e-vae.safetensors');
  // in the Digits Lab: a test digit's code is a Gaussian, drawn as an ellipse around μ
  await page.goto(`${server.url}/digits?model=file:e2e-vae.safetensors`);
  await expect(page.getByTestId('digits-model')).toHaveValue('file:e2e-vae.safetensors');
  await expect(page.getByTestId('digits-prior-grid').locator('canvas')).toHaveCount(16, { timeout: 30_000 });
  await page.getByTestId('digits-load-test').click();
  await expect(page.getByTestId('digits-sigma')).toHaveAttribute('data-value', /^\[\d/);
  const sigma = JSON.parse(/** @type {string} */ (await page.getByTestId('digits-sigma').getAttribute('data-value')));
  expect(sigma).toHaveLength(2);
  expect(sigma[0]).toBeGreaterThan(0);
  await expect(page.getByTestId('digits-map')).toHaveAttribute('data-outline', '48');
  // resampling decodes other codes of the same distribution
  const resample = page.getByTestId('digits-resample');
  await expect(resample).toBeVisible();
  await resample.click();
  await expect(page.getByTestId('digits-reconstruction')).toHaveAttribute('data-value', /^\[/);
  const first = await page.getByTestId('digits-reconstruction').getAttribute('data-value');
  await resample.click();
  await expect(page.getByTestId('digits-reconstruction')).not.toHaveAttribute('data-value', first || '');
  // new samples from the prior
  const seed = await page.getByTestId('digits-prior-grid').getAttribute('data-seed');
  await page.getByTestId('digits-prior-new').click();
  await expect(page.getByTestId('digits-prior-grid')).not.toHaveAttribute('data-seed', seed || '');
});

test('Train pressed right after choosing the dataset, the kind and the epochs trains that epoch to its end', async ({ page }) => {
  // a new learner's first minute: pick the values (even the ones shown), then Train at once;
  // the editor's check of the model answers after the press, and must not start the run
  // again from new weights
  await page.goto(`${server.url}/studio?train_size=3000&batch=50&layers=64&latent=8`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await expect(page.getByTestId('studio-dataset')).toHaveValue('mnist');
  await page.getByTestId('studio-dataset').selectOption('mnist');
  await page.getByTestId('studio-epochs').selectOption('1');
  await expect(page.getByTestId('studio-train')).toBeEnabled();
  // the kind chosen and Train pressed in one go, as fast hands do: the check's answer comes later
  await page.evaluate(() => {
    const kind = /** @type {HTMLSelectElement} */ (document.querySelector('[data-testid="studio-kind"]'));
    kind.value = 'dense';
    kind.dispatchEvent(new Event('change', { bubbles: true }));
    /** @type {HTMLButtonElement} */ (document.querySelector('[data-testid="studio-train"]')).click();
  });
  await expect(page.getByTestId('studio-progress')).toHaveAttribute('data-value', '1', { timeout: 60_000 });
  await expect(page.getByTestId('studio-message')).toContainText('Trained 1 epoch');
  await expect(page.getByTestId('studio-chart')).toHaveAttribute('data-epochs', '1');
});

test('choosing a VAE brings binary cross-entropy, and putting it back on MSE says why that fails', async ({ page }, info) => {
  await page.goto(`${server.url}/studio`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await expect(page.getByTestId('studio-loss')).toHaveValue('mse');
  await page.getByTestId('studio-variant').selectOption('vae');
  await expect(page.getByTestId('studio-loss')).toHaveValue('bce');
  await expect(page.getByTestId('studio-advice')).toBeHidden();
  await page.getByTestId('studio-loss').selectOption('mse');
  await expect(page.getByTestId('studio-advice')).toBeVisible();
  await expect(page.getByTestId('studio-advice')).toContainText('grey blob');
  await expect(page.getByTestId('studio-loss')).toHaveValue('mse');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByTestId('studio-advice').scrollIntoViewIfNeeded();
  const shot = info.outputPath('studio-vae-advice.png');
  await page.screenshot({ path: shot });
  await info.attach('a VAE on MSE, explained', { path: shot, contentType: 'image/png' });
  await page.getByTestId('studio-variant').selectOption('plain');
  await expect(page.getByTestId('studio-advice')).toBeHidden();
});

test('challenges: a small model under the target error is checked from its real history and marked done', async ({ page }) => {
  await page.goto(`${server.url}/studio?train_size=60000&batch=32&epochs=3&layers=16&latent=8`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await page.evaluate(() => localStorage.removeItem('hourglass-challenges-studio'));
  await page.reload();
  await expect(page.getByTestId('studio-latent')).toHaveValue('8');
  await page.getByTestId('challenges').locator('summary').click();
  const small = page.getByTestId('challenge-studio-small-and-good');
  await expect(small).toHaveAttribute('data-state', 'open');
  await page.getByTestId('studio-train').click();
  await expect.poll(() => num(page, 'studio-epoch'), { timeout: 120_000 }).toBe(3);
  await expect(small).toHaveAttribute('data-state', 'done');
  await expect(page.getByTestId('challenge-why-small-and-good')).toBeVisible();
});
