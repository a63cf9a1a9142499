// An automated accessibility scan (axe-core) of every page, as a learner first sees it and
// after it has trained a little: no serious or critical violations.
import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { useServer } from './fixtures.js';

const server = useServer(() => ['--data-dir', process.env.HOURGLASS_TEST_DATA || '../../shared/datasets']);

/**
 * The serious and critical violations on the page, one line each.
 * @param {import('@playwright/test').Page} page
 */
async function violations(page) {
  const r = await new AxeBuilder({ page }).analyze();
  return r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
}

for (const [name, path, ready] of [
  ['Glass Box', '/glass', 'glass-train'],
  ['3D Latent Explorer', '/latent3d', 'latent3d-play'],
  ['Digits Lab', '/digits', 'digits-model'],
  ['Model Studio', '/studio', 'studio-train'],
  ['Uses', '/uses', 'anomaly-run'],
  ['Features', '/features', 'features-train'],
]) {
  test(`${name}: no serious or critical accessibility violations`, async ({ page }) => {
    await page.goto(`${server.url}${path}`);
    await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
    await expect(page.getByTestId(ready)).toBeVisible();
    await page.waitForTimeout(500);
    expect(await violations(page)).toEqual([]);
  });
}

test('Digits Lab in use (30-D model, a digit loaded, iterated, basins shown): no serious or critical violations', async ({ page }) => {
  await page.goto(`${server.url}/digits?model=mnist-30d`);
  await expect(page.getByTestId('digits-slider-29')).toBeVisible();
  await page.getByTestId('digits-load-test').click();
  await page.getByTestId('digits-iterate').click();
  await expect(page.getByTestId('digits-fixed-point')).toHaveAttribute('data-value', /true|false/, { timeout: 20_000 });
  await page.getByTestId('digits-basins').click();
  await expect(page.getByTestId('digits-basins')).toHaveAttribute('aria-pressed', 'true', { timeout: 20_000 });
  expect(await violations(page)).toEqual([]);
});

test('Model Studio in use (a conv model trained a little, a digit inside it): no serious or critical violations', async ({ page }) => {
  await page.goto(`${server.url}/studio?kind=conv&convs=8:3:2:1&latent=8&train_size=500&epochs=1&batch=50`);
  await expect(page.getByTestId('studio-train')).toBeEnabled();
  await page.getByTestId('studio-train').click();
  await expect(page.getByTestId('studio-progress')).toHaveAttribute('data-value', '1', { timeout: 30_000 });
  await expect(page.getByTestId('studio-activation-encoder-conv-0').locator('canvas')).toHaveCount(8);
  expect(await violations(page)).toEqual([]);
});
