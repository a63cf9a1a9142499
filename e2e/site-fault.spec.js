// The static site with a broken engine (a host that serves something else for the engine's
// WebAssembly): the page does not hang on "starting": after a few failed starts it says the
// engine could not start, and why, and keeps its controls disabled; no console error.
import { test, expect } from '@playwright/test';
import { useSite } from './site-fixtures.js';

const site = useSite({ '/engine/hourglass_web_bg.wasm': 'this is not WebAssembly' });

test('an engine that cannot start is said, with its reason, and the controls stay off', async ({ page }) => {
  await page.goto(`${site.url}/glass/`);
  await expect(page.getByTestId('connection')).toHaveText('engine starting again…');
  const banner = page.getByTestId('offline');
  await expect(banner).toBeVisible();
  // the first failures may be passing; the third in a row is said with its reason
  await expect(banner).toContainText('The engine could not start in this tab (', { timeout: 20_000 });
  await expect(banner).toContainText('missing its engine files');
  await expect(page.getByTestId('glass-train')).toBeDisabled();
});
