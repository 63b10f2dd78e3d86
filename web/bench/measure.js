// measure.js — the WebAssembly side of the speed benchmark, shared by Node (bench.mjs) and the
// browser page (bench.html): `cbk bench`'s protocol (prompt ids (i * 7 + 1) % vocab, greedy
// decode, trace off), warm-up repetitions first (they also let V8 tier the hot functions up),
// then timed ones.

export function promptTokens(n, vocab) {
  return Int32Array.from({ length: n }, (_, i) => (i * 7 + 1) % vocab);
}

// One row per timed repetition: {prefill_wall, decode_wall, prefill_cpu?, decode_cpu?} in seconds;
// cpuSeconds (Node: process CPU time) is optional.
export function wasmRuns(model, { prompt, decode, runs, warmups = 1, cpuSeconds }) {
  const s = model.createSession({ trace: false });
  const tokens = promptTokens(prompt, model.architecture.vocabSize);
  const cpu = cpuSeconds ?? (() => NaN);
  const out = [];
  try {
    for (let rep = -warmups; rep < runs; rep++) {
      s.reset();
      const w0 = performance.now() / 1000;
      const c0 = cpu();
      s.prefill(tokens);
      const w1 = performance.now() / 1000;
      const c1 = cpu();
      s.generate({ maxNewTokens: decode, sampling: { temperature: 0 }, stopAtEos: false });
      const w2 = performance.now() / 1000;
      const c2 = cpu();
      if (rep >= 0) out.push({ prefill_wall: w1 - w0, prefill_cpu: c1 - c0, decode_wall: w2 - w1, decode_cpu: c2 - c1 });
    }
  } finally {
    s.dispose();
  }
  return out;
}
