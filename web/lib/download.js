// A known dataset (MNIST, Fashion-MNIST) downloaded from a page: a Download button shown while
// the dataset a page needs is not on the machine, a progress bar while the server fetches it
// (the job's `download` in its snapshots), and the outcome said once. In the static site,
// which downloads nothing from other hosts, the button picks the dataset's four IDX files
// from the learner's disk instead (each known by its sha256; kept in the browser's storage).

import { h } from './dom.js';
import { current, inBrowser } from './socket.js';

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
  const pick = /** @type {HTMLInputElement} */ (h('input', { type: 'file', multiple: true, hidden: true, 'data-testid': `${prefix}-pick-dataset`, 'aria-label': 'IDX files of the dataset' }));
  pick.addEventListener('change', async () => {
    const files = [...(pick.files || [])];
    pick.value = '';
    const link = /** @type {any} */ (current.link);
    if (!files.length || !link) return;
    say(`Reading ${files.length} file${files.length > 1 ? 's' : ''}…`);
    say((await link.pickDatasetFiles(files)).join(' '));
  });
  const button = /** @type {HTMLButtonElement} */ (h('button', { 'data-testid': `${prefix}-download`, hidden: true, onclick: () => {
    if (!want) return;
    if (inBrowser) pick.click();
    else start(want);
  } }, 'Download'));
  const progress = /** @type {HTMLProgressElement} */ (h('progress', { max: 1, value: 0, 'data-testid': `${prefix}-download-progress`, hidden: true, 'aria-label': 'Download progress' }));
  return {
    button: inBrowser ? h('span', { class: 'pick' }, button, pick) : button,
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
      button.textContent = inBrowser ? `Use ${dataset} files from disk\u2026` : `Download ${dataset}`;
      button.title = inBrowser ? `Pick the four IDX files of ${dataset} (train-images-idx3-ubyte.gz, …): each is checked by its sha256` : '';
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
