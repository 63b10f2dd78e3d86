// The ONNX Runtime contenders of bench/peers under Node, one thread (protocol: cbk_runner.c's
// comment; one JSON line on stdout).
//
//   node bench/peers/ort_runner.mjs node|web MODEL.onnx CHECK_NEW PREFILL_LEN DECODE_PROMPT DECODE_NEW [--no-timing]
//
// node: onnxruntime-node (CPU execution provider, 1 intra-op and 1 inter-op thread, sequential),
//       the model loaded from its path.
// web:  onnxruntime-web (WebAssembly SIMD, 1 thread), the model given as bytes read first (load
//       time includes the read, as a page's fetch would).
// MODEL.onnx.json (written by export_onnx.py) gives the KV shapes and the vocabulary size.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { protocol } from './ort_protocol.js';

const [backend, model, ...rest] = process.argv.slice(2);
const [checkNew, prefillLen, decodePrompt, decodeNew] = rest.slice(0, 4).map(Number);
const timing = !rest.includes('--no-timing');
const meta = JSON.parse(readFileSync(`${model}.json`, 'utf8'));

const clock = () => {
  const u = process.cpuUsage();
  return { wall: performance.now() / 1e3, cpu: (u.user + u.system) / 1e6 };
};

const require = createRequire(import.meta.url);
let ort;
let options;
let version;
if (backend === 'node') {
  ort = require('onnxruntime-node');
  options = { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' };
  version = `onnxruntime-node ${ort.env.versions.node}`;
} else if (backend === 'web') {
  ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  options = { executionProviders: ['wasm'] };
  version = `onnxruntime-web ${ort.env.versions.web} (wasm simd, 1 thread)`;
} else {
  console.error('usage: ort_runner.mjs node|web MODEL.onnx CHECK_NEW PREFILL_LEN DECODE_PROMPT DECODE_NEW');
  process.exit(2);
}

const args = { checkNew, prefillLen, decodePrompt, decodeNew, timing };
const create = () => ort.InferenceSession.create(backend === 'web' ? readFileSync(model) : model, options);
const result = await protocol(ort, create, meta, args, clock);
result.rss_kb = process.resourceUsage().maxRSS;
result.runtime = version;
console.log(JSON.stringify(result));
