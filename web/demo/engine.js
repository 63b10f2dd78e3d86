// The page's one door to the library: the promise-based client of web/src/ (the model lives in its
// Web Worker; the page never holds the weights). Everything else in web/demo/ talks to this module.
import { CbkClient, CbkError } from '../src/client.js';

export { CbkError };

let clientPromise = null;
const client = () => (clientPromise ??= CbkClient.create());

// The page's intervention (steer-spec.js, inclusive position ranges) as the API's Intervention list:
// a list of ranges becomes one intervention per range, [first, last + 1), as `cbk generate` does.
export function toApi(spec) {
  const target = { layer: spec.layer, site: spec.site, group: spec.group };
  if (spec.kind === 'bypass') return [{ kind: 'bypass', ...target }];
  const ranges = spec.positions === 'all' || spec.positions === 'generated'
    ? [spec.positions] : spec.positions.map(([a, b]) => ({ first: a, end: b + 1 }));
  return ranges.map((positions) => (spec.kind === 'force'
    ? { kind: 'force', ...target, code: spec.code, positions, mode: spec.mode, slot: spec.slot, strength: spec.strength }
    : { kind: 'disable', ...target, codes: spec.codes, topN: spec.topN, positions, mode: spec.mode }));
}

export const toApiList = (specs) => specs.flatMap(toApi);

export class Engine {
  constructor(model, vocab, fsm) {
    this.model = model;
    this.facts = model.facts;
    this.vocab = vocab;
    this.fsm = fsm;            // {n, matrix: Float32Array, succ: number[][]} or null
    this.sessions = {};
  }

  // source: URL string, File/Blob or ArrayBuffer (read in the worker). Throws CbkError.
  static async open(source, onProgress) {
    const c = await client();
    const model = await c.load(source, { onProgress });
    try {
      const vocab = await model.vocabulary();
      let fsm = null;
      if (model.facts.extraTensors.includes('fsm.transitions')) fsm = readFsm(await model.tensor('fsm.transitions', 'extra'));
      return new Engine(model, vocab, fsm);
    } catch (e) {
      await model.dispose().catch(() => {});
      throw e;
    }
  }

  static async version() {
    const c = await client();
    return `library ${c.version}, API ${c.apiVersion}${c.sharedCancel ? ', cross-origin isolated' : ''}`;
  }

  async session(name) {
    return (this.sessions[name] ??= await this.model.createSession({ trace: true }));
  }

  async dispose() {
    for (const s of Object.values(this.sessions)) await s.dispose().catch(() => {});
    this.sessions = {};
    await this.model.dispose().catch(() => {});
  }

  // A token's text; its id where the model has no tokenizer (or the id is beyond it).
  tokenText(id) {
    if (!this.facts.tokenizer.hasTokenizer || !(id >= 0 && id < this.vocab.length)) return String(id);
    return this.vocab[id];
  }

  async tokenize(text) {
    return Array.from(await this.model.tokenize(text));
  }

  // One generation on session `name` (reset, seed, steering, prefill, generate, as `cbk generate`).
  // onToken(event) streams tokens with their codes. Returns {tokens (prompt + generated), nPrompt,
  // trace: TraceGroup[], stop, tokensPerSecond}.
  async generate(name, { prompt, sampling, interventions, onToken, onStart }) {
    const s = await this.session(name);
    const run = s.run({
      prompt,
      steering: toApiList(interventions),
      maxNewTokens: sampling.n,
      sampling: { temperature: sampling.temperature, topK: sampling.topK, topP: sampling.topP },
      seed: sampling.seed,
      streamCodes: !!onToken,
      onToken,
    });
    onStart?.(run);
    const result = await run;
    const trace = await s.traceAll();
    return {
      tokens: [...prompt, ...result.tokens],
      nPrompt: prompt.length,
      trace,
      stop: result.stop,
      tokensPerSecond: result.tokensPerSecond,
    };
  }

  // The n most likely next tokens after tokens[0..upto], with the interventions set.
  async nextTokens(name, tokens, interventions, n = 8) {
    const s = await this.session(name);
    await s.reset();
    await s.clearSteering();
    await s.steer(toApiList(interventions));
    await s.prefill(tokens);
    const top = await s.topTokens(n);
    await s.clearSteering();
    return top;
  }

  // Runs a text (token ids) through a session, in windows of the context size, and returns the
  // codes of every token per codebook group: [{ids, scores, slots, rows}] (for code search).
  async traceOf(name, tokens) {
    const s = await this.session(name);
    await s.clearSteering();
    const ctx = this.facts.architecture.maxPositions;
    const groups = [];
    for (let first = 0; first < tokens.length; first += ctx) {
      await s.reset();
      await s.prefill(tokens.slice(first, first + ctx));
      const part = await s.traceAll();
      part.forEach((g, i) => {
        if (!groups[i]) groups[i] = { ids: [], scores: [], slots: g.slots, rows: 0 };
        groups[i].ids.push(g.ids);
        groups[i].scores.push(g.scores);
        groups[i].rows += g.rows;
      });
    }
    return groups.map((g) => ({ ...g, ids: concat(Int32Array, g.ids), scores: concat(Float32Array, g.scores) }));
  }
}

function concat(Type, parts) {
  const out = new Type(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
}

// fsm.transitions: a square f32 matrix, row = from-state, nonzero = a valid transition.
function readFsm(t) {
  const n = t.info.shape[0];
  if (t.info.shape.length !== 2 || t.info.shape[1] !== n) return null;
  const succ = [];
  for (let a = 0; a < n; ++a) {
    const row = [];
    for (let b = 0; b < n; ++b) if (t.values[a * n + b] > 0) row.push(b);
    succ.push(row);
  }
  return { n, matrix: t.values, succ };
}
