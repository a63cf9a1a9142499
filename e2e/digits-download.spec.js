// The Digits Lab on a machine without the dataset: it says so, downloads it from a mirror
// (a local server here, never the internet) with a progress bar, and then trains on it.
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
