// The 3D Latent Explorer's challenge checks on states recorded from the real job
// (latent3d.fixtures.json, made by record-latent3d.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CHALLENGES, longestTrail, seam } from '../../web/challenges/latent3d.js';

/** @type {Record<string, any[]>} */
const runs = JSON.parse(readFileSync(new URL('./latent3d.fixtures.json', import.meta.url), 'utf8'));
const byId = Object.fromEntries(CHALLENGES.map((c) => [c.id, c]));
/** @param {string} id @param {any} snapshot */
const verdict = (id, snapshot) => byId[id].check({ snapshot }, undefined).verdict;

test('the autoencoder five times below PCA on the Swiss roll: not at the start, done once trained; not on another shape', () => {
  assert.equal(verdict('beat-pca', runs.roller[0]).status, 'open');
  assert.equal(verdict('beat-pca', runs.roller[1]).status, 'done');
  assert.equal(verdict('beat-pca', runs.circle[1]).status, 'open');
});

test('trails below a tenth of epoch 0: open at the start and on a moment of the timeline, done once trained', () => {
  assert.equal(verdict('trails', runs.circle[0]).status, 'open');
  const trained = runs.circle[1];
  assert.ok(longestTrail(trained) < 0.1 * trained.trail_reference);
  assert.equal(verdict('trails', trained).status, 'done');
  assert.equal(verdict('trails', { ...trained, moment: 2 }).status, 'open');
  // the roller after 3,000 epochs is not there yet, and says how far it is
  const roller = verdict('trails', runs.roller[1]);
  assert.equal(roller.status, 'open');
  assert.match(roller.note || '', /% of epoch 0/);
});

test('a one-number code of the circle has a cut: neighbours with codes at opposite ends', () => {
  const cut = seam(runs.circle1[1]);
  assert.ok(cut.apart > 0.2, JSON.stringify(cut));
  assert.equal(verdict('one-number', runs.circle1[1]).status, 'done');
  assert.equal(verdict('one-number', runs.circle1[0]).status, 'open');
  assert.equal(verdict('one-number', runs.circle[1]).status, 'open');
});

test('a flat shape: PCA is exact on the circle, and the autoencoder trained 1,000 epochs and more is compared with it', () => {
  assert.ok(runs.circle[1].pca_error < 1e-9 && runs.circle[1].epoch >= 1000);
  const start = verdict('flat-shape', runs.circle[0]);
  assert.equal(start.status, 'open');
  assert.match(start.note || '', /PCA is exact on this flat shape/);
  const trained = verdict('flat-shape', runs.circle[1]);
  assert.equal(trained.status, 'done');
  // the Swiss roll is not flat: said once it trains
  const roll = verdict('flat-shape', runs.roller[1]);
  assert.equal(roll.status, 'open');
  assert.match(roll.note || '', /it is not flat/);
  // a moment of the timeline is not the run now
  assert.equal(verdict('flat-shape', { ...runs.circle[1], moment: 3 }).status, 'open');
});
