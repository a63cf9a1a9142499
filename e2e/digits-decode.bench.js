// W6: the Digits Lab's hover-decode round trip — page → server → image drawn — in headless
// Chromium, with the model paused and while it trains. MOVES (default 600) mouse moves over
// the map. Prints p50 / p99 of the round trips; asserts nothing about speed.
import { test, expect } from '@playwright/test';
import { startServer } from './server.js';

/** @param {number[]} v @param {number} q */
const quantile = (v, q) => v.slice().sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(q * v.length))];

test('W6: hover-decode round trip in the Digits Lab', async ({ page }) => {
  const server = await startServer();
  const moves = Number(process.env.MOVES || 600);
  await page.goto(`${server.url}/digits?train_size=10000&batch=64`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await page.getByTestId('digits-train').click();
  await page.waitForTimeout(5000);
  const box = /** @type {{x: number, y: number, width: number, height: number}} */ (await page.getByTestId('digits-map').boundingBox());
  /** @param {string} label */
  const sweep = async (label) => {
    await page.evaluate(() => { /** @type {any} */ (window).digitsDecodeTimes.length = 0; });
    for (let k = 0; k < moves; k++) {
      const t = k / moves;
      await page.mouse.move(box.x + box.width * (0.1 + 0.8 * t), box.y + box.height * (0.5 + 0.4 * Math.sin(12 * t)));
    }
    await page.waitForTimeout(300);
    const times = /** @type {number[]} */ (await page.evaluate(() => /** @type {any} */ (window).digitsDecodeTimes.slice()));
    console.log(`W6 ${label}: ${times.length} decodes for ${moves} moves; p50 ${quantile(times, 0.5).toFixed(2)} ms, p99 ${quantile(times, 0.99).toFixed(2)} ms`);
  };
  await sweep('while training');
  await page.getByTestId('digits-pause').click();
  await page.waitForTimeout(300);
  await sweep('paused');
  server.stop();
});
