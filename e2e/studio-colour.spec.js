// The Model Studio on colour images, served by `hourglass serve`: a .zip of colour PNGs in
// class folders is uploaded, trains a conv model, and its pictures and reconstructions are
// drawn in colour (the static site runs the same flow in site.spec.js).
import { test, expect } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useServer } from './fixtures.js';
import { COLOUR_MODEL, trainOnColourPictures } from './studio-colour-flow.js';

const models = mkdtempSync(join(tmpdir(), 'hourglass-studio-colour-e2e-'));
const server = useServer(() => ['--models', models]);

test('an uploaded zip of colour pictures trains a colour model, drawn in colour', async ({ page }) => {
  await page.goto(`${server.url}/studio?${COLOUR_MODEL}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await trainOnColourPictures(page);
});
