// The transports' one reading of a job's messages (web/lib/frames.js), run in the browser on
// the module as the pages load it (served from web/; no hourglass process).
import { fileURLToPath } from 'node:url';
import { test, expect } from '@playwright/test';
import { serveStatic } from './static-server.js';

test('an answer without arrays reads as one with none; a binary frame gives its arrays by name', async ({ page }) => {
  const site = await serveStatic(fileURLToPath(new URL('../web', import.meta.url)));
  try {
    await page.goto(`${site.url}/index.html`);
    const got = await page.evaluate(async () => {
      const { decodeMessage } = await import('/lib/frames.js');
      // e.g. the Studio's grid asked just as an upload replaced the data: JSON text, no arrays
      const text = decodeMessage(JSON.stringify({ type: 'reply', id: 3, weights_version: 2 }));
      const header = new TextEncoder().encode(JSON.stringify({ type: 'reply', arrays: [{ name: 'grid', length: 2 }, { name: 'recon', length: 1 }] }));
      const pad = (4 - (header.length % 4)) % 4;
      const buf = new ArrayBuffer(4 + header.length + pad + 12);
      const view = new DataView(buf);
      view.setUint32(0, header.length + pad, true);
      new Uint8Array(buf, 4, header.length).set(header);
      for (let i = 0; i < pad; i++) view.setUint8(4 + header.length + i, 32);
      [0.25, 0.5, 0.75].forEach((v, i) => view.setFloat32(4 + header.length + pad + 4 * i, v, true));
      const frame = decodeMessage(buf);
      return { version: text.weights_version, data: text.data, grid: Array.from(frame.data.grid), recon: Array.from(frame.data.recon) };
    });
    expect(got.version).toBe(2);
    expect(got.data).toEqual({});
    expect(got.grid).toEqual([0.25, 0.5]);
    expect(got.recon).toEqual([0.75]);
  } finally {
    await site.stop();
  }
});
