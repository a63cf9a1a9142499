// The Glass Box's challenge checks on states recorded from the real job (glass.fixtures.json,
// made by record-glass.mjs): each passes on a state that meets it and not on one that does not.
// Run: `node --test unit/` from e2e/ (scripts/test does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { feed as feedOne } from './job.mjs';
import { CHALLENGES } from '../../web/challenges/glass.js';

/** @type {Record<string, any[]>} */
const runs = JSON.parse(readFileSync(new URL('./glass.fixtures.json', import.meta.url), 'utf8'));
/** @param {string} id @param {any[]} snapshots */
const feed = (id, snapshots) => feedOne(CHALLENGES, id, snapshots);

test('every pattern rebuilt below 0.05: done when trained, not before; a stuck seed is told to change', () => {
  assert.equal(feed('all-twelve', [runs.seed1[0]]).status, 'open');
  assert.equal(feed('all-twelve', runs.seed1).status, 'done');
  const stuck = feed('all-twelve', runs.stuck);
  assert.equal(stuck.status, 'failed');
  assert.match(stuck.note || '', /stuck in a poor minimum/);
});

test('learning rates 0.5 and 0.02 compared: done once both ran 2,000 epochs from the start', () => {
  assert.equal(feed('fast-slow', runs.lr05).status, 'open');
  const both = feed('fast-slow', [...runs.lr05, ...runs.lr002]);
  assert.equal(both.status, 'done');
  assert.match(both.note || '', /At 0\.5: .*; at 0\.02: /);
  // a rate changed part-way through a run does not count
  const late = { ...runs.lr002[1], settings: { ...runs.lr002[1].settings, lr: 0.5 } };
  assert.equal(feed('fast-slow', [...runs.lr002, late]).status, 'open');
});

test('momentum 0 and 0.9 compared at the same learning rate', () => {
  assert.equal(feed('momentum', runs.mom0).status, 'open');
  assert.equal(feed('momentum', [...runs.mom0, ...runs.mom09]).status, 'done');
  const other = runs.mom09.map((s) => ({ ...s, settings: { ...s.settings, lr: 0.3 } }));
  const v = feed('momentum', [...runs.mom0, ...other]);
  assert.equal(v.status, 'open');
  assert.match(v.note || '', /compare them at the same rate/);
});

test('an input none of the twelve, rebuilt badly, once trained', () => {
  assert.equal(feed('unseen', [runs.unseen[0]]).status, 'open');
  assert.equal(feed('unseen', runs.seed1).status, 'open');
  // two opposite corners, none of the twelve: rebuilt as something it knows, far off
  assert.equal(feed('unseen', runs.unseen).status, 'done', JSON.stringify({ error: runs.unseen[1].error }));
});

test('two seeds give the top row two codes', () => {
  assert.equal(feed('seeds', runs.seed1).status, 'open');
  assert.equal(feed('seeds', [...runs.seed1, ...runs.seed2]).status, 'done');
});

test('the pattern that drives the first bottleneck neuron highest, loaded once trained', () => {
  assert.equal(feed('neuron', runs.otherLoaded).status, 'open');
  assert.equal(feed('neuron', runs.topLoaded).status, 'done');
  assert.equal(feed('neuron', [runs.topLoaded[0]]).status, 'open');
});
