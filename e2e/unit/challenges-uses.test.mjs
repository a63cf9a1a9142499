// The Uses page's challenge checks on anomaly results recorded from the real job
// (uses.fixtures.json, made by record-uses.mjs: one small run per class held out).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { feed as feedOne } from './job.mjs';
import { CHALLENGES } from '../../web/challenges/uses.js';

/** @type {any[]} */
const runs = JSON.parse(readFileSync(new URL('./uses.fixtures.json', import.meta.url), 'utf8'));
/** @param {string} id @param {any[]} snapshots */
const feed = (id, snapshots) => feedOne(CHALLENGES, id, snapshots);

test('the autoencoder beats PCA: done where it does; where PCA wins the attempt is said', () => {
  const wins = runs.find((s) => s.anomaly.auc > s.anomaly.pca_auc);
  const loses = runs.find((s) => s.anomaly.auc <= s.anomaly.pca_auc);
  assert.equal(feed('beat-pca', [{ settings: { dataset: 'mnist' }, anomaly: null }]).status, 'open');
  assert.equal(feed('beat-pca', [wins]).status, 'done');
  const v = feed('beat-pca', [loses]);
  assert.equal(v.status, 'failed');
  assert.match(v.note || '', /PCA wins this time/);
});

test('every class held out in turn: done at the tenth, naming the easiest to catch', () => {
  assert.equal(feed('every-class', runs.slice(0, 9)).status, 'open');
  // the same class twice counts once
  assert.equal(feed('every-class', [...runs.slice(0, 9), runs[3]]).status, 'open');
  const v = feed('every-class', runs);
  assert.equal(v.status, 'done');
  const best = runs.reduce((a, b) => (b.anomaly.auc > a.anomaly.auc ? b : a)).anomaly.held_out;
  assert.match(v.note || '', new RegExp(`best so far is ${best} `));
});
