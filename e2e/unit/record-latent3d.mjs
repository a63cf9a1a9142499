// Records the 3D Latent Explorer states the challenge tests check (latent3d.fixtures.json),
// from the real job on a real server: `node --experimental-websocket unit/record-latent3d.mjs`
// from e2e/, with HOURGLASS_BIN set. Each run is its first snapshot and the one it ends on,
// trimmed to what the checks read (the header, and points, codes and trails).
import { writeFileSync } from 'node:fs';
import { startServer } from '../server.js';
import { openJob } from './job.mjs';

const KEEP = ['moment', 'epoch', 'n', 'latent', 'ae_error', 'pca_error', 'trail_reference', 'settings'];
/** @param {any} s */
const trim = (s) => ({
  ...Object.fromEntries(KEEP.map((k) => [k, s[k]])),
  data: Object.fromEntries(['points', 'codes', 'trails'].map((k) => [k, Array.from(s.data[k], (v) => Number(v.toPrecision(7)))])),
});

/** @param {string} url @param {Record<string, any>} settings @param {number} epochs */
async function run(url, settings, epochs) {
  const job = await openJob(url, 'latent3d');
  const { seen, until } = job;
  job.send({ type: 'configure', ...settings });
  job.send({ type: 'speed', value: 0 });
  const first = await until((s) => Object.entries(settings).every(([k, v]) => s.settings[k] === v) && s.data.codes);
  job.send({ type: 'play' });
  await until((s) => s.epoch >= epochs);
  job.send({ type: 'pause' });
  const n = seen.length;
  const last = await until((s) => seen.indexOf(s) >= n && !s.run.training);
  job.close();
  return [trim(first), trim(last)];
}

const server = await startServer();
const states = {
  roller: await run(server.url, { dataset: 'roller' }, 3000),
  circle: await run(server.url, { dataset: 'circle' }, 3000),
  circle1: await run(server.url, { dataset: 'circle', latent: 1 }, 1500),
};
server.stop();
writeFileSync(new URL('./latent3d.fixtures.json', import.meta.url), `${JSON.stringify(states)}\n`);
console.log(Object.entries(states).map(([k, [a, b]]) => `${k}: epochs ${a.epoch} → ${b.epoch}, ae ${b.ae_error}, pca ${b.pca_error}`).join('\n'));
