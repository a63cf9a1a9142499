// Records a Model Studio run that blows up, is not brought back by a lower rate, and learns
// once started again (studio-blowup.fixtures.json), from the real job on a real server: `node
// --experimental-websocket unit/record-studio-blowup.mjs` from e2e/, with HOURGLASS_BIN and
// HOURGLASS_TEST_DATA set (about a minute). The default dense model on 10,000 MNIST images:
// learning rate 0.5 for 150 steps, then 0.001 for 300 more, then Reset and train at 0.001.
// Each state is a snapshot, trimmed to what the check reads, about every 100 ms.
import { writeFileSync } from 'node:fs';
import { startServer } from '../server.js';
import { openJob } from './job.mjs';

const server = await startServer();
const job = await openJob(server.url, 'studio');
/** @param {any} s */
const trim = (s) => ({ settings: { dataset: s.settings.dataset, loss: s.settings.loss, lr: s.settings.lr }, step: s.step, run: { losses: s.run.losses.slice(-9) } });
/** @type {Record<string, any[]>} */ const phases = { blown: [], lowered: [], again: [] };
/** Records snapshots into `phase` until `done` holds for the newest. */
async function record(/** @type {string} */ phase, /** @type {(s: any) => boolean} */ done) {
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const s = job.seen[job.seen.length - 1];
    phases[phase].push(trim(s));
    if (done(s)) return s;
  }
}
job.send({ type: 'configure', train_size: 10000, epochs: 40, lr: 0.5 });
await job.until((s) => s.settings.lr === 0.5 && s.arch.params > 0);
job.send({ type: 'play' });
await record('blown', (s) => s.step >= 150);
job.send({ type: 'configure', lr: 0.001 });
const from = (await job.until((s) => s.settings.lr === 0.001 && s.step >= 150)).step;
await record('lowered', (s) => s.step >= from + 300);
const before = job.seen.length;
job.send({ type: 'reset' });
await job.until((s) => job.seen.indexOf(s) >= before && s.step === 0);
job.send({ type: 'play' });
await record('again', (s) => s.step > 50 && s.run.losses.slice(-9).every((/** @type {number[]} */ p) => p[1] < 0.045));
job.close();
server.stop();
for (const [k, v] of Object.entries(phases)) console.log(k, v.length, v[v.length - 1].step, v[v.length - 1].run.losses.slice(-1)[0][1]);
writeFileSync(new URL('./studio-blowup.fixtures.json', import.meta.url), `${JSON.stringify(phases)}\n`);
