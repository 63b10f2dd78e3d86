// The bench/peers protocol (cbk_runner.c's comment) over cbk's WebAssembly build through its JS API
// (web/src/cbk.js). Shared by the Node runner and a page. `runtime` is createRuntime()'s result,
// `readBytes()` returns the model file's bytes (timed as part of the load, like a fetch),
// `clock()` returns {wall, cpu} seconds.
import { span } from './ort_protocol.js';

const prompt = (n, vocab) => Int32Array.from({ length: n }, (_, i) => (i * 7 + 1) % vocab);

function argmax(data) {
  let best = 0;
  for (let i = 1; i < data.length; ++i) if (data[i] > data[best]) best = i;
  return best;
}

function run(s, ids, nNew, onFirst = null) {
  s.reset();
  s.prefill(ids);
  const tokens = [];
  for (let i = 0; i < nNew; ++i) {
    const t = argmax(s.logitsView());
    if (i === 0 && onFirst) onFirst();
    tokens.push(t);
    s.decode(t);
  }
  return tokens;
}

function timedPhases(s, vocab, args, clock, suffix, result) {
  const pf = prompt(args.prefillLen, vocab);
  const dp = prompt(args.decodePrompt, vocab);
  run(s, pf, 0); // warm-up (also lets V8 tier the hot functions up)
  run(s, dp, 4);
  let a = clock();
  run(s, pf, 0);
  argmax(s.logitsView());
  result[`prefill${suffix}`] = span(a, clock());
  let first = null;
  a = clock();
  run(s, dp, args.decodeNew, () => { first = clock(); });
  const b = clock();
  result[`ttft${suffix}`] = span(a, first);
  result[`decode${suffix}`] = span(first, b);
}

export async function protocol(runtime, readBytes, args, clock) {
  const result = {};
  let a = clock();
  const model = await runtime.load(await readBytes());
  result.load = span(a, clock());
  const vocab = model.architecture.vocabSize;
  const ctx = Math.max(16 + args.checkNew, args.prefillLen, args.decodePrompt + args.decodeNew);
  const traced = model.createSession({ maxContext: ctx, trace: true });
  result.tokens = run(traced, prompt(16, vocab), args.checkNew);
  result.codes = model.codebooks.map((cb, c) => Array.from({ length: cb.groups }, (_, g) => {
    const t = traced.traceView(c, g);
    return Array.from({ length: t.rows }, (_, r) => Array.from(t.ids.subarray(r * t.slots, (r + 1) * t.slots)));
  }));
  traced.dispose();
  if (args.timing) {
    const plain = model.createSession({ maxContext: ctx, trace: false });
    timedPhases(plain, vocab, args, clock, '', result);
    plain.dispose();
  }
  result.memory_bytes = runtime.memoryBytes();
  model.dispose();
  return result;
}
