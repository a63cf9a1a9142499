// What a loss curve did that a learner should be told about, in one line with what to do:
// a spike (Adam's steps can overshoot once the gradients are tiny; it recovers by itself), a
// blow-up (the loss went up and stayed up), or a loss that never came down (in both, the
// learning rate — with momentum — is too high).

import { fmt } from './format.js';

/**
 * The note for a loss series ([x, loss] points), or '' when there is nothing to say.
 * @param {[number, number][]} losses
 * @param {{optimizer: string}} opts `adam` or `momentum` (what the advice names)
 */
export function lossNote(losses, opts) {
  if (losses.length < 3) return '';
  const last = losses[losses.length - 1][1];
  let best = Infinity;
  let bestAt = 0;
  /** @type {{x: number, from: number, to: number}|null} */ let spike = null;
  for (let i = 0; i < losses.length; i++) {
    const [x, l] = losses[i];
    if (!Number.isFinite(l)) return 'The loss is no longer a number: training has blown up. Lower the learning rate and press Reset.';
    // a jump of 100× or more above the best loss so far, from a point near it
    if (i > 0 && l > 100 * best && losses[i - 1][1] < l / 10) spike = { x, from: losses[i - 1][1], to: l };
    if (l < best) { best = l; bestAt = x; }
  }
  const rate = opts.optimizer === 'adam' ? 'the learning rate' : 'the learning rate or the momentum';
  // went up and stayed up: the last loss far above the best, for the last quarter of the curve
  const tail = losses.slice(Math.floor(0.75 * losses.length));
  if (last > 20 * best && tail.every(([, l]) => l > 5 * best)) {
    return `The loss rose from ${fmt(best)} (epoch ${Math.round(bestAt)}) to ${fmt(last)} and stays there: training has blown up — each step overshoots. Lower ${rate} and press Reset.`;
  }
  // never came down: after a few hundred epochs the loss is no lower than where it began
  const first = losses[0][1];
  const span = losses[losses.length - 1][0] - losses[0][0];
  if (losses.length >= 20 && span >= 300 && Math.min(...tail.map(([, l]) => l)) >= 0.7 * first) {
    return `After ${Math.round(span)} epochs the loss (${fmt(last)}) is no lower than at the start (${fmt(first)}): the steps are too big to settle. Lower ${rate} and press Reset.`;
  }
  if (spike) {
    return opts.optimizer === 'adam'
      ? `At epoch ${Math.round(spike.x)} the loss jumped from ${fmt(spike.from)} to ${fmt(spike.to)}: once the gradients are tiny, Adam's steps stay the same size and can overshoot; it finds its way back. A lower learning rate makes such spikes smaller.`
      : `At epoch ${Math.round(spike.x)} the loss jumped from ${fmt(spike.from)} to ${fmt(spike.to)}: a step overshot. If it keeps happening, lower ${rate}.`;
  }
  return '';
}
