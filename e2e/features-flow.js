// The Features page's acceptance flow, shared by the server's test (features.spec.js) and the
// static site's (site.spec.js): train a 256-wide TopK-16 dictionary on pixels for one epoch
// and see L0 = k, open a feature's card with its 9 top images, click one to see the features
// it uses, clamp one and see the reconstruction change, and run the probe until the pixels,
// the shipped model's codes and the dictionary each have a point.
import { expect } from '@playwright/test';

/**
 * The whole flow on an opened Features page.
 * @param {import('@playwright/test').Page} page
 */
export async function readADictionary(page) {
  await page.getByTestId('features-train').click();
  await expect(page.getByTestId('features-summary')).toContainText('256 features', { timeout: 120_000 });
  await expect(page.getByTestId('features-l0')).toHaveAttribute('data-value', /^\d/);
  expect(Number(await page.getByTestId('features-l0').getAttribute('data-value'))).toBeCloseTo(16, 6);
  const fvu = Number(await page.getByTestId('features-fvu').getAttribute('data-value'));
  expect(fvu).toBeGreaterThan(0);
  expect(fvu).toBeLessThan(1);
  const dead = Number(await page.getByTestId('features-dead').getAttribute('data-value'));
  expect(dead).toBeGreaterThanOrEqual(0);
  expect(dead).toBeLessThan(1);
  // the frontier has this dictionary's point beside PCA's line
  await expect(page.getByTestId('features-frontier-point-0')).toBeAttached();
  await expect(page.getByTestId('features-frontier-pca')).toBeAttached();
  // a feature's card: its 9 top images
  const card = page.locator('[data-testid^="features-card-"]').first();
  await card.click();
  for (let i = 0; i < 9; i++) await expect(page.getByTestId(`features-top-${i}`)).toBeVisible();
  await expect(page.getByTestId('features-histogram')).toBeVisible();
  // an image's features, strongest first; clamping one changes the reconstruction
  await page.getByTestId('features-top-0').click();
  await expect(page.getByTestId('features-used')).toHaveAttribute('data-active', '16');
  await expect(page.getByTestId('features-used-0')).toBeVisible();
  await expect(page.getByTestId('features-steer-output')).toHaveAttribute('data-change', /\d/);
  expect(Number(await page.getByTestId('features-steer-output').getAttribute('data-change'))).toBeLessThan(1e-4);
  await page.getByTestId('features-steer-value').fill('0');
  await expect.poll(async () => Number(await page.getByTestId('features-steer-output').getAttribute('data-change'))).toBeGreaterThan(1e-3);
  await expect(page.getByTestId('features-steer')).toContainText('clamped to 0.00');
  // the probe: a line for the pixels and one for a model's codes
  await page.getByTestId('features-probe-run').click();
  await expect(page.getByTestId('features-probe-line-pixels')).toHaveAttribute('data-points', /[1-9]/, { timeout: 120_000 });
  await expect(page.getByTestId('features-probe-line-mnist-30d')).toHaveAttribute('data-points', /[1-9]/, { timeout: 120_000 });
  await expect(page.getByTestId('features-probe-line-dictionary')).toHaveAttribute('data-points', /[1-9]/, { timeout: 120_000 });
  await expect(page.getByTestId('features-probe-sentence')).toContainText('10 labels per class');
  await page.getByTestId('features-probe-pause').click();
}

