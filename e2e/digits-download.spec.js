// The Digits Lab and the Model Studio on a machine without the dataset: they say so, download it from a mirror
// (a local server here, never the internet) with a progress bar, and then train on it.
import { test, expect } from '@playwright/test';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useServer } from './fixtures.js';

const data = process.env.HOURGLASS_TEST_DATA || join(import.meta.dirname, '../../shared/datasets');
/** A local mirror of the test data, on a free port. */
const mirror = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url || '/', 'http://x').pathname);
  try {
    if (path.includes('..')) throw new Error('no');
    const bytes = readFileSync(join(data, path));
    res.writeHead(200, { 'content-length': bytes.length });
    res.end(bytes);
  } catch {
    res.writeHead(404);
    res.end('not found');
  }
});
await new Promise((r) => mirror.listen(0, '127.0.0.1', () => r(null)));
const port = /** @type {import('node:net').AddressInfo} */ (mirror.address()).port;
const empty = mkdtempSync(join(tmpdir(), 'hourglass-e2e-data-'));
const server = useServer(() => ['--data-dir', empty, '--mirror', `http://127.0.0.1:${port}`]);
test.afterAll(() => mirror.close());

test('a missing dataset is named, downloaded with progress, and then trains', async ({ page }) => {
  await page.goto(`${server.url}/digits?train_size=500&batch=50`);
  await expect(page.getByTestId('digits-message')).toContainText('Not on this machine: mnist');
  await expect(page.getByTestId('digits-download')).toHaveText('Download mnist');
  await page.getByTestId('digits-download').click();
  await expect(page.getByTestId('digits-message')).toContainText('mnist is ready', { timeout: 60_000 });
  await expect(page.getByTestId('digits-download')).toBeHidden();
  await page.getByTestId('digits-step').click();
  await expect(page.locator('#app')).toHaveAttribute('data-step', '1');
  await expect.poll(() => page.evaluate(() => /** @type {any} */ (window).digitsMap.count())).toBe(2000);
});

test('the Model Studio downloads a missing dataset with progress, then trains on it', async ({ page }) => {
  await page.goto(`${server.url}/studio?dataset=fashion-mnist&train_size=500&batch=50&epochs=1&layers=32&latent=4`);
  await expect(page.getByTestId('studio-message')).toContainText('fashion-mnist');
  await expect(page.getByTestId('studio-download')).toHaveText('Download fashion-mnist');
  await page.getByTestId('studio-download').click();
  await expect(page.getByTestId('studio-message')).toContainText('fashion-mnist is ready', { timeout: 60_000 });
  await expect(page.getByTestId('studio-download')).toBeHidden();
  await page.getByTestId('studio-train').click();
  await expect(page.getByTestId('studio-progress')).toHaveAttribute('data-value', '1', { timeout: 30_000 });
  expect(Number(await page.getByTestId('studio-val-loss').getAttribute('data-value'))).toBeGreaterThan(0);
});
