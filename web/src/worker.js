// worker.js — hosts the library in a Web Worker (or a Node worker thread) for client.js.
//
// Protocol: the client posts {id, op, args}; the worker answers {id, ok: true, result} or
// {id, ok: false, error: CbkError.toJSON()}, and for long operations posts events {id, event, ...}
// first ('progress' while loading, 'tokens' while generating). Operations run one at a time in
// arrival order; 'cancel' is handled at once. Generation yields to the event loop every few
// milliseconds so a cancel message can arrive; with a SharedArrayBuffer (cross-origin isolated
// pages) cancel also stops a running prefill.
import { CbkError, createRuntime } from './cbk.js';

const SLICE_MS = 8;  // generation time between yields to the event loop (and token flushes)

let port;       // { post(message, transfer), onMessage(handler) }
let runtime = null;
let cancelFlags = null;  // Int32Array over the client's SharedArrayBuffer: [slot] = cancelled run id
const cancelledRuns = new Set();
const models = new Map();
const sessions = new Map();
let nextHandle = 1;
let queue = Promise.resolve();

function handleMessage(msg) {
  if (msg?.op === 'cancel') {
    cancelledRuns.add(msg.args.runId);
    return;
  }
  queue = queue.then(() => execute(msg));
}

async function execute({ id, op, args }) {
  try {
    const fn = OPS[op];
    if (!fn) throw new CbkError('invalid_argument', `unknown worker operation '${op}'`);
    const { result, transfer = [] } = (await fn(args ?? {}, id)) ?? {};
    port.post({ id, ok: true, result }, transfer);
  } catch (e) {
    const error = e instanceof CbkError ? e : new CbkError('internal', e?.stack ?? String(e));
    port.post({ id, ok: false, error: error.toJSON() });
  }
}

function model(id) {
  const m = models.get(id);
  if (!m) throw new CbkError('wrong_state', `no model ${id} in the worker (disposed?)`);
  return m;
}

function session(id) {
  const s = sessions.get(id);
  if (!s) throw new CbkError('wrong_state', `no session ${id} in the worker (disposed?)`);
  return s;
}

function isCancelled(runId, slot) {
  return cancelledRuns.has(runId) || (cancelFlags !== null && Atomics.load(cancelFlags, slot) === runId);
}

const yieldToEvents = (() => {
  if (typeof MessageChannel === 'undefined') return () => new Promise((r) => setTimeout(r, 0));
  const channel = new MessageChannel();
  const waiting = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  return () => new Promise((r) => {
    waiting.push(r);
    channel.port2.postMessage(0);
  });
})();

const utf8 = () => new TextDecoder('utf-8');

// Generates with yields and token events; the result as Session.generate's plus timing.
async function generate(s, id, { maxNewTokens, sampling, seed, stopAtEos, streamCodes = false, runId = 0, slot = 0 }) {
  const decoder = utf8();
  const m = s.model;
  const books = m.facts.codebooks;
  if (seed !== undefined) s.setSeed(seed);
  const defaults = m.facts.generationDefaults;
  let remaining = maxNewTokens ?? defaults.maxNewTokens;
  const tokens = [];
  let stop = 'length';
  const t0 = performance.now();
  while (remaining > 0 && stop === 'length') {
    const events = [];
    const sliceEnd = performance.now() + SLICE_MS;
    const onToken = (token, position) => {
      const text = m.facts.tokenizer.hasTokenizer ? decoder.decode(m.detokenizeBytes([token]), { stream: true }) : '';
      const ev = { token, position, text };
      if (streamCodes) {
        ev.codes = [];
        for (const cb of books) for (let g = 0; g < cb.groups; g++) ev.codes.push(s.codes(cb.index, g, position));
      }
      events.push(ev);
      return performance.now() < sliceEnd;  // false ends this slice (reported as 'cancelled' below)
    };
    const before = remaining;
    const r = s.generate({
      maxNewTokens: remaining, sampling, stopAtEos, onToken,
      shouldCancel: () => isCancelled(runId, slot),
    });
    tokens.push(...r.tokens);
    remaining = before - r.tokens.length;
    // A 'cancelled' stop from onToken only ended the slice; a real cancel is checked here.
    stop = r.stop === 'cancelled' && !isCancelled(runId, slot) ? 'length' : r.stop;
    if (events.length) port.post({ id, event: 'tokens', tokens: events });
    if (stop === 'length' && remaining > 0) {
      await yieldToEvents();
      if (isCancelled(runId, slot)) stop = 'cancelled';
    }
  }
  cancelledRuns.delete(runId);
  const ms = performance.now() - t0;
  const generated = Int32Array.from(tokens);
  return {
    result: { tokens: generated, stop, ms, tokensPerSecond: ms > 0 ? (1000 * generated.length) / ms : 0 },
    transfer: [generated.buffer],
  };
}

function prefill(s, { tokens, runId = 0, slot = 0 }) {
  try {
    s.prefill(tokens, { shouldCancel: () => isCancelled(runId, slot) });
  } finally {
    cancelledRuns.delete(runId);
  }
  return { result: { position: s.position } };
}

const plain = (result) => ({ result });
const traceTransfer = (groups) => ({ result: groups, transfer: groups.flatMap((t) => [t.ids.buffer, t.scores.buffer]) });

const OPS = {
  async init({ moduleUrl, wasmUrl, cancelBuffer }) {
    runtime ??= await createRuntime({ moduleUrl, wasmUrl });
    if (cancelBuffer) cancelFlags = new Int32Array(cancelBuffer);
    return plain({ version: runtime.version, apiVersion: runtime.apiVersion });
  },
  async load({ source, verifyChecksum }, id) {
    if (!runtime) throw new CbkError('wrong_state', 'the worker was not initialised');
    let last = 0;
    const onProgress = (loaded, total) => {
      const now = performance.now();
      if (now - last > 50 || loaded === total) {
        last = now;
        port.post({ id, event: 'progress', loaded, total });
      }
    };
    const m = await runtime.load(source, { onProgress, verifyChecksum });
    const handle = nextHandle++;
    models.set(handle, m);
    return plain({ model: handle, facts: m.facts });
  },
  annotations: ({ model: h }) => plain(model(h).annotations()),
  annotation: ({ model: h, codebook, group, code }) => plain(model(h).annotation(codebook, group, code)),
  tensor: ({ model: h, name, list }) => {
    const t = model(h).tensor(name, list);
    const values = t.toFloat32();
    return { result: { info: t.info, data: t.data, scales: t.scales, values }, transfer: [values.buffer] };
  },
  tokenize: ({ model: h, text, options }) => plain(model(h).tokenize(text, options)),
  detokenize: ({ model: h, tokens }) => plain(model(h).detokenize(tokens)),
  vocabulary: ({ model: h }) => plain(model(h).vocabulary()),
  promotedTokens: ({ model: h, codebook, group, code, topN }) =>
    plain(model(h).promotedTokens(codebook, group, code, topN)),
  codeVector: ({ model: h, codebook, group, code }) => {
    const v = model(h).codeVector(codebook, group, code);
    return { result: v, transfer: [v.buffer] };
  },
  createSession: ({ model: h, params }) => {
    const s = model(h).createSession(params);
    const handle = nextHandle++;
    sessions.set(handle, s);
    return plain({ session: handle });
  },
  disposeModel: ({ model: h }) => {
    models.get(h)?.dispose();
    models.delete(h);
    return plain(undefined);
  },

  prefill: (args) => prefill(session(args.session), args),
  decode: ({ session: h, token }) => plain(session(h).decode(token)),
  sample: ({ session: h, sampling }) => plain(session(h).sample(sampling)),
  step: ({ session: h, sampling }) => plain(session(h).step(sampling)),
  generate: (args, id) => generate(session(args.session), id, args),
  run: async (args, id) => {
    const s = session(args.session);
    s.reset();
    if (args.steering) {
      s.clearSteering();
      s.steer(args.steering);
    }
    if (args.seed !== undefined) s.setSeed(args.seed);
    const cancelled = { result: { tokens: new Int32Array(0), stop: 'cancelled', ms: 0, tokensPerSecond: 0 } };
    try {
      prefill(s, { ...args, tokens: args.prompt });
    } catch (e) {
      if (e instanceof CbkError && e.status === 'cancelled') return cancelled;  // a run resolves, never rejects, on cancel
      throw e;
    }
    if (isCancelled(args.runId, args.slot)) return cancelled;
    return generate(s, id, { ...args, seed: undefined });
  },
  position: ({ session: h }) => plain(session(h).position),
  tokens: ({ session: h }) => plain(session(h).tokens),
  logits: ({ session: h }) => plain(session(h).logits()),
  probabilities: ({ session: h, temperature }) => plain(session(h).probabilities(temperature)),
  topTokens: ({ session: h, n, temperature }) => plain(session(h).topTokens(n, temperature)),
  setSeed: ({ session: h, seed }) => plain(session(h).setSeed(seed)),
  reset: ({ session: h }) => plain(session(h).reset()),
  codes: ({ session: h, codebook, group, position }) => plain(session(h).codes(codebook, group, position)),
  trace: ({ session: h, codebook, group }) => {
    const t = session(h).trace(codebook, group);
    return { result: t, transfer: [t.ids.buffer, t.scores.buffer] };
  },
  traceAll: ({ session: h }) => traceTransfer(session(h).traceAll()),
  traceJson: ({ session: h }) => plain(session(h).traceJson()),
  force: ({ session: h, spec }) => plain(session(h).force(spec)),
  disable: ({ session: h, spec }) => plain(session(h).disable(spec)),
  interchange: ({ session: h, spec }) => plain(session(h).interchange(spec)),
  bypass: ({ session: h, spec }) => plain(session(h).bypass(spec)),
  steer: ({ session: h, interventions }) => plain(session(h).steer(interventions)),
  clearSteering: ({ session: h }) => plain(session(h).clearSteering()),
  steeringCount: ({ session: h }) => plain(session(h).steeringCount),
  disposeSession: ({ session: h }) => {
    sessions.get(h)?.dispose();
    sessions.delete(h);
    return plain(undefined);
  },
};

// ---- wiring: Web Worker or Node worker thread ----
if (typeof self !== 'undefined' && typeof self.postMessage === 'function' && typeof WorkerGlobalScope !== 'undefined') {
  port = { post: (m, t) => self.postMessage(m, t) };
  self.onmessage = (e) => handleMessage(e.data);
} else {
  const { parentPort } = await import('node:worker_threads');
  if (parentPort) {
    port = { post: (m, t) => parentPort.postMessage(m, t) };
    parentPort.on('message', handleMessage);
  }
}
