// What the 3D explorer says in words: the introduction for a code of k numbers, and the
// verdict of the autoencoder against PCA.

import { fmt, ratio } from '../../lib/format.js';

const WORDS = ['', 'one number', 'two numbers', 'three numbers'];

/** The introduction for a code of `k` numbers. */
export const introText = (/** @type {number} */ k) => `Each dot is a point in 3D. The encoder squeezes its three coordinates into ${WORDS[k] || `${k} numbers`} — its latent code — and the decoder tries to rebuild the point from ${k === 1 ? 'that one' : `those ${WORDS[k] ? WORDS[k].split(' ')[0] : k}`}.${k === 3 ? ' With three numbers nothing has to be squeezed: watch whether it still learns something useful.' : ''} Colours run along the shape, so a point and its reconstruction share a colour.`;

/**
 * The autoencoder's error `a` against PCA's `b` with `k` components, in a sentence.
 * @param {number} a
 * @param {number} b
 * @param {number} k
 */
export function verdictText(a, b, k) {
  const comps = `${k} component${k > 1 ? 's' : ''}`;
  return b < 1e-12 && a < 1e-12 ? 'Both rebuild the points exactly.'
    : b < 1e-12 ? `PCA with ${comps} rebuilds these points exactly: they lie flat (in a ${k === 1 ? 'line' : 'plane'}), so the best flat squeeze loses nothing. The autoencoder is still ${fmt(a)} away. Pick a curved shape (the Swiss roll, the twisted cubic) to see a curved squeeze win.`
      : a < b ? `The autoencoder's error is ${ratio(a, b)} PCA's${b / a < 1.1 ? '' : ': a curved squeeze beats the best flat one'}.`
        : `PCA's error is ${ratio(b, a)} the autoencoder's so far${a / b < 1.1 ? '' : ': the autoencoder has not yet found a better squeeze than a flat one'}.`;
}
