// A plain static file server for the static site's browser tests: files only, no `hourglass`
// process. Every request is recorded, so a test can say that nothing left the site.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
  '.json': 'application/json', '.wasm': 'application/wasm', '.gz': 'application/gzip',
  '.png': 'image/png', '.svg': 'image/svg+xml',
};

/**
 * Serves `root` on a free port of 127.0.0.1; `overrides` answers some paths with other
 * bodies (a site without its datasets, say).
 * @param {string} root
 * @param {Record<string, string>} [overrides]
 * @returns {Promise<{url: string, stop: () => Promise<void>}>}
 */
export function serveStatic(root, overrides = {}) {
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url || '/', 'http://x').pathname);
    if (path in overrides) {
      res.writeHead(200, { 'content-type': TYPES[/** @type {keyof TYPES} */ (extname(path))] || 'text/plain' }).end(overrides[path]);
      return;
    }
    let file = normalize(join(root, path));
    if (!file.startsWith(normalize(root + sep)) && file !== normalize(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) {
        if (!path.endsWith('/')) {
          res.writeHead(301, { location: `${path}/` }).end();
          return;
        }
        file = join(file, 'index.html');
      }
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[/** @type {keyof TYPES} */ (extname(file))] || 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const a = /** @type {import('node:net').AddressInfo} */ (server.address());
      resolve({ url: `http://127.0.0.1:${a.port}`, stop: () => new Promise((r) => server.close(() => r())) });
    });
  });
}
