// Records the Model Studio states the challenge tests check (studio.fixtures.json), from the
// real job on a real server: `node --experimental-websocket unit/record-studio.mjs` from e2e/,
// with HOURGLASS_BIN and HOURGLASS_TEST_DATA set. Each run is its snapshot after every epoch,
// trimmed to what the checks read (settings, the model's parameters, the epoch history).
import { writeFileSync } from 'node:fs';
import { startServer } from '../server.js';
import { openJob } from './job.mjs';

/** @param {any} s */
const trim = (s) => ({ settings: { dataset: s.settings.dataset }, arch: { params: s.arch.params }, epochs_done: s.epochs_done, history: s.history.map((/** @type {any} */ r) => ({ epoch: r.epoch, val_loss: r.val_loss, partial: r.partial })) });

/** @param {string} url @param {Record<string, any>} settings */
async function run(url, settings) {
  const job = await openJob(url, 'studio');
  job.send({ type: 'configure', ...settings });
  await job.until((s) => s.settings.latent === settings.latent && s.arch.params > 0);
  job.send({ type: 'play' });
  const out = [];
  for (let e = 1; e <= settings.epochs; e++) out.push(trim(await job.until((s) => s.epochs_done === e && s.history.length === e)));
  job.close();
  return out;
}

const server = await startServer();
const states = {
  small: await run(server.url, { layers: '16', latent: 8, train_size: 60000, batch: 32, epochs: 3 }),
  big: await run(server.url, { layers: '128', latent: 16, train_size: 10000, batch: 32, epochs: 1 }),
};
server.stop();
writeFileSync(new URL('./studio.fixtures.json', import.meta.url), `${JSON.stringify(states)}\n`);
console.log(JSON.stringify(states));
