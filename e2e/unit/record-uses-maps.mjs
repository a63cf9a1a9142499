// Records maps of the same codes by PCA and by t-SNE on the Uses page (uses-maps.fixtures.json),
// from the real job on a real server: `node --experimental-websocket unit/record-uses-maps.mjs`
// from e2e/, with HOURGLASS_BIN and HOURGLASS_TEST_DATA set (about a minute). 2,000 codes;
// each state is the snapshot once the map is finished, trimmed to what the checks read.
import { writeFileSync } from 'node:fs';
import { startServer } from '../server.js';
import { openJob } from './job.mjs';

const server = await startServer();
const job = await openJob(server.url, 'uses');
/** @type {any[]} */ const states = [];
for (const method of ['pca', 'tsne']) {
  const before = job.seen.length;
  job.send({ type: 'configure', experiment: 'project', method, points: 2000 });
  await job.until((s) => job.seen.indexOf(s) >= before && s.settings.method === method);
  const started = job.seen.length;
  job.send({ type: 'play' });
  const s = await job.until((x) => job.seen.indexOf(x) >= started && x.map && x.map.method === method && !x.map.running && x.map.trust !== null);
  states.push({ settings: { dataset: s.settings.dataset }, anomaly: null, map: { method: s.map.method, source: s.map.source, count: s.map.count, running: s.map.running, trust: s.map.trust } });
  console.log(method, s.map.trust);
}
job.close();
server.stop();
writeFileSync(new URL('./uses-maps.fixtures.json', import.meta.url), `${JSON.stringify(states)}\n`);
