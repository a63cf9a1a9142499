// A canvas scatter plot for thousands of points (the digit maps draw 10,000 and more, which
// SVG circles cannot): points coloured by class, classes toggled, the point under the mouse
// found through a grid of buckets instead of a scan, and a view that pans and zooms. Layers,
// bottom to top: a background image over a region of the plane (the decoded grid, the basin
// map), the dots or thumbnails, stamps, a path (an iteration), fixed points, and a marker.

import { CLASS_COLOURS } from './colors.js';

const PAD = 12;
const CELL = 16; // bucket size in canvas pixels for hit testing

/** @typedef {{x0: number, x1: number, y0: number, y1: number}} Box */

export class Scatter {
  /**
   * @param {HTMLCanvasElement} canvas
   */
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    /** @type {Float32Array} */ this.xy = new Float32Array(0);
    /** @type {Float32Array|null} */ this.classes = null;
    /** @type {Set<number>} */ this.hidden = new Set();
    /** the points' box with a margin */
    /** @type {Box} */ this.bounds = { x0: -1, x1: 1, y0: -1, y1: 1 };
    /** what the canvas shows: the bounds, or where the learner panned and zoomed */
    /** @type {Box} */ this.view = { ...this.bounds };
    this.zoomed = false;
    /** @type {Map<number, number[]>} */ this.buckets = new Map();
    this.radius = 1.6;
    /** @type {number[]|null} a code marked with a ring (e.g. the drawn digit's) */
    this.marker = null;
    /** @type {number[][]|null} a closed outline (a VAE code's 1-σ ellipse) */
    this.outline = null;
    /** @type {{code: number[], image: HTMLCanvasElement}[]} small images pinned at codes */
    this.stamps = [];
    /** an image over a region of the plane: `corners` are where its top-left, top-right and
     * bottom-left corners sit (so it may be turned, as an aligned map is)
     * @type {{image: HTMLCanvasElement, corners: number[][], alpha: number}|null} */
    this.background = null;
    /** @type {Map<number, HTMLCanvasElement>|null} thumbnails drawn instead of dots */
    this.thumbs = null;
    /** @type {number[][]|null} a path over the plane (an iteration's codes) */
    this.path = null;
    /** @type {number[][]} spots marked with a diamond (fixed points) */
    this.fixed = [];
    /** @type {() => void} called after the view changed */
    this.onView = () => {};
    this.listen();
  }

  /** Wheel zooms about the mouse, a drag pans, a double click shows everything again. */
  listen() {
    const c = this.canvas;
    /** @param {MouseEvent} ev @returns {[number, number]} */
    const at = (ev) => {
      const r = c.getBoundingClientRect();
      return [((ev.clientX - r.left) * c.width) / r.width, ((ev.clientY - r.top) * c.height) / r.height];
    };
    c.addEventListener('wheel', (ev) => {
      ev.preventDefault();
      this.zoom(at(ev), Math.exp(ev.deltaY * 0.0015));
    }, { passive: false });
    /** @type {{p: [number, number], view: Box}|null} */ let drag = null;
    /** true while a press has moved far enough to be a pan (the click that ends it is not a click) */
    this.dragged = false;
    c.addEventListener('pointerdown', (ev) => {
      drag = { p: at(ev), view: { ...this.view } };
      this.dragged = false;
    });
    c.addEventListener('pointermove', (ev) => {
      if (!drag || !(ev.buttons & 1)) return;
      const p = at(ev);
      const [dx, dy] = [p[0] - drag.p[0], p[1] - drag.p[1]];
      if (!this.dragged && dx * dx + dy * dy < 16) return;
      this.dragged = true;
      const { x0, x1, y0, y1 } = drag.view;
      const sx = (x1 - x0) / (c.width - 2 * PAD);
      const sy = (y1 - y0) / (c.height - 2 * PAD);
      this.setView({ x0: x0 - dx * sx, x1: x1 - dx * sx, y0: y0 + dy * sy, y1: y1 + dy * sy });
    });
    const end = () => { drag = null; };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointerleave', end);
    c.addEventListener('dblclick', () => this.resetView());
  }

  /**
   * Zooms by `factor` (< 1: in) about canvas point `p`.
   * @param {number[]} p
   * @param {number} factor
   */
  zoom(p, factor) {
    const [cx, cy] = this.toCode(p);
    const { x0, x1, y0, y1 } = this.view;
    this.setView({ x0: cx + (x0 - cx) * factor, x1: cx + (x1 - cx) * factor, y0: cy + (y0 - cy) * factor, y1: cy + (y1 - cy) * factor });
  }

  /** @param {Box} v */
  setView(v) {
    this.view = v;
    this.zoomed = true;
    this.draw();
    this.onView();
  }

  /** Shows every point again. */
  resetView() {
    this.view = { ...this.bounds };
    this.zoomed = false;
    this.draw();
    this.onView();
  }

  /**
   * Pins an image (a canvas) at a code on the map, for good (until cleared).
   * @param {number[]} code
   * @param {HTMLCanvasElement} image
   */
  stamp(code, image) {
    this.stamps.push({ code, image });
    this.draw();
  }

  clearStamps() {
    this.stamps = [];
    this.draw();
  }

  /**
   * Marks a code on the map (null: no mark) and redraws.
   * @param {number[]|null} code
   */
  setMarker(code) {
    this.marker = code;
    this.draw();
  }

  /**
   * Sets the points (x, y pairs) and their classes, and redraws; the view follows the points
   * unless the learner has panned or zoomed.
   * @param {Float32Array} xy
   * @param {Float32Array|null} classes
   */
  setPoints(xy, classes) {
    this.xy = xy;
    this.classes = classes;
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < xy.length; i += 2) {
      x0 = Math.min(x0, xy[i]); x1 = Math.max(x1, xy[i]);
      y0 = Math.min(y0, xy[i + 1]); y1 = Math.max(y1, xy[i + 1]);
    }
    if (!Number.isFinite(x0)) [x0, x1, y0, y1] = [-1, 1, -1, 1];
    const sx = Math.max(x1 - x0, 1e-6) * 0.04;
    const sy = Math.max(y1 - y0, 1e-6) * 0.04;
    this.bounds = { x0: x0 - sx, x1: x1 + sx, y0: y0 - sy, y1: y1 + sy };
    if (!this.zoomed) this.view = { ...this.bounds };
    this.draw();
  }

  /**
   * Canvas pixel coordinates of a code.
   * @param {number[]} code
   * @returns {[number, number]}
   */
  toCanvas(code) {
    const { x0, x1, y0, y1 } = this.view;
    const w = this.canvas.width - 2 * PAD;
    const h = this.canvas.height - 2 * PAD;
    return [PAD + ((code[0] - x0) / (x1 - x0)) * w, PAD + (1 - (code[1] - y0) / (y1 - y0)) * h];
  }

  /**
   * The code at canvas pixel coordinates.
   * @param {number[]} px
   * @returns {[number, number]}
   */
  toCode(px) {
    const { x0, x1, y0, y1 } = this.view;
    const w = this.canvas.width - 2 * PAD;
    const h = this.canvas.height - 2 * PAD;
    return [x0 + ((px[0] - PAD) / w) * (x1 - x0), y0 + (1 - (px[1] - PAD) / h) * (y1 - y0)];
  }

  /** Indices of the points shown (their class not hidden) inside the view. */
  visible() {
    const out = [];
    const { x0, x1, y0, y1 } = this.view;
    for (let i = 0; i < this.xy.length / 2; i++) {
      const [x, y] = [this.xy[2 * i], this.xy[2 * i + 1]];
      if (x < x0 || x > x1 || y < y0 || y > y1) continue;
      if (this.classes && this.hidden.has(this.classes[i])) continue;
      out.push(i);
    }
    return out;
  }

  draw() {
    const { ctx, canvas, xy, classes } = this;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.imageSmoothingEnabled = false;
    if (this.background) {
      const { image, corners, alpha } = this.background;
      const [p0, p1, p2] = corners.map((c) => this.toCanvas(c));
      const [w, h] = [image.width, image.height];
      ctx.save();
      ctx.globalAlpha = alpha;
      ctx.setTransform((p1[0] - p0[0]) / w, (p1[1] - p0[1]) / w, (p2[0] - p0[0]) / h, (p2[1] - p0[1]) / h, p0[0], p0[1]);
      ctx.drawImage(image, 0, 0);
      ctx.restore();
    }
    this.buckets.clear();
    const cols = Math.ceil(canvas.width / CELL);
    const r = this.radius;
    // one fill style per class: a path per class is far cheaper than a style per point
    for (let c = -1; c < CLASS_COLOURS.length; c++) {
      if (c >= 0 && this.hidden.has(c)) continue;
      ctx.fillStyle = c < 0 ? '#6b7280' : CLASS_COLOURS[c];
      ctx.beginPath();
      for (let i = 0; i < xy.length / 2; i++) {
        const k = classes ? classes[i] : -1;
        if (k !== c && !(c === -1 && (k < 0 || k >= CLASS_COLOURS.length))) continue;
        const [x, y] = this.toCanvas([xy[2 * i], xy[2 * i + 1]]);
        if (x < -r || y < -r || x > canvas.width + r || y > canvas.height + r) continue;
        ctx.rect(x - r, y - r, 2 * r, 2 * r);
        const key = Math.floor(y / CELL) * cols + Math.floor(x / CELL);
        const b = this.buckets.get(key);
        if (b) b.push(i);
        else this.buckets.set(key, [i]);
      }
      ctx.fill();
    }
    if (this.thumbs) {
      for (const [i, img] of this.thumbs) {
        if (classes && this.hidden.has(classes[i])) continue;
        const [x, y] = this.toCanvas([xy[2 * i], xy[2 * i + 1]]);
        ctx.drawImage(img, x - 11, y - 11, 22, 22);
        ctx.strokeStyle = classes ? CLASS_COLOURS[classes[i]] || '#6b7280' : '#6b7280';
        ctx.lineWidth = 1.5;
        ctx.strokeRect(x - 11, y - 11, 22, 22);
      }
    }
    for (const s of this.stamps) {
      const [x, y] = this.toCanvas(s.code);
      ctx.drawImage(s.image, x - 14, y - 14, 28, 28);
      ctx.strokeStyle = '#9ca3af';
      ctx.lineWidth = 1;
      ctx.strokeRect(x - 14, y - 14, 28, 28);
    }
    if (this.path && this.path.length) {
      ctx.strokeStyle = '#111827';
      ctx.lineWidth = 2;
      ctx.beginPath();
      this.path.forEach((p, k) => {
        const [x, y] = this.toCanvas(p);
        if (k) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
      });
      ctx.stroke();
      ctx.fillStyle = '#111827';
      for (const p of this.path) {
        const [x, y] = this.toCanvas(p);
        ctx.fillRect(x - 2.5, y - 2.5, 5, 5);
      }
    }
    for (const p of this.fixed) {
      const [x, y] = this.toCanvas(p);
      ctx.beginPath();
      ctx.moveTo(x, y - 8); ctx.lineTo(x + 8, y); ctx.lineTo(x, y + 8); ctx.lineTo(x - 8, y); ctx.closePath();
      ctx.fillStyle = 'white';
      ctx.fill();
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = '#111827';
      ctx.stroke();
    }
    if (this.outline && this.outline.length > 2) {
      ctx.beginPath();
      this.outline.forEach((p, i) => {
        const [x, y] = this.toCanvas(p);
        if (i) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
      });
      ctx.closePath();
      ctx.fillStyle = 'rgba(17, 24, 39, 0.12)';
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.setLineDash([5, 4]);
      ctx.strokeStyle = '#111827';
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (this.marker) {
      const [x, y] = this.toCanvas(this.marker);
      ctx.lineWidth = 3;
      ctx.strokeStyle = '#111827';
      ctx.beginPath();
      ctx.arc(x, y, 9, 0, 2 * Math.PI);
      ctx.stroke();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = 'white';
      ctx.beginPath();
      ctx.arc(x, y, 9, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }

  /**
   * The index of the shown point nearest to canvas pixel (x, y) within `reach` pixels.
   * @param {number} x
   * @param {number} y
   * @param {number} [reach]
   */
  nearest(x, y, reach = 6) {
    const cols = Math.ceil(this.canvas.width / CELL);
    const [cx, cy] = [Math.floor(x / CELL), Math.floor(y / CELL)];
    let best = -1;
    let bestD = reach * reach;
    for (let j = cy - 1; j <= cy + 1; j++) {
      for (let i = cx - 1; i <= cx + 1; i++) {
        for (const p of this.buckets.get(j * cols + i) || []) {
          const [px, py] = this.toCanvas([this.xy[2 * p], this.xy[2 * p + 1]]);
          const d = (px - x) ** 2 + (py - y) ** 2;
          if (d < bestD) { bestD = d; best = p; }
        }
      }
    }
    return best;
  }
}
