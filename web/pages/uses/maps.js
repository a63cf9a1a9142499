// Maps of wide codes on the Uses page: PCA, t-SNE or UMAP of a 30-D model's codes or the
// pixels, seen as they form; hover for a point's image, click for its nearest neighbours in
// what was mapped; trustworthiness; export as CSV.

import { h, showNumber } from '../../lib/dom.js';
import { drawImage, imageGrid } from '../../lib/images.js';
import { Scatter } from '../../lib/scatter.js';
import { CLASS_COLOURS } from '../../lib/colors.js';
import { latestOnly } from '../../lib/socket.js';
import { PX } from './shared.js';

/**
 * @param {import('./shared.js').UsesContext} ctx
 * @returns {import('./shared.js').Section}
 */
export function mapsSection(ctx) {
  const toggle = ctx.runButton('project', { train: 'project-start', pause: 'project-pause' });
  toggle.el.textContent = 'Start';
  const progress = h('span', { class: 'muted' });
  /** @type {Record<string, string>} */
  const METHOD_NAMES = { pca: 'PCA', tsne: 't-SNE', umap: 'UMAP' };
  const mapCanvas = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'map', width: 560, height: 560, 'data-testid': 'project-canvas', role: 'img', 'aria-label': 'Map of the codes' }));
  const scatter = new Scatter(mapCanvas);
  // for tests and the console: where point i is drawn (as fractions of the canvas), and how many there are
  /** @type {any} */ (window).usesMap = {
    at: (/** @type {number} */ i) => {
      const [x, y] = scatter.toCanvas([scatter.xy[2 * i], scatter.xy[2 * i + 1]]);
      return [x / mapCanvas.width, y / mapCanvas.height];
    },
    count: () => scatter.xy.length / 2,
  };
  const iteration = h('strong', { 'data-testid': 'project-iteration' }, '–');
  const iterationWord = h('span', {}, 'iteration');
  /** @type {Record<string, HTMLElement>} */
  const methodSettings = {};
  const trust = h('strong', { 'data-testid': 'project-trust' }, '–');
  const mapNote = h('p', { class: 'muted', 'data-testid': 'project-note' });
  const hover = /** @type {HTMLCanvasElement} */ (h('canvas', { class: 'digit', width: 28, height: 28, 'data-testid': 'project-hover' }));
  const hoverNote = h('p', { class: 'muted' }, 'Hover a point to see its image; click it for its nearest neighbours in what was mapped.');
  const neighbours = h('div', { 'data-testid': 'project-neighbours' });
  const exportButton = h('button', { 'data-testid': 'project-export', disabled: true, onclick: exportCsv }, 'Export CSV');
  const legend = h('div', { class: 'legend', 'data-testid': 'project-legend' });
  const projectSlot = h('div', { class: 'row' });
  const el = h('section', { class: 'panel', 'data-testid': 'uses-section-project' },
    h('h2', {}, 'Maps of wide codes'),
    h('p', {}, 'A 30-number code cannot be looked at; a map can. PCA keeps the two directions of most variance (straight lines, true distances along them); t-SNE keeps each point\u2019s neighbours near it and lets everything else go; UMAP does the same from a graph of each point\u2019s nearest neighbours, pulling joined points together and pushing random others away, and tends to keep more of the layout between groups. Trustworthiness (k = 10) says how many of a point\u2019s neighbours on the map are its true neighbours: 1 means all.'),
    projectSlot,
    h('p', { class: 'facts' }, iterationWord, ' ', iteration, ' · trustworthiness ', trust, ' ', exportButton),
    mapNote,
    h('div', { class: 'map-row' }, mapCanvas, h('div', { class: 'hover' }, hover, hoverNote, neighbours)),
    legend,
    h('p', { class: 'caution', 'data-testid': 'project-caution' }, 'Reading t-SNE and UMAP: the sizes of their clusters and the gaps between them mean little — they spread dense groups out and squeeze sparse ones, and far-apart clusters may be near in the code. What they keep is who is next to whom. Change the perplexity (t-SNE) or the neighbours (UMAP) and see what stays.'));

  function exportCsv() {
    const live = ctx.live();
    if (!live || !live.data || !live.data.map_xy) return;
    const xy = live.data.map_xy; const labels = live.data.map_labels;
    const rows = ['x,y,label'];
    for (let i = 0; i < xy.length / 2; i++) rows.push(`${xy[2 * i]},${xy[2 * i + 1]},${labels ? labels[i] : ''}`);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([rows.join('\n') + '\n'], { type: 'text/csv' }));
    a.download = `hourglass-${live.map ? live.map.method : 'map'}-${live.settings.dataset}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
  }
  const at = (/** @type {MouseEvent} */ ev) => {
    const r = mapCanvas.getBoundingClientRect();
    return scatter.nearest(((ev.clientX - r.left) * mapCanvas.width) / r.width, ((ev.clientY - r.top) * mapCanvas.height) / r.height, 8);
  };
  const askImage = latestOnly((f) => ctx.query('map_image', f), (m) => {
    drawImage(hover, m.data.pixels, 28, 28);
    hoverNote.textContent = `Image ${m.index}: ${ctx.names()[m.label] ?? m.label}`;
  }, ctx.fail);
  mapCanvas.addEventListener('mousemove', (ev) => {
    const i = at(ev);
    if (i >= 0) askImage({ index: i });
  });
  mapCanvas.addEventListener('click', (ev) => {
    const i = at(ev);
    if (i < 0) return;
    ctx.query('neighbours', { index: i, k: 8 }).then((m) => {
      const live = ctx.live();
      neighbours.replaceChildren(h('p', { class: 'muted' }, `Its 8 nearest neighbours in the ${live && live.map ? (live.map.source === 'codes' ? 'code' : 'pixel') : ''} space (${m.kept_on_map} of them ${m.kept_on_map === 1 ? 'is' : 'are'} among its 8 nearest on the map):`));
      const grid = h('div', { class: 'thumbs' });
      imageGrid(grid, m.neighbours.map((/** @type {{label: number, distance: number}} */ n, /** @type {number} */ j) => ({ values: m.data.images.subarray(j * PX, (j + 1) * PX), caption: `${ctx.names()[n.label] ?? n.label}` })), { w: 28, h: 28, cols: 4, testid: 'project-neighbour' });
      neighbours.append(grid);
      neighbours.dataset.value = String(m.kept_on_map);
    }, ctx.fail);
  });

  function drawLegend() {
    legend.replaceChildren(...ctx.names().map((n, i) => h('span', { class: 'legend-item' }, h('span', { class: 'swatch', style: `background:${CLASS_COLOURS[i]}` }), n)));
  }

  return {
    el,
    toggle,
    progress,
    // the method's controls come from the schema
    build() {
      projectSlot.replaceChildren(ctx.labelled('Method ', ctx.bind('method', 'project-method')), ctx.labelled('Of ', ctx.bind('source', 'project-source')), ctx.labelled('Images ', ctx.bind('points', 'project-points')), (methodSettings.perplexity = ctx.labelled('Perplexity ', ctx.bind('perplexity', 'project-perplexity'))), (methodSettings.neighbours = ctx.labelled('Neighbours ', ctx.bind('neighbours', 'project-umap-neighbours'))), (methodSettings.min_dist = ctx.labelled('Min. distance ', ctx.bind('min_dist', 'project-min-dist'))), toggle.el, progress);
    },
    draw(s, datasetChanged) {
      if (datasetChanged) drawLegend();
      methodSettings.perplexity.hidden = s.settings.method !== 'tsne';
      methodSettings.neighbours.hidden = methodSettings.min_dist.hidden = s.settings.method !== 'umap';
      const m = s.map;
      if (m) {
        showNumber(iteration, m.iteration, 0);
        showNumber(trust, m.trust, 3);
        iterationWord.textContent = m.method === 'umap' ? 'epoch' : 'iteration';
        const where = m.preparing ? `; preparing the run${m.source === 'codes' ? '' : ' (reducing the pixels to 50 principal components)'}` : m.searched !== null ? `; finding each point\u2019s nearest neighbours: ${m.searched.toLocaleString()} of ${m.count.toLocaleString()} points` : `; ${m.method === 'umap' ? 'epoch' : 'iteration'} ${m.iteration} of ${m.iterations}`;
        mapNote.textContent = `${METHOD_NAMES[m.method] ?? m.method} of ${m.count.toLocaleString()} ${m.source === 'codes' ? `${m.dim}-D codes (the shipped model)` : 'images\u2019 pixels'} — ${m.images}${m.running ? where : `; done in ${m.seconds.toFixed(1)} s`}.`;
      } else {
        showNumber(iteration, null, 0);
        showNumber(trust, null, 3);
        // the first step reads the images (and encodes them): a second or two for 70,000
        const preparing = s.run.training && s.settings.experiment === 'project';
        mapNote.textContent = preparing ? `Reading ${Number(s.settings.points).toLocaleString()} images${s.settings.source === 'codes' ? ' and encoding them with the shipped 30-D model' : ''}\u2026` : 'Press Start to make the map.';
      }
      const xy = s.data && s.data.map_xy;
      if (xy) {
        scatter.setPoints(xy, s.data && s.data.map_labels ? s.data.map_labels : null);
        scatter.draw();
      } else if (scatter.xy.length) {
        scatter.setPoints(new Float32Array(0), null);
        scatter.draw();
      }
      /** @type {HTMLButtonElement} */ (exportButton).disabled = !xy || !!(m && m.running);
    },
  };
}
