// The page shell: builds the navigation from the server's list of pages and mounts the
// module of the page the URL names. One module per page, in pages/.

/** @type {Record<string, () => Promise<{mount: (root: HTMLElement) => void}>>} */
const PAGES = {
  '/glass': () => import('./pages/glass.js'),
  '/latent3d': () => import('./pages/latent3d.js'),
};

async function main() {
  const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
  const root = /** @type {HTMLElement} */ (document.getElementById('app'));
  let path = location.pathname.replace(/\/+$/, '') || '/glass';
  if (!(path in PAGES)) path = '/glass';
  /** @type {{path: string, title: string}[]} */
  const pages = await fetch('/api/pages').then((r) => r.json());
  for (const p of pages) {
    const a = document.createElement('a');
    a.href = p.path + location.search;
    a.textContent = p.title;
    a.dataset.testid = 'nav-' + p.path.slice(1);
    if (p.path === path) a.setAttribute('aria-current', 'page');
    nav.append(a);
  }
  const page = await PAGES[path]();
  page.mount(root);
}

main();
