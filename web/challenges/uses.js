// The Uses page's challenges: data and pure checks of its snapshots (the anomaly experiment's
// result under `anomaly`: the class held out, the autoencoder's AUC and PCA's; the compression
// ladder's points under `compress`) and of the point the learner opened (`state.picked`),
// unit-tested in Node on recorded states (e2e/unit/).

/**
 * @typedef {{method: string, size: number, bits: number, psnr: number}} Point
 * @typedef {{settings: {dataset: string}, anomaly: {held_out: number, auc: number, pca_auc: number}|null,
 *   compress?: {points: Point[]}|null,
 *   map?: {method: string, source: string, count: number, running: boolean, trust: number|null}|null}} Snapshot
 */

/**
 * JPEG's PSNR at `bits` per image, read off its curve (straight between its points on a log
 * scale of bits); null outside the bits its qualities span.
 * @param {Point[]} points
 * @param {number} bits
 */
export function jpegAt(points, bits) {
  const jpeg = points.filter((p) => p.method === 'jpeg').sort((a, b) => a.bits - b.bits);
  for (let i = 1; i < jpeg.length; i++) {
    const [a, b] = [jpeg[i - 1], jpeg[i]];
    if (bits >= a.bits && bits <= b.bits) {
      const t = (Math.log(bits) - Math.log(a.bits)) / (Math.log(b.bits) - Math.log(a.bits) || 1);
      return a.psnr + t * (b.psnr - a.psnr);
    }
  }
  return null;
}

/**
 * The smallest code whose autoencoder, its code stored in 8 bits a number, is at least as
 * sharp (PSNR) as JPEG at the same bits per image; null when none is.
 * @param {Point[]} points
 */
export function matchesJpeg(points) {
  const ladder = points.filter((p) => p.method === 'ae8').sort((a, b) => a.size - b.size);
  return ladder.find((p) => {
    const j = jpegAt(points, p.bits);
    return j !== null && p.psnr >= j;
  }) || null;
}

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
  {
    id: 'match-jpeg',
    goal: 'Find the smallest code at which the autoencoder (its code in 8 bits a number) is as sharp as JPEG at the same number of bits, and open that point.',
    hint: 'Run the compression ladder, then compare the light blue points with the green line straight above or below them (same bits). Click a point to open it.',
    why: 'JPEG keeps a fixed recipe for any picture: blocks of cosine waves, rounded. The autoencoder learned what digits look like, so a few numbers can say which digit-shaped image it is, where JPEG must still spend bits on every 8×8 block the digit touches. The price is paid once, in the model’s weights (which the bits here leave out, as they leave out JPEG’s tables), and it only works for images like those it learned.',
    check(state, mem) {
      const last = mem || { verdict: { status: 'open' } };
      /** @type {Snapshot} */ const s = state.snapshot;
      /** @type {{method: string, size: number}|undefined} */ const p = state.picked;
      if (!p || !s.compress) return { verdict: last.verdict, memory: last };
      const points = s.compress.points;
      const match = matchesJpeg(points);
      const it = points.find((x) => x.method === p.method && x.size === p.size);
      /** @param {import('../lib/challenges.js').Verdict} verdict */
      const say = (verdict) => ({ verdict, memory: { verdict } });
      if (!it || p.method !== 'ae8') return say({ status: 'open', note: 'Open one of the autoencoder’s points with an 8-bit code (light blue).' });
      const j = jpegAt(points, it.bits);
      const here = `At ${it.size} numbers (${it.bits.toFixed(0)} bits) the autoencoder reaches ${it.psnr.toFixed(1)} dB`;
      if (j === null) return say({ status: 'open', note: `${here}; JPEG cannot make a file that small, so there is nothing to compare: try a larger code.` });
      const vs = `${here}, JPEG ${j.toFixed(1)} dB at those bits.`;
      if (!match) return say({ status: 'failed', note: `${vs} No code on this ladder matches JPEG yet: train the ladder on more images and epochs, and look again.` });
      if (match.size === it.size) return say({ status: 'done', note: vs });
      return say({ status: 'open', note: `${vs} ${it.size < match.size ? 'Not yet: look at larger codes.' : 'It matches, but a smaller code does too.'}` });
    },
  },
  {
    id: 'keep-neighbours',
    goal: 'Map the same codes with PCA and with t-SNE or UMAP: make a map that keeps each image\u2019s neighbours better than PCA\u2019s does.',
    hint: 'In \u201cMaps of the codes\u201d, run PCA, then t-SNE (or UMAP) on the same images; the trustworthiness under each map says how many of its neighbours are real.',
    why: 'PCA keeps the two directions along which the codes vary most, so codes that differ in the other directions land on top of each other. t-SNE and UMAP only try to keep each point\u2019s nearest neighbours near, bending the space as they need: neighbours survive, while the distances between clusters and their sizes mean nothing.',
    check(state, mem) {
      /** @type {Snapshot} */ const s = state.snapshot;
      /** @type {Record<string, Record<string, number>>} */ const seen = { ...((mem && mem.seen) || {}) };
      const last = (mem && mem.verdict) || { status: 'open' };
      const m = s.map;
      if (!m || m.running || m.trust === null || state.picked) return { verdict: last, memory: { seen, verdict: last } };
      const key = `${s.settings.dataset}:${m.source}:${m.count}`;
      seen[key] = { ...(seen[key] || {}), [m.method]: m.trust };
      const mine = seen[key];
      const bent = ['tsne', 'umap'].filter((k) => mine[k] !== undefined).sort((a, b) => mine[b] - mine[a])[0];
      const name = (/** @type {string} */ k) => ({ tsne: 't-SNE', umap: 'UMAP', pca: 'PCA' })[k] || k;
      /** @type {import('../lib/challenges.js').Verdict} */ let verdict;
      if (mine.pca !== undefined && bent && mine[bent] > mine.pca) verdict = { status: 'done', note: `${name(bent)} keeps ${mine[bent].toFixed(3)}, PCA ${mine.pca.toFixed(3)}.` };
      else if (mine.pca !== undefined && bent) verdict = { status: 'failed', note: `${name(bent)} kept ${mine[bent].toFixed(3)}, PCA ${mine.pca.toFixed(3)}: run ${name(bent)} longer, or with another perplexity.` };
      else verdict = { status: 'open', note: `${name(m.method)} keeps ${m.trust.toFixed(3)} of the neighbours here. Now ${m.method === 'pca' ? 't-SNE or UMAP' : 'PCA'} on the same images.` };
      return { verdict, memory: { seen, verdict } };
    },
  },
];
