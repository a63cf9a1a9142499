// The Digits Lab, driven as a person uses it: the shipped models' map, hover and stamps, a
// drawn digit, sliders, iteration to a fixed point, the 30-D model, and training your own.
import { test, expect } from '@playwright/test';
import { useServer } from './fixtures.js';
import { COLOUR_DIGITS, mapColourPatches } from './digits-colour-flow.js';

const server = useServer();

/** @param {import('@playwright/test').Page} page */
/** Dots on the map (-1 before the page has mounted). @param {import('@playwright/test').Page} page */
const mapCount = (page) => page.evaluate(() => { const m = /** @type {any} */ (window).digitsMap; return m ? m.count() : -1; });
/** @param {import('@playwright/test').Page} page */
const num = async (page, /** @type {string} */ id) => Number(await page.getByTestId(id).getAttribute('data-value'));

test('train the digit model on a subset and watch the loss fall and the map form', async ({ page }, info) => {
  await page.goto(`${server.url}/digits?model=train&train_size=2000&batch=64`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await expect(page.getByTestId('explain')).toContainText('784 pixels');
  await expect(page.getByTestId('digits-dataset')).toHaveValue('mnist');
  await expect(page.getByTestId('digits-train_size')).toHaveValue('2000');
  await expect(page.getByTestId('digits-message')).toBeHidden();
  // no model yet: an empty map
  expect(await page.evaluate(() => /** @type {any} */ (window).digitsMap.count())).toBe(0);
  await page.getByTestId('digits-train').click();
  await expect(page.getByTestId('digits-pause')).toBeVisible();
  await expect.poll(() => num(page, 'digits-epoch'), { timeout: 60_000 }).toBeGreaterThan(0.3);
  const early = await num(page, 'digits-loss');
  await expect.poll(() => page.evaluate(() => /** @type {any} */ (window).digitsMap.count())).toBe(2000);
  const firstCodes = await page.evaluate(() => /** @type {any} */ (window).digitsMap.codes(10));
  const firstStep = Number(await page.locator('#app').getAttribute('data-step'));
  await expect.poll(() => num(page, 'digits-epoch'), { timeout: 60_000 }).toBeGreaterThan(3);
  await expect.poll(() => num(page, 'digits-loss')).toBeLessThan(early);
  // the map moves as it trains: a later frame puts the same images at other codes
  await expect.poll(async () => Number(await page.locator('#app').getAttribute('data-step')), { timeout: 60_000 }).toBeGreaterThan(firstStep + 20);
  const laterCodes = await page.evaluate(() => /** @type {any} */ (window).digitsMap.codes(10));
  expect(laterCodes).not.toEqual(firstCodes);
  await page.getByTestId('digits-pause').click();
  await expect(page.getByTestId('digits-train')).toBeVisible();
  // the sliders follow the codes as they spread (they once kept the first map's range, and
  // a trained model's digit sat pinned at their ends): test digits' codes fall within them
  let inside = 0;
  for (let t = 0; t < 5; t++) {
    const before = await page.getByTestId('digits-code').getAttribute('data-value');
    await page.getByTestId('digits-load-test').click();
    const read = async () => {
      const v = await page.getByTestId('digits-code').getAttribute('data-value');
      const c = v && v !== before ? JSON.parse(v) : null;
      return Array.isArray(c) ? c : null;
    };
    await expect.poll(read).not.toBeNull();
    const code = /** @type {number[]} */ (await read());
    let ok = true;
    for (const i of [0, 1]) {
      const slider = page.getByTestId(`digits-slider-${i}`);
      const [lo, hi] = [Number(await slider.getAttribute('min')), Number(await slider.getAttribute('max'))];
      ok = ok && lo < code[i] && code[i] < hi;
    }
    if (ok) inside++;
  }
  expect(inside, 'test digits whose code lies within the sliders').toBeGreaterThanOrEqual(4);
  // classes can be hidden from the legend
  await page.getByTestId('digits-class-1').click();
  await expect(page.getByTestId('digits-class-1')).toHaveAttribute('aria-pressed', 'false');
  const shot = info.outputPath('digits-trained.png');
  await page.screenshot({ path: shot, fullPage: true });
  await info.attach('trained digit map', { path: shot, contentType: 'image/png' });
  // the settings live in the URL
  await expect(page).toHaveURL(/train_size=2000/);
});

test('a digit drawn in a corner becomes a centred 28×28 input with a code and a reconstruction', async ({ page }) => {
  await page.goto(`${server.url}/digits?train_size=2000&batch=64`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  const pad = page.getByTestId('digits-draw');
  const box = /** @type {{x: number, y: number, width: number, height: number}} */ (await pad.boundingBox());
  // a short vertical stroke (a "1") in the top-left corner of the pad
  await page.mouse.move(box.x + box.width * 0.12, box.y + box.height * 0.08);
  await page.mouse.down();
  for (let k = 1; k <= 10; k++) await page.mouse.move(box.x + box.width * 0.14, box.y + box.height * (0.08 + 0.03 * k));
  await page.mouse.up();
  const input = /** @type {number[]} */ (await page.evaluate(() => /** @type {any} */ (window).digitsInput()));
  expect(input).toHaveLength(784);
  let [m, sx, sy, x0, x1, y0, y1] = [0, 0, 0, 28, -1, 28, -1];
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const v = input[y * 28 + x];
      m += v; sx += v * (x + 0.5); sy += v * (y + 0.5);
      if (v > 0.05) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    }
  }
  // centred by its centre of mass, within half a pixel; scaled into a 20×20 box
  expect(Math.abs(sx / m - 14)).toBeLessThan(0.5);
  expect(Math.abs(sy / m - 14)).toBeLessThan(0.5);
  expect(y1 - y0 + 1).toBeGreaterThanOrEqual(19);
  expect(y1 - y0 + 1).toBeLessThanOrEqual(22);
  // its code and reconstruction come back from the model
  await expect(page.getByTestId('digits-code')).toHaveAttribute('data-value', /^\[-?\d/);
  const code = JSON.parse(/** @type {string} */ (await page.getByTestId('digits-code').getAttribute('data-value')));
  expect(code).toHaveLength(2);
  await expect(page.getByTestId('digits-error')).toHaveAttribute('data-value', /\d/);
  // training moves the model, and the drawing's code with it
  await page.getByTestId('digits-train').click();
  await expect.poll(async () => (await page.getByTestId('digits-code').getAttribute('data-value')) !== JSON.stringify(code), { timeout: 30_000 }).toBe(true);
  await page.getByTestId('digits-pause').click();
  await page.getByTestId('digits-draw-clear').click();
  await expect(page.getByTestId('digits-code')).toHaveText('–');
  expect(await page.evaluate(() => /** @type {any} */ (window).digitsInput())).toBeNull();
});

test('hovering the map decodes the code under the mouse; a click stamps it', async ({ page }) => {
  await page.goto(`${server.url}/digits`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  // the shipped 2-D model maps all 10,000 test images, with its error beside PCA's
  await expect.poll(() => mapCount(page)).toBe(10000);
  await expect(page.getByTestId('digits-model')).toHaveValue('mnist-2d');
  const q = JSON.parse(/** @type {string} */ (await page.getByTestId('digits-quality').getAttribute('data-value')));
  expect(q.test_mse).toBeLessThan(0.75 * q.pca_test_mse);
  const map = page.getByTestId('digits-map');
  const box = /** @type {{x: number, y: number, width: number, height: number}} */ (await map.boundingBox());
  const image = () => page.getByTestId('digits-decoded').evaluate((c) => /** @type {HTMLCanvasElement} */ (c).toDataURL());
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.2);
  await expect(page.getByTestId('digits-decoded')).toHaveAttribute('data-value', /^\[/);
  const codeA = await page.getByTestId('digits-decoded').getAttribute('data-value');
  const a = await image();
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.8);
  await expect(page.getByTestId('digits-decoded')).not.toHaveAttribute('data-value', codeA ?? '');
  expect(await image()).not.toEqual(a);
  // the decoded code is the code under the mouse
  const code = JSON.parse(/** @type {string} */ (await page.getByTestId('digits-decoded').getAttribute('data-value')));
  const px = await page.evaluate((c) => /** @type {any} */ (window).digitsMap.toCanvas(c), code);
  expect(px[0] / 560).toBeCloseTo(0.8, 1);
  expect(px[1] / 560).toBeCloseTo(0.8, 1);
  // hovering a dot shows its original image and its reconstruction
  const first = await page.evaluate(() => /** @type {any} */ (window).digitsMap.dot(0));
  await page.mouse.move(box.x + (first[0] * box.width) / 560, box.y + (first[1] * box.height) / 560);
  await expect(page.getByTestId('digits-dot')).toHaveAttribute('data-value', /\d+/);
  await expect(page.getByTestId('digits-dot-0')).toBeVisible();
  await expect(page.getByTestId('digits-dot-1')).toBeVisible();
  await page.mouse.click(box.x + box.width * 0.8, box.y + box.height * 0.8);
  await expect(page.getByTestId('digits-stamps')).toHaveAttribute('data-value', '1');
  await page.getByTestId('digits-stamps-clear').click();
  await expect(page.getByTestId('digits-stamps')).toHaveAttribute('data-value', '0');
  const times = await page.evaluate(() => /** @type {any} */ (window).digitsDecodeTimes.length);
  expect(times).toBeGreaterThanOrEqual(2);
});

/**
 * Draws a stroke through the given points (fractions of the pad).
 * @param {import('@playwright/test').Page} page
 * @param {[number, number][]} points
 */
async function stroke(page, points) {
  const box = /** @type {{x: number, y: number, width: number, height: number}} */ (await page.getByTestId('digits-draw').boundingBox());
  const at = (/** @type {[number, number]} */ p) => [box.x + box.width * p[0], box.y + box.height * p[1]];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 4 });
  await page.mouse.up();
}

test('a drawn 1 lands among the 1s of the shipped model; the sliders morph it', async ({ page }) => {
  await page.goto(`${server.url}/digits`);
  await expect.poll(() => mapCount(page)).toBe(10000);
  await stroke(page, [[0.5, 0.15], [0.5, 0.5], [0.49, 0.85]]);
  await expect(page.getByTestId('digits-code')).toHaveAttribute('data-value', /^\[-?\d/);
  // the code of the whole stroke: answers for parts of it may still be on their way
  const codeNow = () => page.getByTestId('digits-code').getAttribute('data-value');
  /** The code once it has held still for three looks 400 ms apart (the last answer is in). */
  const settledCode = async () => {
    let settled = await codeNow();
    let still = 0;
    await expect.poll(async () => {
      const now = await codeNow();
      still = now === settled ? still + 1 : 0;
      settled = now;
      return still >= 3;
    }, { intervals: [400], timeout: 30_000 }).toBe(true);
    return /** @type {number[]} */ (JSON.parse(/** @type {string} */ (settled)));
  };
  const code = await settledCode();
  // the classes of the 25 test images nearest to the drawing's code: mostly 1s
  const near = await page.evaluate((c) => {
    const m = /** @type {any} */ (window).digitsMap;
    /** @type {[number, number][]} */ const all = [];
    for (let k = 0; k < 10; k++) for (const p of m.ofClass(k, 2000)) all.push([Math.hypot(p[0] - c[0], p[1] - c[1]), k]);
    all.sort((a, b) => a[0] - b[0]);
    return all.slice(0, 25).map((x) => x[1]);
  }, code);
  expect(near.filter((k) => k === 1).length, `classes near the drawn 1: ${near}`).toBeGreaterThan(12);
  // a slider moves the code: the reconstruction changes, and the ring with it (the sliders
  // start from the code shown: read it again, in case a late answer for the stroke came in)
  const start = await settledCode();
  const recon = () => page.getByTestId('digits-reconstruction').evaluate((c) => /** @type {HTMLCanvasElement} */ (c).toDataURL());
  const before = await recon();
  const slider = page.getByTestId('digits-slider-0');
  const max = Number(await slider.getAttribute('max'));
  await slider.fill(String(max));
  await expect.poll(recon).not.toEqual(before);
  const slid = JSON.parse(/** @type {string} */ (await page.getByTestId('digits-reconstruction').getAttribute('data-value')));
  // the slider's value (on its step grid, near its top) and the other unit unchanged
  expect(slid[0]).toBeCloseTo(Number(await slider.inputValue()), 3);
  expect(slid[0]).toBeGreaterThan(max - 0.1);
  expect(slid[1]).toBeCloseTo(start[1], 3);
});

test('encode→decode iterated reaches a fixed point; the basin map colours the plane', async ({ page }) => {
  await page.goto(`${server.url}/digits`);
  await expect.poll(() => mapCount(page)).toBe(10000);
  await page.getByTestId('digits-load-test').click();
  await expect(page.getByTestId('digits-source')).toHaveAttribute('data-value', /\d+/);
  await page.getByTestId('digits-iterate').click();
  await expect(page.getByTestId('digits-fixed-point')).toHaveAttribute('data-value', 'true', { timeout: 20_000 });
  expect(await num(page, 'digits-iterations')).toBeGreaterThan(0);
  await expect(page.getByTestId('digits-iteration-0')).toBeVisible();
  await page.getByTestId('digits-basins').click();
  await expect(page.getByTestId('digits-basins')).toHaveAttribute('aria-pressed', 'true', { timeout: 20_000 });
  expect(await num(page, 'digits-basins-info')).toBeGreaterThan(1);
  await expect(page.getByTestId('digits-basin-point-0')).toBeVisible();
  // two digits and the line between them
  await page.getByTestId('digits-interpolate-go').click();
  await expect(page.getByTestId('digits-interpolate')).toHaveAttribute('data-value', '10');
  // the drawn or loaded digit through the 2-D and the 30-D model: the wider code errs less
  await expect(page.getByTestId('digits-compare')).toHaveAttribute('data-value', /latent/);
  const cmp = JSON.parse(/** @type {string} */ (await page.getByTestId('digits-compare').getAttribute('data-value')));
  expect(cmp.map((/** @type {{latent: number}} */ c) => c.latent)).toEqual([2, 30]);
  expect(cmp[1].error).toBeLessThan(cmp[0].error);
});

test('the 30-D model has 30 sliders and an attribute slider; thumbnails and the decoded grid draw', async ({ page }) => {
  await page.goto(`${server.url}/digits`);
  await expect.poll(() => mapCount(page)).toBe(10000);
  await page.getByTestId('digits-model').selectOption('mnist-30d');
  await expect(page.getByTestId('digits-slider-29')).toBeVisible();
  await expect(page.getByTestId('digits-map-source')).toContainText('principal components');
  await expect(page.getByTestId('digits-intro')).toContainText('200, 100 neurons down to a code of 30 numbers');
  await page.getByTestId('digits-load-test').click();
  await expect(page.getByTestId('digits-code')).toHaveAttribute('data-value', /^\[/);
  const code = JSON.parse(/** @type {string} */ (await page.getByTestId('digits-code').getAttribute('data-value')));
  expect(code).toHaveLength(30);
  const recon = () => page.getByTestId('digits-reconstruction').evaluate((c) => /** @type {HTMLCanvasElement} */ (c).toDataURL());
  const before = await recon();
  await page.getByTestId('digits-attribute').fill('1');
  await expect.poll(recon).not.toEqual(before);
  // or between examples the learner marks: this digit as A, the next as B
  await page.getByTestId('digits-mark-a').click();
  await page.getByTestId('digits-load-test').click();
  await expect(page.getByTestId('digits-code')).not.toHaveAttribute('data-value', JSON.stringify(code));
  await page.getByTestId('digits-mark-b').click();
  await expect(page.getByTestId('digits-marked')).toHaveAttribute('data-value', '[1,1]');
  await page.getByTestId('digits-attribute-from').selectOption('A');
  await page.getByTestId('digits-attribute-to').selectOption('B');
  const mid = await recon();
  await page.getByTestId('digits-attribute').fill('-1');
  await expect.poll(recon).not.toEqual(mid);
  // what the map draws
  const pixels = () => page.getByTestId('digits-map').evaluate((c) => /** @type {HTMLCanvasElement} */ (c).toDataURL());
  const dots = await pixels();
  await page.getByTestId('digits-mode').selectOption('thumbnails');
  await expect.poll(pixels).not.toEqual(dots);
  await page.getByTestId('digits-mode').selectOption('grid');
  await expect.poll(pixels).not.toEqual(dots);
  // zooming in changes the view; the whole map comes back
  const map = page.getByTestId('digits-map');
  await map.hover();
  const zoomed = await pixels();
  await page.mouse.wheel(0, -400);
  await expect.poll(pixels).not.toEqual(zoomed);
  await page.getByTestId('digits-view-reset').click();
});

test('Procrustes finds the turn or flip between two frames of a map', async ({ page }) => {
  await page.goto(`${server.url}/digits`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  const worst = await page.evaluate(async () => {
    const { procrustes, applyAll } = await import('/lib/procrustes.js');
    const a = Float32Array.from({ length: 400 }, (_, i) => Math.sin(i * 12.9898) * 5 + (i % 2 ? 1 : -2));
    let out = 0;
    for (const [t, flip] of [[0.7, false], [2.5, true], [-1.2, true]]) {
      // b = a turned by t (and mirrored in x), then shifted: the fit must undo exactly that
      const b = new Float32Array(a.length);
      for (let i = 0; i < a.length; i += 2) {
        const x = flip ? -a[i] : a[i];
        b[i] = x * Math.cos(t) - a[i + 1] * Math.sin(t) + 3;
        b[i + 1] = x * Math.sin(t) + a[i + 1] * Math.cos(t) - 1;
      }
      const back = applyAll(procrustes(a, b), a);
      for (let i = 0; i < a.length; i++) out = Math.max(out, Math.abs(back[i] - b[i]));
    }
    return out;
  });
  expect(worst).toBeLessThan(1e-3);
});

test('your model trains on colour photo patches, and the map, the decoder and your image are in colour', async ({ page }, info) => {
  await page.goto(`${server.url}/digits?${COLOUR_DIGITS}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await mapColourPatches(page);
  const shot = info.outputPath('digits-colour.png');
  await page.screenshot({ path: shot, fullPage: true });
  await info.attach('colour patches on the map', { path: shot, contentType: 'image/png' });
});
