// The server stopped mid-session: the page says so plainly, its controls cannot be used, it
// retries less and less often, and it resumes by itself when the server is back.
// (No console-error check here: a browser logs each failed reconnect by itself.)
import { test, expect } from '@playwright/test';
import { startServer } from './server.js';

test('server gone: a banner and disabled controls; server back: the page resumes', async ({ page }) => {
  let server = await startServer();
  const port = new URL(server.url).port;
  await page.goto(`${server.url}/glass?lr=0.25`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await expect(page.getByTestId('glass-lr-value')).toHaveText('0.25');
  await expect(page.getByTestId('offline')).toBeHidden();
  server.stop();
  await expect(page.getByTestId('offline')).toBeVisible({ timeout: 15_000 });
  await expect(page.getByTestId('offline')).toContainText('hourglass serve');
  await expect(page.getByTestId('glass-train')).toBeDisabled();
  await expect(page.getByTestId('glass-input-0')).toBeDisabled();
  await page.waitForTimeout(1500);
  server = await startServer(['--port', port]);
  await expect(page.getByTestId('offline')).toBeHidden({ timeout: 20_000 });
  await expect(page.getByTestId('glass-train')).toBeEnabled();
  // a new session, set from the page's URL
  await expect(page.getByTestId('glass-lr-value')).toHaveText('0.25');
  await page.getByTestId('glass-step').click();
  await expect(page.getByTestId('glass-epoch')).toHaveAttribute('data-value', '1');
  server.stop();
});

test('a phone scrolled to the Train card sees the server go; after a restart the lost run is named', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  let server = await startServer();
  const port = new URL(server.url).port;
  await page.goto(`${server.url}/studio?train_size=20000&batch=32&epochs=10&layers=64&latent=8`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await page.getByTestId('studio-train').click();
  await expect.poll(async () => Number(await page.getByTestId('studio-progress').getAttribute('data-value')), { timeout: 30_000 }).toBeGreaterThan(0.01);
  await page.getByTestId('studio-chart').scrollIntoViewIfNeeded();
  server.stop();
  // where the learner is, not at the top of the page
  await expect(page.getByTestId('offline')).toBeInViewport({ timeout: 15_000 });
  await page.waitForTimeout(1000);
  server = await startServer(['--port', port]);
  await expect(page.getByTestId('offline')).toBeHidden({ timeout: 20_000 });
  const said = page.getByTestId('studio-message');
  await expect(said).toContainText('The server restarted');
  await expect(said).toContainText(/the model it was training \(epoch \d+\.\d\d of 10\) was lost/);
  await expect(said).toContainText('Press Train');
  await expect(said).toBeInViewport();
  // and nothing of the lost model is shown as if it were there
  await expect(page.getByTestId('studio-recon-grid')).not.toHaveAttribute('data-sum', /\d/);
  server.stop();
});
