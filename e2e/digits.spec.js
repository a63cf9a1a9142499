// The Digits Lab's training part, driven as a person uses it.
import { test, expect } from '@playwright/test';
import { useServer } from './fixtures.js';

const server = useServer();

/** @param {import('@playwright/test').Page} page */
const num = async (page, /** @type {string} */ id) => Number(await page.getByTestId(id).getAttribute('data-value'));

test('train the digit model on a subset and watch the loss fall and the map form', async ({ page }, info) => {
  await page.goto(`${server.url}/digits?train_size=2000&batch=64`);
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
  const firstCode = await page.evaluate(() => /** @type {any} */ (window).digitsMap.toCode([100, 100]));
  await expect.poll(() => num(page, 'digits-epoch'), { timeout: 60_000 }).toBeGreaterThan(3);
  await expect.poll(() => num(page, 'digits-loss')).toBeLessThan(early);
  // the map moved: the same canvas pixel is another code now
  const laterCode = await page.evaluate(() => /** @type {any} */ (window).digitsMap.toCode([100, 100]));
  expect(laterCode).not.toEqual(firstCode);
  await page.getByTestId('digits-pause').click();
  await expect(page.getByTestId('digits-train')).toBeVisible();
  // classes can be hidden from the legend
  await page.getByTestId('digits-class-1').click();
  await expect(page.getByTestId('digits-class-1')).toHaveAttribute('aria-pressed', 'false');
  const shot = info.outputPath('digits-trained.png');
  await page.screenshot({ path: shot, fullPage: true });
  await info.attach('trained digit map', { path: shot, contentType: 'image/png' });
  // the settings live in the URL
  await expect(page).toHaveURL(/train_size=2000/);
});
