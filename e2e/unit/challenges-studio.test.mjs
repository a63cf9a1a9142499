// The Model Studio's challenge checks on states recorded from the real job
// (studio.fixtures.json, made by record-studio.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CHALLENGES } from '../../web/challenges/studio.js';

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
