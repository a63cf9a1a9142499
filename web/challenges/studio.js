// The Model Studio's challenges: data and pure checks of its snapshots (the settings, the
// model's parameter count under `arch`, the epoch history) and of the first layer's filters
// when the page draws them (`state.filters`), unit-tested in Node on recorded states
// (e2e/unit/).

/**
 * @typedef {{settings: {dataset: string}, arch: {params?: number}, history: {epoch: number, val_loss: number|null, partial: boolean}[]}} Snapshot
 */

/** The goal of the small-model challenge. */
export const SMALL = { params: 30_000, mse: 0.035 };

/**
 * How much a 28×28 filter looks like a stroke, read from its weights inside the 20×20 box
 * where MNIST's digits are drawn (pixels outside it are always blank, so their weights never
 * move from where they started): `smooth`, the correlation of neighbouring weights (about 0
 * for random weights); `size`, the pixels within half of its strongest weight's value on that
 * weight's side; `elongation`, the square root of the ratio of those pixels' spread along
 * their main axis and across it (1 for a round blob).
 * @param {ArrayLike<number>} w
 */
export function strokeShape(w) {
  const inBox = (/** @type {number} */ i) => {
    const x = i % 28;
    const y = (i - x) / 28;
    return x >= 4 && x < 24 && y >= 4 && y < 24;
  };
  let top = 0;
  let sign = 1;
  for (let i = 0; i < 784; i++) {
    if (inBox(i) && Math.abs(w[i]) > top) {
      top = Math.abs(w[i]);
      sign = Math.sign(w[i]);
    }
  }
  let num = 0;
  let den = 0;
  for (let i = 0; i < 784; i++) {
    if (!inBox(i)) continue;
    for (const j of [i + 1, i + 28]) {
      if (j >= 784 || !inBox(j)) continue;
      num += w[i] * w[j];
      den += (w[i] * w[i] + w[j] * w[j]) / 2;
    }
  }
  let mass = 0;
  let sx = 0;
  let sy = 0;
  let size = 0;
  /** @type {[number, number, number][]} */ const strong = [];
  for (let i = 0; i < 784; i++) {
    const v = sign * w[i];
    if (!inBox(i) || v <= 0.5 * top) continue;
    const x = i % 28;
    const y = (i - x) / 28;
    strong.push([x, y, v]);
    mass += v;
    sx += v * x;
    sy += v * y;
    size++;
  }
  const cx = sx / mass;
  const cy = sy / mass;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (const [x, y, v] of strong) {
    xx += (v * (x - cx) ** 2) / mass;
    yy += (v * (y - cy) ** 2) / mass;
    xy += (v * (x - cx) * (y - cy)) / mass;
  }
  const half = (xx + yy) / 2;
  const root = Math.sqrt(Math.max(0, half * half - (xx * yy - xy * xy)));
  return { smooth: den > 0 ? num / den : 0, size, elongation: Math.sqrt((half + root) / Math.max(half - root, 1e-6)) };
}

/** What makes a filter a stroke detector: smooth, a few strong pixels, in a line. */
export const STROKE = { smooth: 0.5, elongation: 2.5, size: [6, 80] };

/** @param {{smooth: number, size: number, elongation: number}} f */
export const isStroke = (f) => f.smooth >= STROKE.smooth && f.elongation >= STROKE.elongation && f.size >= STROKE.size[0] && f.size <= STROKE.size[1];

/**
 * A blown-up run, in numbers: on MNIST with MSE, a model whose output has gone blank scores
 * about 0.11 (the mean squared pixel), and one that outputs the mean image about 0.067; a
 * model that learns at all is far below both within a hundred steps.
 */
export const BLOWN = { loss: 0.09, after: 50, rescued: 0.05, tried: 200 };

/**
 * The loss of the last few steps of a run (their median: one noisy batch does not count).
 * @param {{run: {losses: [number, number][]}}} s
 */
export function recentLoss(s) {
  const last = s.run.losses.slice(-9).map((p) => p[1]).sort((a, b) => a - b);
  return last.length ? last[last.length >> 1] : NaN;
}

/** @type {import('../lib/challenges.js').Challenge[]} */
export const CHALLENGES = [
  {
    id: 'small-and-good',
    goal: `On MNIST, reach a validation MSE below ${SMALL.mse} with a model of fewer than ${SMALL.params.toLocaleString('en')} parameters.`,
    hint: 'The presets are far bigger. Try one hidden layer of 16 and a code of 8 (about 26,000 parameters), and a few epochs.',
    why: 'Most of a dense autoencoder\u2019s parameters sit in its first and last layers (784 \u00d7 width each way), so the width next to the pixels sets its size. A narrow model still learns the strokes most digits share; what it gives up is detail, which the validation error shows as a floor it cannot go below however long it trains.',
    check(state, mem) {
      /** @type {Snapshot} */ const s = state.snapshot;
      const params = s.arch.params || 0;
      const best = Math.min(...s.history.filter((r) => !r.partial && r.val_loss !== null).map((r) => /** @type {number} */ (r.val_loss)));
      if (s.settings.dataset !== 'mnist' || !Number.isFinite(best)) return { verdict: { status: 'open' }, memory: mem };
      if (params < SMALL.params && best < SMALL.mse) return { verdict: { status: 'done' }, memory: mem };
      const note = params >= SMALL.params
        ? `This model has ${params.toLocaleString('en')} parameters: make it smaller.`
        : `Validation MSE ${best.toFixed(4)} so far, with ${params.toLocaleString('en')} parameters.`;
      return { verdict: { status: 'open', note }, memory: mem };
    },
  },
  {
    id: 'code-size',
    goal: 'Train the same model with a code of 2 numbers and with one of 16 or more, an epoch each: how much worse does 2 rebuild?',
    hint: 'Keep the hidden layers, set the code size to 2 and train one epoch; then set it to 32 and train again. The page remembers both.',
    why: 'Every image has to pass through the code, so its size caps what survives: two numbers can say roughly which digit and how it leans, thirty-two keep the strokes. The error falls steeply for the first few numbers and slowly after: the first ones carry what most images share, the later ones the details of a few.',
    check(state, mem) {
      /** @type {Snapshot & {settings: {layers: string, kind: string, latent: number, variant: string}}} */ const s = state.snapshot;
      /** @type {Record<string, Record<string, number>>} */ const seen = { ...((mem && mem.seen) || {}) };
      const last = (mem && mem.verdict) || { status: 'open' };
      const done = s.history.filter((r) => !r.partial && r.val_loss !== null);
      if (state.filters || !done.length || s.settings.dataset !== 'mnist') return { verdict: last, memory: { seen, verdict: last } };
      const key = `${s.settings.kind}:${s.settings.layers}:${s.settings.variant}`;
      const best = Math.min(...done.map((r) => /** @type {number} */ (r.val_loss)));
      seen[key] = { ...(seen[key] || {}), [s.settings.latent]: Math.min(best, (seen[key] || {})[s.settings.latent] ?? Infinity) };
      const mine = seen[key];
      const wide = Object.keys(mine).map(Number).filter((k) => k >= 16).sort((a, b) => b - a)[0];
      /** @type {import('../lib/challenges.js').Verdict} */ let verdict;
      if (mine[2] !== undefined && wide !== undefined) {
        verdict = { status: 'done', note: `A code of 2: validation MSE ${mine[2].toFixed(4)}; of ${wide}: ${mine[wide].toFixed(4)} (${(mine[2] / mine[wide]).toFixed(1)}\u00d7 lower).` };
      } else {
        verdict = { status: 'open', note: mine[2] !== undefined ? `A code of 2: validation MSE ${mine[2].toFixed(4)}. Now the same layers with a code of 16 or more.` : `A code of ${s.settings.latent}: validation MSE ${best.toFixed(4)}. Now the same layers with ${s.settings.latent >= 16 ? 'a code of 2' : 'codes of 2 and of 16 or more'}.` };
      }
      return { verdict, memory: { seen, verdict } };
    },
  },
  {
    id: 'blow-up',
    goal: 'Blow training up with a learning rate far too high; then rescue it: lower the rate mid-run, and if that does not bring it back, find what does.',
    hint: 'Set the learning rate to 0.5 and train: the loss jumps to about 0.11 and stays. Then set it to 0.001 while it trains, and watch.',
    why: 'One step at a huge rate throws the weights so far that every ReLU in a layer outputs zero for every image and the sigmoid output saturates: their gradients are zero, so no learning rate, however small, can move them again — the model is dead, not just lost. With Adam this happens in the first steps from 0.02 up (measured here on the default model); 0.01 still trains. Lowering the rate mid-run rescues a run that is only wobbling; a dead one has to start again, at a rate that does not kill it.',
    check(state, mem) {
      /** @type {{settings: {dataset: string, loss: string, lr: number}, step: number, run: {losses: [number, number][]}}} */ const s = state.snapshot;
      const m = { blown: null, lowered: null, verdict: { status: 'open' }, step: 0, ...(mem || {}) };
      if (state.filters || s.settings.dataset !== 'mnist' || s.settings.loss !== 'mse') return { verdict: m.verdict, memory: m };
      // a new run (Reset, or settings that start again) forgets this run's rates, not the blow-up
      const fresh = s.step < m.step;
      m.step = s.step;
      const loss = recentLoss(s);
      /** @param {import('../lib/challenges.js').Verdict} verdict */
      const say = (verdict) => ({ verdict, memory: { ...m, verdict } });
      if (!m.blown) {
        if (s.step >= BLOWN.after && loss >= BLOWN.loss) {
          m.blown = { lr: s.settings.lr, step: s.step };
          return say({ status: 'open', note: `Blown up at learning rate ${s.settings.lr}: the loss sits at ${loss.toFixed(3)}, what a blank output scores. Now lower the rate without starting again.` });
        }
        return say(m.verdict);
      }
      if (fresh) {
        m.lowered = null;
        m.restarted = true;
      }
      if (!m.restarted && !m.lowered && s.settings.lr <= m.blown.lr / 10) m.lowered = { step: s.step };
      if (loss < BLOWN.rescued && (m.lowered || m.restarted)) {
        return say({ status: 'done', note: m.restarted ? 'Rescued by starting again at a lower rate.' : 'Rescued mid-run by the lower rate.' });
      }
      if (m.lowered && s.step - m.lowered.step >= BLOWN.tried) {
        return say({ status: 'failed', note: `${s.step - m.lowered.step} steps at ${s.settings.lr} and the loss is still ${loss.toFixed(3)}: lowering the rate did not bring it back. Why not? Start again (Reset) at a rate that trains, and it learns.` });
      }
      return say(m.verdict);
    },
  },
  {
    id: 'stroke-filter',
    goal: 'Train a dense model until one of its first-layer filters has become a stroke detector: a short, smooth line of strong weights.',
    hint: 'Keep “First-layer filters” in view while a dense model trains for two or three epochs. Random weights look like static; watch for a filter with one bright bar.',
    why: 'A unit of the first layer adds up the pixels under its weights, so it fires most for an image shaped like its filter. Digits are made of strokes, and a unit that answers to one stroke in one place is useful to rebuild many digits; gradient descent finds such units without being shown a single stroke. Conv models find the same: edge and line kernels.',
    check(state, mem) {
      /** @type {{height: number, width: number, shown: number, values: ArrayLike<number>}|undefined} */ const f = state.filters;
      const last = mem || { verdict: { status: 'open' } };
      if (!f) return { verdict: last.verdict, memory: last };
      if (f.height !== 28 || f.width !== 28) {
        const verdict = { status: /** @type {const} */ ('open'), note: 'This model’s first layer is a conv layer: its 3×3 kernels are edge detectors already. Pick a dense model to see strokes.' };
        return { verdict, memory: { verdict } };
      }
      const per = f.values.length / f.shown;
      const shapes = Array.from({ length: f.shown }, (_, i) => strokeShape(Array.prototype.slice.call(f.values, i * per, i * per + 784)));
      const found = shapes.findIndex(isStroke);
      if (found >= 0) {
        const verdict = { status: /** @type {const} */ ('done'), note: `Filter ${found + 1} is one.` };
        return { verdict, memory: { verdict } };
      }
      const smoothest = Math.max(...shapes.map((x) => x.smooth));
      const verdict = {
        status: /** @type {const} */ ('open'),
        note: smoothest < STROKE.smooth
          ? `None yet: the smoothest filter’s neighbouring weights agree ${smoothest.toFixed(2)} of the way (a stroke needs ${STROKE.smooth}). Train on.`
          : 'Some filters have smoothed into blobs, none into a line yet. Train on.',
      };
      return { verdict, memory: { verdict } };
    },
  },
];
