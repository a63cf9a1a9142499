// Orthogonal Procrustes in the plane: the rotation or reflection R and the shifts that bring
// points A closest to points B in least squares, (a − mean A)·R + mean B ≈ b. The Digits Lab
// uses it so that successive frames of a map being trained do not spin or flip.

/**
 * @typedef {{r: number[], ma: number[], mb: number[]}} Fit  r: R row-major (2×2)
 */

/** The transform that changes nothing. @returns {Fit} */
export function identity() {
  return { r: [1, 0, 0, 1], ma: [0, 0], mb: [0, 0] };
}

/**
 * The best rotation or reflection (with shifts) taking `a` onto `b` (x, y pairs, same order).
 * For 2×2 the SVD has a closed form: over rotations [[c, s], [−s, c]] the fit's score
 * trace(Rᵀ M) is c(M00 + M11) + s(M01 − M10), over reflections [[c, s], [s, −c]] it is
 * c(M00 − M11) + s(M01 + M10); each is largest at the angle of its vector.
 * @param {ArrayLike<number>} a
 * @param {ArrayLike<number>} b
 * @returns {Fit}
 */
export function procrustes(a, b) {
  const n = Math.min(a.length, b.length) / 2;
  if (n < 2) return identity();
  const ma = [0, 0];
  const mb = [0, 0];
  for (let i = 0; i < n; i++) {
    ma[0] += a[2 * i] / n; ma[1] += a[2 * i + 1] / n;
    mb[0] += b[2 * i] / n; mb[1] += b[2 * i + 1] / n;
  }
  let [m00, m01, m10, m11] = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const [ax, ay] = [a[2 * i] - ma[0], a[2 * i + 1] - ma[1]];
    const [bx, by] = [b[2 * i] - mb[0], b[2 * i + 1] - mb[1]];
    m00 += ax * bx; m01 += ax * by; m10 += ay * bx; m11 += ay * by;
  }
  const rot = Math.hypot(m00 + m11, m01 - m10);
  const ref = Math.hypot(m00 - m11, m01 + m10);
  if (rot >= ref) {
    const t = Math.atan2(m01 - m10, m00 + m11);
    return { r: [Math.cos(t), Math.sin(t), -Math.sin(t), Math.cos(t)], ma, mb };
  }
  const t = Math.atan2(m01 + m10, m00 - m11);
  return { r: [Math.cos(t), Math.sin(t), Math.sin(t), -Math.cos(t)], ma, mb };
}

/**
 * A point through the fit.
 * @param {Fit} f
 * @param {number[]} p
 * @returns {[number, number]}
 */
export function apply(f, p) {
  const [x, y] = [p[0] - f.ma[0], p[1] - f.ma[1]];
  return [x * f.r[0] + y * f.r[2] + f.mb[0], x * f.r[1] + y * f.r[3] + f.mb[1]];
}

/**
 * A point back through the fit (R is orthogonal: its inverse is its transpose).
 * @param {Fit} f
 * @param {number[]} p
 * @returns {[number, number]}
 */
export function invert(f, p) {
  const [x, y] = [p[0] - f.mb[0], p[1] - f.mb[1]];
  return [x * f.r[0] + y * f.r[1] + f.ma[0], x * f.r[2] + y * f.r[3] + f.ma[1]];
}

/**
 * Every point of `xy` through the fit.
 * @param {Fit} f
 * @param {ArrayLike<number>} xy
 */
export function applyAll(f, xy) {
  const out = new Float32Array(xy.length);
  for (let i = 0; i < xy.length; i += 2) {
    const [x, y] = apply(f, [xy[i], xy[i + 1]]);
    out[i] = x;
    out[i + 1] = y;
  }
  return out;
}
