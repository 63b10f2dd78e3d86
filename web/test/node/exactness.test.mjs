// Exactness: for the same model, prompt, seed, sampling and steering, the WebAssembly module gives
// the same tokens and the same code ids as the native `cbk generate --json` (the oracle, run at
// test time: CBK_NATIVE_CLI or build/tools/cbk). Scores agree to float rounding (SIMD widths
// differ between the builds, so sums may round differently).
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { before, describe, test } from 'node:test';
import { api, apiFixture, FAMILY_FIXTURES, nativeGenerate, TOKFSM } from './helpers.mjs';

let cbk;
before(async () => {
  cbk = await api();
});

// Runs the WASM side as `cbk generate` does and returns its JSON shape.
async function wasmGenerate(modelPath, { prompt, promptIds, n, seed, temp, topK, topP, steering = [] }) {
  const m = await cbk.load(pathToFileURL(modelPath));
  try {
    const s = m.createSession({ seed });
    s.steer(steering);
    const tokens = promptIds ?? Array.from(m.tokenize(prompt));
    s.prefill(tokens);
    const r = s.generate({ maxNewTokens: n, sampling: { temperature: temp, topK, topP } });
    const out = { tokens: [...tokens, ...r.tokens], n_prompt: tokens.length, stop: r.stop, codes: s.traceJson() };
    if (m.tokenizer.hasTokenizer) out.text = m.detokenize(out.tokens);
    s.dispose();
    return out;
  } finally {
    m.dispose();
  }
}

function cliArgs({ prompt, promptIds, n, seed, temp, topK, topP }, flags = []) {
  const args = prompt !== undefined ? ['-p', prompt] : ['--prompt-ids', promptIds.join(',')];
  args.push('-n', String(n), '--seed', String(seed), '--temp', String(temp), '--top-k', String(topK), '--top-p', String(topP));
  return [...args, ...flags];
}

function assertSameRun(wasm, native, label) {
  assert.deepEqual(wasm.tokens, native.tokens, `${label}: tokens`);
  assert.equal(wasm.n_prompt, native.n_prompt, `${label}: n_prompt`);
  assert.equal(wasm.stop, native.stop, `${label}: stop`);
  if (native.text !== null) assert.equal(wasm.text, native.text, `${label}: text`);
  assert.equal(wasm.codes.length, native.codes.length, `${label}: codebook groups`);
  for (let i = 0; i < native.codes.length; i++) {
    const w = wasm.codes[i];
    const c = native.codes[i];
    const where = `${label}: L${c.layer} ${c.site} g${c.group}`;
    assert.deepEqual([w.layer, w.site, w.group], [c.layer, c.site, c.group], where);
    assert.deepEqual(w.ids, c.ids, `${where}: code ids`);
    for (let p = 0; p < c.scores.length; p++) {
      for (let k = 0; k < c.scores[p].length; k++) {
        const a = w.scores[p][k];
        const b = c.scores[p][k];
        if (b === null || Number.isNaN(a)) continue;  // NaN (blocked slot) is null in JSON
        assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `${where}: score [${p}][${k}] ${a} vs ${b}`);
      }
    }
  }
}

async function compare(label, model, run, flags = [], steering = []) {
  const native = nativeGenerate(model, cliArgs(run, flags));
  const wasm = await wasmGenerate(model, { ...run, steering });
  assertSameRun(wasm, native, label);
  return native;
}

describe('WASM = native cbk generate --json', () => {
  const greedy = { n: 24, seed: 0, temp: 0, topK: 0, topP: 1 };
  const sampled = { n: 48, seed: 1234, temp: 1, topK: 0, topP: 1 };
  const truncated = { n: 32, seed: 99, temp: 0.8, topK: 4, topP: 0.9 };

  test('TokFSM (default model): greedy, sampled, top-k/top-p', async () => {
    for (const [name, s] of Object.entries({ greedy, sampled, truncated })) {
      const native = await compare(`tokfsm ${name}`, TOKFSM, { ...s, prompt: '0123' });
      assert.ok(native.tokens.length > 5, 'the run generated tokens');
    }
  });

  test('TokFSM with steering: --force slot/append with strength, --disable, --bypass', async () => {
    const run = { ...sampled, prompt: '0123', n: 32 };
    const cases = [
      [['--force', '2:attn_preproj:1:417@generated'], [{ kind: 'force', layer: 2, site: 'attn_preproj', group: 1, code: 417, positions: 'generated' }]],
      [['--force', '1:mlp:*:5@3-9/append*2.5'], [{ kind: 'force', layer: 1, site: 'mlp', group: -1, code: 5, positions: [3, 10], mode: 'append', strength: 2.5 }]],
      [['--force', '0:attn_preproj:*:7/all'], [{ kind: 'force', layer: 0, site: 'attn_preproj', code: 7, mode: 'all' }]],
      [['--disable', '3:mlp:0:top2@generated/zero'], [{ kind: 'disable', layer: 3, site: 'mlp', group: 0, topN: 2, positions: 'generated', mode: 'zero' }]],
      [['--disable', '2:attn_preproj:*:1,2,3,top1'], [{ kind: 'disable', layer: 2, site: 'attn_preproj', codes: [1, 2, 3], topN: 1 }]],
      [['--bypass', '1:attn_preproj'], [{ kind: 'bypass', layer: 1, site: 'attn_preproj' }]],
    ];
    const plain = nativeGenerate(TOKFSM, cliArgs(run));
    for (const [flags, steering] of cases) {
      const native = await compare(`tokfsm ${flags.join(' ')}`, TOKFSM, run, flags, steering);
      assert.notDeepEqual(native.codes, plain.codes, `${flags.join(' ')} changed the codes`);
    }
  });

  for (const [family, path] of Object.entries(FAMILY_FIXTURES)) {
    test(`${family} fixture: greedy and sampled, and a forced code`, async () => {
      const promptIds = [3, 1, 4, 1, 5, 9, 2, 6];
      await compare(`${family} greedy`, path, { ...greedy, n: 16, promptIds });
      await compare(`${family} sampled`, path, { ...sampled, n: 16, promptIds });
      const m = await cbk.load(pathToFileURL(path));
      const cb = m.codebooks[0];
      m.dispose();
      await compare(`${family} force`, path, { ...sampled, n: 16, promptIds },
        ['--force', `${cb.layer}:${cb.site}:0:${cb.codes - 1}@generated/-1`],
        [{ kind: 'force', layer: cb.layer, site: cb.site, group: 0, code: cb.codes - 1, positions: 'generated', slot: -1 }]);
    });
  }

  test('C API fixture: byte-level BPE text prompt, f16 and int8 codebooks, zero-mode slots', async () => {
    const path = apiFixture();
    const run = { n: 10, seed: 5, temp: 0.7, topK: 5, topP: 0.9, prompt: 'the cat' };
    await compare('api text', path, run);
    await compare('api zero slots', path, run, ['--disable', '0:attn_preproj:*:top1/zero'],
      [{ kind: 'disable', layer: 0, site: 'attn_preproj', topN: 1, mode: 'zero' }]);
  });
});
