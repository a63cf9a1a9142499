// A small line chart in SVG (loss over epochs), log-scaled on y.

import { svg } from './dom.js';

/**
 * Draws `points` ([x, y] pairs) into `host`, replacing what was there.
 * @param {SVGSVGElement} host
 * @param {[number, number][]} points
 * `opts.second` is a second series on the same axes (validation loss per epoch), drawn dashed
 * with a dot at each point, and `opts.legend` names the two.
 * `opts.dots: false` leaves out the second series' dots (a series of many points).
 * @param {{width: number, height: number, label: string, second?: [number, number][], legend?: [string, string], dots?: boolean}} opts
 */
export function lineChart(host, points, opts) {
  const { width, height } = opts;
  const pad = { l: 44, r: 8, t: 8, b: 22 };
  host.replaceChildren();
  host.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const pts = points.filter(([, y]) => Number.isFinite(y) && y > 0);
  const more = (opts.second || []).filter(([, y]) => Number.isFinite(y) && y > 0);
  const axis = svg('path', { d: `M${pad.l},${pad.t} V${height - pad.b} H${width - pad.r}`, class: 'axis' });
  host.append(axis);
  if (pts.length + more.length < 2) {
    const t = svg('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'muted' });
    t.textContent = 'train to see the loss fall';
    host.append(t);
    return;
  }
  const xs = [...pts, ...more].map((p) => p[0]);
  const ly = pts.map((p) => Math.log10(p[1]));
  const all = [...ly, ...more.map((p) => Math.log10(p[1]))];
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = [Math.floor(Math.min(...all)), Math.ceil(Math.max(...all))];
  const sx = (/** @type {number} */ x) => pad.l + ((x - x0) / Math.max(1e-9, x1 - x0)) * (width - pad.l - pad.r);
  const sy = (/** @type {number} */ y) => pad.t + (1 - (y - y0) / Math.max(1e-9, y1 - y0)) * (height - pad.t - pad.b);
  for (let d = y0; d <= y1; d++) {
    const y = sy(d);
    host.append(svg('line', { x1: pad.l, x2: width - pad.r, y1: y, y2: y, class: 'grid' }));
    const t = svg('text', { x: pad.l - 4, y: y + 4, 'text-anchor': 'end', class: 'tick' });
    t.textContent = `1e${d}`;
    host.append(t);
  }
  const d = pts.map(([x], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(ly[i]).toFixed(1)}`).join('');
  host.append(svg('path', { d, class: 'line' }));
  // a series of one point (one epoch) is a dot
  if (pts.length === 1) host.append(svg('circle', { cx: sx(pts[0][0]).toFixed(1), cy: sy(ly[0]).toFixed(1), r: 3, class: 'point' }));
  if (more.length) {
    const d2 = more.map(([x, y], i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(Math.log10(y)).toFixed(1)}`).join('');
    host.append(svg('path', { d: d2, class: 'line second' }));
    if (opts.dots !== false) for (const [x, y] of more) host.append(svg('circle', { cx: sx(x).toFixed(1), cy: sy(Math.log10(y)).toFixed(1), r: 3, class: 'point second' }));
  }
  if (opts.legend) {
    opts.legend.forEach((name, i) => {
      const y = pad.t + 10 + 14 * i;
      host.append(svg('line', { x1: width - pad.r - 110, x2: width - pad.r - 92, y1: y - 4, y2: y - 4, class: i ? 'line second' : 'line' }));
      const lt = svg('text', { x: width - pad.r - 88, y, class: 'tick' });
      lt.textContent = name;
      host.append(lt);
    });
  }
  const t = svg('text', { x: width - pad.r, y: height - 6, 'text-anchor': 'end', class: 'tick' });
  t.textContent = `${opts.label} ${Number.isInteger(x1) ? x1 : x1.toFixed(2)}`;
  host.append(t);
}
