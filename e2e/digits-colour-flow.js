// The Digits Lab on colour images, as a person uses it, shared by the server's test
// (digits.spec.js) and the static site's (site.spec.js): the learner's 2-D model trains on
// photo-patches (64×64 colour patches of four photographs, built in), and the map's
// thumbnails, the image decoded under the mouse, a loaded patch and its reconstruction are
// drawn in colour; the pad, which draws grey digits, is off and says why.
import { expect } from '@playwright/test';
import { colourfulness } from './studio-colour-flow.js';

/** The Digits Lab's settings for the flow (the query of its address). */
export const COLOUR_DIGITS = 'model=train&dataset=photo-patches&batch=100&lr=0.003';

/**
 * Trains the 2-D model on photo-patches in the Digits Lab open at `?${COLOUR_DIGITS}` and looks at
 * its images.
 * @param {import('@playwright/test').Page} page
 */
export async function mapColourPatches(page) {
  await expect(page.getByTestId('digits-dataset')).toHaveValue('photo-patches');
  await expect(page.getByTestId('explain')).toContainText('12,288 numbers (64×64 pixels, each red, green and blue)');
  await expect(page.getByTestId('digits-draw')).toBeHidden();
  await expect(page.getByTestId('digits-draw-note')).toContainText('drawing is off');
  await page.getByTestId('digits-train').click();
  await expect.poll(async () => Number(await page.getByTestId('digits-epoch').getAttribute('data-value')), { timeout: 120_000 }).toBeGreaterThan(2);
  await page.getByTestId('digits-pause').click();
  await expect(page.getByTestId('digits-train')).toBeVisible();
  await expect.poll(() => page.evaluate(() => /** @type {any} */ (window).digitsMap.count())).toBe(500);
  await expect(page.getByTestId('digits-legend')).toContainText('astronaut');
  await expect(page.getByTestId('digits-legend')).toContainText('rocket');
  await expect(page.getByTestId('digits-map-source')).toContainText('all 500 photo-patches test images');
  // hovering the map decodes a 64×64 colour patch
  const box = /** @type {{x: number, y: number, width: number, height: number}} */ (await page.getByTestId('digits-map').boundingBox());
  const decoded = page.getByTestId('digits-decoded');
  for (const [fx, fy] of [[0.5, 0.5], [0.3, 0.6], [0.6, 0.4], [0.45, 0.55]]) {
    await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy, { steps: 3 });
  }
  await expect.poll(() => decoded.evaluate((c) => /** @type {HTMLCanvasElement} */ (c).width)).toBe(64);
  await expect.poll(() => colourfulness(decoded)).toBeGreaterThan(20);
  // a test patch as the input: its colour and its (blurred, coloured) reconstruction
  await page.getByTestId('digits-load-test').click();
  await expect(page.getByTestId('digits-load-test')).toHaveText('Load a test image');
  await expect(page.getByTestId('digits-source')).toContainText('image');
  // (a grey image would be 0; the seeded first pick is a muted patch)
  await expect.poll(() => colourfulness(page.getByTestId('digits-input'))).toBeGreaterThan(30);
  await expect(page.getByTestId('digits-code')).toHaveAttribute('data-value', /^\[/);
  await expect.poll(() => colourfulness(page.getByTestId('digits-reconstruction'))).toBeGreaterThan(10);
  expect(await page.getByTestId('digits-input').evaluate((c) => /** @type {HTMLCanvasElement} */ (c).height)).toBe(64);
  // thumbnails: the test patches themselves, in colour, placed at their codes
  await page.getByTestId('digits-mode').selectOption('thumbnails');
  await expect.poll(() => page.evaluate(() => /** @type {any} */ (window).digitsMap.thumbs().length), { timeout: 20_000 }).toBeGreaterThan(20);
  const most = await page.evaluate(() => {
    let best = 0;
    for (const c of /** @type {HTMLCanvasElement[]} */ (/** @type {any} */ (window).digitsMap.thumbs())) {
      const d = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d')).getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 4) best = Math.max(best, Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]));
    }
    return best;
  });
  expect(most, 'the most colourful thumbnail pixel').toBeGreaterThan(150);
  // the comparison of shipped 2-D and 30-D models has none for photo-patches: not shown
  await expect(page.getByTestId('digits-compare')).toBeHidden();
}
