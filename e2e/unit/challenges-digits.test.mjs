// The Digits Lab's challenge checks on answers recorded from the real job with the shipped
// 2-D MNIST model (digits.fixtures.json, made by record-digits.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CHALLENGES, hasLoop, readAt, straightBack } from '../../web/challenges/digits.js';

/** @type {{snapshot: any, events: {name: string, event: any}[]}} */
const rec = JSON.parse(readFileSync(new URL('./digits.fixtures.json', import.meta.url), 'utf8'));
/** @param {string} name */
const ev = (name) => {
  const e = rec.events.find((x) => x.name === name);
  if (!e) throw new Error(`no recorded event ${name}`);
  return e.event;
};
/**
 * Feeds events to one challenge's check as the page does (each beside the snapshot); returns
 * the last verdict.
 * @param {string} id
 * @param {any[]} events
 * @param {any} [snapshot]
 */
function feed(id, events, snapshot = rec.snapshot) {
  const c = /** @type {any} */ (CHALLENGES.find((x) => x.id === id));
  let memory;
  let verdict = { status: 'open' };
  for (const event of events) ({ verdict, memory } = c.check({ snapshot, event }, memory));
  return verdict;
}

test('the map is read by its own dots: a dot of the map reads as its class where its class crowds', () => {
  const { codes, labels } = rec.snapshot.data;
  let agree = 0;
  for (let i = 0; i < 500; i++) if (readAt(rec.snapshot.data, [codes[2 * i], codes[2 * i + 1]]).label === labels[i]) agree++;
  // the shipped 2-D model keeps most test images among their own class
  assert.ok(agree > 300, `${agree} of 500`);
});

test('a looped and an unlooped 2: one kind is not enough, both in their own places are', () => {
  const looped = ev('stamp-two-looped');
  const open = ev('stamp-two-open');
  assert.ok(hasLoop(looped.image) && !hasLoop(open.image));
  const one = feed('two-twos', [looped, looped]);
  assert.equal(one.status, 'open');
  assert.match(one.note || '', /A looped 2 stamped: now find one without a loop/);
  const seven = feed('two-twos', [ev('stamp-seven')]);
  assert.equal(seven.status, 'open');
  assert.match(seven.note || '', /among the 7s/);
  assert.equal(feed('two-twos', [open, ev('stamp-seven'), looped]).status, 'done');
  // both kinds stamped at the same spot of the map do not count as two places
  const beside = feed('two-twos', [open, { ...looped, at: open.at }]);
  assert.equal(beside.status, 'open');
  assert.match(beside.note || '', /side by side/);
  // another map (a model in training moved on): the stamps made on the old one do not count
  const moved = { ...rec.snapshot, step: rec.snapshot.step + 1 };
  const c = /** @type {any} */ (CHALLENGES.find((x) => x.id === 'two-twos'));
  const first = c.check({ snapshot: rec.snapshot, event: open }, undefined);
  assert.equal(c.check({ snapshot: moved, event: looped }, first.memory).verdict.status, 'open');
});

test('a 9 into a 7: done from a 9 to a 7, not the other way round', () => {
  assert.equal(feed('nine-to-seven', [ev('seven-to-nine')]).status, 'open');
  assert.match(feed('nine-to-seven', [ev('seven-to-nine')]).note || '', /from a 7 to a 9/);
  assert.equal(feed('nine-to-seven', [ev('nine-to-seven')]).status, 'done');
});

test('a letter B lands among the 8s and is told from a drawn 8 by its straight back', () => {
  assert.ok(straightBack(ev('drawn-b').pixels));
  assert.ok(!straightBack(ev('drawn-8').pixels));
  assert.equal(feed('letter-b', [ev('drawn-b')]).status, 'done');
  const eight = feed('letter-b', [ev('drawn-8')]);
  assert.equal(eight.status, 'failed');
  // a test image loaded is not a drawing: nothing changes
  assert.equal(feed('letter-b', [{ ...ev('drawn-b'), source: 'test', label: 8 }]).status, 'open');
});

test('a fixed point that is another digit: done when a digit drifts, failed when it stays itself', () => {
  const stays = feed('fixed-point', [ev('iterate-same')]);
  assert.equal(stays.status, 'failed');
  assert.match(stays.note || '', /the digit it started as/);
  assert.equal(feed('fixed-point', [ev('iterate-same'), ev('iterate-other')]).status, 'done');
  assert.equal(feed('fixed-point', [{ ...ev('iterate-other'), fixed: false }]).status, 'open');
});

test('2 numbers or 30: done on a digit the 2-D code rebuilds as another and the 30-D code rebuilds right', () => {
  const right = feed('two-or-thirty', [ev('compare-right')]);
  assert.equal(right.status, 'open');
  assert.match(right.note || '', /2-number code rebuilt this (\d) as a \1,/);
  assert.equal(feed('two-or-thirty', [ev('compare-right'), ev('compare-wrong')]).status, 'done');
});

test('an event for one challenge leaves the others as they were; other data sets are said', () => {
  const c = /** @type {any} */ (CHALLENGES.find((x) => x.id === 'letter-b'));
  const failed = c.check({ snapshot: rec.snapshot, event: ev('drawn-8') }, undefined);
  const after = c.check({ snapshot: rec.snapshot, event: ev('nine-to-seven') }, failed.memory);
  assert.deepEqual(after.verdict, failed.verdict);
  const fashion = { ...rec.snapshot, map: { ...rec.snapshot.map, dataset: 'fashion-mnist' } };
  const v = feed('letter-b', [ev('drawn-b')], fashion);
  assert.equal(v.status, 'open');
  assert.match(v.note || '', /MNIST model/);
});
