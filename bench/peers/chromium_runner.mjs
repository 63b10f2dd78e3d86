// The browser contenders of bench/peers: cbk's WebAssembly module (web/src/cbk.js) or
// onnxruntime-web (WASM SIMD, 1 thread), run inside headless Chromium (Debian's, driven by npm
// playwright-core). One JSON line on stdout; times are wall clock (a page has no CPU clock).
//
//   node bench/peers/chromium_runner.mjs WEB_ROOT|- cbk|ort MODEL CHECK_NEW PREFILL_LEN DECODE_PROMPT DECODE_NEW
//
// A loopback server maps /peers/ to this folder, /ort/ to onnxruntime-web's dist/, /web/ to WEB_ROOT
// (web/src/ and build-web/), /model and /model.json to the model and its ONNX sidecar.
import { createServer } from 'node:http';
import { readFileSync, statSync, createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const [webRoot, kind, model, ...rest] = process.argv.slice(2);
const [checkNew, prefillLen, decodePrompt, decodeNew] = rest.slice(0, 4).map(Number);
const args = { checkNew, prefillLen, decodePrompt, decodeNew, timing: !rest.includes('--no-timing') };

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.json': 'application/json' };
const routes = [['/peers/', here], ['/ort/', join(root, 'node_modules/onnxruntime-web/dist')]];
if (webRoot !== '-') routes.push(['/web/', webRoot]);

function resolvePath(url) {
  const path = decodeURIComponent(new URL(url, 'http://x').pathname);
  if (path === '/model') return model;
  if (path === '/model.json') return `${model}.json`;
  if (path === '/') return join(here, 'page.html');
  for (const [prefix, dir] of routes) {
    if (path.startsWith(prefix)) {
      const file = normalize(join(dir, path.slice(prefix.length)));
      if (file.startsWith(dir)) return file;
    }
  }
  return null;
}

const server = createServer((req, res) => {
  const file = resolvePath(req.url);
  let size = -1;
  try { size = file ? statSync(file).size : -1; } catch { size = -1; }
  if (size < 0) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', 'Content-Length': size });
  createReadStream(file).pipe(res);
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const base = `http://127.0.0.1:${server.address().port}`;

const { chromium } = createRequire(import.meta.url)('playwright-core');
const browser = await chromium.launch({
  executablePath: process.env.CBK_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
let code = 0;
try {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  const result = await page.evaluate(async ({ kind, args }) => {
    const clock = () => ({ wall: performance.now() / 1e3, cpu: NaN });
    const bytes = async () => new Uint8Array(await (await fetch('/model')).arrayBuffer());
    if (kind === 'cbk') {
      const { protocol } = await import('/peers/cbk_wasm_protocol.js');
      const { createRuntime } = await import('/web/web/src/cbk.js');
      const runtime = await createRuntime({ moduleUrl: '/web/build-web/cbk.mjs' });
      const r = await protocol(runtime, bytes, args, clock);
      r.runtime = `cbk ${runtime.version} wasm (Chromium ${navigator.userAgent.match(/Chrome\/([\d.]+)/)?.[1]})`;
      return r;
    }
    const ort = await import('/ort/ort.wasm.min.mjs');
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.wasmPaths = '/ort/';
    const meta = await (await fetch('/model.json')).json();
    const { protocol } = await import('/peers/ort_protocol.js');
    const create = async () => ort.InferenceSession.create(await bytes(), { executionProviders: ['wasm'] });
    const r = await protocol(ort, create, meta, args, clock);
    r.runtime = `onnxruntime-web ${ort.env.versions.web} (Chromium, wasm simd, 1 thread)`;
    return r;
  }, { kind, args });
  result.rss_kb = null;
  console.log(JSON.stringify(result));
} catch (e) {
  console.error(String(e?.stack ?? e));
  code = 1;
} finally {
  await browser.close();
  server.close();
}
process.exit(code);
