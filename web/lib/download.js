// A known dataset (MNIST, Fashion-MNIST) downloaded from a page: a Download button shown while
// the dataset a page needs is not on the machine, a progress bar while the server fetches it
// (the job's `download` in its snapshots), and the outcome said once.

import { h } from './dom.js';

/**
 * @typedef {{dataset: string, file: string, done: number, total: number|null, files_done: number,
 *   files: number, state: string, message: string}} Download
 */

/**
 * @param {string} prefix the page's test-id prefix (`digits` → `digits-download`, …)
 * @param {(dataset: string) => void} start asks the server to download a dataset
 * @param {(text: string) => void} say shows a message
 */
export function datasetDownload(prefix, start, say) {
  let want = '';
  let last = '';
  const button = /** @type {HTMLButtonElement} */ (h('button', { 'data-testid': `${prefix}-download`, hidden: true, onclick: () => want && start(want) }, 'Download'));
  const progress = /** @type {HTMLProgressElement} */ (h('progress', { max: 1, value: 0, 'data-testid': `${prefix}-download-progress`, hidden: true, 'aria-label': 'Download progress' }));
  return {
    button,
    progress,
    /**
     * @param {Download|undefined} d the download, if one was started
     * @param {string} dataset the dataset the page needs
     * @param {{name: string, present: boolean}[]} datasets which are on the machine
     */
    draw(d, dataset, datasets) {
      want = dataset;
      const running = !!d && d.state === 'running';
      const here = datasets.find((x) => x.name === dataset);
      button.hidden = running || !here || here.present;
      button.textContent = `Download ${dataset}`;
      progress.hidden = !running;
      if (d && running) {
        const part = d.total ? d.done / d.total : 0;
        const f = Math.min(1, (d.files_done + part) / d.files);
        progress.value = f;
        progress.dataset.value = String(f);
        progress.title = `${d.file}: ${(d.done / 1e6).toFixed(1)} MB`;
      }
      const key = d ? `${d.dataset}:${d.state}` : '';
      if (d && key !== last && d.state !== 'running') say(d.message);
      last = key;
    },
  };
}
