// The Digits Lab's challenges, solved as a learner would: loading test digits until the 2-D
// code rebuilds one as another digit while the 30-D code gets it right; iterating digits to a
// fixed point; stamping a looped and an unlooped 2 on the map. Progress survives a reload.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { useServer } from './fixtures.js';

const server = useServer();
/** the recorded answers of the shipped model (e2e/unit/record-digits.mjs) */
const recorded = JSON.parse(readFileSync(new URL('./unit/digits.fixtures.json', import.meta.url), 'utf8'));
/** @param {string} name */
const spot = (name) => recorded.events.find((/** @type {{name: string}} */ e) => e.name === name).event.at;

/** Dots on the map (-1 before the page has mounted). @param {import('@playwright/test').Page} page */
const mapCount = (page) => page.evaluate(() => { const m = /** @type {any} */ (window).digitsMap; return m ? m.count() : -1; });

/** @param {import('@playwright/test').Page} page */
async function openDigits(page) {
  await page.goto(`${server.url}/digits`);
  await page.evaluate(() => localStorage.removeItem('hourglass-challenges-digits'));
  await page.reload();
  await expect.poll(() => mapCount(page)).toBe(10000);
  await page.getByTestId('challenges').locator('summary').click();
}

test('load test digits until the 2-D code rebuilds one as another digit and the 30-D code gets it right', async ({ page }) => {
  const errors = /** @type {string[]} */ ([]);
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await openDigits(page);
  const row = page.getByTestId('challenge-digits-two-or-thirty');
  await expect(row).toHaveAttribute('data-state', 'open');
  await expect(page.getByTestId('challenges-count')).toHaveText('(0 of 5 done)');
  const note = page.getByTestId('challenge-note-two-or-thirty');
  let loads = 0;
  for (; loads < 40; loads++) {
    const before = await page.getByTestId('digits-compare').getAttribute('data-value');
    await page.getByTestId('digits-load-test').click();
    await expect(page.getByTestId('digits-compare')).not.toHaveAttribute('data-value', before ?? '');
    if ((await row.getAttribute('data-state')) === 'done') break;
    // each digit not yet the one is told: what each code rebuilt it as
    await expect(note).toContainText(/The 2-number code rebuilt this \d as a \d, the 30-number code as a \d\./);
  }
  expect(loads).toBeGreaterThan(0); // not done before a digit showed it
  await expect(row).toHaveAttribute('data-state', 'done');
  await expect(page.getByTestId('challenge-why-two-or-thirty')).toContainText('Thirty numbers keep the strokes');
  await expect(page.getByTestId('challenges-count')).toHaveText('(1 of 5 done)');
  // kept in this browser
  await page.reload();
  await expect(page.getByTestId('challenge-digits-two-or-thirty')).toHaveAttribute('data-state', 'done');
  expect(errors).toEqual([]);
});

test('iterate digits until one settles as another digit; stamp a looped and an unlooped 2', async ({ page }) => {
  await openDigits(page);
  const fixed = page.getByTestId('challenge-digits-fixed-point');
  for (let k = 0; k < 30 && (await fixed.getAttribute('data-state')) !== 'done'; k++) {
    const before = await page.getByTestId('digits-source').getAttribute('data-value');
    await page.getByTestId('digits-load-test').click();
    await expect(page.getByTestId('digits-source')).not.toHaveAttribute('data-value', before ?? '');
    // the page marks the answer when it has drawn it, and checks the challenge in the same turn
    await page.getByTestId('digits-fixed-point').evaluate((el) => el.removeAttribute('data-value'));
    await page.getByTestId('digits-iterate').click();
    await expect(page.getByTestId('digits-fixed-point')).toHaveAttribute('data-value', /true|false/, { timeout: 20_000 });
    const [state, settled, said] = await page.evaluate(() => [
      document.querySelector('[data-testid="challenge-digits-fixed-point"]')?.getAttribute('data-state'),
      document.querySelector('[data-testid="digits-fixed-point"]')?.getAttribute('data-value'),
      document.querySelector('[data-testid="challenge-note-fixed-point"]')?.textContent,
    ]);
    // one that stayed itself is said, and the challenge is not done by it
    if (state === 'failed') expect(said).toContain('the digit it started as');
    if (settled === 'false') expect([state, said]).toEqual(['open', 'It was still moving when the rounds ran out.']);
  }
  await expect(fixed).toHaveAttribute('data-state', 'done');

  // the map: hover where the recorded looped and unlooped 2s are, and click to stamp each
  const twos = page.getByTestId('challenge-digits-two-twos');
  const map = page.getByTestId('digits-map');
  /** @param {number[]} code */
  const stampAt = async (code) => {
    await map.scrollIntoViewIfNeeded();
    const box = /** @type {{x: number, y: number, width: number, height: number}} */ (await map.boundingBox());
    const [x, y] = await page.evaluate((c) => /** @type {any} */ (window).digitsMap.toCanvas(c), code);
    expect(Math.min(x, y)).toBeGreaterThan(0); // in view
    expect(Math.max(x, y)).toBeLessThan(560);
    const stamps = await page.getByTestId('digits-stamps').getAttribute('data-value');
    await page.mouse.move(box.x + (x * box.width) / 560, box.y + (y * box.height) / 560);
    await expect(page.getByTestId('digits-decoded')).toHaveAttribute('data-value', /^\[/);
    await page.waitForTimeout(200); // the answer for the spot under the mouse, not one on the way
    await page.mouse.click(box.x + (x * box.width) / 560, box.y + (y * box.height) / 560);
    await expect(page.getByTestId('digits-stamps')).not.toHaveAttribute('data-value', stamps ?? '');
  };
  await stampAt(spot('stamp-two-open'));
  await expect(twos).toHaveAttribute('data-state', 'open');
  await expect(page.getByTestId('challenge-note-two-twos')).toContainText('An unlooped 2 stamped');
  await stampAt(spot('stamp-two-looped'));
  await expect(twos).toHaveAttribute('data-state', 'done');
  await expect(page.getByTestId('challenge-why-two-twos')).toContainText('A class is a human label');
});
