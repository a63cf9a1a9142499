// Records the Digits Lab states the challenge tests check (digits.fixtures.json), from the real
// job on a real server: `node --experimental-websocket unit/record-digits.mjs` from e2e/, with
// HOURGLASS_BIN and HOURGLASS_TEST_DATA set. The shipped 2-D MNIST model's map of the 10,000
// test images (positions rounded to 1e-4), and the answers the page turns into events: stamps
// of a looped 2, an unlooped 2 and a 7; interpolations 9 → 7 and 7 → 9; a drawn B and a
// drawn 8; test digits iterated to fixed points (one that stays, one that drifts); and test
// digits through the 2-D and the 30-D model (one the 2-D code rebuilds as another digit, one it
// rebuilds right).
import { writeFileSync } from 'node:fs';
import { startServer } from '../server.js';
import { openJob } from './job.mjs';
import { hasLoop, readAt, straightBack } from '../../web/challenges/digits.js';

/**
 * A drawing as a 28×28 input: ink within `width` / 2 of any of the polylines (grid units).
 * @param {number[][][]} lines
 * @param {number} [width]
 */
export function ink(lines, width = 2.4) {
  const px = new Float32Array(784);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      let best = Infinity;
      for (const line of lines) {
        for (let k = 1; k < line.length; k++) {
          const [ax, ay] = line[k - 1];
          const [bx, by] = line[k];
          const dx = bx - ax;
          const dy = by - ay;
          const t = Math.max(0, Math.min(1, ((x + 0.5 - ax) * dx + (y + 0.5 - ay) * dy) / (dx * dx + dy * dy || 1)));
          best = Math.min(best, Math.hypot(x + 0.5 - ax - t * dx, y + 0.5 - ay - t * dy));
        }
      }
      px[28 * y + x] = Math.max(0, Math.min(1, (width / 2 + 0.5 - best)));
    }
  }
  return Array.from(px, (v) => Math.round(v * 1000) / 1000);
}

/** An arc around (cx, cy) from angle a to b (radians, y down). */
const arc = (/** @type {number} */ cx, /** @type {number} */ cy, /** @type {number} */ r, /** @type {number} */ a, /** @type {number} */ b) =>
  Array.from({ length: 17 }, (_, k) => [cx + r * Math.cos(a + ((b - a) * k) / 16), cy + r * Math.sin(a + ((b - a) * k) / 16)]);

// a B the shipped model puts among its 8s (a narrower one lands among the 3s next to them)
const B = ink([
  [[8, 4], [8, 24]],
  [[8, 4], [14, 4], ...arc(14, 8.5, 4.5, -Math.PI / 2, Math.PI / 2), [8, 13]],
  [[8, 13], [15, 13], ...arc(15, 18.5, 5.5, -Math.PI / 2, Math.PI / 2), [8, 24]],
], 3);

const server = await startServer();
const job = await openJob(server.url, 'digits');
const s = await job.until((x) => x.map && x.map.dataset === 'mnist' && x.data && x.data.codes);
const dots = { codes: Array.from(s.data.codes, (v) => Math.round(v * 1e4) / 1e4), labels: Array.from(s.data.labels) };
const snapshot = { step: s.step, settings: { model: s.settings.model }, map: { dataset: s.map.dataset, count: s.map.count }, data: dots };
const at = (/** @type {number} */ i) => [dots.codes[2 * i], dots.codes[2 * i + 1]];
const indexOf = (/** @type {number} */ label, skip = 0) => dots.labels.map((l, i) => (l === label ? i : -1)).filter((i) => i >= 0)[skip];

/** @type {any[]} */ const events = [];
// stamps: the decoder's image at map 2s (that sit among 2s) until one has a loop and one has
// not; then a stamp among the 7s
/** @type {Record<string, any>} */ const stamps = {};
for (let i = 0; i < dots.labels.length && !(stamps.looped && stamps.open); i++) {
  if (dots.labels[i] !== 2 || readAt(dots, at(i)).label !== 2) continue;
  const d = await job.query('decode', { at: at(i) });
  const kind = hasLoop(d.data.image) ? 'looped' : 'open';
  stamps[kind] ??= { kind: 'stamp', at: at(i), image: Array.from(d.data.image, (v) => Math.round(v * 1000) / 1000) };
}
events.push({ name: 'stamp-two-looped', event: stamps.looped }, { name: 'stamp-two-open', event: stamps.open });
const seven = await job.query('decode', { at: at(indexOf(7)) });
events.push({ name: 'stamp-seven', event: { kind: 'stamp', at: at(indexOf(7)), image: Array.from(seven.data.image, (v) => Math.round(v * 1000) / 1000) } });
// interpolations between map images, as the page asks for them
for (const [name, a, b] of [['nine-to-seven', indexOf(9), indexOf(7)], ['seven-to-nine', indexOf(7, 1), indexOf(9, 1)]]) {
  const [x, y] = [await job.query('sample', { index: a }), await job.query('sample', { index: b })];
  const m = await job.query('interpolate', { a: x.code, b: y.code, steps: 10 });
  events.push({ name, event: { kind: 'interpolate', from: x.label, to: y.label, positions: m.positions } });
}
// drawings: the B, and as a drawn 8 the first test 8 that sits among the 8s (an 8 drawn
// here by the rasteriser above reads as a 3 even in pixels)
let eight = null;
for (let i = 0; !eight; i++) {
  if (dots.labels[i] !== 8 || readAt(dots, at(i)).label !== 8) continue;
  const x = await job.query('sample', { index: i });
  if (!straightBack(x.data.image)) eight = Array.from(x.data.image, (v) => Math.round(v * 1000) / 1000);
}
for (const [name, pixels] of [['drawn-b', B], ['drawn-8', eight]]) {
  const m = await job.query('encode', { pixels });
  events.push({ name, event: { kind: 'encode', source: 'drawing', label: null, pixels, position: m.position } });
  console.log(name, readAt(dots, m.position));
}
// iterate test digits until one settles as its own class and one as another
const found = { same: false, other: false };
for (let i = 0; i < 200 && !(found.same && found.other); i++) {
  const x = await job.query('sample', { index: i });
  const m = await job.query('iterate', { pixels: Array.from(x.data.image), steps: 200 });
  if (!m.fixed) continue;
  const end = readAt(dots, m.positions[m.positions.length - 1]).label;
  const kind = end === x.label ? 'same' : 'other';
  if (found[kind]) continue;
  found[kind] = true;
  events.push({ name: `iterate-${kind}`, event: { kind: 'iterate', label: x.label, fixed: true, positions: m.positions } });
}
// compare test digits until the 2-D code misreads one the 30-D code gets right
const seen = { right: false, wrong: false };
for (let i = 0; i < 500 && !(seen.right && seen.wrong); i++) {
  const x = await job.query('sample', { index: i });
  const m = await job.query('compare', { pixels: Array.from(x.data.image) });
  const two = m.models.find((/** @type {any} */ r) => r.latent === 2);
  const thirty = m.models.find((/** @type {any} */ r) => r.latent === 30);
  const kind = two.read !== x.label && thirty.read === x.label ? 'wrong' : two.read === x.label && thirty.read === x.label ? 'right' : null;
  if (!kind || seen[kind]) continue;
  seen[kind] = true;
  events.push({ name: `compare-${kind}`, event: { kind: 'compare', label: x.label, input_read: m.input_read, models: m.models.map((/** @type {any} */ r) => ({ latent: r.latent, read: r.read })) } });
}
job.close();
server.stop();
console.log(events.map((e) => e.name).join(', '));
writeFileSync(new URL('./digits.fixtures.json', import.meta.url), `${JSON.stringify({ snapshot, events })}\n`);
