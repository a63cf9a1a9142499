// Features, driven as a learner reads a sparse dictionary: train a 256-wide TopK dictionary on
// pixels for one epoch and see L0 = k, open a feature's card and its 9 top images, click one
// to see the features it uses, clamp one and see the reconstruction change; run the probe
// and see a line for the pixels and one for a model's codes. The same flow on the server
// (here) and in the static site (site.spec.js).
import { test, expect } from '@playwright/test';
import { useServer } from './fixtures.js';
import { readADictionary } from './features-flow.js';

const server = useServer(() => ['--data-dir', process.env.HOURGLASS_TEST_DATA || '../../shared/datasets']);

test('train a TopK dictionary, read a feature, steer it, and probe the codes', async ({ page }, info) => {
  await page.goto(`${server.url}/features?train_size=10000&width=256&k=16`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await readADictionary(page);
  const shot = info.outputPath('features.png');
  await page.screenshot({ path: shot, fullPage: true });
  await info.attach('features', { path: shot, contentType: 'image/png' });
});

test('a link asking for more active features than the dictionary has is refused, saying so', async ({ page }) => {
  await page.goto(`${server.url}/features?width=64&k=100`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await expect(page.getByTestId('features-message')).toContainText('cannot exceed the dictionary', { timeout: 10_000 });
  // the sparsity's own control shows only what applies: k for TopK, the weight for L1
  await expect(page.getByTestId('features-l1')).toBeHidden();
  await page.getByTestId('features-penalty').selectOption('l1');
  await expect(page.getByTestId('features-l1')).toBeVisible();
  await expect(page.getByTestId('features-k')).toBeHidden();
});
