// Records the Uses page's anomaly results the challenge tests check (uses.fixtures.json), from
// the real job on a real server: `node --experimental-websocket unit/record-uses.mjs` from
// e2e/, with HOURGLASS_BIN and HOURGLASS_TEST_DATA set. One small run (2,000 training images,
// one epoch) per class held out; each state is the snapshot with its result, trimmed.
import { writeFileSync } from 'node:fs';
import { startServer } from '../server.js';
import { decodeFrame } from '../../web/lib/frames.js';

const server = await startServer();
const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws?page=uses`);
ws.binaryType = 'arraybuffer';
/** @type {any[]} */ const seen = [];
ws.onmessage = (ev) => {
  const m = typeof ev.data === 'string' ? JSON.parse(ev.data) : decodeFrame(ev.data);
  if (m.type === 'snapshot') seen.push(m);
};
await new Promise((r) => { ws.onopen = r; });
const until = async (/** @type {(s: any) => boolean} */ p) => {
  for (;;) {
    const s = seen.find(p);
    if (s) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
};
/** @type {any[]} */ const states = [];
for (let c = 0; c < 10; c++) {
  ws.send(JSON.stringify({ type: 'configure', experiment: 'anomaly', train_size: 2000, epochs: 1, held_out: c }));
  await until((s) => s.settings.held_out === c);
  ws.send(JSON.stringify({ type: 'play' }));
  const s = await until((x) => x.anomaly && x.anomaly.held_out === c);
  states.push({ settings: { dataset: s.settings.dataset }, anomaly: s.anomaly });
  console.log(c, s.anomaly.auc, s.anomaly.pca_auc);
}
ws.close();
server.stop();
writeFileSync(new URL('./uses.fixtures.json', import.meta.url), `${JSON.stringify(states)}\n`);
