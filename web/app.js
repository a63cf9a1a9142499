// The page shell: builds the navigation from the registry of pages and mounts the module of
// the page the URL names: pages/<name>.js with its pages/<name>.css. The registry lives once,
// in Rust: the server answers /api/pages; the static site (whose <html> says
// data-host="browser") has it in pages.json, written by scripts/build-site from the engine,
// and a folder per page (glass/, digits/, …) so any static host serves every address.

import { inBrowser } from './lib/socket.js';
import { courseMenu } from './lib/course.js';

async function main() {
  const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
  const root = /** @type {HTMLElement} */ (document.getElementById('app'));
  /** @type {{name: string, path: string, title: string}[]} */
  const pages = await fetch(inBrowser ? new URL('./pages.json', import.meta.url) : '/api/pages').then((r) => r.json());
  // the page is the address's last part: /digits on the server, …/digits/ in the site
  let path = '/' + (location.pathname.split('/').filter(Boolean).pop() || '');
  if (!pages.some((p) => p.path === path)) path = pages[0].path;
  /** @param {string} name */
  const pageHref = (name) => (inBrowser ? new URL(`./${name}/`, import.meta.url).pathname : `/${name}`);
  for (const p of pages) {
    const a = document.createElement('a');
    a.href = pageHref(p.name) + location.search;
    a.textContent = p.title;
    a.dataset.testid = 'nav-' + p.path.slice(1);
    if (p.path === path) a.setAttribute('aria-current', 'page');
    nav.append(a);
  }
  nav.after(courseMenu(pageHref));
  const name = /** @type {{name: string}} */ (pages.find((p) => p.path === path)).name;
  // each page's CSS is scoped under its own class and loaded with it
  const css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = new URL(`./pages/${name}.css`, import.meta.url).href;
  const loaded = new Promise((resolve) => { css.onload = css.onerror = resolve; });
  document.head.append(css);
  /** @type {{mount: (root: HTMLElement) => void}} */
  const page = await import(`./pages/${name}.js`);
  await loaded;
  page.mount(root);
  if (inBrowser) {
    // what this build is, and what it does not do that the server does: said, not hidden
    const note = document.createElement('footer');
    note.className = 'site-note';
    note.dataset.testid = 'site-note';
    note.textContent = 'This page runs in your browser: its engine (Hourglass compiled to WebAssembly) trains in a background worker of this tab, on one thread. '
      + 'Models are kept in this browser\u2019s storage; uploaded data sets last for this tab. MNIST and Fashion-MNIST come from this site, or from your disk; '
      + 'nothing is downloaded from anywhere else. Served by the hourglass program instead (hourglass serve), the same pages train on all your cores.';
    document.body.append(note);
  }
}

main();
