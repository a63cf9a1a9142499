// Runs a wasm32-wasip1 program under Node's WASI (preview1), e.g. hourglass-core's
// train_steps or encode_time example: node [--cpu-prof] bench/wasm/wasi-run.mjs FILE.wasm [ARGS…]
// The datasets folder (HOURGLASS_TEST_DATA, else ../shared/datasets) is the program's /data.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';
const data = process.env.HOURGLASS_TEST_DATA || fileURLToPath(new URL('../../../shared/datasets', import.meta.url));
const wasi = new WASI({ version: 'preview1', args: ['wasi-run', ...process.argv.slice(3)], preopens: { '/data': data }, env: { RAYON_NUM_THREADS: '1' } });
const mod = await WebAssembly.compile(readFileSync(process.argv[2]));
const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
wasi.start(inst);
