// What every browser test file shares: the real server for the file, and the rule that a
// page never logs a console error.
import { test, expect } from '@playwright/test';
import { startServer } from './server.js';

/**
 * Starts `hourglass serve` before the file's tests and stops it after; fails any test whose
 * page logged an error. Returns an object whose `url` is set once the server is up.
 * @param {() => string[]} [args] more arguments for `hourglass serve`, asked for when it starts
 */
export function useServer(args = () => []) {
  /** @type {RegExp[]} */
  let allowed = [];
  const server = {
    url: '',
    stop: () => {},
    /**
     * A console error this test expects (the browser's own line for a request the server
     * refused on purpose), allowed for this test only.
     * @param {RegExp} pattern
     */
    allow: (pattern) => { allowed.push(pattern); },
  };
  test.beforeAll(async () => { Object.assign(server, await startServer(args())); });
  test.afterAll(() => server.stop());
  /** @type {string[]} */
  let consoleErrors = [];
  test.beforeEach(async ({ page }) => {
    consoleErrors = [];
    allowed = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
  });
  test.afterEach(() => {
    expect(consoleErrors.filter((e) => !allowed.some((a) => a.test(e))), 'no console errors').toEqual([]);
  });
  return server;
}
