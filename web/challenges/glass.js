// The Glass Box's challenges: data and pure checks of the page's snapshots (no DOM), so they
// are unit-tested in Node on recorded states (e2e/unit/). Each check is
// `(state, memory) → {verdict, memory}`: `state.snapshot` is the page's latest snapshot;
// `memory` is what the check kept from earlier snapshots (undefined at first).

/** The twelve patterns, row by row, and their names. */
export const PATTERNS = [
  '111000000', '000111000', '000000111', '100100100', '010010010', '001001001',
  '100010001', '001010100', '111100100', '001001111', '010111010', '000010000',
];
export const PATTERN_NAMES = [
  'top row', 'middle row', 'bottom row', 'left column', 'middle column', 'right column',
  'diagonal', 'anti-diagonal', 'top-left corner', 'bottom-right corner', 'cross', 'dot',
];

/** Loss a run has to reach to count as learned. */
const LEARNED = 0.05;

/**
 * @typedef {{epoch: number, loss: number|null, settings: {lr: number, momentum: number, seed: number},
 *   run: {losses: [number, number][]}, input: number[], error: number, pattern_errors: number[],
 *   pattern_codes: number[][], top_patterns: number[][]}} Snapshot
 * @typedef {{lr: number, momentum: number, seed: number, epoch: number, clean: boolean}} Run
 * @typedef {{learnedAt: number|null, loss: number, rose: boolean, lr: number, momentum: number}} Reading
 */

/**
 * Follows the run the snapshots belong to: a new one starts when the epoch goes back (Reset)
 * or the seed changes; a run is clean while its learning rate and momentum stay those it
 * started with (set before its first 100 epochs).
 * @param {Run|undefined} run
 * @param {Snapshot} s
 * @returns {Run}
 */
export function follow(run, s) {
  const { lr, momentum, seed } = s.settings;
  if (!run || s.epoch < run.epoch || seed !== run.seed) return { lr, momentum, seed, epoch: s.epoch, clean: s.epoch < 100 };
  if (lr !== run.lr || momentum !== run.momentum) {
    // changed before training got going: the run counts at the new values
    return s.epoch < 100 ? { lr, momentum, seed, epoch: s.epoch, clean: true } : { ...run, epoch: s.epoch, clean: false };
  }
  return { ...run, epoch: s.epoch };
}

/** Epochs a run must last for its comparison (or reach `LEARNED` sooner). */
export const COMPARE_AT = 2000;

/**
 * A run's loss series read for a comparison: the first epoch below `LEARNED` (if any), the
 * loss at `COMPARE_AT` epochs (or the last), and whether the loss rose on the way (by more than
 * 5% from one point to the next: an overshoot).
 * @param {[number, number][]} losses
 */
export function reading(losses) {
  let rose = false;
  /** @type {number|null} */ let learnedAt = null;
  let loss = losses.length ? losses[losses.length - 1][1] : NaN;
  for (let k = 0; k < losses.length; k++) {
    if (k > 0 && losses[k][1] > losses[k - 1][1] * 1.05) rose = true;
    if (learnedAt === null && losses[k][1] < LEARNED) learnedAt = losses[k][0];
    if (losses[k][0] >= COMPARE_AT) {
      loss = losses[k][1];
      break;
    }
  }
  return { learnedAt, loss, rose };
}

/** @param {number[]} input */
const patternOf = (input) => PATTERNS.indexOf(input.map((v) => (v >= 0.5 ? 1 : 0)).join(''));
/** @param {Snapshot} s */
const learned = (s) => s.loss !== null && s.loss < LEARNED;

/**
 * Clean runs at each value of one setting, read once they have lasted `COMPARE_AT` epochs
 * (or learned sooner).
 * @param {'lr'|'momentum'} key
 * @param {number[]} values
 * @param {Snapshot} s
 * @param {{run?: Run, found?: Record<string, Reading>}|undefined} mem
 */
function race(key, values, s, mem) {
  const run = follow(mem?.run, s);
  const found = { ...(mem?.found || {}) };
  const at = run[key];
  if (values.includes(at) && run.clean && !found[at] && (s.epoch >= COMPARE_AT || learned(s))) {
    found[at] = { ...reading(s.run.losses), lr: run.lr, momentum: run.momentum };
  }
  return { run, found };
}

/**
 * What a run showed, in words.
 * @param {string} what @param {Reading|undefined} r
 */
function told(what, r) {
  if (!r) return `${what}: not yet`;
  const got = r.learnedAt !== null ? `learned in ${r.learnedAt} epochs` : `loss ${r.loss.toFixed(3)} after ${COMPARE_AT} epochs`;
  return `${what}: ${got}${r.rose ? ', overshooting on the way (the loss rose)' : ''}`;
}

/** @type {import('../lib/challenges.js').Challenge[]} */
export const CHALLENGES = [
  {
    id: 'all-twelve',
    goal: 'Train until every one of the twelve patterns is rebuilt with an error below 0.05.',
    hint: 'Press Train and watch the error column; if a pattern stays far off after a few thousand epochs, Reset with another seed.',
    why: 'Three numbers are enough for twelve patterns: the encoder has given each its own place in the three-number code, and the decoder has learned to draw each pattern back from its place. The loss is the mean of the twelve errors, so it can look settled while one pattern is still wrong — this check looks at every one.',
    check(state, mem) {
      /** @type {Snapshot} */ const s = state.snapshot;
      const errors = s.pattern_errors;
      if (errors.every((e) => e < LEARNED)) return { verdict: { status: 'done' }, memory: mem };
      const stuck = errors.map((e, k) => [e, k]).filter(([e]) => e >= 0.5).map(([, k]) => PATTERN_NAMES[k]);
      if (s.epoch >= 2000 && stuck.length) {
        return { verdict: { status: 'failed', note: `After ${s.epoch} epochs ${stuck.join(' and ')} ${stuck.length === 1 ? 'is' : 'are'} still wrong: this seed's network is stuck in a poor minimum. Reset with another seed.` }, memory: mem };
      }
      return { verdict: { status: 'open' }, memory: mem };
    },
  },
  {
    id: 'fast-slow',
    goal: 'Train at learning rate 0.5, and again at 0.02, for 2,000 epochs each: which gets the loss lower, and which overshoots?',
    hint: 'Set the learning rate before pressing Train, and press Reset between the two runs (a rate changed mid-run does not count).',
    why: 'The learning rate is the size of each step downhill. Large steps can jump past the bottom of a valley, so the loss bounces up and may never settle; small steps are steady but slow, so after the same number of epochs the loss is still high. Momentum adds to the effective step, which is why a high rate with high momentum blows up.',
    check(state, mem) {
      const m = race('lr', [0.5, 0.02], state.snapshot, mem);
      const [fast, slow] = [m.found['0.5'], m.found['0.02']];
      const note = fast || slow ? `${told('At 0.5', fast)}; ${told('at 0.02', slow)}.` : '';
      return { verdict: { status: fast && slow ? 'done' : 'open', note }, memory: m };
    },
  },
  {
    id: 'momentum',
    goal: 'Train with momentum 0, and again with momentum 0.9 at the same learning rate, for 2,000 epochs each: how far did each get?',
    hint: 'Momentum is the second slider. Reset between the runs; keep the learning rate the same for both.',
    why: 'Momentum keeps a running direction: each step adds most of the last one, so long gentle slopes are crossed much faster and small bumps are rolled over. Without it every step starts from scratch, and the same number of epochs gets far less done.',
    check(state, mem) {
      const m = race('momentum', [0, 0.9], state.snapshot, mem);
      const [none, much] = [m.found['0'], m.found['0.9']];
      if (none && much && none.lr !== much.lr) {
        return { verdict: { status: 'open', note: `Momentum 0 ran at learning rate ${none.lr} and 0.9 at ${much.lr}: compare them at the same rate.` }, memory: { ...m, found: {} } };
      }
      const note = none || much ? `${told('Momentum 0', none)}; ${told('momentum 0.9', much)}.` : '';
      return { verdict: { status: none && much ? 'done' : 'open', note }, memory: m };
    },
  },
  {
    id: 'unseen',
    goal: 'Once the patterns are learned, draw an input that is none of the twelve and see it rebuilt badly (an error above 0.5).',
    hint: 'Click pixels of the input grid; try something unlike every row, column and corner, such as two opposite corners.',
    why: 'The network learned to rebuild twelve pictures, not pictures in general: the encoder puts a new input near the code of a pattern it resembles, and the decoder draws what it knows from there. An autoencoder only reconstructs what looks like its training data — which is what anomaly detection uses.',
    check(state, mem) {
      /** @type {Snapshot} */ const s = state.snapshot;
      if (!learned(s) || patternOf(s.input) >= 0) return { verdict: { status: 'open' }, memory: mem };
      if (s.error > 0.5) return { verdict: { status: 'done' }, memory: mem };
      return { verdict: { status: 'open', note: `Rebuilt with an error of ${s.error.toFixed(2)}: this input is close to a pattern the network knows. Try one further from all twelve.` }, memory: mem };
    },
  },
  {
    id: 'seeds',
    goal: 'Learn the patterns with two different seeds: the top row gets a different code each time, with a similarly small error.',
    hint: 'Train, then change the seed, press Reset and train again; compare the top row\u2019s code in the table.',
    why: 'The seed sets the starting weights, and from each start training finds a different, equally good arrangement: the codes are not meaningful one by one, only as places relative to each other. That is why two trainings of the same autoencoder give different latent spaces.',
    check(state, mem) {
      /** @type {Snapshot} */ const s = state.snapshot;
      /** @type {Record<string, number[]>} */ const codes = { ...(mem?.codes || {}) };
      if (learned(s) && s.pattern_errors[0] < LEARNED) codes[s.settings.seed] = s.pattern_codes[0];
      const seen = Object.entries(codes);
      const apart = seen.some(([a, ca], i) => seen.slice(i + 1).some(([b, cb]) => a !== b && ca.some((v, k) => Math.abs(v - cb[k]) > 0.2)));
      const note = seen.length === 1 ? `Seed ${seen[0][0]}: the top row's code is ${seen[0][1].map((v) => v.toFixed(2)).join(', ')}. Now another seed.` : '';
      return { verdict: { status: apart ? 'done' : 'open', note }, memory: { codes } };
    },
  },
  {
    id: 'neuron',
    goal: 'Once the patterns are learned, load the pattern that drives the first bottleneck neuron the highest.',
    hint: 'Click each pattern below and watch the first bar of the bottleneck.',
    why: 'Each bottleneck neuron has come to respond to some patterns more than others: a crude feature detector the network found on its own. Nothing told it to; the features are whatever lets the decoder tell the patterns apart.',
    check(state, mem) {
      /** @type {Snapshot} */ const s = state.snapshot;
      if (!learned(s)) return { verdict: { status: 'open' }, memory: mem };
      const k = patternOf(s.input);
      if (k >= 0 && k === s.top_patterns[0][0]) return { verdict: { status: 'done' }, memory: mem };
      return { verdict: { status: 'open' }, memory: mem };
    },
  },
];
