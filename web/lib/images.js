// Small images on canvases: grey ones (digits) as ink — a value of 1 black, 0 paper (white) —
// and colour ones in their own colours.

/**
 * Draws a `w`×`h` image of values in [0, 1] into `canvas` (one canvas pixel per image pixel;
 * CSS scales it up, pixelated): grey as ink (1 black, 0 paper), or — with 3 channels, held
 * channel-first (red plane, green, blue) — in its own colours.
 * @param {HTMLCanvasElement} canvas
 * @param {ArrayLike<number>} values row-major
 * @param {number} w
 * @param {number} h
 * @param {number} [channels] 1 (grey, the default) or 3
 */
export function drawImage(canvas, values, w, h, channels = 1) {
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
  const img = ctx.createImageData(w, h);
  const byte = (/** @type {number} */ v) => Math.round(255 * Math.min(1, Math.max(0, v || 0)));
  const plane = w * h;
  for (let i = 0; i < plane; i++) {
    if (channels === 3) {
      img.data[4 * i] = byte(values[i]);
      img.data[4 * i + 1] = byte(values[plane + i]);
      img.data[4 * i + 2] = byte(values[2 * plane + i]);
    } else {
      const v = 255 - byte(values[i]);
      img.data[4 * i] = v;
      img.data[4 * i + 1] = v;
      img.data[4 * i + 2] = v;
    }
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/**
 * A grid of small images with captions: `cols` per row, each a canvas (testid `<testid>-<i>`
 * with its exact values' label in `data-value`). Replaces what `host` held.
 * @param {HTMLElement} host
 * @param {{values: ArrayLike<number>, caption: string}[]} images
 * @param {{w: number, h: number, channels?: number, cols: number, testid: string}} opts
 */
export function imageGrid(host, images, opts) {
  host.replaceChildren();
  host.style.display = 'grid';
  host.style.gridTemplateColumns = `repeat(${opts.cols}, auto)`;
  host.style.gap = '.4rem';
  images.forEach((im, i) => {
    const c = document.createElement('canvas');
    c.className = 'digit';
    c.dataset.testid = `${opts.testid}-${i}`;
    c.setAttribute('role', 'img');
    c.setAttribute('aria-label', im.caption);
    drawImage(c, im.values, opts.w, opts.h, opts.channels || 1);
    const f = document.createElement('figure');
    f.style.margin = '0';
    const cap = document.createElement('figcaption');
    cap.textContent = im.caption;
    cap.className = 'muted';
    f.append(c, cap);
    host.append(f);
  });
}

/**
 * Drawing the images of a page whose model may take 28×28 grey or larger colour images:
 * `shape()` says which, as [channels, height, width], at the time of drawing.
 * @param {() => number[]} shape
 */
export function shaped(shape) {
  const size = () => shape().reduce((a, b) => a * b, 1);
  return {
    /** the values of one image */
    size,
    /** draws one image on a canvas (sized to it) */
    paint: (/** @type {HTMLCanvasElement} */ canvas, /** @type {ArrayLike<number>} */ values) => {
      const [c, h, w] = shape();
      drawImage(canvas, values, w, h, c);
    },
    /** image `k` of a batch */
    nth: (/** @type {Float32Array} */ all, /** @type {number} */ k) => all.subarray(k * size(), (k + 1) * size()),
    /**
     * a grid of them (see imageGrid)
     * @param {HTMLElement} host
     * @param {{values: ArrayLike<number>, caption: string}[]} images
     * @param {{cols: number, testid: string}} opts
     */
    grid: (host, images, opts) => {
      const [c, h, w] = shape();
      imageGrid(host, images, { ...opts, w, h, channels: c });
    },
  };
}
