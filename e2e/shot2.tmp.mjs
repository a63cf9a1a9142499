import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
const bin = process.env.HOURGLASS_BIN;
const start = () => spawn(bin, ['serve', '--port', '18190', '--data-dir', '/work/shared/datasets'], { stdio: 'ignore' });
let srv = start();
await new Promise((r) => setTimeout(r, 1500));
const b = await chromium.launch({ executablePath: '/usr/bin/chromium' });
for (const [w, h] of [[1440, 900], [390, 844]]) {
  const p = await b.newPage({ viewport: { width: w, height: h } });
  await p.goto(`http://127.0.0.1:18190/studio?train_size=20000&batch=32&epochs=10&layers=64&latent=8`);
  await p.getByTestId('studio-train').click();
  await p.waitForTimeout(1200);
  await p.getByTestId('studio-chart').scrollIntoViewIfNeeded();
  srv.kill('SIGINT');
  await p.getByTestId('offline').waitFor({ state: 'visible', timeout: 15000 });
  await p.screenshot({ path: `/tmp/offline-${w}.png` });
  srv = start();
  await p.getByTestId('offline').waitFor({ state: 'hidden', timeout: 20000 });
  await p.waitForTimeout(500);
  await p.getByTestId('studio-message').scrollIntoViewIfNeeded();
  await p.screenshot({ path: `/tmp/restarted-${w}.png` });
  // the picker beside the grid, after another split
  await p.getByTestId('studio-train-size').selectOption('10000');
  await p.waitForTimeout(1500);
  await p.getByTestId('studio-inputs').scrollIntoViewIfNeeded();
  await p.screenshot({ path: `/tmp/picker-${w}.png` });
  await p.close();
}
await b.close();
srv.kill('SIGINT');
