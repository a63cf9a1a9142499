// The page shell: builds the navigation from the server's registry of pages and mounts the
// module of the page the URL names: pages/<name>.js with its pages/<name>.css. The registry
// lives once, in the server.

async function main() {
  const nav = /** @type {HTMLElement} */ (document.getElementById('nav'));
  const root = /** @type {HTMLElement} */ (document.getElementById('app'));
  /** @type {{name: string, path: string, title: string}[]} */
  const pages = await fetch('/api/pages').then((r) => r.json());
  let path = location.pathname.replace(/\/+$/, '') || pages[0].path;
  if (!pages.some((p) => p.path === path)) path = pages[0].path;
  for (const p of pages) {
    const a = document.createElement('a');
    a.href = p.path + location.search;
    a.textContent = p.title;
    a.dataset.testid = 'nav-' + p.path.slice(1);
    if (p.path === path) a.setAttribute('aria-current', 'page');
    nav.append(a);
  }
  const name = /** @type {{name: string}} */ (pages.find((p) => p.path === path)).name;
  // each page's CSS is scoped under its own class and loaded with it
  const css = document.createElement('link');
  css.rel = 'stylesheet';
  css.href = `/pages/${name}.css`;
  const loaded = new Promise((resolve) => { css.onload = css.onerror = resolve; });
  document.head.append(css);
  /** @type {{mount: (root: HTMLElement) => void}} */
  const page = await import(`./pages/${name}.js`);
  await loaded;
  page.mount(root);
}

main();
