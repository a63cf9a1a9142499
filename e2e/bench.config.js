// Browser benchmarks: run with `npx playwright test -c bench.config.js` (not part of the
// test suite; they print figures and assert nothing about speed).
import base from './playwright.config.js';
import { defineConfig } from '@playwright/test';

export default defineConfig({ ...base, testMatch: '*.bench.js', timeout: 300_000 });
