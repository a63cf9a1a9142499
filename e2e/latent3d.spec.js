// The 3D Latent Explorer, driven as a person uses it.
import { test, expect } from '@playwright/test';
import { useServer } from './fixtures.js';

const server = useServer();

const DATASETS = ['circle', 'roller', 'twisted-cubic', 'sine', 'saddle'];

/** @param {import('@playwright/test').Page} page @param {string} id */
const num = async (page, id) => Number(await page.getByTestId(id).getAttribute('data-value'));

/** @param {import('@playwright/test').Page} page @param {string} view @param {number} i */
const point = (page, view, i) => page.getByTestId(`latent3d-view-${view}`).locator(`circle.pt:not(.input)[data-index="${i}"]`);

/** @param {import('@playwright/test').Page} page @param {string} view @param {number} i */
async function position(page, view, i) {
  const c = point(page, view, i);
  return [Number(await c.getAttribute('cx')), Number(await c.getAttribute('cy'))];
}

/** @param {import('@playwright/test').Page} page @param {string} [query] */
async function open(page, query = '?speed=0') {
  await page.goto(`${server.url}/latent3d${query}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await expect(point(page, 'input', 0)).toHaveAttribute('cx', /\d/);
  await expect(page.getByTestId('latent3d-loss')).toHaveAttribute('data-value', /\d/);
}

/** Plays until the timeline holds `moments` moments, then pauses. */
async function trainFor(/** @type {import('@playwright/test').Page} */ page, moments = 6) {
  await page.getByTestId('latent3d-play').click();
  await expect.poll(async () => Number(await page.getByTestId('latent3d-timeline').getAttribute('data-count')), { timeout: 30_000 }).toBeGreaterThanOrEqual(moments);
  await page.getByTestId('latent3d-pause').click();
  await expect(page.locator('#app')).toHaveAttribute('data-training', 'false');
  // the figures are drawn on the next animation frame: wait until they show the paused epoch
  await expect.poll(async () => (await page.getByTestId('latent3d-epoch').getAttribute('data-value'))
    === (await page.locator('#app').getAttribute('data-live-epoch'))).toBe(true);
}

test('the page shows every view, the hourglass and both errors', async ({ page }) => {
  await open(page);
  await expect(page.getByTestId('nav-latent3d')).toHaveAttribute('aria-current', 'page');
  await expect(page.getByTestId('explain')).toContainText('latent code');
  for (const v of ['input', 'latent', 'recon', 'layered', 'pca']) {
    await expect(page.getByTestId(`latent3d-view-${v}`).locator('circle.pt:not(.input)')).toHaveCount(200);
  }
  await expect(page.getByTestId('latent3d-view-layered').locator('circle.pt.input')).toHaveCount(200);
  await expect(page.getByTestId('latent3d-view-latent').locator('line.trail')).toHaveCount(200);
  await expect(page.getByTestId('latent3d-encoder')).toHaveAttribute('data-sizes', '3,64,64,2');
  await expect(page.getByTestId('latent3d-decoder')).toHaveAttribute('data-sizes', '2,64,64,3');
  for (const name of DATASETS) await expect(page.getByTestId(`latent3d-dataset-${name}`).locator('circle')).toHaveCount(100);
  await expect(page.getByTestId('latent3d-ae-error')).toHaveAttribute('data-value', /\d/);
  await expect(page.getByTestId('latent3d-pca-error')).toHaveAttribute('data-value', /\d/);
  expect(await num(page, 'latent3d-epoch')).toBe(0);
});

/**
 * How round a set of SVG circles lies: the smaller over the larger spread of their centres
 * (1 for a circle seen face-on, 0 for one seen edge-on, as a line).
 * @param {import('@playwright/test').Locator} circles
 */
async function roundness(circles) {
  const pts = await circles.evaluateAll((els) => els.map((e) => [Number(e.getAttribute('cx')), Number(e.getAttribute('cy'))]));
  const spread = (/** @type {number} */ k) => Math.max(...pts.map((p) => p[k])) - Math.min(...pts.map((p) => p[k]));
  const [a, b] = [spread(0), spread(1)];
  return Math.min(a, b) / Math.max(a, b);
}

test('the default circle is seen as a circle, in the views and in its thumbnail', async ({ page }) => {
  await open(page);
  // PCA rebuilds a flat circle exactly: the page says why, and shows its error as ≈ 0
  await expect(page.getByTestId('latent3d-verdict')).toContainText('they lie flat');
  await expect(page.getByTestId('latent3d-pca-error')).toHaveText('≈ 0');
  expect(await roundness(page.getByTestId('latent3d-view-input').locator('circle.pt'))).toBeGreaterThan(0.7);
  expect(await roundness(page.getByTestId('latent3d-dataset-circle').locator('circle'))).toBeGreaterThan(0.7);
  // the roll, from its own camera, is wider than a line too
  await page.getByTestId('latent3d-dataset-roller').click();
  await expect(page.locator('#app')).toHaveAttribute('data-dataset', 'roller');
  expect(await roundness(page.getByTestId('latent3d-view-input').locator('circle.pt'))).toBeGreaterThan(0.3);
});

test('every dataset trains until its loss falls by 90%', async ({ page }) => {
  await open(page);
  for (const name of DATASETS) {
    await page.getByTestId(`latent3d-dataset-${name}`).click();
    await expect(page.locator('#app')).toHaveAttribute('data-dataset', name);
    await expect(page.getByTestId('latent3d-epoch')).toHaveAttribute('data-value', '0');
    const first = await num(page, 'latent3d-loss');
    expect(first).toBeGreaterThan(0);
    await page.getByTestId('latent3d-play').click();
    await expect.poll(() => num(page, 'latent3d-loss'), { timeout: 60_000, message: `${name} loss falls by 90%` }).toBeLessThan(0.1 * first);
    await page.getByTestId('latent3d-pause').click();
    await expect(page.locator('#app')).toHaveAttribute('data-training', 'false');
    expect(await num(page, 'latent3d-epoch')).toBeGreaterThan(0);
  }
});

test('hovering a point in the latent view highlights the same point in every view', async ({ page }) => {
  // few points, so that the untrained codes (bunched together) do not cover one another
  await open(page, '?speed=0&points=25');
  await point(page, 'latent', 7).hover({ force: true });
  await expect(point(page, 'input', 7)).toHaveClass(/hl/);
  await expect(point(page, 'recon', 7)).toHaveClass(/hl/);
  await expect(point(page, 'pca', 7)).toHaveClass(/hl/);
  await expect(point(page, 'input', 6)).not.toHaveClass(/hl/);
  await expect(page.getByTestId('latent3d-hover')).toHaveAttribute('data-index', '7');
  await expect(page.getByTestId('latent3d-hover')).toContainText('point 7: input (');
  await expect(page.getByTestId('tooltip')).toBeVisible();
});

test('scrubbing the timeline shows earlier moments; Live returns', async ({ page }) => {
  await open(page);
  await trainFor(page, 8);
  const liveEpoch = await num(page, 'latent3d-epoch');
  const livePos = await position(page, 'latent', 3);
  await page.getByTestId('latent3d-timeline').fill('1');
  await expect(page.getByTestId('latent3d-epoch')).toHaveAttribute('data-value', '50');
  await expect(page.getByTestId('latent3d-timeline-epoch')).toHaveText('epoch 50');
  await expect.poll(() => position(page, 'latent', 3)).not.toEqual(livePos);
  const at50 = await position(page, 'latent', 3);
  await page.getByTestId('latent3d-timeline').fill('4');
  await expect(page.getByTestId('latent3d-epoch')).toHaveAttribute('data-value', '200');
  await expect.poll(() => position(page, 'latent', 3)).not.toEqual(at50);
  await expect(page.getByTestId('latent3d-view-latent')).toHaveAttribute('data-trails-epoch', '200');
  await page.getByTestId('latent3d-live').click();
  await expect(page.getByTestId('latent3d-epoch')).toHaveAttribute('data-value', String(liveEpoch));
  // play back runs through the moments and returns to live
  await page.getByTestId('latent3d-replay').click();
  await expect(page.locator('#app')).toHaveAttribute('data-viewing', /\d/);
  await expect(page.locator('#app')).not.toHaveAttribute('data-viewing', /\d/, { timeout: 20_000 });
  await expect(page.getByTestId('latent3d-epoch')).toHaveAttribute('data-value', String(liveEpoch));
});

test('dragging turns both 3D views together', async ({ page }) => {
  await open(page);
  const input = page.getByTestId('latent3d-view-input');
  const recon = page.getByTestId('latent3d-view-recon');
  const yaw = await input.getAttribute('data-yaw');
  const [pi, pr] = [await position(page, 'input', 5), await position(page, 'recon', 5)];
  const box = /** @type {{x: number, y: number, width: number, height: number}} */ (await input.boundingBox());
  await page.mouse.move(box.x + 20, box.y + box.height - 20);
  await page.mouse.down();
  await page.mouse.move(box.x + 120, box.y + box.height - 60, { steps: 8 });
  await page.mouse.up();
  await expect(input).not.toHaveAttribute('data-yaw', yaw ?? '');
  await expect(recon).toHaveAttribute('data-yaw', (await input.getAttribute('data-yaw')) ?? 'x');
  await expect(recon).toHaveAttribute('data-pitch', (await input.getAttribute('data-pitch')) ?? 'x');
  await expect.poll(() => position(page, 'input', 5)).not.toEqual(pi);
  await expect.poll(() => position(page, 'recon', 5)).not.toEqual(pr);
});

test('a bad CSV gets a message and changes nothing; a good one replaces the points', async ({ page }) => {
  await open(page);
  await page.getByTestId('latent3d-dataset-sine').click();
  await expect(page.locator('#app')).toHaveAttribute('data-dataset', 'sine');
  await page.getByTestId('latent3d-upload').setInputFiles({ name: 'flat.csv', mimeType: 'text/csv', buffer: Buffer.from('x,y\n1,2\n3,4\n') });
  await expect(page.getByTestId('latent3d-message')).toContainText('flat.csv');
  await expect(page.getByTestId('latent3d-message')).toContainText('exactly 3');
  await expect(page.locator('#app')).toHaveAttribute('data-dataset', 'sine');
  await expect(page.getByTestId('latent3d-view-input').locator('circle.pt')).toHaveCount(200);
  await page.getByTestId('latent3d-upload').setInputFiles({ name: 'words.csv', mimeType: 'text/csv', buffer: Buffer.from('1,2,3\n4,five,6\n') });
  await expect(page.getByTestId('latent3d-message')).toContainText('words.csv');
  await expect(page.locator('#app')).toHaveAttribute('data-dataset', 'sine');
  const rows = Array.from({ length: 40 }, (_, i) => `${Math.cos(i / 6) * 10},${Math.sin(i / 6) * 10},${i}`).join('\n');
  await page.getByTestId('latent3d-upload').setInputFiles({ name: 'helix.csv', mimeType: 'text/csv', buffer: Buffer.from(`x,y,z\n${rows}\n`) });
  await expect(page.locator('#app')).toHaveAttribute('data-dataset', 'upload');
  await expect(page.getByTestId('latent3d-view-input').locator('circle.pt')).toHaveCount(40);
  await expect(page.getByTestId('latent3d-message')).toContainText('40 points from helix.csv');
  // the message is in view (at 1280×1000), and your points are the active dataset
  const box = await page.getByTestId('latent3d-message').boundingBox();
  expect((box?.y ?? 2000) + (box?.height ?? 0)).toBeLessThan(1000);
  await expect(page.getByTestId('latent3d-dataset-upload')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('latent3d-dataset-upload')).toContainText('helix.csv');
  // another shape, then back to your points without uploading again
  await page.getByTestId('latent3d-dataset-saddle').click();
  await expect(page.getByTestId('latent3d-dataset-upload')).toHaveAttribute('aria-pressed', 'false');
  await page.getByTestId('latent3d-dataset-upload').click();
  await expect(page.locator('#app')).toHaveAttribute('data-dataset', 'upload');
  await expect(page.getByTestId('latent3d-view-input').locator('circle.pt')).toHaveCount(40);
});

test('PCA and autoencoder errors: after training, the curved squeeze beats the flat one', async ({ page }, info) => {
  await open(page, '?dataset=twisted-cubic&speed=0');
  const pca = await num(page, 'latent3d-pca-error');
  expect(pca).toBeGreaterThan(0);
  expect(await num(page, 'latent3d-ae-error')).toBeGreaterThan(pca);
  await page.getByTestId('latent3d-play').click();
  await expect.poll(() => num(page, 'latent3d-ae-error'), { timeout: 60_000 }).toBeLessThan(pca / 2);
  await page.getByTestId('latent3d-pause').click();
  expect(await num(page, 'latent3d-pca-error')).toBe(pca);
  await expect(page.getByTestId('latent3d-verdict')).toContainText('lower than PCA');
  await page.getByTestId('latent3d-colour-error').check();
  await expect(page).toHaveURL(/colour=error/);
  await page.screenshot({ path: info.outputPath('latent3d-trained.png'), fullPage: true });
  await info.attach('trained 3D explorer', { path: info.outputPath('latent3d-trained.png'), contentType: 'image/png' });
});

test('the URL keeps the state; bad URL values give a message and defaults', async ({ page }) => {
  await open(page, '?dataset=saddle&points=60&noise=0.05&seed=7&lr=0.003&activation=relu&latent=1&k=25&speed=0&scale=2&colour=curve');
  await expect(page.locator('#app')).toHaveAttribute('data-dataset', 'saddle');
  await expect(page.getByTestId('latent3d-view-input').locator('circle.pt')).toHaveCount(60);
  await expect(page.getByTestId('latent3d-encoder')).toHaveAttribute('data-sizes', '3,64,64,1');
  await expect(page.getByTestId('latent3d-activation')).toHaveValue('relu');
  await expect(page.getByTestId('latent3d-lr')).toHaveValue('0.003');
  await expect(page.getByTestId('latent3d-trail-every')).toHaveValue('25');
  await expect(page.getByTestId('latent3d-trail-scale')).toHaveValue('2');
  const kept = page.url();
  await page.goto('about:blank');
  await page.goto(kept);
  await expect(page.locator('#app')).toHaveAttribute('data-dataset', 'saddle');
  await expect(page.getByTestId('latent3d-seed')).toHaveValue('7');
  await expect(page.getByTestId('latent3d-noise')).toHaveValue('0.05');

  await open(page, '?dataset=cube&points=-4&lr=abc&latent=9');
  await expect(page.getByTestId('latent3d-message')).toContainText('dataset=cube');
  await expect(page.getByTestId('latent3d-message')).toContainText('points=-4');
  await expect(page.locator('#app')).toHaveAttribute('data-dataset', 'circle');
  await expect(page.getByTestId('latent3d-view-input').locator('circle.pt')).toHaveCount(200);
  await expect(page.getByTestId('latent3d-encoder')).toHaveAttribute('data-sizes', '3,64,64,2');
  // a bad value typed into a field is refused with a message, and the page keeps working
  await page.getByTestId('latent3d-points').fill('99999');
  await page.getByTestId('latent3d-points').press('Enter');
  await expect(page.getByTestId('latent3d-message')).toContainText('99999');
  await expect(page.getByTestId('latent3d-points')).toHaveValue('200');
  await page.getByTestId('latent3d-step').click();
  await expect(page.getByTestId('latent3d-epoch')).toHaveAttribute('data-value', '1');
});

test('trails are drawn against epoch 0: shorter as training settles; a log scale keeps them visible', async ({ page }) => {
  await open(page);
  /** the longest trail drawn, in view units */
  const longest = () => page.getByTestId('latent3d-view-latent').locator('line.trail').evaluateAll((ls) => Math.max(...ls.map((l) => Math.hypot(
    Number(l.getAttribute('x2')) - Number(l.getAttribute('x1')), Number(l.getAttribute('y2')) - Number(l.getAttribute('y1'))))));
  const start = await longest();
  expect(start).toBeGreaterThan(30);
  const g0 = await num(page, 'latent3d-largest-trail');
  await trainFor(page, 12);
  await expect(page.getByTestId('latent3d-largest-trail')).not.toHaveAttribute('data-value', String(g0));
  const g1 = await num(page, 'latent3d-largest-trail');
  expect(g1).toBeLessThan(g0);
  const end = await longest();
  expect(end).toBeLessThan(start);
  expect(end / start).toBeCloseTo(g1 / g0, 1);
  await expect(page.getByTestId('latent3d-largest-trail')).toContainText('at epoch 0');
  // on the log scale the same trails are longer (10⁴ times shorter than epoch 0's: none)
  await page.getByTestId('latent3d-trail-log').check();
  await expect.poll(longest).toBeGreaterThan(end);
  await expect(page).toHaveURL(/tlog=1/);
});

test('a 1-number code is said and drawn as one: words, a labelled number line; error colours have a legend and PCA its own', async ({ page }) => {
  await open(page, '?speed=0&latent=1');
  await expect(page.getByTestId('latent3d-intro')).toContainText('into one number');
  await expect(page.getByTestId('latent3d-view-latent').locator('text.axis-label')).toContainText(['z₁ (the whole code) →', 'points in order along the shape ↓']);
  await expect(page.getByTestId('latent3d-view-pca').locator('text.axis-label').first()).toHaveText('PC₁ (the whole code) →');
  await page.getByTestId('latent3d-latent').selectOption('2');
  await expect(page.getByTestId('latent3d-intro')).toContainText('into two numbers');
  await expect(page.getByTestId('latent3d-view-latent').locator('text.axis-label')).toContainText(['z₁ →', 'z₂ ↑']);
  // coloured by error: a legend, and PCA's view coloured by PCA's own errors
  await expect(page.getByTestId('latent3d-colour-legend')).toBeHidden();
  await page.getByTestId('latent3d-dataset-roller').click();
  await trainFor(page, 4);
  await page.getByTestId('latent3d-colour-error').check();
  await expect(page.getByTestId('latent3d-colour-legend')).toBeVisible();
  const fills = (/** @type {string} */ v) => page.getByTestId(`latent3d-view-${v}`).locator('circle.pt:not(.input)').evaluateAll((cs) => cs.map((c) => c.getAttribute('fill')));
  await expect.poll(async () => JSON.stringify(await fills('pca')) !== JSON.stringify(await fills('latent'))).toBe(true);
});

test('the keyboard: arrow keys turn a focused 3D view; the timeline says epochs', async ({ page }) => {
  await open(page);
  const view = page.getByTestId('latent3d-view-input');
  const yaw = await view.getAttribute('data-yaw');
  await view.focus();
  await page.keyboard.press('ArrowRight');
  await expect(view).not.toHaveAttribute('data-yaw', yaw ?? '');
  await trainFor(page, 3);
  const timeline = page.getByTestId('latent3d-timeline');
  await timeline.focus();
  await page.keyboard.press('Home');
  await expect(timeline).toHaveAttribute('aria-valuetext', 'epoch 0');
});

test('the keyboard: [ and ] step through the points of a focused view, with their tooltip', async ({ page }) => {
  await open(page, '?speed=0&points=25');
  await page.getByTestId('latent3d-view-latent').focus();
  await page.keyboard.press(']');
  await expect(page.getByTestId('tooltip')).toBeVisible();
  await expect(page.getByTestId('latent3d-hover')).toHaveAttribute('data-index', '0');
  await expect(point(page, 'input', 0)).toHaveClass(/hl/);
  await page.keyboard.press(']');
  await expect(page.getByTestId('latent3d-hover')).toHaveAttribute('data-index', '1');
  await page.keyboard.press('[');
  await page.keyboard.press('[');
  await expect(page.getByTestId('latent3d-hover')).toHaveAttribute('data-index', '24');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('tooltip')).toBeHidden();
});

test('challenges: trails shrinking below a tenth is checked from the real trails and marked done', async ({ page }) => {
  await open(page, '?speed=0&dataset=circle');
  await page.evaluate(() => localStorage.removeItem('hourglass-challenges-latent3d'));
  await page.reload();
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await page.getByTestId('challenges').locator('summary').click();
  const trails = page.getByTestId('challenge-latent3d-trails');
  await expect(trails).toHaveAttribute('data-state', 'open');
  await page.getByTestId('latent3d-play').click();
  await expect(trails).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  await page.getByTestId('latent3d-pause').click();
  await expect(page.getByTestId('challenge-why-trails')).toBeVisible();
  // the others were not met on the way: the circle is not the Swiss roll, its code has 2 numbers
  await expect(page.getByTestId('challenge-latent3d-beat-pca')).toHaveAttribute('data-state', 'open');
  await expect(page.getByTestId('challenge-latent3d-one-number')).toHaveAttribute('data-state', 'open');
});
