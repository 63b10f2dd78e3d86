// session.js — one conversation with a model: prefill, decode, sampling, generation as
// `cbk generate` does it, logits and probabilities, the code trace, steering, cancel.
import { checkInt, checkNumber, describe, fail } from './errors.js';
import { NO_SLOT, positionsValue, siteValue, toIds } from './values.js';

const FORCE_MODES = { slot: 0, all: 1, append: 2 };
const DISABLE_MODES = { keep: 0, zero: 1 };

// A 64-bit seed as [lo, hi] uint32 halves.
function seedHalves(seed) {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed >= 1n << 64n) fail('invalid_argument', `seed must fit in 64 bits, got ${seed}`);
    return [Number(seed & 0xffffffffn), Number(seed >> 32n)];
  }
  checkInt('seed', seed, 0, Number.MAX_SAFE_INTEGER);
  return [seed % 4294967296, Math.floor(seed / 4294967296)];
}

function samplingArgs(sampling = {}, defaults = { temperature: 1, topK: 0, topP: 1 }) {
  if (sampling === null || typeof sampling !== 'object') fail('invalid_argument', `sampling must be an object, got ${describe(sampling)}`);
  const temperature = checkNumber('sampling.temperature', sampling.temperature ?? defaults.temperature);
  const topK = checkInt('sampling.topK', sampling.topK ?? defaults.topK, 0);
  const topP = checkNumber('sampling.topP', sampling.topP ?? defaults.topP);
  return [temperature, topK, topP];
}

export class Session {
  constructor(rt, model, bytes, params) {
    const { maxContext = 0, prefillChunk = 64, trace = true, seed = 0, threads = 1 } = params ?? {};
    // cbk_session_params.n_threads: checked like the native API, but this module is built without
    // pthreads, so every session runs on the calling thread (results are the same for any count).
    checkInt('threads', threads, 0, 256);
    const [lo, hi] = seedHalves(seed);
    this._rt = rt;
    this.model = model;
    this._cancelId = rt.nextId();
    const st = rt.M._cbk_web_session_create(model.handle(), checkInt('maxContext', maxContext, 0),
      checkInt('prefillChunk', prefillChunk, 0), trace ? 1 : 0, lo, hi, this._cancelId, rt.scratch);
    rt.check(st);
    this._h = rt.readPtr(rt.scratch);
    this._bytes = bytes;
    bytes.retain();
    this._tokens = [];
    this._out = rt.alloc(64);  // this session's output arguments (safe across nested calls)
  }

  get disposed() { return this._h === 0; }
  get position() { return this._rt.M._cbk_session_position(this.handle()) >>> 0; }
  get promptLength() { return this._rt.M._cbk_session_prompt_length(this.handle()) >>> 0; }
  get contextSize() { return this._rt.M._cbk_session_context_size(this.handle()) >>> 0; }
  get tokens() { return Int32Array.from(this._tokens); }
  get steeringCount() { return this._rt.M._cbk_steer_count(this.handle()) >>> 0; }
  get lastError() { return this._rt.string(this._rt.M._cbk_session_last_error(this.handle())); }

  handle() {
    if (this._h === 0) fail('wrong_state', 'the session was disposed');
    return this._h;
  }

  // ---- running tokens ----
  prefill(tokens, { shouldCancel, allLogits = false } = {}) {
    const rt = this._rt;
    const h = this.handle();
    const ids = toIds(tokens, 'tokens');
    const checks = rt.M.cbkCancelChecks;
    if (shouldCancel) {
      if (typeof shouldCancel !== 'function') fail('invalid_argument', 'shouldCancel must be a function');
      checks.set(this._cancelId, shouldCancel);
    }
    try {
      return rt.withInt32(ids, (p, n) => {
        if (!allLogits) {
          rt.check(rt.M._cbk_session_prefill(h, p, n));
          this._tokens = Array.from(ids);
          return undefined;
        }
        const count = n * this.model.facts.architecture.vocabSize;
        return rt.withBuffer(count * 4, (logits) => {
          rt.check(rt.M._cbk_session_prefill_logits(h, p, n, logits, count));
          this._tokens = Array.from(ids);
          return rt.F32.slice(logits >>> 2, (logits >>> 2) + count);
        });
      });
    } finally {
      checks.delete(this._cancelId);
    }
  }

  decode(token) {
    const rt = this._rt;
    rt.check(rt.M._cbk_session_decode(this.handle(), checkInt('token', token, -2147483648, 2147483647)));
    this._tokens.push(token);
  }

  sample(sampling) {
    const rt = this._rt;
    rt.check(rt.M._cbk_web_sample(this.handle(), ...samplingArgs(sampling), this._out));
    return rt.readI32(this._out);
  }

  step(sampling) {
    return this._step(this.handle(), samplingArgs(sampling));
  }

  _step(h, [temperature, topK, topP]) {
    const rt = this._rt;
    rt.check(rt.M._cbk_web_step(h, temperature, topK, topP, this._out));
    const token = rt.I32[this._out >>> 2];
    this._tokens.push(token);
    return token;
  }

  // As `cbk generate` after its prefill: the model's generation defaults fill what `sampling` and
  // maxNewTokens leave out; stops at EOS (unless stopAtEos is false) or a full context.
  generate({ maxNewTokens, sampling, seed, stopAtEos = true, onToken, shouldCancel } = {}) {
    const h = this.handle();
    const defaults = this.model.facts.generationDefaults;
    const args = samplingArgs(sampling, defaults);
    const n = checkInt('maxNewTokens', maxNewTokens ?? defaults.maxNewTokens, 0);
    if (seed !== undefined) this.setSeed(seed);
    const tok = this.model.facts.tokenizer;
    const eos = stopAtEos && tok.hasTokenizer ? tok.eos : -1;
    const context = this.contextSize;
    const out = [];
    let stop = 'length';
    for (let i = 0; i < n; i++) {
      if (this._tokens.length >= context) {
        stop = 'context_full';
        break;
      }
      if (shouldCancel && shouldCancel()) {
        stop = 'cancelled';
        break;
      }
      const token = this._step(h, args);
      out.push(token);
      const goOn = !onToken || onToken(token, this._tokens.length - 1) !== false;
      if (token === eos) {
        stop = 'eos';
        break;
      }
      if (!goOn) {
        stop = 'cancelled';
        break;
      }
    }
    return { tokens: Int32Array.from(out), stop };
  }

  // ---- logits ----
  logitsView() {
    const rt = this._rt;
    rt.check(rt.M._cbk_session_logits(this.handle(), this._out, this._out + 4));
    const p = rt.readPtr(this._out) >>> 2;
    return rt.F32.subarray(p, p + rt.readU32(this._out + 4));
  }

  logits() {
    return this.logitsView().slice();
  }

  probabilities(temperature = 1) {
    checkNumber('temperature', temperature);
    const logits = this.logitsView();
    const out = new Float32Array(logits.length);
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    if (temperature <= 0) {
      out[best] = 1;
      return out;
    }
    const max = logits[best];
    let sum = 0;
    const e = new Float64Array(logits.length);
    for (let i = 0; i < logits.length; i++) sum += e[i] = Math.exp((logits[i] - max) / temperature);
    for (let i = 0; i < logits.length; i++) out[i] = e[i] / sum;
    return out;
  }

  topTokens(n, temperature = 1) {
    checkInt('n', n, 0);
    const probs = this.probabilities(temperature);
    const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a] || a - b);
    return order.slice(0, n).map((token) => ({ token, prob: probs[token] }));
  }

  setSeed(seed) {
    const [lo, hi] = seedHalves(seed);
    this._rt.check(this._rt.M._cbk_web_session_set_seed(this.handle(), lo, hi));
  }

  reset() {
    this._rt.check(this._rt.M._cbk_session_reset(this.handle()));
    this._tokens = [];
  }

  // ---- codes ----
  codes(codebook, group, position) {
    const rt = this._rt;
    const o = this._out;
    rt.check(rt.M._cbk_session_codes(this.handle(), checkInt('codebook', codebook, 0), checkInt('group', group, 0),
      checkInt('position', position, 0), o, o + 4, o + 8));
    const n = rt.readU32(o + 8);
    const ids = rt.readPtr(o) >>> 2;
    const scores = rt.readPtr(o + 4) >>> 2;
    return { ids: rt.I32.slice(ids, ids + n), scores: rt.F32.slice(scores, scores + n) };
  }

  traceView(codebook, group) {
    const rt = this._rt;
    const o = this._out;
    rt.check(rt.M._cbk_session_trace(this.handle(), checkInt('codebook', codebook, 0), checkInt('group', group, 0),
      o, o + 4, o + 8, o + 12));
    const rows = rt.readU32(o + 8);
    const slots = rt.readU32(o + 12);
    const ids = rt.readPtr(o) >>> 2;
    const scores = rt.readPtr(o + 4) >>> 2;
    const info = this.model.facts.codebooks[codebook];
    return {
      codebook, layer: info.layer, site: info.site, group, rows, slots,
      ids: rt.I32.subarray(ids, ids + rows * slots), scores: rt.F32.subarray(scores, scores + rows * slots),
    };
  }

  trace(codebook, group) {
    const t = this.traceView(codebook, group);
    return { ...t, ids: t.ids.slice(), scores: t.scores.slice() };
  }

  traceAll() {
    const out = [];
    for (const cb of this.model.facts.codebooks) {
      for (let g = 0; g < cb.groups; g++) out.push(this.trace(cb.index, g));
    }
    return out;
  }

  traceJson() {
    return this.traceAll().map((t) => {
      const ids = [];
      const scores = [];
      for (let r = 0; r < t.rows; r++) {
        const rowIds = [];
        const rowScores = [];
        for (let k = 0; k < t.slots; k++) {
          const id = t.ids[r * t.slots + k];
          if (id === NO_SLOT) continue;
          rowIds.push(id);
          rowScores.push(t.scores[r * t.slots + k]);
        }
        ids.push(rowIds);
        scores.push(rowScores);
      }
      return { layer: t.layer, site: t.site, group: t.group, ids, scores };
    });
  }

  // ---- steering ----
  _target(spec) {
    if (spec === null || typeof spec !== 'object') fail('invalid_argument', `a steering target must be an object, got ${describe(spec)}`);
    return this._rt.writeStruct('target', this._out + 16, {
      layer: checkInt('layer', spec.layer, 0),
      site: siteValue(spec.site),
      group: checkInt('group', spec.group ?? -1, -1, 2147483647),
    });
  }

  _positions(positions) {
    return this._rt.writeStruct('positions', this._out + 32, positionsValue(positions));
  }

  force(spec) {
    const rt = this._rt;
    const target = this._target(spec);
    const mode = FORCE_MODES[spec.mode ?? 'slot'];
    if (mode === undefined) fail('invalid_argument', `force mode must be 'slot', 'all' or 'append', got ${describe(spec.mode)}`);
    rt.check(rt.M._cbk_steer_force(this.handle(), target, checkInt('code', spec.code, -2147483648, 2147483647),
      this._positions(spec.positions), mode, checkInt('slot', spec.slot ?? 0, -2147483648, 2147483647),
      checkNumber('strength', spec.strength ?? 1)));
  }

  disable(spec) {
    const rt = this._rt;
    const target = this._target(spec);
    const mode = DISABLE_MODES[spec.mode ?? 'keep'];
    if (mode === undefined) fail('invalid_argument', `disable mode must be 'keep' or 'zero', got ${describe(spec.mode)}`);
    const codes = toIds(spec.codes ?? [], 'codes');
    const slots = toIds(spec.slots ?? [], 'slots');
    const positions = this._positions(spec.positions);
    rt.withInt32(codes, (pc, nc) => rt.withInt32(slots, (ps, ns) => {
      rt.check(rt.M._cbk_steer_disable(this.handle(), target, pc, nc, checkInt('topN', spec.topN ?? 0, 0), positions,
        mode, ps, ns));
    }));
  }

  interchange(spec) {
    const rt = this._rt;
    const target = this._target(spec);
    const ids = toIds(spec.ids, 'ids');
    rt.withInt32(ids, (p, n) => {
      rt.check(rt.M._cbk_steer_interchange(this.handle(), target, checkInt('position', spec.position, 0), p, n));
    });
  }

  bypass(spec) {
    this._rt.check(this._rt.M._cbk_steer_bypass(this.handle(), this._target(spec)));
  }

  steer(interventions) {
    if (!Array.isArray(interventions)) fail('invalid_argument', `interventions must be an array, got ${describe(interventions)}`);
    for (const item of interventions) {
      const kind = item?.kind;
      if (kind === 'force') this.force(item);
      else if (kind === 'disable') this.disable(item);
      else if (kind === 'interchange') this.interchange(item);
      else if (kind === 'bypass') this.bypass(item);
      else fail('invalid_argument', `an intervention's kind is force, disable, interchange or bypass, got ${describe(kind)}`);
    }
  }

  clearSteering() {
    this._rt.check(this._rt.M._cbk_steer_clear(this.handle()));
  }

  dispose() {
    if (this._h === 0) return;
    this._rt.M._cbk_session_free(this._h);
    this._rt.free(this._out);
    this._h = 0;
    this._bytes.release();
  }
}
