// Records the Model Studio's first-layer filters the stroke challenge's tests check
// (studio-filters.fixtures.json), from the real job on a real server: `node
// --experimental-websocket unit/record-studio-filters.mjs` from e2e/, with HOURGLASS_BIN and
// HOURGLASS_TEST_DATA set. The default dense model (784-256-128-32) on 10,000 MNIST images:
// eight of its filters as initialised, and after each of three epochs the filters that pass as
// strokes with four that do not (weights rounded to 1e-5).
import { writeFileSync } from 'node:fs';
import { startServer } from '../server.js';
import { openJob } from './job.mjs';
import { isStroke, strokeShape } from '../../web/challenges/studio.js';

const server = await startServer();
const job = await openJob(server.url, 'studio');
job.send({ type: 'configure', train_size: 10000, epochs: 3 });
await job.until((s) => s.settings.train_size === 10000 && s.arch.params > 0);

/** Some filters of the model now: the strokes among them first, then `others` more. */
async function filters(others = 4) {
  const f = await job.query('filters', {});
  const v = /** @type {Float32Array} */ (f.data.filters);
  const all = Array.from({ length: f.shown }, (_, i) => Array.from(v.subarray(i * 784, (i + 1) * 784), (x) => Math.round(x * 1e5) / 1e5));
  const strokes = all.filter((w) => isStroke(strokeShape(w)));
  const rest = all.filter((w) => !isStroke(strokeShape(w))).slice(0, others);
  return { height: f.height, width: f.width, strokes: strokes.length, filters: [...strokes, ...rest] };
}

const random = await filters(8);
job.send({ type: 'play' });
/** @type {any[]} */ const trained = [];
for (let e = 1; e <= 3; e++) {
  await job.until((s) => s.epochs_done >= e);
  trained.push(await filters());
  console.log('epoch', e, 'strokes', trained[trained.length - 1].strokes);
}
job.close();
server.stop();
writeFileSync(new URL('./studio-filters.fixtures.json', import.meta.url), `${JSON.stringify({ random, trained })}\n`);
