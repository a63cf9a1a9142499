// The Uses page's challenges: data and pure checks of its snapshots (the anomaly experiment's
// result under `anomaly`: the class held out, the autoencoder's AUC and PCA's), unit-tested in
// Node on recorded states (e2e/unit/).

/**
 * @typedef {{settings: {dataset: string}, anomaly: {held_out: number, auc: number, pca_auc: number}|null}} Snapshot
 */

/** @type {import('../lib/challenges.js').Challenge[]} */
export const CHALLENGES = [
  {
    id: 'beat-pca',
    goal: 'Hold out a class and train the anomaly detector until the autoencoder\u2019s AUC beats PCA\u2019s.',
    hint: 'Run the anomaly experiment; if PCA wins, give the autoencoder more training images or epochs.',
    why: 'Both score an image by how badly it is rebuilt from a few numbers. PCA keeps the best flat subspace of the normal digits; the autoencoder can bend its code around them, so it rebuilds normal digits better and the held-out class stands out more — once it has seen enough of them to learn that shape.',
    check(state, mem) {
      /** @type {Snapshot} */ const s = state.snapshot;
      const a = s.anomaly;
      if (!a) return { verdict: { status: 'open' }, memory: mem };
      if (a.auc > a.pca_auc) return { verdict: { status: 'done' }, memory: mem };
      return { verdict: { status: 'failed', note: `With ${a.held_out} held out the autoencoder's AUC is ${a.auc.toFixed(3)}, PCA's ${a.pca_auc.toFixed(3)}: PCA wins this time. Train on more images, or for more epochs.` }, memory: mem };
    },
  },
  {
    id: 'every-class',
    goal: 'Hold out each of the ten classes in turn: which one is the easiest to catch as an anomaly?',
    hint: 'Change the class held out and run again; the page keeps each AUC you reach.',
    why: 'A class is easy to catch when it looks unlike everything the model did see: its images are rebuilt badly, so their errors sit apart from the normal ones. A class that shares strokes with others (a 4 with 9s, a 7 with 1s) is rebuilt almost as well as the normal digits and hides among them.',
    check(state, mem) {
      /** @type {Snapshot} */ const s = state.snapshot;
      /** @type {Record<string, Record<string, number>>} */ const seen = { ...(mem || {}) };
      const a = s.anomaly;
      if (a) seen[s.settings.dataset] = { ...(seen[s.settings.dataset] || {}), [a.held_out]: a.auc };
      const mine = Object.entries(seen[s.settings.dataset] || {});
      if (!mine.length) return { verdict: { status: 'open' }, memory: seen };
      const [best, auc] = mine.reduce((x, y) => (y[1] > x[1] ? y : x));
      const note = `${mine.length} of 10 classes tried; the best so far is ${best} (AUC ${auc.toFixed(3)}).`;
      return { verdict: { status: mine.length === 10 ? 'done' : 'open', note }, memory: seen };
    },
  },
];
