// Every page on any screen: no sideways scrolling on a phone, nothing sticking out of its card
// on a desktop, and the training figures in view without scrolling.
import { test, expect } from '@playwright/test';
import { useServer } from './fixtures.js';

const server = useServer(() => ['--data-dir', process.env.HOURGLASS_TEST_DATA || '../../shared/datasets']);
const PAGES = [['glass', 'glass-train'], ['latent3d', 'latent3d-play'], ['digits', 'digits-model'], ['studio', 'studio-train'], ['uses', 'anomaly-run'], ['features', 'features-train']];

/**
 * Elements that reach past the right edge of the card (panel, aside, figure) holding them.
 * @param {import('@playwright/test').Page} page
 */
const outOfCards = (page) => page.evaluate(() => {
  const out = [];
  for (const el of document.querySelectorAll('main *')) {
    const b = el.getBoundingClientRect();
    if (b.width === 0 || getComputedStyle(el).position === 'absolute') continue;
    const card = el.parentElement && el.parentElement.closest('.panel, aside, figure, section > div');
    if (!card) continue;
    const c = card.getBoundingClientRect();
    if (b.right > c.right + 1) out.push(`${el.tagName.toLowerCase()}${el.getAttribute('data-testid') ? `[${el.getAttribute('data-testid')}]` : ''} by ${Math.round(b.right - c.right)} px`);
  }
  return [...new Set(out)];
});

for (const [name, ready] of PAGES) {
  test(`${name}: fits a phone (390 px) and a desktop (1440 px) without clipping`, async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.url}/${name}`);
    await expect(page.getByTestId(ready)).toBeVisible();
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - innerWidth)).toBeLessThanOrEqual(0);
    expect(await outOfCards(page)).toEqual([]);
    await page.setViewportSize({ width: 1440, height: 1000 });
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - innerWidth)).toBeLessThanOrEqual(0);
    expect(await outOfCards(page)).toEqual([]);
    if (name !== 'digits' && name !== 'uses' && name !== 'features') {
      // the epoch and the loss are in view without scrolling
      for (const id of name === 'studio' ? ['studio-epoch', 'studio-train-loss'] : [`${name}-epoch`, `${name}-loss`]) {
        const box = await page.getByTestId(id).boundingBox();
        expect(box && box.y + box.height, id).toBeLessThanOrEqual(1000);
      }
    }
  });
}

test('studio: after training, the validation images and their reconstructions fit a phone', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${server.url}/studio?train_size=2000&batch=100&epochs=1&layers=64&latent=8`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await page.getByTestId('studio-train').click();
  await expect(page.getByTestId('studio-recon-7')).toBeVisible({ timeout: 60_000 });
  // eight a row: they shrink to the card rather than run past it
  expect(await outOfCards(page)).toEqual([]);
});
