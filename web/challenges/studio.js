// The Model Studio's challenges: data and pure checks of its snapshots (the settings, the
// model's parameter count under `arch`, the epoch history), unit-tested in Node on recorded
// states (e2e/unit/).

/**
 * @typedef {{settings: {dataset: string}, arch: {params?: number}, history: {epoch: number, val_loss: number|null, partial: boolean}[]}} Snapshot
 */

/** The goal of the small-model challenge. */
export const SMALL = { params: 30_000, mse: 0.035 };

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
];
