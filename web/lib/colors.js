// The one colour language of every page.

export const POSITIVE = '#2563eb'; // blue: positive weight
export const NEGATIVE = '#dc2626'; // red: negative weight
export const HIGH = '#16a34a'; // green: bottleneck value above 0.5
export const LOW = '#ea580c'; // orange: bottleneck value at or below 0.5

/**
 * Grey for an activation in [0, 1]: darker is higher.
 * @param {number} a
 */
export function grey(a) {
  const v = Math.round(255 * (1 - Math.min(1, Math.max(0, a))));
  return `rgb(${v},${v},${v})`;
}

/** @param {number} x */
const clamp01 = (x) => Math.min(1, Math.max(0, x));

/**
 * A continuous colour for a position t in [0, 1] along a curve (Turbo, by its published
 * polynomial fit), so a point and its reconstruction can be matched by colour.
 * @param {number} t
 */
export function alongCurve(t) {
  const x = clamp01(t);
  const r = 34.61 + x * (1172.33 - x * (10793.56 - x * (33300.12 - x * (38394.49 - x * 14825.05))));
  const g = 23.31 + x * (557.33 + x * (1225.33 - x * (3574.96 - x * (1073.77 + x * 707.56))));
  const b = 27.2 + x * (3211.1 - x * (15327.97 - x * (27814 - x * (22569.18 - x * 6838.66))));
  const c = (/** @type {number} */ v) => Math.round(Math.min(255, Math.max(0, v)));
  return `rgb(${c(r)},${c(g)},${c(b)})`;
}

/**
 * A sequential colour for a reconstruction error scaled to [0, 1]: pale yellow (small)
 * through orange to dark red (large).
 * @param {number} u
 */
export function byError(u) {
  const stops = [[254, 240, 138], [234, 88, 12], [127, 29, 29]];
  const x = clamp01(u) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [stops[i], stops[i + 1]];
  const m = (/** @type {number} */ k) => Math.round(a[k] + (b[k] - a[k]) * f);
  return `rgb(${m(0)},${m(1)},${m(2)})`;
}

/** Ten distinct colours for ten classes (Tableau 10), as the digit maps colour their dots. */
export const CLASS_COLOURS = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
  '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
];
