// Records the Uses page's compression result the JPEG challenge's tests check
// (uses-compress.fixtures.json), from the real job on a real server: `node
// --experimental-websocket unit/record-uses-compress.mjs` from e2e/, with HOURGLASS_BIN and
// HOURGLASS_TEST_DATA set, and the settings as JSON (default: as the browser test runs it,
// 10,000 training images and 3 epochs per model) and the file to write: every point,
// distortion against bits. The full ladder: `… record-uses-compress.mjs
// '{"train_size": 60000, "epochs": 10}' uses-compress-full.fixtures.json` (about 2 minutes
// here).
import { writeFileSync } from 'node:fs';
import { startServer } from '../server.js';
import { openJob } from './job.mjs';

const server = await startServer();
const job = await openJob(server.url, 'uses');
const wanted = JSON.parse(process.argv[2] || '{"train_size": 10000, "epochs": 3}');
job.send({ type: 'configure', experiment: 'compress', ...wanted });
await job.until((s) => s.settings.experiment === 'compress' && s.settings.train_size === wanted.train_size && s.settings.epochs === wanted.epochs);
job.send({ type: 'play' });
const s = await job.until((x) => x.compress && x.compress.points.length > 0);
job.close();
server.stop();
const state = { settings: { dataset: s.settings.dataset }, compress: s.compress };
for (const p of s.compress.points) console.log(p.method, p.size, p.bits.toFixed(0), p.psnr.toFixed(2));
writeFileSync(new URL(`./${process.argv[3] || 'uses-compress.fixtures.json'}`, import.meta.url), `${JSON.stringify(state)}\n`);
