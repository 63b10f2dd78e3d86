// dkvb.js — Discrete Key-Value Bottleneck models (cbk_model_kind "dkvb"): their facts, keys, and
// the Classifier (cbk_dkvb_*: classify vectors, read the picked key per head and the logits, and
// steer — force a head's key, mask pairs, set value rows). One classifier's steering never changes
// the model or another classifier.
import { checkInt, describe, fail } from './errors.js';
import { toFloats } from './values.js';

const DECODERS = ['voting', 'linear'];

// Model.facts.dkvb, read once at load (cbk_model_dkvb_info).
export function readDkvbFacts(rt, h) {
  const p = rt.initStruct('dkvb_info', rt.scratch);
  rt.check(rt.M._cbk_model_dkvb_info(h, p));
  const d = rt.readStruct('dkvb_info', p);
  return {
    inputDim: d.input_dim, embedDim: d.embed_dim, encoderLayers: d.encoder_layers, heads: d.heads,
    keys: d.pairs, keyDim: d.key_dim, valueDim: d.value_dim, classes: d.classes,
    decoder: DECODERS[d.decoder] ?? String(d.decoder), hasProjection: d.has_projection !== 0,
    hasUsedPairs: d.has_used_pairs !== 0, usedPairs: d.used_pairs,
  };
}

function dkvbFacts(model) {
  if (model.kind !== 'dkvb') fail('wrong_model_kind', `a ${model.kind} model is not a DKVB model`);
  return model.facts.dkvb;
}

// Every key of the model, [heads x keys x keyDim] (cbk_model_dkvb_key per pair).
export function dkvbKeys(model) {
  const f = dkvbFacts(model);
  const rt = model._rt;
  const h = model.handle();
  const out = new Float32Array(f.heads * f.keys * f.keyDim);
  rt.withBuffer(4 * f.keyDim, (p) => {
    for (let c = 0; c < f.heads; c++) {
      for (let k = 0; k < f.keys; k++) {
        rt.check(rt.M._cbk_model_dkvb_key(h, c, k, p, f.keyDim));
        out.set(rt.F32.subarray(p >>> 2, (p >>> 2) + f.keyDim), (c * f.keys + k) * f.keyDim);
      }
    }
  });
  return out;
}

export class Classifier {
  // Use model.createClassifier(). Holds the model's borrowed bytes until disposed.
  constructor(rt, model, bytes) {
    rt.check(rt.M._cbk_dkvb_create(model.handle(), rt.scratch));  // wrong_model_kind for other kinds
    this._h = rt.readPtr(rt.scratch);
    const f = model.facts.dkvb;
    this._rt = rt;
    this.model = model;
    this.facts = f;
    this._bytes = bytes;
    bytes.retain();
    this._forced = new Int32Array(f.heads).fill(-1);
  }

  get disposed() { return this._h === 0; }
  get lastError() { return this._rt.string(this._rt.M._cbk_dkvb_last_error(this.handle())); }

  handle() {
    if (this._h === 0) fail('wrong_state', 'the classifier was disposed');
    return this._h;
  }

  // One input vector (inputDim numbers) -> {logits: Float32Array(classes), keys: Int32Array(heads)}.
  classify(input) {
    return this.classifyBatch(toFloats(input, 'input', { n: this.facts.inputDim }));
  }

  // Rows of inputDim numbers, row-major -> {logits (rows x classes), keys (rows x heads), rows}.
  classifyBatch(inputs) {
    const rt = this._rt;
    const h = this.handle();
    const { inputDim, heads, classes } = this.facts;
    const x = toFloats(inputs, 'inputs', { width: inputDim });
    const rows = x.length / inputDim;
    const bytes = 4 * (x.length + rows * heads + rows * classes);
    return rt.withBuffer(bytes, (p) => {
      const keysPtr = p + 4 * x.length;
      const logitsPtr = keysPtr + 4 * rows * heads;
      rt.F32.set(x, p >>> 2);
      rt.check(rt.M._cbk_dkvb_classify(h, p, rows, inputDim, keysPtr, rows * heads, logitsPtr, rows * classes));
      return {
        rows,
        keys: rt.I32.slice(keysPtr >>> 2, (keysPtr >>> 2) + rows * heads),
        logits: rt.F32.slice(logitsPtr >>> 2, (logitsPtr >>> 2) + rows * classes),
      };
    });
  }

  // ---- steering (this classifier only) ----
  forceKey(head, key) {
    const { heads, keys } = this.facts;
    checkInt('head', head, 0, 0xffffffff);
    checkInt('key', key, -1, 2147483647);
    this._rt.check(this._rt.M._cbk_dkvb_force_key(this.handle(), head, key));
    if (head < heads && key < keys) this._forced[head] = key;
  }
  clearForcedKey(head) {
    this.forceKey(head, -1);
  }
  // The forced key of every head (-1: the head searches).
  forcedKeys() {
    return this._forced.slice();
  }

  // Masks (or with masked = false re-admits) pairs. Either (head, keys) — head -1 for the same keys
  // of every head — or two equal-length arrays (heads, keys) of pairs. All or nothing.
  maskPairs(head, keys, masked = true) {
    if (typeof head === 'object' && head !== null) return this._maskPairList(head, keys, masked);
    const rt = this._rt;
    const h = this.handle();
    checkInt('head', head, -1, 2147483647);
    const ids = toIdList(keys, 'keys');
    rt.withInt32(ids, (p, n) => rt.check(rt.M._cbk_dkvb_mask_pairs(h, head, p, n, masked ? 1 : 0)));
  }

  // Pairs of several heads at once, applied head by head; on an error the heads before stay changed
  // unless every pair was valid (they are checked first).
  _maskPairList(heads, keys, masked) {
    const hs = toIdList(heads, 'heads');
    const ks = toIdList(keys, 'keys');
    if (hs.length !== ks.length) fail('invalid_argument', `heads and keys must have equal lengths, got ${hs.length} and ${ks.length}`);
    const byHead = new Map();
    for (let i = 0; i < hs.length; i++) {
      checkInt(`heads[${i}]`, hs[i], 0, this.facts.heads - 1);
      checkInt(`keys[${i}]`, ks[i], 0, this.facts.keys - 1);
      if (!byHead.has(hs[i])) byHead.set(hs[i], []);
      byHead.get(hs[i]).push(ks[i]);
    }
    for (const [head, list] of byHead) this.maskPairs(head, list, masked);
  }

  useFileMask(enabled) {
    this._rt.check(this._rt.M._cbk_dkvb_use_file_mask(this.handle(), enabled ? 1 : 0));
  }

  pairSearchable(head, key) {
    const rt = this._rt;
    rt.check(rt.M._cbk_dkvb_pair_searchable(this.handle(), checkInt('head', head, 0, 0xffffffff),
      checkInt('key', key, -2147483648, 2147483647), rt.scratch));
    return rt.readI32(rt.scratch) !== 0;
  }

  // The value row of (head, key) this classifier uses (valueDim floats, overrides included).
  valueRow(head, key) {
    const rt = this._rt;
    const n = this.facts.valueDim;
    return rt.withBuffer(4 * n, (p) => {
      rt.check(rt.M._cbk_dkvb_value(this.handle(), checkInt('head', head, 0, 0xffffffff),
        checkInt('key', key, -2147483648, 2147483647), p, n));
      return rt.F32.slice(p >>> 2, (p >>> 2) + n);
    });
  }

  setValueRow(head, key, value) {
    const rt = this._rt;
    const v = toFloats(value, 'value');
    rt.withBuffer(4 * Math.max(1, v.length), (p) => {
      rt.F32.set(v, p >>> 2);
      rt.check(rt.M._cbk_dkvb_set_value(this.handle(), checkInt('head', head, 0, 0xffffffff),
        checkInt('key', key, -2147483648, 2147483647), p, v.length));
    });
  }

  // The whole value table this classifier uses, [heads x keys x valueDim].
  values() {
    const rt = this._rt;
    const { heads, keys, valueDim } = this.facts;
    const n = heads * keys * valueDim;
    return rt.withBuffer(4 * n, (p) => {
      rt.check(rt.M._cbk_web_dkvb_values(this.handle(), heads, keys, valueDim, p, n));
      return rt.F32.slice(p >>> 2, (p >>> 2) + n);
    });
  }

  // Sets every value row at once from [heads x keys x valueDim] floats (e.g. after a training step).
  // All or nothing for non-finite entries (checked first).
  setValues(table) {
    const rt = this._rt;
    const { heads, keys, valueDim } = this.facts;
    const v = toFloats(table, 'values', { n: heads * keys * valueDim });
    rt.withBuffer(4 * v.length, (p) => {
      rt.F32.set(v, p >>> 2);
      rt.check(rt.M._cbk_web_dkvb_set_values(this.handle(), heads, keys, valueDim, p, v.length));
    });
  }

  // No forced keys, no masked pairs, the file's mask on, the file's values.
  clearSteering() {
    this._rt.check(this._rt.M._cbk_dkvb_clear_steering(this.handle()));
    this._forced.fill(-1);
  }

  dispose() {
    if (this._h === 0) return;
    this._rt.M._cbk_dkvb_free(this._h);
    this._h = 0;
    this._bytes.release();
  }
}

function toIdList(values, name) {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    fail('invalid_argument', `${name} must be an array of integers, got ${describe(values)}`);
  }
  return Int32Array.from(values, (v, i) => checkInt(`${name}[${i}]`, v, -2147483648, 2147483647));
}
