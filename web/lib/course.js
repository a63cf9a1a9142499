// The course: the pages' challenges in a sensible order across pages, from the top bar. Each
// step links to its page with the challenge chosen (a teacher's link without hidden controls)
// and shows whether it is done, as that page's panel keeps it in this browser.

import { h } from './dom.js';
import { doneOn } from './challenges.js';

/** The steps, in order: from one small network to real images. */
export const COURSE = [
  { page: 'glass', id: 'all-twelve', title: 'Learn twelve patterns through three numbers' },
  { page: 'glass', id: 'unseen', title: 'See what it does with a picture it never saw' },
  { page: 'glass', id: 'fast-slow', title: 'Too fast, too slow: the learning rate' },
  { page: 'latent3d', id: 'trails', title: 'Watch the gradients die down' },
  { page: 'latent3d', id: 'beat-pca', title: 'Unroll the Swiss roll that PCA cannot' },
  { page: 'latent3d', id: 'one-number', title: 'Find where one number cuts a loop' },
  { page: 'digits', id: 'two-or-thirty', title: 'Two numbers or thirty' },
  { page: 'digits', id: 'two-twos', title: 'Find both ways of writing a 2' },
  { page: 'digits', id: 'letter-b', title: 'Show it a letter it never saw' },
  { page: 'studio', id: 'small-and-good', title: 'A small model that is good enough' },
  { page: 'studio', id: 'stroke-filter', title: 'Watch a unit learn a stroke' },
  { page: 'studio', id: 'blow-up', title: 'Blow it up, then rescue it' },
  { page: 'uses', id: 'beat-pca', title: 'Catch a digit it never saw' },
  { page: 'uses', id: 'every-class', title: 'Which digit is easiest to catch?' },
  { page: 'uses', id: 'match-jpeg', title: 'Beat JPEG at its own game' },
];

/**
 * The top bar's Course menu.
 * @param {(page: string) => string} href a page's address (the server's or the site's)
 */
export function courseMenu(href) {
  const list = h('ol', { class: 'course-list' });
  const count = h('span', { class: 'muted', 'data-testid': 'course-count' });
  const menu = /** @type {HTMLDetailsElement} */ (h('details', { class: 'course', 'data-testid': 'course' },
    h('summary', {}, 'Course ', count), list));
  const draw = () => {
    const done = Object.fromEntries([...new Set(COURSE.map((s) => s.page))].map((p) => [p, doneOn(p)]));
    let n = 0;
    list.replaceChildren(...COURSE.map((s, k) => {
      const ok = done[s.page].has(s.id);
      n += ok ? 1 : 0;
      return h('li', { 'data-testid': `course-step-${k + 1}`, 'data-state': ok ? 'done' : 'open' },
        h('a', { href: `${href(s.page)}?challenge=${s.id}` }, s.title));
    }));
    count.textContent = `(${n} of ${COURSE.length})`;
  };
  draw();
  // another tab (or this page's panel) may have marked one done since
  menu.addEventListener('toggle', draw);
  window.addEventListener('storage', draw);
  return menu;
}
