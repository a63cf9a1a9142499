// The 3D explorer's timeline: a slider over the moments the server kept (one every K
// epochs), Play back, and Live. A moment is asked for as a query; while one is shown the
// page draws it instead of the live model.

import { h } from '../../lib/dom.js';
import { attr } from '../../lib/format.js';

const REPLAY_FPS = 12;

/**
 * @typedef {{timeline: number[], timeline_generation: number, run: {training: boolean}}} Live
 * @param {{
 *   root: HTMLElement,
 *   live: () => Live|null,
 *   fetch: (index: number) => Promise<any>,
 *   redraw: () => void,
 *   say: (text: string) => void,
 * }} opts
 */
export function createTimeline(opts) {
  const slider = /** @type {HTMLInputElement} */ (h('input', { type: 'range', min: 0, max: 0, step: 1, value: 0, 'data-testid': 'latent3d-timeline', 'aria-label': 'Timeline' }));
  const label = h('span', { class: 'figure', 'data-testid': 'latent3d-timeline-epoch' }, 'live');
  const replay = h('button', { 'data-testid': 'latent3d-replay', title: 'Play the recorded moments back from the start' }, 'Play back');
  const liveButton = h('button', { 'data-testid': 'latent3d-live', title: 'Back to the live model', disabled: true }, 'Live');
  /** @type {number|null} index of the moment shown, null = live */
  let viewing = null;
  /** @type {any} the moment's frame, once it came */
  let moment = null;
  /** @type {ReturnType<typeof setInterval>|null} */ let replayTimer = null;
  let scrubbing = false;
  let lastGeneration = -1;

  function stopReplay() {
    if (replayTimer !== null) clearInterval(replayTimer);
    replayTimer = null;
  }

  /** @param {number} i */
  function show(i) {
    const live = opts.live();
    if (!live || live.timeline.length === 0) return;
    const idx = Math.max(0, Math.min(live.timeline.length - 1, i));
    viewing = idx;
    slider.value = String(idx);
    label.textContent = `epoch ${live.timeline[idx]}`;
    // a screen reader says the epoch, not the moment's index
    slider.setAttribute('aria-valuetext', `epoch ${live.timeline[idx]}`);
    liveButton.removeAttribute('disabled');
    opts.root.dataset.viewing = String(idx);
    opts.fetch(idx).then((m) => {
      if (viewing === m.moment) {
        moment = m;
        opts.redraw();
      }
    }, (e) => {
      goLive();
      opts.say(e.message);
    });
  }

  function goLive() {
    stopReplay();
    viewing = null;
    moment = null;
    label.textContent = 'live';
    slider.setAttribute('aria-valuetext', 'live (the model as it trains)');
    liveButton.setAttribute('disabled', '');
    delete opts.root.dataset.viewing;
    const live = opts.live();
    if (live) slider.value = String(Math.max(0, live.timeline.length - 1));
    opts.redraw();
  }

  slider.addEventListener('pointerdown', () => { scrubbing = true; stopReplay(); });
  slider.addEventListener('input', () => {
    stopReplay();
    show(Number(slider.value));
  });
  slider.addEventListener('change', () => {
    scrubbing = false;
    // releasing the slider returns to live while training; when paused the moment stays
    const live = opts.live();
    if (live && live.run.training) goLive();
  });
  replay.addEventListener('click', () => {
    const live = opts.live();
    if (!live || live.timeline.length === 0) return;
    stopReplay();
    let i = 0;
    show(i);
    replayTimer = setInterval(() => {
      i += 1;
      const now = opts.live();
      if (!now || i >= now.timeline.length) {
        goLive();
        return;
      }
      show(i);
    }, 1000 / REPLAY_FPS);
  });
  liveButton.addEventListener('click', () => goLive());

  return {
    el: h('div', { class: 'timeline' }, h('span', {}, 'timeline'), slider, label, replay, liveButton),
    goLive,
    /** True while a moment (not the live model) is shown. */
    viewing: () => viewing !== null,
    /** The moment shown, once it came (else null: draw the live model). */
    moment: () => (viewing !== null && moment && moment.moment === viewing ? moment : null),
    /**
     * Follows a live snapshot: a new timeline (after a reset) returns to live.
     * @param {Live} s
     */
    update(s) {
      if (s.timeline_generation !== lastGeneration) {
        if (lastGeneration !== -1 && viewing !== null) goLive();
        lastGeneration = s.timeline_generation;
      }
      attr(slider, 'max', String(Math.max(0, s.timeline.length - 1)));
      attr(slider, 'data-count', String(s.timeline.length));
      if (viewing === null && !scrubbing && slider.value !== slider.max) slider.value = slider.max;
    },
  };
}
