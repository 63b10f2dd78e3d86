// The bench/peers protocol (cbk_runner.c's comment) over an ONNX Runtime InferenceSession of
// export_onnx.py's graph. Shared by the Node runner (onnxruntime-node and onnxruntime-web) and any
// page that loads onnxruntime-web: `ort` is the library's namespace, `clock()` returns
// {wall, cpu} in seconds (cpu may be NaN where there is no CPU clock).

const prompt = (n, vocab) => Array.from({ length: n }, (_, i) => (i * 7 + 1) % vocab);

function argmax(data) {
  let best = 0;
  for (let i = 1; i < data.length; ++i) if (data[i] > data[best]) best = i;
  return best;
}

export function span(a, b) {
  return { wall: b.wall - a.wall, cpu: b.cpu - a.cpu };
}

// One forward call: ids (numbers) after `past` (the previous call's outputs, or null).
async function forward(ort, session, meta, ids, past) {
  const feeds = { ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [ids.length]) };
  for (let l = 0; l < meta.n_layers; ++l) {
    for (const kv of ['k', 'v']) {
      feeds[`past_${kv}_${l}`] = past
        ? past[`present_${kv}_${l}`]
        : new ort.Tensor('float32', new Float32Array(0), [meta.n_heads, 0, meta.head_dim]);
    }
  }
  return session.run(feeds);
}

// Prefill `ids`, then nNew greedy tokens, each decoded. Returns {tokens, codes ([I][G][T][k]) or null}.
async function run(ort, session, meta, ids, nNew, { keepCodes = false, onFirst = null } = {}) {
  let out = await forward(ort, session, meta, ids, null);
  const steps = keepCodes ? [out] : null;
  const tokens = [];
  for (let i = 0; i < nNew; ++i) {
    const t = argmax(out.logits.data);
    if (i === 0 && onFirst) onFirst();
    tokens.push(t);
    out = await forward(ort, session, meta, [t], out);
    if (keepCodes) steps.push(out);
  }
  if (!keepCodes) return { tokens, codes: null };
  const codes = [];
  for (let c = 0; c < meta.codebooks; ++c) {
    const [g, , k] = steps[0][`codes_${c}`].dims;
    const groups = Array.from({ length: g }, () => []);
    for (const step of steps) {
      const t = step[`codes_${c}`];
      const rows = t.dims[1];
      for (let gi = 0; gi < g; ++gi) {
        for (let r = 0; r < rows; ++r) {
          const base = (gi * rows + r) * k;
          groups[gi].push(Array.from(t.data.slice(base, base + k), Number));
        }
      }
    }
    codes.push(groups);
  }
  return { tokens, codes };
}

// The whole run: load (`createSession()`, timed), check, timed phases.
export async function protocol(ort, createSession, meta, args, clock) {
  const { checkNew, prefillLen, decodePrompt, decodeNew, timing } = args;
  const result = {};
  let a = clock();
  const session = await createSession();
  result.load = span(a, clock());
  const vocab = meta.vocab_size;
  const check = await run(ort, session, meta, prompt(16, vocab), checkNew, { keepCodes: true });
  result.tokens = check.tokens;
  result.codes = check.codes;
  if (timing) {
    const pf = prompt(prefillLen, vocab);
    const dp = prompt(decodePrompt, vocab);
    await run(ort, session, meta, pf, 0); // warm-up
    await run(ort, session, meta, dp, 4);
    a = clock();
    const out = await forward(ort, session, meta, pf, null);
    argmax(out.logits.data);
    result.prefill = span(a, clock());
    let first = null;
    a = clock();
    await run(ort, session, meta, dp, decodeNew, { onFirst: () => { first = clock(); } });
    const b = clock();
    result.ttft = span(a, first);
    result.decode = span(first, b);
  }
  return result;
}
