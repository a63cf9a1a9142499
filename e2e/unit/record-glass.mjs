// Records the Glass Box states the challenge tests check (glass.fixtures.json), from the real
// job on a real server: `node --experimental-websocket unit/record-glass.mjs` from e2e/, with
// HOURGLASS_BIN set (scripts/test sets it). Each state is a snapshot, trimmed to what the
// checks read; a run is its first snapshot (epoch below 100) and the one where it ends.
import { writeFileSync } from 'node:fs';
import { startServer } from '../server.js';
import { openJob } from './job.mjs';

const KEEP = ['epoch', 'loss', 'settings', 'input', 'error', 'pattern_errors', 'pattern_codes', 'top_patterns'];
/** @param {any} s */
const trim = (s) => ({ ...Object.fromEntries(KEEP.map((k) => [k, s[k]])), run: { losses: s.run.losses } });

/**
 * Trains the Glass Box with `settings` until `done(snapshot)`, then sends `after` messages;
 * returns the run's first snapshot and its last.
 * @param {string} url @param {Record<string, number>} settings
 * @param {(s: any) => boolean} done @param {any[]} [after]
 */
async function run(url, settings, done, after = []) {
  const job = await openJob(url, 'glass');
  const { seen, until: next } = job;
  job.send({ type: 'configure', ...settings });
  job.send({ type: 'speed', value: 0 });
  const first = await next((s) => Object.entries(settings).every(([k, v]) => s.settings[k] === v));
  job.send({ type: 'play' });
  await next((s) => s.epoch > 0 && done(s));
  job.send({ type: 'pause' });
  for (const m of after) job.send(m);
  const n = seen.length;
  const last = await next((s) => seen.indexOf(s) >= n && !s.run.training);
  job.close();
  return [trim(first), trim(last)];
}

const server = await startServer();
const learned = (/** @type {any} */ s) => s.loss !== null && s.loss < 0.05;
const base = { lr: 0.15, momentum: 0.8 };
const states = {
  seed1: await run(server.url, { ...base, seed: 1 }, learned),
  seed2: await run(server.url, { ...base, seed: 2 }, learned),
  stuck: await run(server.url, { ...base, seed: 3 }, (s) => s.epoch >= 3000),
  lr05: await run(server.url, { lr: 0.5, momentum: 0.8, seed: 1 }, (s) => learned(s) || s.epoch >= 20000),
  lr002: await run(server.url, { lr: 0.02, momentum: 0.8, seed: 1 }, (s) => learned(s) || s.epoch >= 20000),
  mom0: await run(server.url, { lr: 0.15, momentum: 0, seed: 1 }, (s) => learned(s) || s.epoch >= 20000),
  mom09: await run(server.url, { lr: 0.15, momentum: 0.9, seed: 1 }, (s) => learned(s) || s.epoch >= 20000),
  unseen: await run(server.url, { ...base, seed: 1 }, learned, [{ type: 'set_input', input: [1, 0, 0, 0, 0, 0, 0, 0, 1] }]),
};
// the pattern that drives the first bottleneck neuron highest, loaded (and one that does not)
const top = states.seed1[1].top_patterns[0][0];
const PATTERNS = (await import('../../web/challenges/glass.js')).PATTERNS;
const as = (/** @type {number} */ k) => PATTERNS[k].split('').map(Number);
states.topLoaded = await run(server.url, { ...base, seed: 1 }, learned, [{ type: 'set_input', input: as(top) }]);
states.otherLoaded = await run(server.url, { ...base, seed: 1 }, learned, [{ type: 'set_input', input: as(states.seed1[1].top_patterns[0][2]) }]);
server.stop();
writeFileSync(new URL('./glass.fixtures.json', import.meta.url), `${JSON.stringify(states)}\n`);
console.log(Object.entries(states).map(([k, [a, b]]) => `${k}: epochs ${a.epoch} → ${b.epoch}, loss ${b.loss}`).join('\n'));
