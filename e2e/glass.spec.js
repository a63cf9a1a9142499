// The Glass Box page, driven as a person uses it.
import { test, expect } from '@playwright/test';
import { useServer } from './fixtures.js';

const server = useServer();

/** @param {import('@playwright/test').Page} page */
const num = async (page, /** @type {string} */ id) => Number(await page.getByTestId(id).getAttribute('data-value'));

/** @param {import('@playwright/test').Page} page @param {string} [query] */
async function open(page, query = '') {
  await page.goto(`${server.url}/glass${query}`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await expect(page.getByTestId('glass-params')).toHaveText('168');
  await expect(page.getByTestId('glass-output-0')).toHaveAttribute('data-value', /\d/);
}

test('the shell lists the pages that exist and explains this one', async ({ page }) => {
  await open(page);
  await expect(page.getByTestId('nav').locator('a')).toHaveCount(6);
  await expect(page.getByTestId('nav-uses')).toHaveText('Uses');
  await expect(page.getByTestId('nav-studio')).toHaveText('Model Studio');
  await expect(page.getByTestId('nav-digits')).toHaveText('Digits Lab');
  await expect(page.getByTestId('nav-latent3d')).toHaveText('3D Latent Explorer');
  await expect(page.getByTestId('nav-glass')).toHaveText('Glass Box');
  await expect(page.getByTestId('explain')).toContainText('bottleneck');
  await expect(page.getByTestId('glass-network').locator('circle')).toHaveCount(33);
  for (let k = 0; k < 12; k++) await expect(page.getByTestId(`glass-pattern-${k}`)).toBeVisible();
});

test('clicking pixels changes the reconstruction and the error', async ({ page }) => {
  await open(page);
  const before = await num(page, 'glass-error');
  const out0 = await page.getByTestId('glass-output-4').getAttribute('data-value');
  await page.getByTestId('glass-input-4').click();
  await expect(page.getByTestId('glass-input-4')).toHaveAttribute('data-value', '1');
  await expect(page.getByTestId('glass-output-4')).not.toHaveAttribute('data-value', out0 ?? '');
  await expect.poll(() => num(page, 'glass-error')).not.toBe(before);
  await page.getByTestId('glass-clear').click();
  for (let i = 0; i < 9; i++) await expect(page.getByTestId(`glass-input-${i}`)).toHaveAttribute('data-value', '0');
  await page.getByTestId('glass-pattern-10').click();
  await expect(page.getByTestId('glass-input-4')).toHaveAttribute('data-value', '1');
  await expect(page.getByTestId('glass-input-0')).toHaveAttribute('data-value', '0');
});

test('Train raises the epoch and at least halves the loss; a screenshot of the trained page', async ({ page }, info) => {
  await open(page);
  await page.getByTestId('glass-step').click();
  await expect(page.getByTestId('glass-epoch')).toHaveAttribute('data-value', '1');
  const first = await num(page, 'glass-loss');
  await page.getByTestId('glass-speed').selectOption('2000');
  await page.getByTestId('glass-train').click();
  await expect(page.getByTestId('glass-stop')).toBeVisible();
  await expect.poll(() => num(page, 'glass-epoch'), { timeout: 30_000 }).toBeGreaterThan(1500);
  await expect.poll(() => num(page, 'glass-loss'), { timeout: 30_000 }).toBeLessThan(first / 2);
  await page.getByTestId('glass-stop').click();
  await expect(page.getByTestId('glass-train')).toBeVisible();
  const shot = info.outputPath('glass-trained.png');
  await page.screenshot({ path: shot, fullPage: true });
  await info.attach('trained glass box', { path: shot, contentType: 'image/png' });
});

test('moving the learning-rate slider while training changes the rate the server uses', async ({ page }) => {
  await open(page);
  await page.getByTestId('glass-train').click();
  await expect.poll(() => num(page, 'glass-epoch')).toBeGreaterThan(5);
  await page.getByTestId('glass-lr').fill('0.32');
  await expect(page.getByTestId('glass-lr-value')).toHaveText('0.32');
  await expect(page.locator('#app')).toHaveAttribute('data-snapshot-lr', '0.32');
  await page.getByTestId('glass-momentum').fill('0.5');
  await expect(page.getByTestId('glass-momentum-value')).toHaveText('0.50');
  await expect(page.getByTestId('glass-stop')).toBeVisible();
});

test('Stop freezes the epoch, Train resumes from it, Reset returns to 0 and keeps the input', async ({ page }) => {
  await open(page);
  await page.getByTestId('glass-train').click();
  await expect.poll(() => num(page, 'glass-epoch')).toBeGreaterThan(20);
  await page.getByTestId('glass-stop').click();
  await expect(page.getByTestId('glass-train')).toBeVisible();
  const frozen = await num(page, 'glass-epoch');
  await page.waitForTimeout(500);
  expect(await num(page, 'glass-epoch')).toBe(frozen);
  await page.getByTestId('glass-train').click();
  await expect.poll(() => num(page, 'glass-epoch')).toBeGreaterThan(frozen);
  const resumed = await num(page, 'glass-epoch');
  expect(resumed - frozen).toBeLessThan(2000);
  await page.getByTestId('glass-stop').click();
  await page.getByTestId('glass-pattern-6').click();
  await expect(page.getByTestId('glass-input-4')).toHaveAttribute('data-value', '1');
  await page.getByTestId('glass-seed').fill('5');
  await page.getByTestId('glass-reset').click();
  await expect(page.getByTestId('glass-epoch')).toHaveAttribute('data-value', '0');
  for (const [i, v] of [[0, '1'], [4, '1'], [8, '1'], [1, '0']]) {
    await expect(page.getByTestId(`glass-input-${i}`)).toHaveAttribute('data-value', v);
  }
});

test('the URL state round-trips', async ({ page, context }) => {
  await open(page, '?lr=0.25&momentum=0.5&seed=4&input=100010001');
  await expect(page.getByTestId('glass-lr-value')).toHaveText('0.25');
  await expect(page.getByTestId('glass-momentum-value')).toHaveText('0.50');
  await expect(page.getByTestId('glass-seed')).toHaveValue('4');
  await expect(page.getByTestId('glass-input-8')).toHaveAttribute('data-value', '1');
  await expect(page.getByTestId('glass-input-1')).toHaveAttribute('data-value', '0');
  const error = await num(page, 'glass-error');
  await page.getByTestId('glass-input-1').click();
  await expect(page).toHaveURL(/input=110010001/);
  await expect(page).toHaveURL(/lr=0\.25/);
  // the link opened in a new tab (a new session) reproduces the view
  const link = page.url();
  const other = await context.newPage();
  await other.goto(link);
  await expect(other.getByTestId('glass-seed')).toHaveValue('4');
  await expect(other.getByTestId('glass-input-1')).toHaveAttribute('data-value', '1');
  await expect(other.getByTestId('glass-lr-value')).toHaveText('0.25');
  const e1 = await num(page, 'glass-error');
  await expect.poll(() => num(other, 'glass-error')).toBeCloseTo(e1, 10);
  expect(e1).not.toBe(error);
  // a link opened in the same tab (its session lives on) applies what the link gives
  await page.goto(`${server.url}/glass?lr=0.4&input=000010000`);
  await expect(page.getByTestId('glass-lr-value')).toHaveText('0.40');
  await expect(page.getByTestId('glass-input-4')).toHaveAttribute('data-value', '1');
  await expect(page.getByTestId('glass-input-0')).toHaveAttribute('data-value', '0');
  await expect(page.getByTestId('glass-seed')).toHaveValue('4');
});

test('bad URL state and bad values give a message and sane values; the page never breaks', async ({ page }) => {
  await open(page, '?lr=NaN&momentum=7&seed=abc&input=12');
  await expect(page.getByTestId('glass-message')).toBeVisible();
  await expect(page.getByTestId('glass-message')).toContainText('lr=NaN');
  await expect(page.getByTestId('glass-lr-value')).toHaveText('0.15');
  await expect(page.getByTestId('glass-momentum-value')).toHaveText('0.80');
  await expect(page.getByTestId('glass-seed')).toHaveValue('1');
  await page.getByTestId('glass-seed').fill('-3');
  await page.getByTestId('glass-reset').click();
  await expect(page.getByTestId('glass-message')).toContainText('not a whole number');
  await expect(page.getByTestId('glass-epoch')).toHaveAttribute('data-value', '0');
  await page.getByTestId('glass-step').click();
  await expect(page.getByTestId('glass-epoch')).toHaveAttribute('data-value', '1');
});

test('hovering shows weights, activations, biases and the patterns a bottleneck neuron likes', async ({ page }) => {
  await open(page);
  const neuron = page.getByTestId('glass-neuron-2-1');
  await neuron.hover();
  await expect(page.getByTestId('tooltip')).toContainText('activation');
  await expect(page.getByTestId('tooltip')).toContainText('bias');
  await expect(page.getByTestId('tooltip')).toContainText('driven highest by');
  const line = page.locator('line.weight').first();
  const w = Number(await line.getAttribute('data-weight'));
  expect(Math.abs(w)).toBeGreaterThan(0.3);
  // lines cross, so point at this one exactly rather than at a screen position
  await line.dispatchEvent('mousemove', { clientX: 100, clientY: 100 });
  await expect(page.getByTestId('tooltip')).toContainText(`weight ${w.toFixed(3)}`);
  await expect(page.getByTestId('glass-error-row-current')).toBeVisible();
  await expect(page.getByTestId('glass-errors').locator('tbody tr')).toHaveCount(13);
});

test('a network that cannot settle is explained where the loss chart is, with what to do', async ({ page }) => {
  await page.goto(`${server.url}/glass?lr=0.25&momentum=0.99&speed=0`);
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await expect(page.getByTestId('glass-loss-note')).toHaveText('');
  await page.getByTestId('glass-train').click();
  await expect(page.getByTestId('glass-loss-note')).toContainText('no lower than at the start', { timeout: 30_000 });
  await expect(page.getByTestId('glass-loss-note')).toContainText('Lower the learning rate or the momentum and press Reset');
});

test('loss notes: a spike is explained, a smooth curve gets none', async ({ page }) => {
  await page.goto(`${server.url}/glass`);
  const notes = await page.evaluate(async () => {
    const { lossNote } = await import('/lib/lossnotes.js');
    const smooth = Array.from({ length: 50 }, (_, i) => [i * 10, 0.5 * Math.exp(-i / 5) + 1e-5]);
    const spiky = smooth.map(([x, l], i) => [x, i === 40 ? 0.1 : l]);
    // trained to 0.012, then the rate raised: up to 2.6 and there it stays
    const blown = smooth.map(([x, l], i) => [x, i < 30 ? Math.max(l, 0.012) : 2.6]);
    return [lossNote(smooth, { optimizer: 'adam' }), lossNote(spiky, { optimizer: 'adam' }), lossNote(blown, { optimizer: 'momentum' })];
  });
  expect(notes[0]).toBe('');
  expect(notes[2]).toContain('rose from 0.0120');
  expect(notes[2]).toContain('blown up');
  expect(notes[1]).toContain('At epoch 400 the loss jumped');
  expect(notes[1]).toContain('Adam');
});

test('the keyboard: one Train/Pause toggle keeps the focus; pixels show focus; outputs have names', async ({ page }) => {
  await open(page);
  const toggle = page.getByTestId('glass-train');
  await toggle.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('glass-stop')).toHaveAttribute('aria-pressed', 'true');
  expect(await page.evaluate(() => document.activeElement && document.activeElement.getAttribute('data-testid'))).toBe('glass-stop');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('glass-train')).toHaveAttribute('aria-pressed', 'false');
  expect(await page.evaluate(() => document.activeElement && document.activeElement.getAttribute('data-testid'))).toBe('glass-train');
  // a focused black pixel has a visible ring
  await page.getByTestId('glass-pattern-0').click();
  await page.getByTestId('glass-input-0').focus();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Shift+Tab');
  const ring = await page.getByTestId('glass-input-0').evaluate((el) => getComputedStyle(el).outlineStyle);
  expect(ring).toBe('solid');
  await expect(page.getByTestId('glass-output-0')).toHaveAttribute('aria-label', /^output pixel 1: \d\.\d\d$/);
});

test('teaching aids: layer names, a hovered neuron\'s own connections, codes side by side, unlearned patterns flagged', async ({ page }) => {
  await open(page, '?seed=3&speed=0');
  const names = await page.getByTestId('glass-network').locator('text.layer-name').allTextContents();
  expect(names).toEqual(['input 9', 'encoder 6', 'bottleneck 3', 'decoder 6', 'output 9']);
  await expect(page.getByTestId('glass-try')).toContainText('What to try');
  // every pattern's code: three bottleneck values
  const code = JSON.parse(/** @type {string} */ (await page.getByTestId('glass-error-row-0').locator('td.code').getAttribute('data-value')));
  expect(code).toHaveLength(3);
  // seed 3 stalls with patterns unlearned while the loss looks settled: they are flagged
  await page.getByTestId('glass-train').click();
  await expect(page.getByTestId('glass-stuck')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('glass-stuck')).toContainText('try another seed');
  expect(await num(page, 'glass-stuck')).toBeGreaterThan(0);
  await expect(page.locator('tr.stuck').first()).toBeVisible();
  await page.getByTestId('glass-stop').click();
  await expect(page.getByTestId('glass-train')).toHaveAttribute('aria-pressed', 'false');
  // hovering a bottleneck neuron fades all but its own connections (the mouse entering it:
  // the diagram is redrawn with each snapshot, so the event goes to the neuron as it is now)
  await page.getByTestId('glass-neuron-2-0').dispatchEvent('mouseenter');
  await expect(page.getByTestId('glass-network')).toHaveClass(/focus/);
  const lit = await page.getByTestId('glass-network').locator('line.weight.lit').count();
  const all = await page.getByTestId('glass-network').locator('line.weight').count();
  expect(lit).toBeGreaterThan(0);
  expect(lit).toBeLessThan(all);
  const opacity = await page.getByTestId('glass-network').locator('line.weight:not(.lit)').first().evaluate((l) => Number(getComputedStyle(l).opacity));
  expect(opacity).toBeLessThan(0.2);
});

test('challenges: training until every pattern is learned marks that one done, and it stays done after a reload', async ({ page }) => {
  await open(page, '?seed=1');
  await page.evaluate(() => localStorage.removeItem('hourglass-challenges-glass'));
  await page.reload();
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await page.getByTestId('challenges').locator('summary').click();
  const all = page.getByTestId('challenge-glass-all-twelve');
  await expect(all).toHaveAttribute('data-state', 'open');
  await expect(page.getByTestId('challenge-why-all-twelve')).toBeHidden();
  await page.getByTestId('challenge-show-hint-all-twelve').click();
  await expect(page.getByTestId('challenge-hint-all-twelve')).toBeVisible();
  // one epoch is not enough: still open
  await page.getByTestId('glass-step').click();
  await expect(page.getByTestId('glass-epoch')).toHaveAttribute('data-value', '1');
  await expect(all).toHaveAttribute('data-state', 'open');
  await page.getByTestId('glass-speed').selectOption('0');
  await page.getByTestId('glass-train').click();
  await expect(all).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  await page.getByTestId('glass-stop').click();
  await expect(page.getByTestId('challenge-why-all-twelve')).toContainText('Three numbers are enough');
  await expect(page.getByTestId('challenges-count')).toContainText('of 6 done');
  await page.reload();
  await expect(page.getByTestId('connection')).toHaveAttribute('data-value', 'open');
  await expect(page.getByTestId('challenge-glass-all-twelve')).toHaveAttribute('data-state', 'done');
  await page.getByTestId('challenges').locator('summary').click();
  await page.getByTestId('challenges-reset').click();
  await expect(page.getByTestId('challenge-glass-all-twelve')).toHaveAttribute('data-state', 'open');
});

test('a teacher link opens one challenge with chosen controls hidden', async ({ page }) => {
  await open(page, '?challenge=momentum&hide=lr,seed&momentum=0');
  await expect(page.getByTestId('challenges')).toHaveAttribute('open', '');
  await expect(page.getByTestId('challenge-glass-momentum')).toHaveClass(/chosen/);
  await expect(page.getByTestId('glass-lr')).toBeHidden();
  await expect(page.getByTestId('glass-seed')).toBeHidden();
  await expect(page.getByTestId('glass-momentum')).toBeVisible();
  await expect(page.getByTestId('challenges-hidden')).toHaveText('Hidden by this link: lr, seed.');
  // the URL rule holds: the link's settings are applied, and the address keeps the link's parts
  await expect(page.getByTestId('glass-momentum-value')).toHaveText('0.00');
  await expect(page).toHaveURL(/challenge=momentum/);
  await expect(page).toHaveURL(/hide=lr%2Cseed|hide=lr,seed/);
});

test('the course lists the challenges across pages with their progress, and leads to each', async ({ page }) => {
  await open(page);
  await page.evaluate(() => localStorage.setItem('hourglass-challenges-glass', JSON.stringify(['all-twelve'])));
  await page.getByTestId('course').locator('summary').click();
  await expect(page.getByTestId('course-count')).toHaveText('(1 of 15)');
  await expect(page.getByTestId('course-step-1')).toHaveAttribute('data-state', 'done');
  await expect(page.getByTestId('course-step-2')).toHaveAttribute('data-state', 'open');
  await page.getByTestId('course-step-4').locator('a').click();
  // the explorer writes its settings into the address as soon as it runs: the challenge stays
  await expect(page).toHaveURL(/\/latent3d\?(.*&)?challenge=trails(&|$)/);
  await expect(page.getByTestId('challenges')).toHaveAttribute('open', '');
  await expect(page.getByTestId('challenge-latent3d-trails')).toHaveClass(/chosen/);
});
