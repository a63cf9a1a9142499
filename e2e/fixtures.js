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
  const server = { url: '', stop: () => {} };
  test.beforeAll(async () => { Object.assign(server, await startServer(args())); });
  test.afterAll(() => server.stop());
  /** @type {string[]} */
  let consoleErrors = [];
  test.beforeEach(async ({ page }) => {
    consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
  });
  test.afterEach(() => {
    expect(consoleErrors, 'no console errors').toEqual([]);
  });
  return server;
}
