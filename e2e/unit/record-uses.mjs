// Records the Uses page's anomaly results the challenge tests check (uses.fixtures.json), from
// the real job on a real server: `node --experimental-websocket unit/record-uses.mjs` from
// e2e/, with HOURGLASS_BIN and HOURGLASS_TEST_DATA set. One small run (2,000 training images,
// one epoch) per class held out; each state is the snapshot with its result, trimmed.
import { writeFileSync } from 'node:fs';
import { startServer } from '../server.js';
import { openJob } from './job.mjs';

const server = await startServer();
const job = await openJob(server.url, 'uses');
/** @type {any[]} */ const states = [];
for (let c = 0; c < 10; c++) {
  job.send({ type: 'configure', experiment: 'anomaly', train_size: 2000, epochs: 1, held_out: c });
  await job.until((s) => s.settings.held_out === c);
  job.send({ type: 'play' });
  const s = await job.until((x) => x.anomaly && x.anomaly.held_out === c);
  states.push({ settings: { dataset: s.settings.dataset }, anomaly: s.anomaly });
  console.log(c, s.anomaly.auc, s.anomaly.pca_auc);
}
job.close();
server.stop();
writeFileSync(new URL('./uses.fixtures.json', import.meta.url), `${JSON.stringify(states)}\n`);
