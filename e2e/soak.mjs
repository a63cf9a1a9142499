// The soak (issue 15): one server, 20 tabs' worth of WebSocket sessions — Glass Boxes, 3D
// explorers and Digits Labs training their own model — for DURATION seconds (default 600).
// Reports: sessions accepted and refused (with the server's words), sessions dropped, each
// page's snapshot rate (min and median over its sessions), the server's RSS after warm-up and
// at the end. Loopback only, bounded in count and time. Run by scripts/soak.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DURATION = Number(process.env.DURATION || 600);
const WARMUP = Math.min(60, DURATION / 4);
const bin = process.env.HOURGLASS_BIN;
const models = mkdtempSync(join(tmpdir(), 'hourglass-soak-'));
const args = ['serve', '--port', '0', '--models', models];
if (process.env.HOURGLASS_TEST_DATA) args.push('--data-dir', process.env.HOURGLASS_TEST_DATA);
const srv = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((res) => srv.stdout.on('data', (d) => { const m = String(d).match(/http:\/\/\S+/); if (m) res(new URL(m[0]).origin); }));
const rss = () => Number((readFileSync(`/proc/${srv.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/) || [0, 0])[1]) / 1024;

/** @param {ArrayBuffer|string} data */
function header(data) {
  if (typeof data === 'string') return JSON.parse(data);
  const n = new DataView(data).getUint32(0, true);
  return JSON.parse(new TextDecoder().decode(new Uint8Array(data, 4, n)));
}

// interleaved, so the tabs the server refuses (it holds 16) are of every page
const plan = Array.from({ length: 20 }, (_, i) => (i % 10 < 4 ? 'glass' : i % 10 < 7 ? 'latent3d' : 'digits'));
const tabs = plan.map((page, i) => ({ page, i, snapshots: 0, afterWarmup: 0, refused: null, dropped: false, open: false, lastStep: -1 }));
let warm = false;
let ending = false;
for (const t of tabs) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws?page=${t.page}`);
  ws.binaryType = 'arraybuffer';
  t.ws = ws;
  ws.onmessage = (e) => {
    const h = header(e.data);
    if (h.type === 'error' && h.code === 'full') t.refused = h.message;
    if (h.type === 'session') {
      t.open = true;
      if (t.page === 'digits') ws.send(JSON.stringify({ type: 'configure', model: 'train', train_size: 2000 }));
      ws.send(JSON.stringify({ type: 'play' }));
    }
    if (h.type === 'snapshot') {
      t.snapshots++;
      if (warm) t.afterWarmup++;
      t.lastStep = h.step ?? t.lastStep;
    }
  };
  ws.onclose = () => { if (!ending && !t.refused) t.dropped = true; };
  // one tab at a time, as people open them
  await new Promise((r) => setTimeout(r, 150));
}
await new Promise((r) => setTimeout(r, WARMUP * 1000));
warm = true;
const rssWarm = rss();
const samples = [];
const timer = setInterval(() => samples.push(rss()), 10_000);
await new Promise((r) => setTimeout(r, (DURATION - WARMUP) * 1000));
clearInterval(timer);
const rssEnd = rss();
ending = true;
const seconds = DURATION - WARMUP;
const byPage = {};
for (const t of tabs.filter((t) => t.open)) (byPage[t.page] ||= []).push(t.afterWarmup / seconds);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const report = {
  duration_s: DURATION,
  tabs: tabs.length,
  accepted: tabs.filter((t) => t.open).length,
  refused: tabs.filter((t) => t.refused).length,
  refusal: (tabs.find((t) => t.refused) || {}).refused || null,
  dropped: tabs.filter((t) => t.dropped).length,
  snapshots_per_second: Object.fromEntries(Object.entries(byPage).map(([p, r]) => [p, { sessions: r.length, min: +Math.min(...r).toFixed(2), median: +median(r).toFixed(2) }])),
  still_training: tabs.filter((t) => t.open && t.lastStep > 0).length,
  rss_mib: { after_warmup: +rssWarm.toFixed(1), end: +rssEnd.toFixed(1), min: +Math.min(...samples).toFixed(1), max: +Math.max(...samples).toFixed(1) },
  // the RSS each minute after warm-up: a drift shows as a slope, noise as a band
  rss_mib_each_minute: samples.filter((_, i) => i % 6 === 5).map((v) => +v.toFixed(1)),
};
console.log(JSON.stringify(report, null, 2));
for (const t of tabs) t.ws.close();
srv.kill();
process.exit(0);
