// The 3D Latent Explorer's views: five SVG views (input, latent codes with trails,
// reconstruction, reconstruction over input, PCA) sharing one camera, and the encoder and
// decoder trapezoids between them. The page module (../latent3d.js) owns the controls, the
// session and the timeline; this module only draws.

import { svg } from '../../lib/dom.js';
import { attr } from '../../lib/format.js';
import { alongCurve, byError } from '../../lib/colors.js';

export const VIEW = 300; // each view's viewBox is VIEW × VIEW
const TRAIL_PX = 40; // the longest trail at scale 1, in view units

/** A camera that shows a shape for what it is (yaw about z, then pitch), per built-in shape. */
const CAMERAS = /** @type {Record<string, {yaw: number, pitch: number}>} */ ({
  // the circle is tilted 30° out of the x-y plane: look along its normal, a little off it
  circle: { yaw: Math.PI, pitch: 0.6 },
  // the roll winds in the x-z plane around the y axis: look down its axis, slightly turned
  roller: { yaw: -0.35, pitch: 0.25 },
  // the sine wave lies mostly in the x-y plane: look from above
  sine: { yaw: 0, pitch: 1.1 },
});
export const DEFAULT_CAMERA = { yaw: -0.7, pitch: 0.45 };
/** @param {string} dataset */
export const cameraFor = (dataset) => ({ ...(CAMERAS[dataset] || DEFAULT_CAMERA) });

/**
 * Camera rotation: yaw about the vertical (z) axis, then pitch; returns [x, y, depth].
 * @param {number} x @param {number} y @param {number} z
 * @param {{yaw: number, pitch: number}} cam
 */
export function rotate(x, y, z, cam) {
  const [cy, sy, cp, sp] = [Math.cos(cam.yaw), Math.sin(cam.yaw), Math.cos(cam.pitch), Math.sin(cam.pitch)];
  const x1 = x * cy - y * sy;
  const y1 = x * sy + y * cy;
  return [x1, z * cp - y1 * sp, y1 * cp + z * sp];
}

/**
 * One view: an SVG with a frame, trails, links and points layers.
 * @param {string} name
 * @param {string} title
 * @param {boolean} is3d
 */
function makeView(name, title, is3d) {
  const el = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', {
    class: `view ${is3d ? 'view3d' : 'view2d'}`, viewBox: `0 0 ${VIEW} ${VIEW}`, 'data-testid': `latent3d-view-${name}`, role: 'img', 'aria-label': `${title} (with the keyboard: [ and ] step through the points${is3d ? ', arrow keys turn it' : ''})`,
  })));
  const frame = svg('g', { class: 'frame' });
  const links = svg('g', { class: 'links' });
  const trails = svg('g', { class: 'trails' });
  const under = svg('g', { class: 'points under' });
  const points = svg('g', { class: 'points' });
  el.append(frame, links, trails, under, points);
  return {
    name, title, is3d, el, frame, links, trails, under, points,
    /** @type {SVGElement[]} */ circles: [],
    /** @type {SVGElement[]} */ extra: [],
    /** @type {SVGElement[]} */ lines: [],
  };
}

/** @typedef {ReturnType<typeof makeView>} View */

/**
 * The views and the camera they share.
 * @param {(i: number|null, ev?: MouseEvent) => void} onHover a point was hovered (or left)
 */
export function createStage(onHover) {
  const camera = { ...DEFAULT_CAMERA };
  /** @type {number|null} */ let hover = null;
  const views = {
    input: makeView('input', 'Input: the 3D points', true),
    latent: makeView('latent', 'Latent codes, with trails', false),
    recon: makeView('recon', 'Reconstruction', true),
    layered: makeView('layered', 'Reconstruction laid over the input', true),
    pca: makeView('pca', 'PCA of the same points', false),
  };
  const encoder = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', { class: 'trapezoid', viewBox: '0 0 60 300', 'data-testid': 'latent3d-encoder' })));
  const decoder = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (svg('svg', { class: 'trapezoid', viewBox: '0 0 60 300', 'data-testid': 'latent3d-decoder' })));

  /**
   * Highlights point i in every view (null: none).
   * @param {number|null} i
   */
  function highlight(i) {
    if (hover === i) return;
    hover = i;
    for (const v of Object.values(views)) {
      for (const list of [v.circles, v.extra]) list.forEach((c, j) => c.classList.toggle('hl', j === i));
    }
  }

  /**
   * @param {number} x @param {number} y @param {number} z
   * @param {{yaw: number, pitch: number}} [cam]
   */
  const rotateNow = (x, y, z, cam = camera) => rotate(x, y, z, cam);

  /**
   * A projector into a view for 3D data within radius `r`.
   * @param {number} r
   */
  function projector3d(r) {
    const k = (VIEW * 0.4) / (r || 1);
    return (/** @type {number} */ x, /** @type {number} */ y, /** @type {number} */ z) => {
      const [a, b, d] = rotateNow(x, y, z);
      return [VIEW / 2 + a * k, VIEW / 2 - b * k, d / (r || 1)];
    };
  }

  /**
   * Draws the cube of half-side r and its axes into a view's frame.
   * @param {View} v
   * @param {number} r
   */
  function drawFrame(v, r) {
    // redrawn only when the camera or the scale changed
    const key = `${camera.yaw},${camera.pitch},${r}`;
    if (v.el.dataset.frameKey === key) return;
    v.el.dataset.frameKey = key;
    const p = projector3d(r * Math.sqrt(3));
    const c = [-r, r];
    /** @type {[number[], number[]][]} */
    const edges = [];
    for (const a of c) for (const b of c) {
      edges.push([[-r, a, b], [r, a, b]], [[a, -r, b], [a, r, b]], [[a, b, -r], [a, b, r]]);
    }
    v.frame.replaceChildren(...edges.map(([s, e]) => {
      const [x1, y1] = p(s[0], s[1], s[2]);
      const [x2, y2] = p(e[0], e[1], e[2]);
      return svg('line', { x1, y1, x2, y2, class: 'edge' });
    }));
    /** @type {[string, number[]][]} */
    const axes = [['x', [r, 0, 0]], ['y', [0, r, 0]], ['z', [0, 0, r]]];
    for (const [name, e] of axes) {
      const [x0, y0] = p(0, 0, 0);
      const [x1, y1] = p(e[0], e[1], e[2]);
      v.frame.append(svg('line', { x1: x0, y1: y0, x2: x1, y2: y1, class: 'axis3d' }));
      const t = svg('text', { x: x1, y: y1, class: 'axis-label' });
      t.textContent = name;
      v.frame.append(t);
    }
    v.el.dataset.yaw = camera.yaw.toFixed(4);
    v.el.dataset.pitch = camera.pitch.toFixed(4);
  }

  /**
   * The axes of a flat view, labelled: a cross for a 2-D code, a number line for a 1-D one.
   * @param {View} v
   * @param {number} [k] the code's size (1 or 2)
   */
  function flatFrame(v, k = 2) {
    const key = `flat${k}`;
    if (v.el.dataset.frameKey === key) return;
    v.el.dataset.frameKey = key;
    /** @param {number} x @param {number} y @param {string} text @param {string} [anchor] */
    const label = (x, y, text, anchor = 'end') => {
      const t = svg('text', { x, y, class: 'axis-label', 'text-anchor': anchor });
      t.textContent = text;
      return t;
    };
    const name = v.name === 'pca' ? 'PC' : 'z';
    v.frame.replaceChildren(...(k === 1
      // a 1-D code: the code across; down is only the points' order along the shape
      ? [svg('line', { x1: 6, y1: VIEW - 14, x2: VIEW - 6, y2: VIEW - 14, class: 'axis2d' }),
        label(VIEW - 6, VIEW - 18, `${name}₁ (the whole code) →`),
        label(8, 14, 'points in order along the shape ↓', 'start')]
      : [svg('line', { x1: VIEW / 2, y1: 6, x2: VIEW / 2, y2: VIEW - 6, class: 'axis2d' }),
        svg('line', { x1: 6, y1: VIEW / 2, x2: VIEW - 6, y2: VIEW / 2, class: 'axis2d' }),
        label(VIEW - 6, VIEW / 2 - 4, `${name}₁ →`),
        label(VIEW / 2 + 4, 14, `${name}₂ ↑`, 'start')]));
    delete v.el.dataset.yaw;
    delete v.el.dataset.pitch;
  }

  /**
   * Ensures a view has `n` circles (and `extra` circles / `lines` when asked).
   * @param {View} v
   * @param {number} n
   * @param {{extra?: boolean, lines?: boolean}} [opts]
   */
  function ensure(v, n, opts = {}) {
    /**
     * @param {SVGElement[]} list
     * @param {SVGElement} parent
     * @param {string} tag
     * @param {string} cls
     * @param {number} count
     */
    const grow = (list, parent, tag, cls, count) => {
      while (list.length > count) /** @type {SVGElement} */ (list.pop()).remove();
      while (list.length < count) {
        const i = list.length;
        const el = svg(tag, { class: cls, 'data-index': i });
        if (tag === 'circle') {
          el.addEventListener('pointerenter', (ev) => onHover(i, /** @type {MouseEvent} */ (ev)));
          el.addEventListener('pointermove', (ev) => onHover(i, /** @type {MouseEvent} */ (ev)));
          el.addEventListener('pointerleave', () => onHover(null));
        }
        list.push(el);
        parent.append(el);
      }
    };
    grow(v.circles, v.points, 'circle', v.name === 'layered' ? 'pt recon' : 'pt', n);
    grow(v.extra, v.under, 'circle', 'pt input', opts.extra ? n : 0);
    grow(v.lines, v.name === 'latent' ? v.trails : v.links, 'line', v.name === 'latent' ? 'trail' : 'link', opts.lines ? n : 0);
  }

  /**
   * Positions circles at projected points.
   * @param {SVGElement[]} circles
   * @param {number[][]} xy screen [x, y, depth]
   * @param {string[]} colours
   * @param {number} r
   */
  function place(circles, xy, colours, r) {
    circles.forEach((c, i) => {
      const [x, y, d] = xy[i];
      c.setAttribute('cx', x.toFixed(1));
      c.setAttribute('cy', y.toFixed(1));
      attr(c, 'r', (r * (1 + 0.25 * Math.max(-1, Math.min(1, d || 0)))).toFixed(2));
      attr(c, 'fill', colours[i]);
      c.classList.toggle('hl', hover === i);
    });
  }

  /**
   * Screen positions for codes in a 2-D view (1-D: code across, order down; 3-D: camera).
   * @param {Float32Array} codes
   * @param {number} n
   * @param {number} k
   * @returns {{xy: number[][], map: (z: number[], i?: number) => number[]}}
   */
  function codeLayout(codes, n, k) {
    if (k === 3) {
      let r = 0;
      for (let i = 0; i < n * 3; i++) r = Math.max(r, Math.abs(codes[i]));
      const p = projector3d(r * Math.sqrt(3) || 1);
      const map = (/** @type {number[]} */ z) => p(z[0], z[1], z[2]);
      return { xy: Array.from({ length: n }, (_, i) => map([codes[3 * i], codes[3 * i + 1], codes[3 * i + 2]])), map };
    }
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < n; i++) {
      const x = codes[k * i];
      const y = k === 2 ? codes[k * i + 1] : 0;
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    const span = Math.max(x1 - x0, k === 2 ? y1 - y0 : 0, 1e-6);
    const s = (VIEW * 0.8) / span;
    const [cx, cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
    const map = (/** @type {number[]} */ z, /** @type {number} */ i = 0) => (k === 2
      ? [VIEW / 2 + (z[0] - cx) * s, VIEW / 2 - (z[1] - cy) * s, 0]
      : [VIEW / 2 + (z[0] - cx) * s, VIEW * 0.1 + (VIEW * 0.8 * i) / Math.max(1, n - 1), 0]);
    return {
      xy: Array.from({ length: n }, (_, i) => map(k === 2 ? [codes[2 * i], codes[2 * i + 1]] : [codes[i]], i)),
      map,
    };
  }

  /**
   * Draws a snapshot (live or a moment) into the five views.
   * @param {any} s
   * @param {{colourMode: string, trailScale: number, trailLog: boolean}} look
   */
  function draw(s, look) {
    const { colourMode, trailScale, trailLog } = look;
    const { n, latent: k } = s;
    const d = s.data;
    let maxErr = 0;
    for (let i = 0; i < n; i++) maxErr = Math.max(maxErr, d.errors[i]);
    let maxPcaErr = 0;
    for (let i = 0; i < n; i++) maxPcaErr = Math.max(maxPcaErr, d.pca_errors ? d.pca_errors[i] || 0 : 0);
    // one colour scale for both errors, so the two views can be compared by eye
    const errTop = Math.max(maxErr, maxPcaErr) || 1;
    const colours = Array.from({ length: n }, (_, i) => (colourMode === 'error'
      ? byError(Math.sqrt(d.errors[i] / errTop))
      : alongCurve(n > 1 ? i / (n - 1) : 0.5)));
    // 3D views share one scale: the input's extent
    let r = 0;
    for (let i = 0; i < 3 * n; i++) r = Math.max(r, Math.abs(d.points[i]));
    r = r || 1;
    const p = projector3d(r * Math.sqrt(3));
    const at = (/** @type {Float32Array} */ a) => Array.from({ length: n }, (_, i) => p(a[3 * i], a[3 * i + 1], a[3 * i + 2]));
    const inputXY = at(d.points);
    const reconXY = at(d.reconstructions);
    for (const v of [views.input, views.recon, views.layered]) drawFrame(v, r);
    ensure(views.input, n);
    place(views.input.circles, inputXY, colours, 4.5);
    ensure(views.recon, n);
    place(views.recon.circles, reconXY, colours, 4.5);
    ensure(views.layered, n, { extra: true, lines: true });
    place(views.layered.extra, inputXY, colours, 4.5);
    place(views.layered.circles, reconXY, colours, 3.5);
    views.layered.lines.forEach((l, i) => {
      l.setAttribute('x1', inputXY[i][0].toFixed(1));
      l.setAttribute('y1', inputXY[i][1].toFixed(1));
      l.setAttribute('x2', reconXY[i][0].toFixed(1));
      l.setAttribute('y2', reconXY[i][1].toFixed(1));
    });

    // latent codes and their trails
    const lv = views.latent;
    lv.is3d = k === 3;
    lv.el.classList.toggle('view3d', k === 3);
    const code = codeLayout(d.codes, n, k);
    if (k === 3) drawFrame(lv, 1);
    else flatFrame(lv, k);
    ensure(lv, n, { lines: true });
    place(lv.circles, code.xy, colours, 4.5);
    let longest = 0;
    for (let i = 0; i < n; i++) {
      let l2 = 0;
      for (let j = 0; j < k; j++) l2 += d.trails[k * i + j] ** 2;
      longest = Math.max(longest, Math.sqrt(l2));
    }
    lv.lines.forEach((l, i) => {
      const [x, y] = code.xy[i];
      // the trail's direction in screen space: map code + ε·trail, then scale the longest to TRAIL_PX
      const z = Array.from({ length: k }, (_, j) => d.codes[k * i + j]);
      const eps = 1e-3 / (longest || 1);
      const ze = z.map((v, j) => v + eps * d.trails[k * i + j]);
      const [xe, ye] = k === 1 ? code.map(ze, i) : code.map(ze);
      const len = Math.hypot(xe - x, ye - y);
      let gl = 0;
      for (let j = 0; j < k; j++) gl += d.trails[k * i + j] ** 2;
      // against epoch 0's longest trail (fixed for this model): trails shrink as training
      // settles; on the log scale a trail 10⁴ times shorter than that reference has no length
      const ref = s.trail_reference > 0 ? s.trail_reference : longest;
      const g = Math.sqrt(gl);
      const part = ref > 0 && g > 0 ? (trailLog ? 1 + Math.log10(g / ref) / 4 : g / ref) : 0;
      const want = TRAIL_PX * trailScale * Math.min(2, Math.max(0, part));
      const f = len > 0 ? want / len : 0;
      l.setAttribute('x1', x.toFixed(1));
      l.setAttribute('y1', y.toFixed(1));
      l.setAttribute('x2', (x + (xe - x) * f).toFixed(1));
      l.setAttribute('y2', (y + (ye - y) * f).toFixed(1));
      attr(l, 'stroke', colours[i]);
      l.dataset.length = String(Math.sqrt(gl));
    });
    attr(lv.el, 'data-trails-epoch', String(s.trails_epoch));
    attr(lv.el, 'data-longest-trail', String(longest));

    // PCA
    const pv = views.pca;
    const pcode = codeLayout(d.pca_codes, n, k);
    if (k === 3) drawFrame(pv, 1);
    else flatFrame(pv, k);
    ensure(pv, n);
    // coloured by error, PCA's view shows PCA's own error (on the same scale as the autoencoder's)
    const pcaColours = colourMode === 'error'
      ? Array.from({ length: n }, (_, i) => byError(Math.sqrt((d.pca_errors[i] || 0) / errTop)))
      : colours;
    place(pv.circles, pcode.xy, pcaColours, 4.5);

  }

  /** @param {number[]} sizes */
  function drawHourglass(sizes) {
    if (encoder.dataset.sizes === sizes.slice(0, 4).join(',')) return;
    const k = sizes[3];
    const tall = 150;
    const short = 40 + 30 * (k - 1);
    /**
     * @param {SVGSVGElement} el
     * @param {number} left
     * @param {number} right
     * @param {string} label
     */
    const trap = (el, left, right, label) => {
      el.replaceChildren(svg('polygon', { points: `4,${150 - left / 2} 56,${150 - right / 2} 56,${150 + right / 2} 4,${150 + left / 2}`, class: 'trap' }));
      const t = svg('text', { x: 30, y: 30, 'text-anchor': 'middle', class: 'trap-title' });
      t.textContent = label;
      el.append(t);
    };
    trap(encoder, tall, short, 'encoder');
    trap(decoder, short, tall, 'decoder');
    // the layer sizes, one per line, inside each trapezoid
    /**
     * @param {SVGSVGElement} el
     * @param {number[]} list
     */
    const sizesIn = (el, list) => list.forEach((n, j) => {
      const t = svg('text', { x: 30, y: 150 - 7.5 * (list.length - 1) + 15 * j + 4, 'text-anchor': 'middle', class: 'trap-label' });
      t.textContent = String(n);
      el.append(t);
    });
    sizesIn(encoder, sizes.slice(0, 4));
    sizesIn(decoder, sizes.slice(3));
    encoder.dataset.sizes = sizes.slice(0, 4).join(',');
    decoder.dataset.sizes = sizes.slice(3).join(',');
  }

  return { camera, views, encoder, decoder, draw, drawHourglass, highlight, hovered: () => hover };
}
