import { test, expect } from '@playwright/test';
import { serveStatic } from './static-server.js';
test('probe', async ({ page, browser }) => {
  const site = await serveStatic(process.env.HOURGLASS_SITE);
  await page.goto(`${site.url}/digits/?model=train&train_size=60000&batch=128`);
  await expect(page.getByTestId('digits-train_size')).toHaveValue('60000');
  await page.getByTestId('digits-train').click();
  await page.waitForTimeout(2000);
  await browser.startTracing(page, { path: '/tmp/trace.json', categories: ['disabled-by-default-v8.cpu_profiler', 'v8.execute'] });
  await page.waitForTimeout(5000);
  await browser.stopTracing();
});
