// A pad to draw a digit on with the mouse or a finger, turned into a 28×28 input the way
// MNIST's digits were made: the drawing's bounding box fitted into 20×20 keeping its aspect
// ratio (anti-aliased), then placed in 28×28 so that its centre of mass sits at the centre.

const SIZE = 28;
const BOX = 20;

export class DrawPad {
  /**
   * @param {HTMLCanvasElement} canvas the pad (drawn at its own resolution)
   * @param {(pixels: Float32Array) => void} onChange called with the 28×28 input while drawing
   */
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d', { willReadFrequently: true }));
    this.onChange = onChange;
    this.empty = true;
    /** @type {{x: number, y: number}|null} */ this.last = null;
    this.clear();
    canvas.addEventListener('pointerdown', (ev) => {
      canvas.setPointerCapture(ev.pointerId);
      this.last = this.at(ev);
      this.stroke(this.last, this.last);
    });
    canvas.addEventListener('pointermove', (ev) => {
      if (!this.last) return;
      const p = this.at(ev);
      this.stroke(this.last, p);
      this.last = p;
    });
    const end = () => { this.last = null; };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  /**
   * The pointer's position in canvas pixels.
   * @param {PointerEvent} ev
   */
  at(ev) {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((ev.clientX - r.left) * this.canvas.width) / r.width, y: ((ev.clientY - r.top) * this.canvas.height) / r.height };
  }

  /**
   * Draws a line of ink from a to b and reports the new input.
   * @param {{x: number, y: number}} a
   * @param {{x: number, y: number}} b
   */
  stroke(a, b) {
    const { ctx } = this;
    ctx.strokeStyle = 'black';
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.lineWidth = this.canvas.width / 12;
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x + 0.01, b.y);
    ctx.stroke();
    this.empty = false;
    this.onChange(this.pixels());
  }

  clear() {
    this.ctx.fillStyle = 'white';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.empty = true;
  }

  /** The drawing as a 28×28 MNIST-style input (1 = ink). */
  pixels() {
    return toMnist(this.canvas);
  }
}

/**
 * Ink (1 − lightness) of every pixel of a canvas.
 * @param {CanvasRenderingContext2D} ctx
 * @param {number} w
 * @param {number} h
 */
function ink(ctx, w, h) {
  const d = ctx.getImageData(0, 0, w, h).data;
  const out = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) out[i] = 1 - (d[4 * i] + d[4 * i + 1] + d[4 * i + 2]) / (3 * 255);
  return out;
}

/**
 * MNIST's preprocessing of a drawing on `source`: fit the inked bounding box into 20×20
 * (aspect kept, smoothed), then shift it in 28×28 so its centre of mass is at (14, 14).
 * @param {HTMLCanvasElement} source
 * @returns {Float32Array} 784 values in [0, 1]
 */
export function toMnist(source) {
  const sctx = /** @type {CanvasRenderingContext2D} */ (source.getContext('2d', { willReadFrequently: true }));
  const { width: w, height: h } = source;
  const a = ink(sctx, w, h);
  let [x0, x1, y0, y1] = [w, -1, h, -1];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (a[y * w + x] > 0.05) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return new Float32Array(SIZE * SIZE);
  const bw = x1 - x0 + 1;
  const bh = y1 - y0 + 1;
  const scale = BOX / Math.max(bw, bh);
  const [dw, dh] = [bw * scale, bh * scale];
  // first placement: the box centred; then move by the centre of mass's offset
  const place = (/** @type {number} */ dx, /** @type {number} */ dy) => {
    const c = document.createElement('canvas');
    c.width = SIZE;
    c.height = SIZE;
    const ctx = /** @type {CanvasRenderingContext2D} */ (c.getContext('2d', { willReadFrequently: true }));
    ctx.fillStyle = 'white';
    ctx.fillRect(0, 0, SIZE, SIZE);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(source, x0, y0, bw, bh, dx, dy, dw, dh);
    return ink(ctx, SIZE, SIZE);
  };
  let dx = (SIZE - dw) / 2;
  let dy = (SIZE - dh) / 2;
  const first = place(dx, dy);
  const [cx, cy] = centreOfMass(first);
  dx += SIZE / 2 - cx;
  dy += SIZE / 2 - cy;
  return place(dx, dy);
}

/**
 * The centre of mass of a 28×28 image, in pixel coordinates (pixel i's centre is i + 0.5).
 * @param {ArrayLike<number>} img
 * @returns {[number, number]}
 */
export function centreOfMass(img) {
  let [m, sx, sy] = [0, 0, 0];
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const v = Math.max(0, img[y * SIZE + x]);
      m += v;
      sx += v * (x + 0.5);
      sy += v * (y + 0.5);
    }
  }
  return m > 0 ? [sx / m, sy / m] : [SIZE / 2, SIZE / 2];
}
