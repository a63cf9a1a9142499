// W6: the Digits Lab's hover-decode round trip — page → server → image drawn — in headless
// Chromium: on the shipped 2-D model (the page's first view), and on a model training on the
// page, then paused. MOVES (default 600) mouse moves over the map. Also the map's redraw of
// 10,000 dots, finding the dot under the mouse, the basin map, and how often the map
// refreshes while a model trains. Prints figures; asserts nothing about speed.
import { test, expect } from '@playwright/test';
import { startServer } from './server.js';

/** @param {number[]} v @param {number} q */
const quantile = (v, q) => v.slice().sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(q * v.length))];

test('W6: hover-decode round trip in the Digits Lab', async ({ page }) => {
  const server = await startServer();
  const moves = Number(process.env.MOVES || 600);
  await page.goto(`${server.url}/digits`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await expect.poll(() => page.evaluate(() => { const m = /** @type {any} */ (window).digitsMap; return m ? m.count() : -1; })).toBe(10000);
  const box = /** @type {{x: number, y: number, width: number, height: number}} */ (await page.getByTestId('digits-map').boundingBox());
  /**
   * @param {string} label
   * @param {number} [every] ms between moves (0: as fast as the browser takes them; a real
   *   mouse reports 125 times a second, every 8 ms)
   */
  const sweep = async (label, every = 0) => {
    await page.evaluate(() => { /** @type {any} */ (window).digitsDecodeTimes.length = 0; });
    const t0 = Date.now();
    for (let k = 0; k < moves; k++) {
      const t = k / moves;
      if (every) {
        const wait = t0 + k * every - Date.now();
        if (wait > 0) await page.waitForTimeout(wait);
      }
      await page.mouse.move(box.x + box.width * (0.1 + 0.8 * t), box.y + box.height * (0.5 + 0.4 * Math.sin(12 * t)));
    }
    await page.waitForTimeout(300);
    const times = /** @type {number[]} */ (await page.evaluate(() => /** @type {any} */ (window).digitsDecodeTimes.slice()));
    console.log(`W6 ${label}: ${times.length} decodes for ${moves} moves; p50 ${quantile(times, 0.5).toFixed(2)} ms, p99 ${quantile(times, 0.99).toFixed(2)} ms`);
  };
  await sweep('shipped 2-D model, moves as fast as they go');
  await sweep('shipped 2-D model, a move every 8 ms (a 125 Hz mouse)', 8);
  const draws = [];
  for (let k = 0; k < 30; k++) draws.push(await page.evaluate(() => /** @type {any} */ (window).digitsMap.timeDraw()));
  const nearest = await page.evaluate(() => /** @type {any} */ (window).digitsMap.timeNearest(280, 280));
  console.log(`map of 10,000 dots: redraw p50 ${quantile(draws, 0.5).toFixed(2)} ms, max ${Math.max(...draws).toFixed(2)} ms; dot under the mouse ${(nearest * 1000).toFixed(1)} µs`);
  await page.getByTestId('digits-basins').click();
  await expect(page.getByTestId('digits-basins')).toHaveAttribute('aria-pressed', 'true', { timeout: 30_000 });
  console.log(`basin map: ${await page.getByTestId('digits-basins-info').textContent()}`);
  await page.getByTestId('digits-basins').click();
  // a model training here: snapshots (map refreshes) per second, and decodes meanwhile
  await page.getByTestId('digits-model').selectOption('train');
  await page.getByTestId('digits-train_size').selectOption('10000');
  await page.getByTestId('digits-train').click();
  await page.waitForTimeout(3000);
  const s0 = Number(await page.locator('#app').getAttribute('data-step'));
  const frames = await page.evaluate(() => new Promise((done) => {
    let n = 0;
    const root = /** @type {HTMLElement} */ (document.getElementById('app'));
    const seen = new MutationObserver(() => { n += 1; });
    seen.observe(root, { attributes: true, attributeFilter: ['data-step'] });
    setTimeout(() => { seen.disconnect(); done(n); }, 5000);
  }));
  const s1 = Number(await page.locator('#app').getAttribute('data-step'));
  console.log(`training on the page: ${((s1 - s0) / 5).toFixed(0)} steps/s (batch 128), map refreshed ${(Number(frames) / 5).toFixed(1)} times a second`);
  await sweep('while training');
  await page.getByTestId('digits-pause').click();
  await page.waitForTimeout(300);
  await sweep('trained here, paused');
  server.stop();
});
