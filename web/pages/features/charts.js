// The Features page's two charts, in SVG: the probe's test accuracy against labels per class
// (log x, one line per representation) and the frontier, FVU against L0 for the dictionaries
// trained, beside PCA's FVU against its components.

import { svg } from '../../lib/dom.js';

const PALETTE = ['#555', '#999', '#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#d62728'];

/**
 * Axes with ticks into `host`; returns the x and y maps.
 * @param {SVGSVGElement} host
 * @param {{w: number, h: number, x: [number, number], y: [number, number], logX: boolean, xTicks: number[], yTicks: number[], xLabel: string, yLabel: string, yFormat: (v: number) => string, xFormat?: (v: number) => string}} o
 */
function axes(host, o) {
  const pad = { l: 44, r: 18, t: 10, b: 34 };
  host.replaceChildren();
  host.setAttribute('viewBox', `0 0 ${o.w} ${o.h}`);
  const fx = (/** @type {number} */ v) => (o.logX ? Math.log10(v) : v);
  const [x0, x1] = [fx(o.x[0]), fx(o.x[1])];
  const X = (/** @type {number} */ v) => pad.l + ((fx(v) - x0) / (x1 - x0 || 1)) * (o.w - pad.l - pad.r);
  const Y = (/** @type {number} */ v) => o.h - pad.b - ((v - o.y[0]) / (o.y[1] - o.y[0] || 1)) * (o.h - pad.t - pad.b);
  host.append(svg('path', { d: `M${pad.l},${pad.t} V${o.h - pad.b} H${o.w - pad.r}`, class: 'axis' }));
  for (const t of o.xTicks) {
    const e = svg('text', { x: X(t), y: o.h - pad.b + 13, 'text-anchor': 'middle', class: 'tick' });
    e.textContent = o.xFormat ? o.xFormat(t) : String(t);
    host.append(e);
  }
  for (const t of o.yTicks) {
    const e = svg('text', { x: pad.l - 4, y: Y(t) + 4, 'text-anchor': 'end', class: 'tick' });
    e.textContent = o.yFormat(t);
    host.append(e);
  }
  const xl = svg('text', { x: (o.w + pad.l) / 2, y: o.h - 4, 'text-anchor': 'middle', class: 'tick' });
  xl.textContent = o.xLabel;
  const yl = svg('text', { x: pad.l + 6, y: pad.t + 2, class: 'tick', 'dominant-baseline': 'hanging' });
  yl.textContent = o.yLabel;
  host.append(xl, yl);
  return { X, Y };
}

/**
 * The probe's chart: accuracy against labels per class, a line per representation.
 * @param {SVGSVGElement} host
 * @param {{name: string, label: string, points: [number, number][]}[]} lines
 * @param {HTMLElement} legend
 */
export function probeChart(host, lines, legend) {
  const all = lines.flatMap((l) => l.points.map((p) => p[1]));
  const lo = all.length ? Math.max(0, Math.floor(Math.min(...all) * 10) / 10 - 0.05) : 0.4;
  // `all` (the whole training split) sits at its mean labels per class, past 1000
  const most = Math.max(1000, ...lines.flatMap((l) => l.points.map((p) => p[0])));
  const { X, Y } = axes(host, { w: 420, h: 240, x: [10, most], y: [lo, 1], logX: true, xTicks: most > 1000 ? [10, 100, 1000, most] : [10, 100, 1000], xFormat: (v) => (v > 1000 ? 'all' : String(v)), yTicks: [lo, (lo + 1) / 2, 1].map((v) => Math.round(v * 100) / 100), xLabel: 'labels per class', yLabel: 'test accuracy', yFormat: (v) => `${Math.round(v * 100)}%` });
  legend.replaceChildren();
  lines.forEach((l, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const d = l.points.map(([n, a], j) => `${j ? 'L' : 'M'}${X(n).toFixed(1)},${Y(a).toFixed(1)}`).join(' ');
    const path = svg('path', { d: d || 'M0,0', fill: 'none', stroke: colour, 'stroke-width': 2, 'data-testid': `features-probe-line-${l.name}`, 'data-points': String(l.points.length) });
    host.append(path);
    for (const [n, a] of l.points) {
      const c = svg('circle', { cx: X(n), cy: Y(a), r: 3, fill: colour });
      const t = svg('title', {});
      t.textContent = `${l.label}: ${(100 * a).toFixed(1)}% with ${n > 1000 ? `all labels (${n} per class on average)` : `${n} labels per class`}`;
      c.append(t);
      host.append(c);
    }
    const last = l.points[l.points.length - 1];
    const item = document.createElement('li');
    item.innerHTML = `<span class="swatch" style="background:${colour}"></span>`;
    item.append(`${l.label}${last ? `: ${l.points.map((p) => `${(100 * p[1]).toFixed(1)}%`).join(' · ')}` : ' …'}`);
    legend.append(item);
  });
}

/**
 * The frontier: every dictionary trained as a dot (L0, FVU), PCA's FVU by components as a line.
 * @param {SVGSVGElement} host
 * @param {{name: string, l0: number, fvu: number}[]} points
 * @param {[number, number][]|null} pca
 */
export function frontierChart(host, points, pca) {
  const maxK = Math.max(64, ...points.map((p) => p.l0));
  const { X, Y } = axes(host, { w: 420, h: 220, x: [1, maxK], y: [0, 1], logX: true, xTicks: [1, 4, 16, 64].filter((t) => t <= maxK), yTicks: [0, 0.5, 1], xLabel: 'active numbers per image (L0; PCA: components)', yLabel: 'FVU', yFormat: (v) => v.toFixed(1) });
  if (pca) {
    const d = pca.filter(([k]) => k <= maxK).map(([k, f], j) => `${j ? 'L' : 'M'}${X(k).toFixed(1)},${Y(f).toFixed(1)}`).join(' ');
    host.append(svg('path', { d, fill: 'none', stroke: '#999', 'stroke-width': 2, 'stroke-dasharray': '5 3', 'data-testid': 'features-frontier-pca' }));
  }
  points.forEach((p, i) => {
    const c = svg('circle', { cx: X(Math.max(1, p.l0)), cy: Y(Math.min(1, p.fvu)), r: 4, fill: '#1f77b4', 'data-testid': `features-frontier-point-${i}` });
    const t = svg('title', {});
    t.textContent = `${p.name}: L0 ${p.l0.toFixed(1)}, FVU ${p.fvu.toFixed(3)}`;
    c.append(t);
    host.append(c);
  });
}
