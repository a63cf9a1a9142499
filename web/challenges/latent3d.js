// The 3D Latent Explorer's challenges: data and pure checks of its snapshots (header fields and
// the arrays under `data`: points n×3, codes n×k, trails n×k), unit-tested in Node on recorded
// states (e2e/unit/).

/**
 * @typedef {{moment: number|null, epoch: number, n: number, latent: number, ae_error: number|null,
 *   pca_error: number|null, trail_reference: number, settings: {dataset: string, latent: number},
 *   data: {points: ArrayLike<number>, codes: ArrayLike<number>, trails: ArrayLike<number>}}} Snapshot
 */

/**
 * The longest trail (‖−∂L/∂z‖ of one point) in a snapshot.
 * @param {Snapshot} s
 */
export function longestTrail(s) {
  const k = s.latent;
  let longest = 0;
  for (let i = 0; i < s.n; i++) {
    let l2 = 0;
    for (let j = 0; j < k; j++) l2 += s.data.trails[k * i + j] ** 2;
    longest = Math.max(longest, Math.sqrt(l2));
  }
  return longest;
}

/**
 * Where a 1-number code cuts a loop: the two points that are neighbours in 3D but whose codes
 * lie furthest apart, as a fraction of the codes' whole range.
 * @param {Snapshot} s
 */
export function seam(s) {
  const { points, codes } = s.data;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < s.n; i++) {
    lo = Math.min(lo, codes[i]);
    hi = Math.max(hi, codes[i]);
  }
  let worst = { a: 0, b: 0, apart: 0 };
  for (let i = 0; i < s.n; i++) {
    let best = -1;
    let bestD = Infinity;
    for (let j = 0; j < s.n; j++) {
      if (j === i) continue;
      const d = (points[3 * i] - points[3 * j]) ** 2 + (points[3 * i + 1] - points[3 * j + 1]) ** 2 + (points[3 * i + 2] - points[3 * j + 2]) ** 2;
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    const apart = hi > lo ? Math.abs(codes[i] - codes[best]) / (hi - lo) : 0;
    if (apart > worst.apart) worst = { a: i, b: best, apart };
  }
  return worst;
}

/** @type {import('../lib/challenges.js').Challenge[]} */
export const CHALLENGES = [
  {
    id: 'beat-pca',
    goal: 'On the Swiss roll, train until the autoencoder\u2019s error is five times below PCA\u2019s with the same code size.',
    hint: 'Pick the Swiss roll as the dataset and press Train; the two errors are side by side under the views.',
    why: 'PCA can only flatten the roll onto a plane, so points from different turns land on top of each other and are rebuilt wrong. The autoencoder\u2019s layers can bend: it unrolls the sheet into a flat code and rolls it up again, which a linear map cannot do. That is what the nonlinear layers buy.',
    check(state, mem) {
      /** @type {Snapshot} */ const s = state.snapshot;
      if (s.settings.dataset !== 'roller' || !s.ae_error || !s.pca_error) return { verdict: { status: 'open' }, memory: mem };
      const ratio = s.pca_error / s.ae_error;
      if (ratio >= 5) return { verdict: { status: 'done' }, memory: mem };
      return { verdict: { status: 'open', note: s.epoch > 0 ? `The autoencoder is ${ratio.toFixed(1)}\u00d7 below PCA so far.` : '' }, memory: mem };
    },
  },
  {
    id: 'trails',
    goal: 'Train until the longest trail is shorter than a tenth of the longest at epoch 0.',
    hint: 'The trails are the short lines in the latent view: where each code would move to lower the loss. Train and watch them shrink; the figure under the views gives both lengths.',
    why: 'A trail is −∂L/∂z, the gradient of the loss for that point\u2019s code: how much the code would still like to move. As the model fits, every point\u2019s error falls and so does its pull, so the trails shrink towards zero. Long trails that stay mark points the model cannot fit.',
    check(state, mem) {
      /** @type {Snapshot} */ const s = state.snapshot;
      if (s.moment !== null || s.epoch === 0 || !(s.trail_reference > 0)) return { verdict: { status: 'open' }, memory: mem };
      const share = longestTrail(s) / s.trail_reference;
      if (share < 0.1) return { verdict: { status: 'done' }, memory: mem };
      return { verdict: { status: 'open', note: `The longest trail is ${(100 * share).toFixed(0)}% of epoch 0\u2019s.` }, memory: mem };
    },
  },
  {
    id: 'one-number',
    goal: 'Squeeze the circle through a one-number code, train it, and find where the loop is cut.',
    hint: 'Pick the circle and a latent size of 1, then train for a thousand epochs or more.',
    why: 'One number is a line, and a line has two ends: to go once round the circle the code must jump somewhere, so two points side by side on the circle get codes far apart on the line. The error can still be low almost everywhere — the cut is where the decoder has to leap. A loop needs two numbers.',
    check(state, mem) {
      /** @type {Snapshot} */ const s = state.snapshot;
      if (s.settings.dataset !== 'circle' || s.latent !== 1 || s.epoch < 1000) return { verdict: { status: 'open' }, memory: mem };
      const cut = seam(s);
      // neighbours on a circle of n points are about 1/n of the range apart; a fifth is a cut
      if (cut.apart > 0.2) {
        return { verdict: { status: 'done' }, memory: { cut } };
      }
      return { verdict: { status: 'open', note: 'No cut found yet: train on.' }, memory: mem };
    },
  },
  {
    id: 'flat-shape',
    goal: 'Find a shape that PCA squeezes into the code without losing anything, train the autoencoder on it, and see whether it can do better.',
    hint: 'Look at \u201cPCA error\u201d under the views for each dataset: one of them lies in a plane. Train on that one for a thousand epochs or more.',
    why: 'Points that lie in a plane are described exactly by two numbers along it, and PCA finds that plane in one step: its error is zero, and nothing can beat zero. The autoencoder has to learn the same plane by gradient descent, through curved layers, and only creeps towards it. Its bends pay off only where the data bends.',
    check(state, mem) {
      /** @type {Snapshot} */ const s = state.snapshot;
      if (s.pca_error === null || s.ae_error === null) return { verdict: { status: 'open' }, memory: mem };
      if (s.pca_error > 1e-9) return { verdict: { status: 'open', note: s.epoch > 0 ? `PCA loses ${s.pca_error.toFixed(4)} on this shape: it is not flat. Try another.` : '' }, memory: mem };
      if (s.moment === null && s.epoch >= 1000) return { verdict: { status: 'done', note: `After ${s.epoch} epochs the autoencoder is ${s.ae_error.toExponential(1)} away; PCA is exact.` }, memory: mem };
      return { verdict: { status: 'open', note: `PCA is exact on this flat shape. Train the autoencoder for at least 1,000 epochs (${s.epoch} so far).` }, memory: mem };
    },
  },
];
