// The JS API for DKVB models (Model.kind, Model.dkvb, Model.dkvbKeys, Classifier) against the native
// `cbk classify --json` as the oracle (the same picked key per head, logits within float rounding),
// steering checked against a search and a vote computed here in float64 from the model's own
// tensors, and misuse -> CbkError with the library's status.
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { api, dkvbFixture, DKVB_TOY, expectStatus, nativeClassify, TOKFSM } from './helpers.mjs';

let cbk;
before(async () => {
  cbk = await api();
});

const MODELS = () => ({ toy: DKVB_TOY, voting: dkvbFixture('voting.cbk'), linear: dkvbFixture('linear.cbk'), split: dkvbFixture('split.cbk') });

// Deterministic inputs: `n` rows of `dim` floats in [lo, hi).
function inputs(n, dim, seed, lo = -1.5, hi = 1.5) {
  let x = seed;
  return Float32Array.from({ length: n * dim }, () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return lo + (hi - lo) * (x / 2147483648);
  });
}

function assertLogits(got, want, what) {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i])), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

// The model's own tensors, as the file stores them (the reference below uses them directly).
function tensors(model) {
  const get = (name) => (model.facts.dkvb && model.tensorInfos('model').some((t) => t.name === name)
    ? model.tensor(name, 'model').toFloat32() : null);
  const f = model.dkvb;
  return {
    keys: model.dkvbKeys(), values: get('dkvb.values'), projection: get('dkvb.projection'), used: get('dkvb.used_pairs'),
    encoder: Array.from({ length: f.encoderLayers }, (_, i) => ({ w: get(`dkvb.encoder.${i}.weight`), b: get(`dkvb.encoder.${i}.bias`) })),
  };
}

// The query of every head for one input, in float64: encoder (ReLU between layers), projection.
function queries(f, t, x) {
  let z = Array.from(x);
  t.encoder.forEach(({ w, b }, i) => {
    const out = b.length;
    const next = Array.from({ length: out }, (_, o) => z.reduce((s, v, k) => s + w[o * z.length + k] * v, b[o]));
    z = i < t.encoder.length - 1 ? next.map((v) => Math.max(0, v)) : next;
  });
  return Array.from({ length: f.heads }, (_, c) => Array.from({ length: f.keyDim }, (_, j) =>
    t.projection ? z.reduce((s, v, i) => s + t.projection[(c * f.keyDim + j) * f.embedDim + i] * v, 0) : z[c * f.keyDim + j]));
}

// The nearest searchable key of head c (ties to the lower id), in float64.
function nearest(f, t, q, c, searchable) {
  let best = -1, bestD = Infinity;
  for (let k = 0; k < f.keys; k++) {
    if (!searchable(c, k)) continue;
    let d = 0;
    for (let j = 0; j < f.keyDim; j++) d += (q[j] - t.keys[(c * f.keys + k) * f.keyDim + j]) ** 2;
    if (d < bestD) best = k, bestD = d;
  }
  return best;
}

describe('classify equals native cbk classify', () => {
  for (const [name, path] of Object.entries(MODELS())) {
    test(name, async () => {
      const m = await cbk.load(pathToFileURL(path));
      const clf = m.createClassifier();
      try {
        assert.equal(m.kind, 'dkvb');
        const f = m.dkvb;
        const lo = name === 'toy' ? -0.1 : -1.5, hi = name === 'toy' ? 1.1 : 1.5;
        const x = inputs(64, f.inputDim, 7, lo, hi);
        const rows = Array.from({ length: 64 }, (_, i) => x.subarray(i * f.inputDim, (i + 1) * f.inputDim));
        const gold = nativeClassify(path, rows);
        const r = clf.classifyBatch(x);
        assert.equal(r.rows, 64);
        assert.equal(r.keys.length, 64 * f.heads);
        assert.equal(r.logits.length, 64 * f.classes);
        gold.forEach((g, i) => {
          assert.deepEqual(Array.from(r.keys.subarray(i * f.heads, (i + 1) * f.heads)), g.keys, `${name} row ${i}: keys`);
          assertLogits(r.logits.subarray(i * f.classes, (i + 1) * f.classes), g.logits, `${name} row ${i}: logits`);
        });
        // One row at a time gives the same as the batch.
        const one = clf.classify(Array.from(rows[5]));
        assert.deepEqual(one.keys, r.keys.slice(5 * f.heads, 6 * f.heads));
        assert.deepEqual(one.logits, r.logits.slice(5 * f.classes, 6 * f.classes));
      } finally {
        clf.dispose();
        m.dispose();
      }
    });
  }
});

test('steered classify equals native cbk classify --force/--mask/--no-file-mask', async () => {
  const path = dkvbFixture('voting.cbk');
  const m = await cbk.load(pathToFileURL(path));
  const clf = m.createClassifier();
  try {
    const f = m.dkvb;
    const x = inputs(48, f.inputDim, 5);
    const rows = Array.from({ length: 48 }, (_, i) => x.subarray(i * f.inputDim, (i + 1) * f.inputDim));
    const same = (flags, what) => {
      const gold = nativeClassify(path, rows, flags);
      const r = clf.classifyBatch(x);
      gold.forEach((g, i) => {
        assert.deepEqual(Array.from(r.keys.subarray(i * f.heads, (i + 1) * f.heads)), g.keys, `${what} row ${i}: keys`);
        assertLogits(r.logits.subarray(i * f.classes, (i + 1) * f.classes), g.logits, `${what} row ${i}: logits`);
      });
    };
    clf.forceKey(2, 9);
    same(['--force', '2:9'], 'forced');
    clf.maskPairs(0, [0, 3, 5]);
    clf.maskPairs(-1, [7]);
    same(['--force', '2:9', '--mask', '0:0,3,5', '--mask', '-1:7'], 'forced and masked');
    clf.useFileMask(false);
    same(['--force', '2:9', '--mask', '0:0,3,5', '--mask', '-1:7', '--no-file-mask'], 'file mask off');
  } finally {
    clf.dispose();
    m.dispose();
  }
});

test('facts, keys and values read back as the file stores them', async () => {
  const m = await cbk.load(pathToFileURL(dkvbFixture('voting.cbk')));
  try {
    // cbkfile.random_model.dkvb_model(seed=21): input 6, one hidden layer of 8, 3 heads x 17 pairs, key_dim 4, value_dim 5
    assert.deepEqual({ ...m.dkvb, usedPairs: undefined }, {
      inputDim: 6, embedDim: 8, encoderLayers: 1, heads: 3, keys: 17, keyDim: 4, valueDim: 5, classes: 5, decoder: 'voting',
      hasProjection: true, hasUsedPairs: true, usedPairs: undefined,
    });
    const t = tensors(m);
    assert.equal(m.dkvb.usedPairs, t.used.reduce((s, v) => s + v, 0));
    assert.deepEqual(m.dkvbKeys(), m.tensor('dkvb.keys', 'model').toFloat32());
    const clf = m.createClassifier();
    assert.deepEqual(clf.values(), t.values);
    assert.deepEqual(clf.valueRow(2, 16), t.values.slice((2 * 17 + 16) * 5, (2 * 17 + 17) * 5));
    assert.deepEqual(clf.forcedKeys(), Int32Array.of(-1, -1, -1));
    // the file's mask: exactly its unused pairs are not searchable
    for (let c = 0; c < 3; c++) for (let k = 0; k < 17; k++) assert.equal(clf.pairSearchable(c, k), t.used[c * 17 + k] === 1);
    clf.dispose();
    // transformer facts are null for a DKVB model; the common ones are there
    assert.equal(m.architecture, null);
    assert.equal(m.tokenizer, null);
    assert.deepEqual(m.codebooks, []);
    assert.equal(m.facts.schemaVersion.major, 1);
    assert.match(m.metadata.name, /dkvb fixture 21/);
  } finally {
    m.dispose();
  }
});

test('steering: forced keys, masked pairs, the file mask and value overrides, against a float64 reference', async () => {
  const m = await cbk.load(pathToFileURL(dkvbFixture('voting.cbk')));
  const clf = m.createClassifier();
  try {
    const f = m.dkvb;
    const t = tensors(m);
    const x = inputs(40, f.inputDim, 3);
    const masked = new Set();
    let fileMask = true;
    const forced = [-1, -1, -1];
    const values = t.values.slice();
    const searchable = (c, k) => !masked.has(c * f.keys + k) && (!fileMask || t.used[c * f.keys + k] === 1);
    const check = (what) => {
      const r = clf.classifyBatch(x);
      for (let i = 0; i < 40; i++) {
        const q = queries(f, t, x.subarray(i * f.inputDim, (i + 1) * f.inputDim));
        const keys = q.map((qc, c) => (forced[c] >= 0 ? forced[c] : nearest(f, t, qc, c, searchable)));
        assert.deepEqual(Array.from(r.keys.subarray(i * f.heads, (i + 1) * f.heads)), keys, `${what}: row ${i} keys`);
        const logits = Array.from({ length: f.classes }, (_, j) => keys.reduce((s, k, c) => s + values[(c * f.keys + k) * f.valueDim + j], 0) / f.heads);
        assertLogits(r.logits.subarray(i * f.classes, (i + 1) * f.classes), logits, `${what}: row ${i} logits`);
      }
      return r;
    };
    const before = check('unsteered');
    // Force head 1 to pair 4.
    clf.forceKey(1, 4);
    forced[1] = 4;
    assert.deepEqual(clf.forcedKeys(), Int32Array.of(-1, 4, -1));
    check('head 1 forced to 4');
    clf.clearForcedKey(1);
    forced[1] = -1;
    assert.deepEqual(clf.classifyBatch(x).keys, before.keys);
    // Mask the pairs head 0 and head 2 picked for the first rows ("unlearn" what they stand for).
    const heads = [], keys = [];
    for (let i = 0; i < 5; i++) for (const c of [0, 2]) { heads.push(c); keys.push(before.keys[i * f.heads + c]); masked.add(c * f.keys + before.keys[i * f.heads + c]); }
    clf.maskPairs(heads, keys);
    for (const p of masked) assert.equal(clf.pairSearchable(Math.floor(p / f.keys), p % f.keys), false);
    const r = check('pairs masked');
    for (let i = 0; i < 5; i++) for (const c of [0, 2]) assert.notEqual(r.keys[i * f.heads + c], before.keys[i * f.heads + c]);
    // the same keys of every head (head -1), then re-admitted
    clf.maskPairs(-1, [1, 2]);
    for (let c = 0; c < 3; c++) for (const k of [1, 2]) masked.add(c * f.keys + k);
    check('keys 1 and 2 masked in every head');
    clf.maskPairs(-1, [1, 2], false);
    for (let c = 0; c < 3; c++) for (const k of [1, 2]) masked.delete(c * f.keys + k);
    check('keys 1 and 2 re-admitted');
    // The file's used-pair mask off: dormant pairs may be picked.
    clf.useFileMask(false);
    fileMask = false;
    check('file mask off');
    // Value overrides: one row, then the whole table.
    const row = [1, -2, 3, -4, 5];
    clf.setValueRow(0, before.keys[0], row);
    values.set(row, (0 * f.keys + before.keys[0]) * f.valueDim);
    assert.deepEqual(clf.valueRow(0, before.keys[0]), Float32Array.from(row));
    check('one value overridden');
    const table = Float32Array.from(values, (v, i) => (i % 7) - 3 + 0.25 * v);
    clf.setValues(table);
    values.set(table);
    assert.deepEqual(clf.values(), table);
    check('every value overridden');
    // Clearing: the file's behaviour again.
    clf.clearSteering();
    masked.clear();
    fileMask = true;
    values.set(t.values);
    assert.deepEqual(clf.forcedKeys(), Int32Array.of(-1, -1, -1));
    assert.deepEqual(clf.values(), t.values);
    assert.deepEqual(clf.classifyBatch(x).keys, before.keys);
    check('cleared');
    // Steering is per classifier: a second one on the same model is not steered by the first.
    const other = m.createClassifier();
    clf.forceKey(0, 3);
    assert.deepEqual(other.classifyBatch(x).keys, before.keys);
    other.dispose();
  } finally {
    clf.dispose();
    m.dispose();
  }
});

test('misuse and bad input: CbkError with the status, nothing changed', async () => {
  const m = await cbk.load(pathToFileURL(dkvbFixture('voting.cbk')));
  const clf = m.createClassifier();
  const f = m.dkvb;
  const x = inputs(3, f.inputDim, 9);
  const before = clf.classifyBatch(x);
  await expectStatus(assert, () => clf.classify([1, 2, 3]), 'invalid_argument', /6/);
  await expectStatus(assert, () => clf.classifyBatch(new Float32Array(f.inputDim * 2 + 1)), 'invalid_argument');
  await expectStatus(assert, () => clf.classify(['a', 1, 2, 3, 4, 5]), 'invalid_argument');
  const bad = x.slice();
  bad[f.inputDim + 2] = NaN;
  await expectStatus(assert, () => clf.classifyBatch(bad), 'non_finite_value');
  await expectStatus(assert, () => clf.forceKey(3, 0), 'out_of_range');
  await expectStatus(assert, () => clf.forceKey(0, 17), 'out_of_range');
  await expectStatus(assert, () => clf.forceKey(0, -2), 'invalid_argument');
  await expectStatus(assert, () => clf.forceKey(0.5, 1), 'invalid_argument');
  await expectStatus(assert, () => clf.maskPairs(0, [99]), 'out_of_range');
  await expectStatus(assert, () => clf.maskPairs(7, [1]), 'out_of_range');
  await expectStatus(assert, () => clf.maskPairs([0, 1], [1]), 'invalid_argument');
  await expectStatus(assert, () => clf.maskPairs([0, 5], [1, 1]), 'invalid_argument');
  // every pair of head 1 masked would leave its search empty
  await expectStatus(assert, () => clf.maskPairs(1, Array.from({ length: 17 }, (_, k) => k)), 'invalid_argument');
  await expectStatus(assert, () => clf.valueRow(0, 17), 'out_of_range');
  await expectStatus(assert, () => clf.setValueRow(0, 1, [1, 2]), 'invalid_argument');
  await expectStatus(assert, () => clf.setValueRow(0, 1, [1, 2, Infinity, 4, 5]), 'non_finite_value');
  const table = clf.values();
  const nan = table.slice();
  nan[nan.length - 1] = NaN;
  await expectStatus(assert, () => clf.setValues(nan), 'non_finite_value');
  await expectStatus(assert, () => clf.setValues(table.subarray(1)), 'invalid_argument');
  assert.deepEqual(clf.values(), table, 'a refused table changed nothing');
  assert.deepEqual(clf.forcedKeys(), Int32Array.of(-1, -1, -1));
  assert.deepEqual(clf.classifyBatch(x).keys, before.keys, 'refused steering changed nothing');
  assert.deepEqual(clf.classifyBatch(x).logits, before.logits);
  // kinds: transformer calls on a DKVB model and DKVB calls on a transformer
  await expectStatus(assert, () => m.createSession(), 'wrong_model_kind');
  await expectStatus(assert, () => m.tokenize('12'), 'wrong_model_kind');
  await expectStatus(assert, () => m.vocabulary(), 'wrong_model_kind');
  const t = await cbk.load(pathToFileURL(TOKFSM));
  assert.equal(t.kind, 'transformer');
  assert.equal(t.dkvb, null);
  await expectStatus(assert, () => t.createClassifier(), 'wrong_model_kind');
  await expectStatus(assert, () => t.dkvbKeys(), 'wrong_model_kind');
  t.dispose();
  // the classifier keeps the model's bytes alive after the model is disposed
  m.dispose();
  assert.deepEqual(clf.classifyBatch(x).keys, before.keys);
  clf.dispose();
  clf.dispose();  // idempotent
  await expectStatus(assert, () => clf.classify(x.subarray(0, f.inputDim)), 'wrong_state');
  await expectStatus(assert, () => m.createClassifier(), 'wrong_state');
});
