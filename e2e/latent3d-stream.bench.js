// How fast the 3D explorer trains while a real page draws its snapshots in Chromium, and
// how many snapshots per second the page gets. Compare with the training speed with no
// page attached: `cargo run --release -p hourglass-server --example latent3d_throughput`.
// POINTS (default 25) and SECONDS (default 5) set the size; three windows, medians printed.
import { test, expect } from '@playwright/test';
import { startServer } from './server.js';

test('3D explorer: training speed and snapshot rate with a page drawing', async ({ page }) => {
  const server = await startServer();
  const points = Number(process.env.POINTS || 25);
  const seconds = Number(process.env.SECONDS || 5);
  await page.goto(`${server.url}/latent3d?speed=0&points=${points}`);
  await expect(page.getByTestId('latent3d-loss')).toHaveAttribute('data-value', /\d/);
  await expect(page.getByTestId('latent3d-view-input').locator('circle.pt')).toHaveCount(points);
  await page.getByTestId('latent3d-play').click();
  await page.waitForTimeout(1000);
  const app = page.locator('#app');
  const read = async () => [Date.now(), Number(await app.getAttribute('data-snapshots')), Number(await app.getAttribute('data-snapshot-epoch'))];
  const epochs = [];
  const frames = [];
  for (let r = 0; r < 3; r++) {
    const a = await read();
    await page.waitForTimeout(seconds * 1000);
    const b = await read();
    const dt = (b[0] - a[0]) / 1000;
    epochs.push((b[2] - a[2]) / dt);
    frames.push((b[1] - a[1]) / dt);
    console.log(`window ${r + 1}: ${epochs[r].toFixed(1)} epochs/s, ${frames[r].toFixed(1)} snapshots/s`);
  }
  const median = (/** @type {number[]} */ v) => v.slice().sort((x, y) => x - y)[1];
  console.log(`${points} points, a page drawing in Chromium: ${median(epochs).toFixed(1)} epochs/s, ${median(frames).toFixed(1)} snapshots/s (medians of 3)`);
  server.stop();
});
