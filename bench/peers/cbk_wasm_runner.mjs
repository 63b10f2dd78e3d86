// cbk's WebAssembly build under Node, as a bench/peers contender (one JSON line on stdout).
//
//   node bench/peers/cbk_wasm_runner.mjs WEB_ROOT MODEL.cbk CHECK_NEW PREFILL_LEN DECODE_PROMPT DECODE_NEW [--no-timing]
//
// WEB_ROOT is a checkout holding web/src/cbk.js and its build, build-web/cbk.mjs + cbk.wasm (this
// repository once web/ is merged). The model's bytes are read into memory and loaded from there
// (what a page does with a fetched file); load time includes the read.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { protocol } from './cbk_wasm_protocol.js';

const [webRoot, model, ...rest] = process.argv.slice(2);
const [checkNew, prefillLen, decodePrompt, decodeNew] = rest.slice(0, 4).map(Number);
const timing = !rest.includes('--no-timing');
const clock = () => {
  const u = process.cpuUsage();
  return { wall: performance.now() / 1e3, cpu: (u.user + u.system) / 1e6 };
};

const { createRuntime } = await import(pathToFileURL(join(webRoot, 'web/src/cbk.js')).href);
const runtime = await createRuntime({ moduleUrl: pathToFileURL(join(webRoot, 'build-web/cbk.mjs')) });
const args = { checkNew, prefillLen, decodePrompt, decodeNew, timing };
const result = await protocol(runtime, async () => readFileSync(model), args, clock);
result.rss_kb = process.resourceUsage().maxRSS;
result.runtime = `cbk ${runtime.version} wasm (Node ${process.versions.node})`;
console.log(JSON.stringify(result));
