// Prefill and decode tokens/s of the web module under Node, as a ratio to the native single-thread
// build in the same run, and the load time of a model from bytes already in memory (copy +
// verify + prepare).
//
//   node web/bench/bench.mjs [--runs 7] [--chromium] [--model PATH[:PROMPT:DECODE]]...
//   (CBK_BENCH_WARMUPS: warm-up repetitions, default 1; --chromium also runs the page bench.html in
//   headless Chromium, wall-clock only, as browsers have no CPU-time clock)
//
// Native side: web/bench/native_bench.c over the native build's libcbk.a (compiled here on first
// use; CBK_NATIVE_BUILD_DIR, default build/). Both sides run the same protocol: prompt ids
// (i * 7 + 1) % vocab as `cbk bench`, greedy decode, trace off, one warm-up repetition (for
// WebAssembly it also lets V8 tier the hot functions up), then --runs timed repetitions, medians
// reported. Figures are CPU time (the process's for WASM, the thread's for native), which stays
// stable on a shared, loaded machine; wall-clock medians are printed next to them.
// Defaults: models/tokfsm.cbk (prompt 64, decode 64) and, when it exists,
// build-web/bench/pythia70m-cb.cbk (prompt 128, decode 32; bench/e2e/make_model.py writes it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { BUILD_WEB, ROOT, MODULE_URL } from '../test/node/helpers.mjs';
import { createRuntime } from '../src/cbk.js';
import { wasmRuns } from './measure.js';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 7;
const warmups = Number(process.env.CBK_BENCH_WARMUPS ?? 1);
let models = args.flatMap((a, i) => (args[i - 1] === '--model' ? [a] : []));
if (!models.length) {
  models = [`${join(ROOT, 'models/tokfsm.cbk')}:64:64`];
  const pythia = join(ROOT, 'build-web/bench/pythia70m-cb.cbk');
  if (existsSync(pythia)) models.push(`${pythia}:128:32`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Builds web/bench/native_bench.c against the native libcbk.a once.
function nativeBench() {
  const exe = join(BUILD_WEB, 'bench/native_bench');
  const src = join(ROOT, 'web/bench/native_bench.c');
  if (existsSync(exe) && statSync(exe).mtimeMs > statSync(src).mtimeMs) return exe;
  const lib = join(ROOT, process.env.CBK_NATIVE_BUILD_DIR ?? 'build', 'bindings/c/libcbk.a');
  if (!existsSync(lib)) throw new Error(`${lib} is missing: build the native library (cmake --build build --target cbk_static)`);
  mkdirSync(dirname(exe), { recursive: true });
  const r = spawnSync('cc', ['-O2', '-std=c11', '-D_POSIX_C_SOURCE=200809L', `-I${join(ROOT, 'bindings/c/include')}`, src, lib,
    '-lstdc++', '-lm', '-lpthread', '-o', exe], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`compiling native_bench failed: ${r.stderr}`);
  return exe;
}

// isa: undefined = the best the CPU has (AVX-512 here), or a CBK_ISA name such as 'sse4.2' (the
// 4-lane ISA the WebAssembly build translates to SIMD128: a same-width comparison).
function nativeRuns(path, prompt, decode, isa) {
  const env = isa ? { ...process.env, CBK_ISA: isa } : process.env;
  const r = spawnSync(nativeBench(), [path, String(prompt), String(decode), String(runs)], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`native_bench failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((line) => JSON.parse(line));
}

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

// The same repetitions in headless Chromium (web/bench/bench.html through web/serve.mjs).
async function chromiumSession() {
  const { chromium } = await import('playwright-core');
  const { startServer } = await import('../serve.mjs');
  const { server, port } = await startServer({ root: ROOT, port: 0 });
  const browser = await chromium.launch({
    executablePath: process.env.CBK_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/web/bench/bench.html`);
  await page.waitForFunction(() => window.benchReady === true);
  return {
    version: browser.version(),
    run: (path, prompt, decode) => page.evaluate(([u, p, d, r, w]) => window.runBench(u, p, d, r, w),
      [`/${relative(ROOT, path)}`, prompt, decode, runs, warmups]),
    close: async () => {
      await browser.close();
      await new Promise((ok) => server.close(ok));
    },
  };
}

const runtime = await createRuntime({ moduleUrl: MODULE_URL });
const browser = args.includes('--chromium') ? await chromiumSession() : null;
const wasmFile = new URL('cbk.wasm', MODULE_URL);
const wasmBytes = readFileSync(wasmFile);
console.log(`cbk.wasm: ${wasmBytes.length} bytes raw, ${gzipSync(wasmBytes, { level: 9 }).length} bytes gzipped`);
console.log(`node ${process.version}${browser ? `, chromium ${browser.version}` : ''}, ${runs} runs after ${warmups} warm-up(s), ${new Date().toISOString()}`);

for (const spec of models) {
  const [path, p = '64', d = '32'] = spec.split(':');
  const [prompt, decode] = [Number(p), Number(d)];
  const bytes = readFileSync(path);
  const loadMs = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const m = await runtime.load(bytes);
    loadMs.push(performance.now() - t0);
    m.dispose();
  }
  const model = await runtime.load(pathToFileURL(path));
  const wasm = wasmRuns(model, { prompt, decode, runs, warmups, cpuSeconds });
  const native = nativeRuns(path, prompt, decode);
  const native4 = nativeRuns(path, prompt, decode, 'sse4.2');
  model.dispose();
  const tps = (xs, key, n) => n / median(xs.map((x) => x[key]));
  const row = (phase, n) => {
    const [nc, wc] = [tps(native, `${phase}_cpu`, n), tps(wasm, `${phase}_cpu`, n)];
    const [nw, ww] = [tps(native, `${phase}_wall`, n), tps(wasm, `${phase}_wall`, n)];
    return `${phase.padEnd(7)} native ${nc.toFixed(0).padStart(6)} tok/s   wasm ${wc.toFixed(0).padStart(6)} tok/s   ratio ${(wc / nc).toFixed(2)}` +
      `   (wall: ${nw.toFixed(0)} vs ${ww.toFixed(0)}, ratio ${(ww / nw).toFixed(2)};` +
      ` native sse4.2 ${tps(native4, `${phase}_cpu`, n).toFixed(0)}, ratio ${(wc / tps(native4, `${phase}_cpu`, n)).toFixed(2)})`;
  };
  console.log(`\n${basename(path)} (${(bytes.length / 1048576).toFixed(1)} MiB; prompt ${prompt}, decode ${decode}; CPU-time medians)`);
  console.log(row('prefill', prompt));
  console.log(row('decode', decode));
  console.log(`load from bytes (copy + verify + prepare): median ${median(loadMs).toFixed(1)} ms`);
  if (browser) {
    const b = await browser.run(path, prompt, decode);
    for (const [phase, n] of [['prefill', prompt], ['decode', decode]]) {
      const nw = tps(native, `${phase}_wall`, n);
      const bw = tps(b.rows, `${phase}_wall`, n);
      console.log(`chromium ${phase.padEnd(7)} ${bw.toFixed(0).padStart(6)} tok/s (wall)   ratio to native wall ${(bw / nw).toFixed(2)}`);
    }
    console.log(`chromium load after fetch (copy + verify + prepare): median ${median(b.loadMs).toFixed(1)} ms`);
  }
}
await browser?.close();
