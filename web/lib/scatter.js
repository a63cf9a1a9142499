// A canvas scatter plot for thousands of points (the digit maps draw 10,000 and more, which
// SVG circles cannot): points coloured by class, classes toggled, and the point under the
// mouse found through a grid of buckets instead of a scan.

import { CLASS_COLOURS } from './colors.js';

const PAD = 12;
const CELL = 16; // bucket size in canvas pixels for hit testing

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
    this.bounds = { x0: -1, x1: 1, y0: -1, y1: 1 };
    /** @type {Map<number, number[]>} */ this.buckets = new Map();
    this.radius = 1.6;
    /** @type {number[]|null} a code marked with a ring (e.g. the drawn digit's) */
    this.marker = null;
    /** @type {{code: number[], image: HTMLCanvasElement}[]} small images pinned at codes */
    this.stamps = [];
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
   * Sets the points (x, y pairs) and their classes, and redraws.
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
    this.draw();
  }

  /**
   * Canvas pixel coordinates of a code.
   * @param {number[]} code
   * @returns {[number, number]}
   */
  toCanvas(code) {
    const { x0, x1, y0, y1 } = this.bounds;
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
    const { x0, x1, y0, y1 } = this.bounds;
    const w = this.canvas.width - 2 * PAD;
    const h = this.canvas.height - 2 * PAD;
    return [x0 + ((px[0] - PAD) / w) * (x1 - x0), y0 + (1 - (px[1] - PAD) / h) * (y1 - y0)];
  }

  draw() {
    const { ctx, canvas, xy, classes } = this;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
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
        ctx.rect(x - r, y - r, 2 * r, 2 * r);
        const key = Math.floor(y / CELL) * cols + Math.floor(x / CELL);
        const b = this.buckets.get(key);
        if (b) b.push(i);
        else this.buckets.set(key, [i]);
      }
      ctx.fill();
    }
    ctx.imageSmoothingEnabled = false;
    for (const s of this.stamps) {
      const [x, y] = this.toCanvas(s.code);
      ctx.drawImage(s.image, x - 14, y - 14, 28, 28);
      ctx.strokeStyle = '#9ca3af';
      ctx.lineWidth = 1;
      ctx.strokeRect(x - 14, y - 14, 28, 28);
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
