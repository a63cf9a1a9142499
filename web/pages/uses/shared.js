// What the Uses page's experiments share: the size of an image, the classes' names, and the
// context each section is built with (uses.js makes it).

export const PX = 784;

/**
 * A section's warning line (e.g. a model no better than the average image): shown with its
 * text, hidden without.
 * @param {string} testid
 */
export function warningLine(testid) {
  const el = document.createElement('p');
  el.className = 'message';
  el.dataset.testid = testid;
  el.setAttribute('role', 'status');
  el.hidden = true;
  return {
    el,
    /** @param {string|null|undefined} text */
    set(text) {
      el.textContent = text || '';
      el.hidden = !text;
    },
  };
}

export const CLASS_NAMES = {
  mnist: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  'fashion-mnist': ['T-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'boot'],
};

/**
 * @typedef {{method: string, size: number, bits: number, mse: number, psnr: number, ssim: number}} CompressPoint
 * @typedef {{type: string, settings: Record<string, any>, run: any, version: number,
 *   datasets: {name: string, present: boolean}[], download?: any,
 *   training: {experiment: string, run: string, index: number, runs: number, names: string[], epoch: number, epochs: number, loss: number|null}|null,
 *   anomaly: {held_out: number, auc: number, pca_auc: number, count: number}|null,
 *   denoise: {noise: string, warning: string|null}|null, compress: {points: CompressPoint[], warning: string|null}|null, generate: {latent: number}|null,
 *   map: {method: string, source: string, count: number, dim: number, iteration: number, iterations: number,
 *     running: boolean, preparing: boolean, searched: number|null, trust: number|null, seconds: number, images: string}|null,
 *   data?: Record<string, Float32Array>}} Snapshot
 * @typedef {{el: HTMLButtonElement, set: (b: boolean) => void}} Toggle
 * @typedef {{
 *   query: (name: string, fields?: Record<string, any>) => Promise<any>,
 *   send: (m: Record<string, any>) => void,
 *   fail: (e: any) => void,
 *   names: () => string[],
 *   live: () => Snapshot|null,
 *   runButton: (experiment: string, ids: {train: string, pause: string}) => Toggle,
 *   bind: (name: string, testid: string) => HTMLSelectElement|HTMLInputElement,
 *   labelled: (label: string, el: HTMLElement) => HTMLElement,
 *   picked: (p: {method: string, size: number}) => void,
 * }} UsesContext
 * @typedef {{
 *   el: HTMLElement,
 *   toggle: Toggle,
 *   progress: HTMLElement,
 *   build?: () => void,
 *   draw?: (s: Snapshot, datasetChanged: boolean) => void,
 *   refresh?: (s: Snapshot) => void,
 * }} Section
 */
