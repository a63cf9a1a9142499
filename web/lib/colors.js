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
