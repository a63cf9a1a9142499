// The Digits Lab's challenges: data and pure checks, unit-tested in Node on recorded states
// (e2e/unit/). Most of what a learner does here is a question to the model (encode a drawing,
// stamp a decoded image, interpolate, iterate, compare), so the page hands the checks each
// answer as an event beside its latest snapshot: `state = {snapshot, event}`. A check reads
// where things land by the map's own dots: a spot "reads" as the digit most of its ten nearest
// images show. Each check keeps its last verdict in memory, so an event for another challenge
// leaves its note as it was.

/**
 * @typedef {{codes: ArrayLike<number>, labels: ArrayLike<number>}} Dots the map's images: n×2
 *   positions and their labels
 * @typedef {{step: number, settings: {model: string}, map: {dataset: string, count: number}|null,
 *   data: {codes?: ArrayLike<number>, labels?: ArrayLike<number>}}} Snapshot
 * @typedef {{kind: 'stamp', at: number[], image: ArrayLike<number>}
 *   | {kind: 'encode', source: 'drawing'|'test', label: number|null, pixels: ArrayLike<number>, position: number[]}
 *   | {kind: 'interpolate', from: number|null, to: number|null, positions: number[][]}
 *   | {kind: 'iterate', label: number|null, fixed: boolean, positions: number[][]}
 *   | {kind: 'compare', label: number|null, input_read: number, models: {latent: number, read: number}[]}} Event
 * @typedef {import('../lib/challenges.js').Verdict} Verdict
 */

/** How many of the map's images around a spot say what it reads as. */
export const READ_K = 10;

/**
 * The map's dots, from a snapshot (null while it has none).
 * @param {Snapshot} s
 * @returns {Dots|null}
 */
function dotsOf(s) {
  return s.data && s.data.codes && s.data.labels && s.data.labels.length ? { codes: s.data.codes, labels: s.data.labels } : null;
}

/**
 * The `k` dots nearest to a spot, nearest first (their indices), among those `keep` lets in.
 * @param {Dots} dots
 * @param {number[]} at
 * @param {number} k
 * @param {(i: number) => boolean} [keep]
 */
function nearest(dots, at, k, keep = () => true) {
  /** @type {[number, number][]} */ const near = [];
  for (let i = 0; i < dots.labels.length; i++) {
    if (keep(i)) near.push([(dots.codes[2 * i] - at[0]) ** 2 + (dots.codes[2 * i + 1] - at[1]) ** 2, i]);
  }
  return near.sort((a, b) => a[0] - b[0]).slice(0, k).map((x) => x[1]);
}

/**
 * What a spot on the map reads as: the label most of its `k` nearest dots carry (a tie goes
 * to the label of the nearest), and the share of them that carry it.
 * @param {Dots} dots
 * @param {number[]} at
 * @param {number} [k]
 */
export function readAt(dots, at, k = READ_K) {
  const near = nearest(dots, at, k);
  /** @type {Map<number, number>} */ const votes = new Map();
  for (const i of near) votes.set(dots.labels[i], (votes.get(dots.labels[i]) || 0) + 1);
  let label = dots.labels[near[0]];
  for (const [l, v] of votes) if (v > /** @type {number} */ (votes.get(label))) label = l;
  return { label, share: /** @type {number} */ (votes.get(label)) / near.length };
}

/**
 * The `k` map images of class `label` nearest to a spot (their indices).
 * @param {Dots} dots
 * @param {number} label
 * @param {number[]} at
 * @param {number} [k]
 */
export function nearestOf(dots, label, at, k = READ_K) {
  return nearest(dots, at, k, (i) => dots.labels[i] === label);
}

/**
 * Whether a 28×28 image has a loop: a patch of background (two pixels or more below 0.4)
 * closed in by ink, not reaching the border.
 * @param {ArrayLike<number>} px
 */
export function hasLoop(px) {
  const seen = new Uint8Array(784);
  for (let s = 0; s < 784; s++) {
    if (seen[s] || px[s] > 0.4) continue;
    let open = false;
    let size = 0;
    const stack = [s];
    seen[s] = 1;
    while (stack.length) {
      const i = /** @type {number} */ (stack.pop());
      const x = i % 28;
      const y = (i - x) / 28;
      size++;
      if (x === 0 || y === 0 || x === 27 || y === 27) open = true;
      for (const j of [x > 0 ? i - 1 : -1, x < 27 ? i + 1 : -1, y > 0 ? i - 28 : -1, y < 27 ? i + 28 : -1]) {
        if (j >= 0 && !seen[j] && px[j] <= 0.4) {
          seen[j] = 1;
          stack.push(j);
        }
      }
    }
    if (!open && size >= 2) return true;
  }
  return false;
}

/**
 * Whether a 28×28 drawing has a straight back, as a B has and an 8 has not: in the rows its
 * ink spans, the leftmost inked pixel stays within 1.5 pixels of one column in at least four
 * rows out of five.
 * @param {ArrayLike<number>} px
 */
export function straightBack(px) {
  /** @type {number[]} */ const left = [];
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      if (px[28 * y + x] > 0.4) {
        left.push(x);
        break;
      }
    }
  }
  if (left.length < 10) return false;
  const mid = [...left].sort((a, b) => a - b)[left.length >> 1];
  return left.filter((x) => Math.abs(x - mid) <= 1.5).length >= 0.8 * left.length;
}

/** A name for a class on this page's data set (MNIST: the digit itself). */
const digit = (/** @type {number} */ l) => String(l);

/**
 * Wraps a check of events: it runs on the events it names, on MNIST only, and otherwise
 * keeps the verdict it gave last.
 * @param {Event['kind'][]} kinds
 * @param {(e: any, dots: Dots, s: Snapshot, mem: any) => {verdict: Verdict, memory?: any}} judge
 * @returns {(state: {snapshot: Snapshot, event?: Event}, memory: any) => {verdict: Verdict, memory: any}}
 */
function onEvents(kinds, judge) {
  return (state, memory) => {
    const mem = memory || { verdict: { status: 'open' } };
    const e = state.event;
    const s = state.snapshot;
    const dots = dotsOf(s);
    if (!e || !kinds.includes(e.kind) || !dots) return { verdict: mem.verdict, memory: mem };
    if (!s.map || s.map.dataset !== 'mnist') {
      const verdict = { status: /** @type {const} */ ('open'), note: 'This one is about digits: pick an MNIST model.' };
      return { verdict, memory: { ...mem, verdict } };
    }
    const out = judge(e, dots, s, mem);
    return { verdict: out.verdict, memory: { ...(out.memory || mem), verdict: out.verdict } };
  };
}

/** @type {import('../lib/challenges.js').Challenge[]} */
export const CHALLENGES = [
  {
    id: 'two-twos',
    goal: 'Some people write a 2 with a loop at the bottom, some without. Stamp a looped 2 and an unlooped 2 where the map keeps each (click where the decoder draws them).',
    hint: 'Hide every class but 2 in the legend, then hover along the 2s from one end to the other and watch the bottom of the decoded 2: the loop appears far out at one end.',
    why: 'The model was never told which images are 2s, nor that loops exist. It places images by how they are drawn, so the two ways of writing a 2 end up in different parts of the map, each beside the images they resemble most. A class is a human label; the code is about shape.',
    check: onEvents(['stamp'], (e, dots, s, mem) => {
      const key = `${s.settings.model}:${s.map ? s.map.count : 0}:${s.step}`;
      /** @type {{looped: boolean, near: number[]}[]} */ const stamps = mem.key === key ? [...mem.stamps] : [];
      const memory = { key, stamps };
      const read = readAt(dots, e.at);
      if (read.label !== 2) return { verdict: { status: 'open', note: `That stamp landed among the ${digit(read.label)}s, not the 2s.` }, memory };
      const looped = hasLoop(e.image);
      stamps.push({ looped, near: nearestOf(dots, 2, e.at) });
      // the two kinds in separate places: no map 2 is among the nearest 2s of both stamps
      const apart = stamps.some((a) => a.looped && stamps.some((b) => !b.looped && !a.near.some((i) => b.near.includes(i))));
      if (apart) return { verdict: { status: 'done' }, memory };
      const kinds = new Set(stamps.map((x) => x.looped));
      const note = kinds.size === 2
        ? 'You have both kinds, but side by side among the same 2s: stamp each where its own kind lives.'
        : `${looped ? 'A looped' : 'An unlooped'} 2 stamped: now find ${looped ? 'one without a loop' : 'one with a loop at the bottom'}.`;
      return { verdict: { status: 'open', note }, memory };
    }),
  },
  {
    id: 'nine-to-seven',
    goal: 'Turn a 9 into a 7: interpolate from a 9 on the map to a 7, and watch what happens in between.',
    hint: 'Hover the map to find an image of a 9 and one of a 7 (their numbers show under the map), type them into \u201cBetween two digits\u201d and press Interpolate.',
    why: 'The straight line between two codes is decoded image by image. A 9 and a 7 differ mostly by the 9\u2019s closed loop, so the loop opens gradually; where the line crosses other digits\u2019 ground on the map, the images in between borrow their shapes. The decoder has learned a continuous space, not ten boxes.',
    check: onEvents(['interpolate'], (e, dots) => {
      const reads = e.positions.map((/** @type {number[]} */ p) => readAt(dots, p).label);
      const from = e.from ?? reads[0];
      const to = e.to ?? reads[reads.length - 1];
      const path = reads.filter((/** @type {number} */ l, /** @type {number} */ i) => i === 0 || l !== reads[i - 1]).map(digit).join(' \u2192 ');
      if (from === 9 && to === 7) return { verdict: { status: 'done', note: `On the way: ${path}.` } };
      return { verdict: { status: 'open', note: `That went from a ${digit(from)} to a ${digit(to)} (${path}): start at a 9 and end at a 7.` } };
    }),
  },
  {
    id: 'letter-b',
    goal: 'Draw a capital letter B and see where the model puts it.',
    hint: 'Draw a tall B with a straight back on the pad; its code is the ringed spot on the map.',
    why: 'The model has only ever seen digits, so it has no place for letters: it encodes a B by what it resembles, and two closed bowls on top of each other are what 8s are made of. Its reconstruction is an 8. An autoencoder can only rebuild what its training data taught it.',
    check: onEvents(['encode'], (e, dots) => {
      if (e.source !== 'drawing') return { verdict: { status: 'open' } };
      const read = readAt(dots, e.position);
      const b = straightBack(e.pixels);
      if (read.label === 8 && b) return { verdict: { status: 'done' } };
      if (read.label === 8) return { verdict: { status: 'failed', note: 'It landed among the 8s, but it looks like an 8, not a B: give it a straight back.' } };
      return { verdict: { status: 'failed', note: `Your drawing landed among the ${digit(read.label)}s.${b ? '' : ' A B has a straight back on the left.'}` } };
    }),
  },
  {
    id: 'fixed-point',
    goal: 'Iterate a digit to a fixed point that is not the digit it started as.',
    hint: 'Draw or load a digit and press Iterate. Digits near the border between two groups on the map are the likeliest to drift.',
    why: 'Encoding and decoding again and again pulls a code toward the images the model rebuilds best: a fixed point, where decode then encode gives the same code back. The model has only a few of them, so a digit near the edge of its group can drift across and settle as another digit: the round trip forgets what made it a 4 and keeps what the attractor needs.',
    check: onEvents(['iterate'], (e, dots) => {
      const start = e.label ?? readAt(dots, e.positions[0]).label;
      const end = readAt(dots, e.positions[e.positions.length - 1]).label;
      if (!e.fixed) return { verdict: { status: 'open', note: 'It was still moving when the rounds ran out.' } };
      if (end !== start) return { verdict: { status: 'done', note: `A ${digit(start)} settled as a ${digit(end)}.` } };
      return { verdict: { status: 'failed', note: `It settled as a ${digit(end)}, the digit it started as: try another, one between two groups.` } };
    }),
  },
  {
    id: 'two-or-thirty',
    goal: 'Find a digit that the 2-number code rebuilds as another digit, while the 30-number code rebuilds it right.',
    hint: 'Load test digits (or click dots on the map) and watch \u201c2 numbers or 30?\u201d. Untidy 4s, 5s and 9s are good places to look.',
    why: 'Two numbers can only say roughly where on the map a digit belongs; a digit near a border is rebuilt as whatever lies on its side of it. Thirty numbers keep the strokes themselves, so the reconstruction stays the digit that was drawn. Each reconstruction here is read by its ten nearest images in pixels.',
    check: onEvents(['compare'], (e) => {
      const truth = e.label ?? e.input_read;
      const two = e.models.find((/** @type {{latent: number}} */ m) => m.latent === 2);
      const thirty = e.models.find((/** @type {{latent: number}} */ m) => m.latent === 30);
      if (!two || !thirty) return { verdict: { status: 'open' } };
      const says = `The 2-number code rebuilt this ${digit(truth)} as a ${digit(two.read)}, the 30-number code as a ${digit(thirty.read)}.`;
      if (two.read !== truth && thirty.read === truth) return { verdict: { status: 'done', note: says } };
      return { verdict: { status: 'open', note: says } };
    }),
  },
];
