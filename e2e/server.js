// Starts the real `hourglass serve --port 0` for a test file and stops it afterwards.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * @param {string[]} [args] more arguments for `hourglass serve` (replacing the test data
 *   folder's --data-dir when they name one)
 * @returns {Promise<{url: string, stop: () => void}>}
 */
export function startServer(args = []) {
  const bin = process.env.HOURGLASS_BIN;
  if (!bin) throw new Error('HOURGLASS_BIN must point at the hourglass binary (scripts/test sets it)');
  // the datasets the MNIST pages read: ../shared/datasets in CI (scripts/test sets this)
  const data = process.env.HOURGLASS_TEST_DATA && !args.includes('--data-dir') ? ['--data-dir', process.env.HOURGLASS_TEST_DATA] : [];
  const port = args.includes('--port') ? [] : ['--port', '0'];
  const child = spawn(bin, ['serve', ...port, ...data, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const m = line.match(/http:\/\/[^/\s]+/);
      if (m) resolve({ url: m[0], stop: () => child.kill('SIGINT') });
    });
    child.on('exit', (code) => reject(new Error(`hourglass serve exited with ${code}`)));
  });
}
