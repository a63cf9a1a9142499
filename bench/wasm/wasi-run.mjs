// Runs a wasm32-wasip1 program under Node's WASI (preview1), e.g. hourglass-core's
// train_steps example: node [--cpu-prof] bench/wasm/wasi-run.mjs FILE.wasm [ARGS…]
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';
const wasi = new WASI({ version: 'preview1', args: ['train_steps', ...process.argv.slice(3)], env: { RAYON_NUM_THREADS: '1' } });
const mod = await WebAssembly.compile(readFileSync(process.argv[2]));
const inst = await WebAssembly.instantiate(mod, wasi.getImportObject());
wasi.start(inst);
