// The static site when the browser's storage is full: a model saved in the Studio cannot be
// written to IndexedDB, and the page says so plainly; the model is not lost — it is still
// listed and downloads whole — and nothing half-written comes back after a reload.
import { test, expect } from '@playwright/test';
import { openSitePage, useSite } from './site-fixtures.js';

const site = useSite();

test('a full storage quota is said when a model is saved, and the model can still be downloaded', async ({ page }) => {
  // Chromium's own quota for this origin, made tiny (DevTools protocol): any model is too big
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(site.url).origin, quotaSize: 2048 });
  await openSitePage(page, `${site.url}/studio/?train_size=3000&batch=100&epochs=1&layers=64&latent=8`);
  await page.getByTestId('studio-train').click();
  await expect(page.getByTestId('studio-message')).toContainText('Trained 1 epoch', { timeout: 120_000 });
  await page.getByTestId('studio-name').fill('too big');
  await page.getByTestId('studio-save').click();
  await expect(page.getByTestId('studio-message')).toContainText('too big.safetensors could not be kept in this browser\'s storage (the storage is full)', { timeout: 30_000 });
  await expect(page.getByTestId('studio-message')).toContainText('download it to keep it');
  // still here for this tab, and whole: it downloads as a checkpoint of the right size
  await expect(page.getByTestId('studio-model-too big')).toContainText('dense 784-64-8');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('studio-download-too big').click(),
  ]);
  const bytes = await download.createReadStream().then(async (s) => {
    let n = 0;
    for await (const chunk of s) n += chunk.length;
    return n;
  });
  expect(bytes).toBeGreaterThan((784 * 64 + 64 * 8) * 4);
  // nothing half-written: after a reload there is no model, and no error
  await page.reload();
  await expect(page.getByTestId('connection')).toHaveText('runs in your browser', { timeout: 30_000 });
  await expect(page.getByTestId('studio-models')).toContainText('No models saved yet');
});
