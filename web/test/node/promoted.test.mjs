// What a code writes (Model.codeVector / codeLogits / promotedTokens, cbk_model_code_*): equal to
// the numpy goldens that tests/api/make_code_effects.py computes from the stored bytes (every
// family, f32/f16/int8 weights and codebooks, every kind of site), and the promoted tokens equal
// to the native CLI's `cbk codes --promotes` on TokFSM, the family fixtures and the C API fixture;
// the worker client returns the same; misuse and qkv codebooks give a CbkError.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  api, apiFixture, bytesOf, expectStatus, FAMILY_FIXTURES, nativeCli, pythonFixture, startClient, TOKFSM,
} from './helpers.mjs';

const TOP = 8;

// The effects fixtures and their goldens (tests/api/make_code_effects.py), one case per line.
function effectsFixtures() {
  const goldens = pythonFixture('make_code_effects.py', 'code_effects.txt');
  return readFileSync(goldens, 'utf8').trim().split('\n').map((line) => {
    const [kind, model, codebook, group, code, , ...values] = line.split(' ');
    return { kind, model: join(dirname(goldens), `${model}.cbk`), codebook: +codebook, group: +group, code: +code, values: values.map(Number) };
  });
}

// `cbk codes MODEL --layer L --site S --group G --code C --promotes N --json`, natively.
function nativePromotes(model, cb, group, code, n = TOP) {
  const args = ['codes', model, '--layer', String(cb.layer), '--site', cb.site, '--group', String(group),
    '--code', String(code), '--promotes', String(n), '--json'];
  const r = spawnSync(nativeCli(), args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`native cbk ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout).promotes;
}

// Same tokens in the same order, logits within float32 rounding of the native ones (the WASM SIMD
// kernels sum in another order), and the same text.
function assertSamePromotes(got, want, what) {
  assert.equal(got.length, want.length, what);
  got.forEach((g, i) => {
    assert.equal(g.token, want[i].token, `${what}: rank ${i}`);
    assert.ok(Math.abs(g.logit - want[i].logit) <= 1e-4 * (1 + Math.abs(want[i].logit)), `${what}: rank ${i} logit ${g.logit} vs ${want[i].logit}`);
    assert.equal(g.text, want[i].text, `${what}: rank ${i} text`);
  });
}

let cbk;
before(async () => {
  cbk = await api();
});

describe('code vectors and logits = numpy goldens', () => {
  test('every family, dtype and site of the effects fixtures', async () => {
    const models = new Map();
    let checked = 0;
    for (const c of effectsFixtures()) {
      if (!models.has(c.model)) models.set(c.model, await cbk.load(bytesOf(c.model)));
      const m = models.get(c.model);
      const what = `${c.kind} ${c.model} ${c.codebook}/${c.group}/${c.code}`;
      if (c.kind === 'vector') {
        assert.deepEqual(Array.from(m.codeVector(c.codebook, c.group, c.code)), Array.from(Float32Array.from(c.values)), what);
      } else if (c.kind === 'logits') {
        const z = m.codeLogits(c.codebook, c.group, c.code);
        const scale = Math.max(...c.values.map(Math.abs));
        assert.equal(z.length, c.values.length, what);
        z.forEach((v, i) => assert.ok(Math.abs(v - c.values[i]) <= 2e-5 * (1 + scale), `${what}: token ${i}`));
      } else {
        await expectStatus(assert, () => m.codeLogits(c.codebook, c.group, c.code), 'unsupported', /qkv/);
        await expectStatus(assert, () => m.promotedTokens(c.codebook, c.group, c.code), 'unsupported', /qkv/);
      }
      checked++;
    }
    assert.ok(checked > 150);
    for (const m of models.values()) m.dispose();
  });
});

describe('promotedTokens = native cbk codes --promotes', () => {
  const models = { tokfsm: TOKFSM, ...FAMILY_FIXTURES };
  for (const [name, path] of Object.entries(models)) {
    test(`${name}: every residual-writing codebook, first and last group, a few codes`, async () => {
      const m = await cbk.load(bytesOf(path));
      for (const cb of m.codebooks) {
        if (cb.site === 'qkv') continue;
        for (const group of new Set([0, cb.groups - 1]))
          for (const code of new Set([0, 7 % cb.codes, cb.codes - 1]))
            assertSamePromotes(m.promotedTokens(cb.index, group, code, TOP), nativePromotes(path, cb, group, code),
              `${name} codebook ${cb.index} group ${group} code ${code}`);
      }
      m.dispose();
    });
  }

  test('C API fixture: text of byte-level BPE tokens, padded vocabulary, topN larger than the vocabulary', async () => {
    const path = apiFixture();
    const m = await cbk.load(bytesOf(path));
    for (const cb of m.codebooks.filter((c) => c.site !== 'qkv'))
      assertSamePromotes(m.promotedTokens(cb.index, cb.groups - 1, 1, TOP), nativePromotes(path, cb, cb.groups - 1, 1),
        `api codebook ${cb.index}`);
    const cb = m.codebooks.find((c) => c.site === 'mlp');
    const all = m.promotedTokens(cb.index, 0, 0, 1e6);
    assert.equal(all.length, m.architecture.vocabSize);
    for (let i = 1; i < all.length; i++)
      assert.ok(all[i - 1].logit > all[i].logit || (all[i - 1].logit === all[i].logit && all[i - 1].token < all[i].token));
    assert.deepEqual(m.promotedTokens(cb.index, 0, 0, 0), []);
    m.dispose();
  });

  test('misuse: bad indices, bad topN, a disposed model', async () => {
    const m = await cbk.load(bytesOf(TOKFSM));
    const n = m.codebooks.length;
    await expectStatus(assert, () => m.promotedTokens(n, 0, 0), 'out_of_range', /codebook/);
    await expectStatus(assert, () => m.codeVector(0, 99, 0), 'out_of_range', /group/);
    await expectStatus(assert, () => m.codeLogits(0, 0, 1 << 20), 'out_of_range', /code/);
    await expectStatus(assert, () => m.promotedTokens(0, 0, -1), 'invalid_argument', /code/);
    await expectStatus(assert, () => m.promotedTokens(0, 0, 0, -1), 'invalid_argument', /topN/);
    m.dispose();
    await expectStatus(assert, () => m.promotedTokens(0, 0, 0), 'wrong_state');
  });
});

describe('through the worker', () => {
  let client;
  before(async () => {
    client = await startClient();
  });
  after(() => client.terminate());

  test('promotedTokens and codeVector equal the in-thread API; errors cross the boundary', async () => {
    const m = await client.load(bytesOf(TOKFSM));
    const local = await cbk.load(bytesOf(TOKFSM));
    const mlp = m.facts.codebooks.find((c) => c.site === 'mlp');
    assert.deepEqual(await m.promotedTokens(mlp.index, 0, 5, TOP), local.promotedTokens(mlp.index, 0, 5, TOP));
    assert.deepEqual(await m.codeVector(mlp.index, 0, 5), local.codeVector(mlp.index, 0, 5));
    await expectStatus(assert, () => m.promotedTokens(99, 0, 0), 'out_of_range');
    local.dispose();
    await m.dispose();
  });
});
