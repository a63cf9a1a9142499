// Records two Model Studio runs that differ only in the code's size (studio-codes.fixtures.json),
// from the real job on a real server: `node --experimental-websocket unit/record-studio-codes.mjs`
// from e2e/, with HOURGLASS_BIN and HOURGLASS_TEST_DATA set (under a minute). One hidden layer
// of 64, codes of 2 and of 32, one epoch each on all 60,000 MNIST training images; each state is the
// snapshot after the epoch, trimmed to what the checks read.
import { writeFileSync } from 'node:fs';
import { startServer } from '../server.js';
import { openJob } from './job.mjs';

/** @param {any} s */
const trim = (s) => ({ settings: { dataset: s.settings.dataset, kind: s.settings.kind, layers: s.settings.layers, latent: s.settings.latent, variant: s.settings.variant }, arch: { params: s.arch.params }, history: s.history.map((/** @type {any} */ r) => ({ epoch: r.epoch, val_loss: r.val_loss, partial: r.partial })) });

const server = await startServer();
/** @type {any[]} */ const states = [];
for (const latent of [2, 32]) {
  const job = await openJob(server.url, 'studio');
  job.send({ type: 'configure', layers: '64', latent, train_size: 60000, epochs: 1 });
  await job.until((s) => s.settings.latent === latent && s.settings.layers === '64' && s.arch.params > 0);
  job.send({ type: 'play' });
  states.push(trim(await job.until((s) => s.epochs_done >= 1 && s.history.length >= 1)));
  console.log(latent, states[states.length - 1].history[0].val_loss);
  job.close();
}
server.stop();
writeFileSync(new URL('./studio-codes.fixtures.json', import.meta.url), `${JSON.stringify(states)}\n`);
