// The Model Studio's challenge checks on states recorded from the real job
// (studio.fixtures.json, made by record-studio.mjs; studio-filters.fixtures.json, made by
// record-studio-filters.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CHALLENGES, isStroke, strokeShape } from '../../web/challenges/studio.js';

/** @type {Record<string, any[]>} */
const runs = JSON.parse(readFileSync(new URL('./studio.fixtures.json', import.meta.url), 'utf8'));
const small = CHALLENGES.find((c) => c.id === 'small-and-good');
/** @param {any} snapshot */
const verdict = (snapshot) => /** @type {any} */ (small).check({ snapshot }, undefined).verdict;

test('a small model below the target error: not after two epochs, done after three; a big one is told to shrink', () => {
  const [one, two, three] = runs.small;
  assert.ok(three.arch.params < 30_000);
  assert.equal(verdict(one).status, 'open');
  assert.match(verdict(two).note, /Validation MSE 0\.03\d+ so far/);
  assert.equal(verdict(two).status, 'open');
  assert.equal(verdict(three).status, 'done');
  const big = verdict(runs.big[0]);
  assert.equal(big.status, 'open');
  assert.match(big.note, /205,856 parameters: make it smaller/);
});

/** @type {{random: any, trained: any[]}} */
const filters = JSON.parse(readFileSync(new URL('./studio-filters.fixtures.json', import.meta.url), 'utf8'));
/** The filters as the page hands them to the checks. @param {{height: number, width: number, filters: number[][]}} f */
const asShown = (f) => ({ height: f.height, width: f.width, shown: f.filters.length, values: Float32Array.from(f.filters.flat()) });

test('a stroke filter: none among random weights; found after training, and kept when other state comes', () => {
  const c = /** @type {any} */ (CHALLENGES.find((x) => x.id === 'stroke-filter'));
  const snapshot = runs.small[0];
  // random weights: rough, so no stroke, and the note says how smooth the smoothest is
  for (const w of filters.random.filters) assert.ok(strokeShape(w).smooth < 0.3, `${strokeShape(w).smooth}`);
  const first = c.check({ snapshot, filters: asShown(filters.random) }, undefined);
  assert.equal(first.verdict.status, 'open');
  assert.match(first.verdict.note, /None yet: the smoothest filter/);
  // a snapshot without filters keeps the verdict
  assert.deepEqual(c.check({ snapshot }, first.memory).verdict, first.verdict);
  const trained = filters.trained[0];
  assert.ok(trained.strokes > 0);
  const shape = strokeShape(trained.filters[0]);
  assert.ok(isStroke(shape) && shape.elongation >= 2.5 && shape.smooth >= 0.5, JSON.stringify(shape));
  const v = c.check({ snapshot, filters: asShown(trained) }, first.memory).verdict;
  assert.equal(v.status, 'done');
  // the same filters without the strokes among them: not done
  const rest = { ...trained, filters: trained.filters.slice(trained.strokes) };
  assert.equal(c.check({ snapshot, filters: asShown(rest) }, undefined).verdict.status, 'open');
  // a conv model's kernels are said to be something else
  const conv = c.check({ snapshot, filters: { height: 3, width: 3, shown: 1, values: new Float32Array(9) } }, undefined).verdict;
  assert.match(conv.note, /conv layer/);
});

test('a line of strong weights (two pixels wide) is a stroke; a round blob and a random field are not', () => {
  const line = Array.from({ length: 784 }, (_, i) => ((i % 28 === 13 || i % 28 === 14) && i >= 28 * 8 && i < 28 * 20 ? 1 : 0));
  const blob = Array.from({ length: 784 }, (_, i) => (Math.hypot((i % 28) - 14, Math.floor(i / 28) - 14) < 4 ? 1 : 0));
  let s = 7;
  const noise = Array.from({ length: 784 }, () => ((s = (s * 16807) % 2147483647) / 2147483647) - 0.5);
  assert.ok(isStroke(strokeShape(line)), JSON.stringify(strokeShape(line)));
  assert.ok(!isStroke(strokeShape(blob)), JSON.stringify(strokeShape(blob)));
  assert.ok(!isStroke(strokeShape(noise)), JSON.stringify(strokeShape(noise)));
});

/** @type {Record<'blown'|'lowered'|'again', any[]>} */
const blowup = JSON.parse(readFileSync(new URL('./studio-blowup.fixtures.json', import.meta.url), 'utf8'));
/** Feeds snapshots to the blow-up check in order; returns every verdict. @param {any[]} states */
function blowUp(states) {
  const c = /** @type {any} */ (CHALLENGES.find((x) => x.id === 'blow-up'));
  let memory;
  /** @type {any[]} */ const verdicts = [];
  for (const snapshot of states) {
    const out = c.check({ snapshot }, memory);
    memory = out.memory;
    verdicts.push(out.verdict);
  }
  return verdicts;
}

test('blown up at 0.5, not brought back by 0.001 mid-run, rescued by starting again', () => {
  const blown = blowUp(blowup.blown);
  assert.ok(blown.every((v) => v.status === 'open'));
  assert.match(blown[blown.length - 1].note, /Blown up at learning rate 0.5/);
  const lowered = blowUp([...blowup.blown, ...blowup.lowered]);
  const last = lowered[lowered.length - 1];
  assert.equal(last.status, 'failed');
  assert.match(last.note, /lowering the rate did not bring it back/);
  assert.ok(lowered.every((v) => v.status !== 'done'));
  const all = blowUp([...blowup.blown, ...blowup.lowered, ...blowup.again]);
  assert.equal(all[all.length - 1].status, 'done');
  assert.match(all[all.length - 1].note, /starting again/);
  // a run that never blew up is never done by learning well
  assert.ok(blowUp(blowup.again).every((v) => v.status === 'open'));
});

test('two code sizes of the same layers: done once both are trained, with both errors said', () => {
  /** @type {any[]} */
  const [two, wide] = JSON.parse(readFileSync(new URL('./studio-codes.fixtures.json', import.meta.url), 'utf8'));
  const c = /** @type {any} */ (CHALLENGES.find((x) => x.id === 'code-size'));
  const first = c.check({ snapshot: two }, undefined);
  assert.equal(first.verdict.status, 'open');
  assert.match(first.verdict.note, /A code of 2: validation MSE 0\.\d{4}\. Now the same layers/);
  const both = c.check({ snapshot: wide }, first.memory).verdict;
  assert.equal(both.status, 'done');
  assert.ok(wide.history[0].val_loss < two.history[0].val_loss, 'the wider code rebuilds better');
  assert.match(both.note, /of 32: /);
  // other layers do not pair with the first run
  const other = { ...wide, settings: { ...wide.settings, layers: '128' } };
  assert.equal(c.check({ snapshot: other }, first.memory).verdict.status, 'open');
});
