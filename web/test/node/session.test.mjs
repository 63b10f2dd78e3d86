// Sessions: generation, logits, codes, every steering mode (checked against cbk.h's documented
// semantics), cancel, dispose and misuse. Token-for-token agreement with the native build is in
// exactness.test.mjs.
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { api, apiFixture, expectStatus, TOKFSM } from './helpers.mjs';

let cbk;
let fsm;     // TokFSM: gpt_neox, k 1, vocab tokenizer
let fix;     // the C API fixture: gpt2, k 2/3/1, max_positions 16
before(async () => {
  cbk = await api();
  fsm = await cbk.load(pathToFileURL(TOKFSM));
  fix = await cbk.load(pathToFileURL(apiFixture()));
});
after(() => {
  fsm.dispose();
  fix.dispose();
});

const PROMPT = [10, 0, 1, 2, 3];
const GREEDY = { temperature: 0 };

function run(model, { steer = [], n = 6, prompt = PROMPT, sampling = GREEDY, seed = 0 } = {}) {
  const s = model.createSession({ seed });
  s.steer(steer);
  s.prefill(prompt);
  const r = s.generate({ maxNewTokens: n, sampling, stopAtEos: false });
  return { s, r };
}

describe('generation', () => {
  test('greedy: every token is the argmax of the logits before it', () => {
    const s = fsm.createSession();
    s.prefill(PROMPT);
    for (let i = 0; i < 5; i++) {
      const probs = s.probabilities();
      const logits = s.logits();
      const argmax = logits.indexOf(Math.max(...logits));
      assert.equal(probs.indexOf(Math.max(...probs)), argmax);
      assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-5);
      assert.equal(s.topTokens(1)[0].token, argmax);
      assert.equal(s.step(GREEDY), argmax);
    }
    assert.equal(s.position, PROMPT.length + 5);
    assert.equal(s.promptLength, PROMPT.length);
    assert.deepEqual(Array.from(s.tokens).slice(0, 5), PROMPT);
    s.dispose();
  });

  test('sampling with a seed is reproducible; another seed gives another sequence', () => {
    const sampling = { temperature: 1.5 };
    const a = run(fsm, { n: 40, sampling, seed: 7 });
    const b = run(fsm, { n: 40, sampling, seed: 7 });
    const c = run(fsm, { n: 40, sampling, seed: 8 });
    assert.deepEqual(a.r.tokens, b.r.tokens);
    assert.notDeepEqual(a.r.tokens, c.r.tokens);
    // setSeed + reset replays the same sequence on one session.
    a.s.reset();
    a.s.setSeed(7);
    a.s.prefill(PROMPT);
    assert.deepEqual(a.s.generate({ maxNewTokens: 40, sampling, stopAtEos: false }).tokens, b.r.tokens);
    // bigint seeds above 2^53.
    a.s.reset();
    a.s.setSeed(2n ** 63n + 5n);
    a.s.prefill(PROMPT);
    a.s.generate({ maxNewTokens: 3, sampling });
    for (const x of [a, b, c]) x.s.dispose();
  });

  test('prefill with allLogits: the last row equals the logits after prefill', () => {
    const s = fsm.createSession();
    const all = s.prefill(PROMPT, { allLogits: true });
    assert.equal(all.length, PROMPT.length * 11);
    assert.deepEqual(all.subarray(4 * 11), s.logits());
    s.dispose();
  });

  test('stop reasons: context_full, cancelled; onToken sees every token', () => {
    const s = fix.createSession();
    s.prefill([104, 101]);
    const seen = [];
    const r = s.generate({ maxNewTokens: 100, sampling: GREEDY, stopAtEos: false, onToken: (t, p) => seen.push([t, p]) });
    assert.equal(r.stop, 'context_full');  // max_positions 16
    assert.equal(s.position, 16);
    assert.deepEqual(seen.map((x) => x[0]), Array.from(r.tokens));
    assert.deepEqual(seen.map((x) => x[1]), Array.from({ length: 14 }, (_, i) => i + 2));
    s.reset();
    s.prefill([104]);
    let calls = 0;
    const c = s.generate({ maxNewTokens: 10, sampling: GREEDY, shouldCancel: () => ++calls > 3 });
    assert.deepEqual([c.stop, c.tokens.length], ['cancelled', 3]);
    s.dispose();
  });

  test('prefill cancel: stopped before a chunk, the session is empty and usable again', () => {
    const s = fsm.createSession({ prefillChunk: 2 });
    let asked = 0;
    const e = () => s.prefill(PROMPT, { shouldCancel: () => ++asked === 2 });
    assert.throws(e, (err) => err.status === 'cancelled');
    assert.equal(asked, 2);
    assert.equal(s.position, 0);
    s.prefill(PROMPT, { shouldCancel: () => false });
    assert.equal(s.position, 5);
    // A throwing check stops the prefill too (it never unwinds through the library).
    s.reset();
    assert.throws(() => s.prefill(PROMPT, { shouldCancel: () => { throw new Error('boom'); } }), (err) => err.status === 'cancelled');
    s.dispose();
  });
});

describe('codes', () => {
  test('codes(), trace() and traceJson() agree; k slots per token', () => {
    const { s } = run(fix, { prompt: [104, 101, 108], n: 4 });
    for (const cb of fix.codebooks) {
      for (let g = 0; g < cb.groups; g++) {
        const t = s.trace(cb.index, g);
        assert.deepEqual([t.rows, t.slots, t.layer, t.site], [7, cb.k, cb.layer, cb.site]);
        for (let p = 0; p < t.rows; p++) {
          const c = s.codes(cb.index, g, p);
          assert.deepEqual(c.ids, t.ids.subarray(p * t.slots, (p + 1) * t.slots));
          for (const id of c.ids) assert.ok(id >= 0 && id < cb.codes);
        }
      }
    }
    const json = s.traceJson();
    assert.equal(json.length, fix.codebooks.reduce((n, c) => n + c.groups, 0));
    assert.deepEqual(json[0].ids[0], Array.from(s.codes(0, 0, 0).ids));
    const view = s.traceView(0, 0);
    assert.equal(view.ids.buffer, view.scores.buffer);  // both alias the module memory
    expectCodesOutOfRange(s);
    s.dispose();
  });

  test('trace off: codes are wrong_state', () => {
    const s = fsm.createSession({ trace: false });
    s.prefill(PROMPT);
    assert.throws(() => s.codes(0, 0, 0), (e) => e.status === 'wrong_state');
    s.dispose();
  });
});

function expectCodesOutOfRange(s) {
  assert.throws(() => s.codes(0, 0, 99), (e) => e.status === 'out_of_range');
  assert.throws(() => s.codes(99, 0, 0), (e) => e.status === 'out_of_range');
}

describe('steering (cbk.h semantics)', () => {
  const base = () => run(fix, { prompt: [104, 101, 108], n: 5 });
  const target = { layer: 0, site: 'attn_preproj', group: 1 };  // codebook 0: 4 groups x 16 codes, k 2

  test('force slot / all / append, at generated positions only', () => {
    const plain = base();
    const slot = run(fix, { prompt: [104, 101, 108], n: 5, steer: [{ kind: 'force', ...target, code: 9, positions: 'generated', mode: 'slot', slot: -1 }] });
    const all = run(fix, { prompt: [104, 101, 108], n: 5, steer: [{ kind: 'force', ...target, code: 9, mode: 'all' }] });
    const app = run(fix, { prompt: [104, 101, 108], n: 5, steer: [{ kind: 'force', ...target, code: 9, mode: 'append', positions: [1, 3] }] });
    for (let p = 0; p < 8; p++) {
      const a = slot.s.codes(0, 1, p).ids;
      if (p < 3) assert.deepEqual(a, plain.s.codes(0, 1, p).ids, `prompt position ${p} unchanged`);
      else assert.equal(a[1], 9, `last slot forced at ${p}`);
      assert.deepEqual(Array.from(all.s.codes(0, 1, p).ids), [9, 9]);
      const b = app.s.codes(0, 1, p);
      assert.equal(b.ids.length, 3);
      assert.equal(b.ids[2], p >= 1 && p < 3 ? 9 : cbk.NO_SLOT);
      if (b.ids[2] === cbk.NO_SLOT) assert.ok(Number.isNaN(b.scores[2]));
    }
    assert.equal(all.s.steeringCount, 1);
    for (const x of [plain, slot, all, app]) x.s.dispose();
  });

  test('force strength scales the code: strength 0 and 1 give different logits', () => {
    const one = run(fix, { n: 1, prompt: [104], steer: [{ kind: 'force', ...target, code: 9, mode: 'all', strength: 1 }] });
    const zero = run(fix, { n: 1, prompt: [104], steer: [{ kind: 'force', ...target, code: 9, mode: 'all', strength: 0 }] });
    assert.notDeepEqual(one.s.logits(), zero.s.logits());
    one.s.dispose();
    zero.s.dispose();
  });

  test('disable keep (codes, top_n) and zero (codes, slots)', () => {
    const plain = base();
    const seen = plain.s.codes(0, 1, 0).ids[0];
    const keep = run(fix, { prompt: [104, 101, 108], n: 5, steer: [{ kind: 'disable', ...target, codes: [seen], mode: 'keep' }] });
    const topN = run(fix, { prompt: [104, 101, 108], n: 5, steer: [{ kind: 'disable', ...target, topN: 1 }] });
    const zeroSlots = run(fix, { prompt: [104, 101, 108], n: 5, steer: [{ kind: 'disable', ...target, mode: 'zero', slots: [1] }] });
    for (let p = 0; p < 8; p++) {
      const k = keep.s.codes(0, 1, p).ids;
      assert.equal(k.length, 2);
      assert.ok(!k.includes(seen), `code ${seen} skipped at ${p}`);
      assert.equal(zeroSlots.s.codes(0, 1, p).ids[1], -1);
      assert.ok(Number.isNaN(zeroSlots.s.codes(0, 1, p).scores[1]));
    }
    // top_n 1 in keep mode: the most similar code is skipped, so slot 0 holds the old slot 1.
    assert.equal(topN.s.codes(0, 1, 0).ids[0], plain.s.codes(0, 1, 0).ids[1]);
    for (const x of [plain, keep, topN, zeroSlots]) x.s.dispose();
  });

  test('interchange sets the k slots at one position; bypass changes the output; clear undoes all', () => {
    const plain = base();
    const ic = run(fix, { prompt: [104, 101, 108], n: 5, steer: [{ kind: 'interchange', ...target, position: 2, ids: [4, -1] }] });
    assert.deepEqual(Array.from(ic.s.codes(0, 1, 2).ids), [4, -1]);
    assert.deepEqual(ic.s.codes(0, 1, 1).ids, plain.s.codes(0, 1, 1).ids);
    const by = run(fix, { n: 1, prompt: [104], steer: [{ kind: 'bypass', layer: 1, site: 'mlp' }] });
    const ref = run(fix, { n: 1, prompt: [104] });
    assert.notDeepEqual(by.s.logits(), ref.s.logits());
    by.s.clearSteering();
    assert.equal(by.s.steeringCount, 0);
    by.s.reset();
    by.s.prefill([104]);
    by.s.generate({ maxNewTokens: 1, sampling: GREEDY });
    assert.deepEqual(by.s.logits(), ref.s.logits());
    for (const x of [plain, ic, by, ref]) x.s.dispose();
  });

  test('bad interventions are refused and leave the set unchanged', () => {
    const s = fix.createSession();
    s.force({ ...target, code: 1 });
    assert.throws(() => s.force({ ...target, code: 16 }), (e) => e.status === 'out_of_range' && /16/.test(e.message));
    assert.throws(() => s.force({ layer: 0, site: 'mlp', code: 1 }), (e) => e.status === 'out_of_range');
    assert.throws(() => s.force({ ...target, code: 1, slot: 2 }), (e) => e.status === 'out_of_range');
    assert.throws(() => s.force({ ...target, code: 1, strength: Infinity }), (e) => e.status === 'invalid_argument');
    assert.throws(() => s.disable({ ...target, slots: [0] }), (e) => e.status === 'invalid_argument');  // slots need zero mode
    assert.throws(() => s.interchange({ ...target, position: 0, ids: [1] }), (e) => e.status === 'invalid_argument');
    assert.throws(() => s.force({ ...target, site: 'nowhere', code: 1 }), (e) => e.status === 'invalid_argument');
    assert.throws(() => s.force({ ...target, code: 1, mode: 'sideways' }), (e) => e.status === 'invalid_argument');
    assert.throws(() => s.force({ ...target, code: 1, positions: [3, 3] }), (e) => e.status === 'invalid_argument');
    assert.throws(() => s.steer([{ kind: 'nudge' }]), (e) => e.status === 'invalid_argument');
    assert.equal(s.steeringCount, 1);
    s.dispose();
  });
});

describe('misuse and lifetime', () => {
  test('library states: wrong_state, out_of_range, context_full, bad sampling', () => {
    const s = fix.createSession();
    assert.throws(() => s.decode(1), (e) => e.status === 'wrong_state');
    assert.throws(() => s.logits(), (e) => e.status === 'wrong_state');
    assert.throws(() => s.prefill([]), (e) => e.status === 'invalid_argument');
    assert.throws(() => s.prefill([9999]), (e) => e.status === 'out_of_range');
    assert.throws(() => s.prefill(new Array(17).fill(104)), (e) => e.status === 'context_full');
    s.prefill([104]);
    assert.throws(() => s.prefill([104]), (e) => e.status === 'wrong_state' && s.lastError.length > 0);
    assert.throws(() => s.step({ temperature: 1, topP: 0 }), (e) => e.status === 'invalid_argument');
    assert.throws(() => s.decode(-5), (e) => e.status === 'out_of_range');
    assert.throws(() => fix.createSession({ maxContext: 17 }), (e) => e.status === 'out_of_range');
    assert.throws(() => fix.createSession({ prefillChunk: 0 }), (e) => e.status === 'invalid_argument');
    // threads: checked as cbk_session_params.n_threads is natively; this build runs on one thread.
    assert.throws(() => fix.createSession({ threads: 257 }), (e) => e.status === 'invalid_argument' && /threads/.test(e.message));
    fix.createSession({ threads: 4 }).dispose();
    s.dispose();
  });

  test('JS-side misuse: wrong types and disposed handles', () => {
    const s = fix.createSession();
    assert.throws(() => s.prefill('hello'), (e) => e.status === 'invalid_argument' && /tokens/.test(e.message));
    assert.throws(() => s.prefill([1.5]), (e) => e.status === 'invalid_argument');
    assert.throws(() => s.step({ temperature: 'hot' }), (e) => e.status === 'invalid_argument');
    assert.throws(() => s.setSeed(-1), (e) => e.status === 'invalid_argument');
    assert.throws(() => s.codes('a', 0, 0), (e) => e.status === 'invalid_argument');
    s.dispose();
    s.dispose();  // idempotent
    assert.equal(s.disposed, true);
    for (const call of [() => s.prefill([1]), () => s.position, () => s.codes(0, 0, 0), () => s.force({ layer: 0, site: 'mlp', code: 0 })]) {
      assert.throws(call, (e) => e.name === 'CbkError' && e.status === 'wrong_state' && /disposed/.test(e.message));
    }
  });

  test('a session outlives its disposed model (the borrowed bytes stay until both are gone)', async () => {
    const m = await cbk.load(pathToFileURL(TOKFSM));
    const s = m.createSession();
    m.dispose();
    assert.throws(() => m.createSession(), (e) => e.status === 'wrong_state');
    s.prefill(PROMPT);
    const ref = run(fsm, { n: 8 });
    assert.deepEqual(s.generate({ maxNewTokens: 8, sampling: GREEDY, stopAtEos: false }).tokens, ref.r.tokens);
    s.dispose();
    ref.s.dispose();
  });

  test('load/dispose cycles do not grow the heap', async () => {
    for (let i = 0; i < 3; i++) (await cbk.load(pathToFileURL(TOKFSM))).dispose();
    const before = cbk.runtime.memoryBytes();
    for (let i = 0; i < 10; i++) {
      const m = await cbk.load(pathToFileURL(TOKFSM));
      m.createSession().dispose();
      m.dispose();
    }
    assert.equal(cbk.runtime.memoryBytes(), before);
  });
});
