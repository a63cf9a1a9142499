// The Uses page's challenge checks on anomaly results recorded from the real job
// (uses.fixtures.json, made by record-uses.mjs: one small run per class held out).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { feed as feedOne } from './job.mjs';
import { CHALLENGES, jpegAt, matchesJpeg } from '../../web/challenges/uses.js';

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

/** @type {{small: any, full: any}} */
const ladders = {
  small: JSON.parse(readFileSync(new URL('./uses-compress.fixtures.json', import.meta.url), 'utf8')),
  full: JSON.parse(readFileSync(new URL('./uses-compress-full.fixtures.json', import.meta.url), 'utf8')),
};
/** @param {any} snapshot @param {{method: string, size: number}[]} picks */
const pick = (snapshot, picks) => {
  const c = /** @type {any} */ (CHALLENGES.find((x) => x.id === 'match-jpeg'));
  let memory;
  let verdict = { status: 'open' };
  for (const picked of picks) ({ verdict, memory } = c.check({ snapshot, picked }, memory));
  return verdict;
};

test('JPEG at equal bits: read off its curve between its qualities, nothing outside them', () => {
  const points = ladders.small.compress.points;
  const jpeg = points.filter((/** @type {any} */ p) => p.method === 'jpeg');
  for (const p of jpeg) assert.ok(Math.abs(/** @type {number} */ (jpegAt(points, p.bits)) - p.psnr) < 1e-9);
  const lo = Math.min(...jpeg.map((/** @type {any} */ p) => p.bits));
  assert.equal(jpegAt(points, lo - 1), null);
});

test('the code that matches JPEG: done when that point is opened; a ladder trained too little says so', () => {
  // three epochs on 10,000 images: no code matches, and opening a point says why
  assert.equal(matchesJpeg(ladders.small.compress.points), null);
  const v = pick(ladders.small, [{ method: 'ae8', size: 64 }]);
  assert.equal(v.status, 'failed');
  assert.match(v.note || '', /No code on this ladder matches JPEG yet/);
  // trained on all 60,000 for 10 epochs: one does
  const full = ladders.full;
  const m = /** @type {any} */ (matchesJpeg(full.compress.points));
  assert.ok(m, 'a code matches JPEG after full training');
  assert.equal(pick(full, [{ method: 'jpeg', size: 50 }]).status, 'open');
  const sizes = full.compress.points.filter((/** @type {any} */ p) => p.method === 'ae8').map((/** @type {any} */ p) => p.size);
  const other = sizes.find((/** @type {number} */ s) => s !== m.size && jpegAt(full.compress.points, full.compress.points.find((/** @type {any} */ p) => p.method === 'ae8' && p.size === s).bits) !== null);
  if (other !== undefined) assert.equal(pick(full, [{ method: 'ae8', size: other }]).status, 'open');
  assert.equal(pick(full, [{ method: 'ae8', size: other ?? m.size }, { method: 'ae8', size: m.size }]).status, 'done');
});

test('a map that keeps neighbours better than PCA: t-SNE after PCA on the same codes', () => {
  /** @type {any[]} */
  const [pca, tsne] = JSON.parse(readFileSync(new URL('./uses-maps.fixtures.json', import.meta.url), 'utf8'));
  assert.ok(tsne.map.trust > pca.map.trust);
  assert.equal(feed('keep-neighbours', [pca]).status, 'open');
  assert.match(feed('keep-neighbours', [pca]).note || '', /PCA keeps 0\.\d{3} of the neighbours here\. Now t-SNE or UMAP/);
  assert.equal(feed('keep-neighbours', [pca, tsne]).status, 'done');
  // a map still running does not count; another set of codes does not pair
  assert.equal(feed('keep-neighbours', [pca, { ...tsne, map: { ...tsne.map, running: true } }]).status, 'open');
  assert.equal(feed('keep-neighbours', [pca, { ...tsne, map: { ...tsne.map, count: 5000 } }]).status, 'open');
  // PCA winning (here, made so) is said
  const v = feed('keep-neighbours', [pca, { ...tsne, map: { ...tsne.map, trust: 0.5 } }]);
  assert.equal(v.status, 'failed');
});
