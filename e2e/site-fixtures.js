// What the static site's browser tests share: the site (built by scripts/build-site into
// $HOURGLASS_SITE) served by a plain static file server — no `hourglass` process — and the
// rules that a page logs no console error and sends no request to any other origin.
import { test, expect } from '@playwright/test';
import { serveStatic } from './static-server.js';

/**
 * Serves the site before the file's tests and stops it after. `without` names files the
 * server answers differently (a site built without datasets: `datasets/index.json` → `[]`).
 * @param {Record<string, string>} [overrides] paths (from the site's root) and their bodies
 */
export function useSite(overrides = {}) {
  const root = process.env.HOURGLASS_SITE;
  const site = { url: '', stop: async () => {} };
  /** @type {string[]} */ let consoleErrors = [];
  /** @type {string[]} */ let elsewhere = [];
  test.beforeAll(async () => {
    if (!root) throw new Error('HOURGLASS_SITE must name the built site (scripts/test builds it)');
    Object.assign(site, await serveStatic(root, overrides));
  });
  test.afterAll(() => site.stop());
  test.beforeEach(async ({ page, context }) => {
    consoleErrors = [];
    elsewhere = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    context.on('request', (r) => {
      const u = new URL(r.url());
      if (!['blob:', 'data:'].includes(u.protocol) && u.origin !== new URL(site.url).origin) elsewhere.push(r.url());
    });
  });
  test.afterEach(() => {
    expect(consoleErrors, 'no console errors').toEqual([]);
    expect(elsewhere, 'no request leaves the site').toEqual([]);
  });
  return site;
}

/**
 * Opens a page of the site and waits until its engine runs.
 * @param {import('@playwright/test').Page} page
 * @param {string} url
 */
export async function openSitePage(page, url) {
  await page.goto(url);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open', { timeout: 30_000 });
  await expect(page.getByTestId('connection')).toHaveText('runs in your browser');
}
