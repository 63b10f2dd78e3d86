// The JS API end to end on the C API test model (tests/api/make_models.py) and TokFSM. Expected
// facts come from the native `cbk info --json` (an independent reader of the same file) or from the
// fixture's recipe in tools/python/cbkfile/random_model.py.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { before, describe, test } from 'node:test';
import { api, apiFixture, bytesOf, expectStatus, nativeCli, TOKFSM } from './helpers.mjs';

let cbk;
let fixture;
before(async () => {
  cbk = await api();
  fixture = apiFixture();
});

function nativeInfo(path) {
  const r = spawnSync(nativeCli(), ['info', path, '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('loading', () => {
  test('from bytes and from a file URL, with progress', async () => {
    const fromBytes = await cbk.load(bytesOf(fixture));
    const seen = [];
    const fromUrl = await cbk.load(pathToFileURL(fixture), { onProgress: (n, total) => seen.push([n, total]) });
    assert.deepEqual(fromUrl.facts, fromBytes.facts);
    assert.ok(seen.length >= 1);
    assert.deepEqual(seen.at(-1), [fromBytes.facts.fileInfo.fileSize, fromBytes.facts.fileInfo.fileSize]);
    fromBytes.dispose();
    fromUrl.dispose();
  });

  test('a Blob and a Response load too', async () => {
    const bytes = bytesOf(fixture);
    const a = await cbk.load(new Blob([bytes]));
    const b = await cbk.load(new Response(bytes, { headers: { 'content-length': String(bytes.byteLength) } }));
    assert.equal(a.facts.fileInfo.dataCrc32, b.facts.fileInfo.dataCrc32);
    a.dispose();
    b.dispose();
  });

  test('corrupt and foreign bytes are refused with the status name; the runtime keeps working', async () => {
    const bytes = new Uint8Array(bytesOf(fixture));
    await expectStatus(assert, () => cbk.load(new TextEncoder().encode('<html>not a model</html>')), 'bad_identifier');
    await expectStatus(assert, () => cbk.load(bytes.slice(0, 1000)), 'truncated');
    const flipped = bytes.slice();
    flipped[flipped.length - 10] ^= 0xff;  // a data byte: the data CRC no longer matches
    const e = await expectStatus(assert, () => cbk.load(flipped), 'checksum_mismatch');
    assert.ok(e.detail.length > 0, 'the library message is carried');
    assert.equal(e.code, 8);
    await expectStatus(assert, () => cbk.load(new ArrayBuffer(0)), 'invalid_argument');
    await expectStatus(assert, () => cbk.load(pathToFileURL('/nonexistent/x.cbk')), 'io_error');
    await expectStatus(assert, () => cbk.load(42), 'invalid_argument');
    const ok = await cbk.load(bytes);
    assert.equal(ok.architecture.family, 'gpt2');
    ok.dispose();
  });
});

describe('facts', () => {
  test('architecture, codebooks, tokenizer, metadata, files and parameters equal cbk info --json', async () => {
    const m = await cbk.load(pathToFileURL(fixture));
    const info = nativeInfo(fixture);
    const a = m.architecture;
    const n = info.architecture;
    assert.deepEqual(
      [a.family, a.vocabSize, a.dModel, a.nLayers, a.nHeads, a.headDim, a.dMlp, a.maxPositions, a.activation,
        a.positions, a.rotaryDims, a.parallelResidual, a.localWindow, a.tiedEmbeddings],
      [n.family, n.vocab_size, n.d_model, n.n_layers, n.n_heads, n.head_dim, n.d_mlp, n.max_positions, n.activation,
        n.positions, n.rotary_dims, n.parallel_residual, n.local_window, n.tied_embeddings]);
    assert.equal(Math.fround(a.normEps), Math.fround(n.norm_eps));
    assert.deepEqual(m.codebooks.map((c) => [c.layer, c.site, c.groups, c.codes, c.dim, c.k, c.metric, c.dtype, c.exact, c.bytes]),
      info.codebooks.map((c) => [c.layer, c.site, c.groups, c.codes, c.dim, c.k, c.similarity, c.dtype, c.exact, c.bytes]));
    const t = m.tokenizer;
    assert.deepEqual([t.kind, t.nTokens, t.nMerges, t.bos, t.eos, t.pad, t.addBos],
      [info.tokenizer.kind, info.tokenizer.tokens, info.tokenizer.merges, info.tokenizer.bos_id,
        info.tokenizer.eos_id, info.tokenizer.pad_id, info.tokenizer.add_bos]);
    const { extra, ...fixedKeys } = info.metadata;
    assert.deepEqual(m.metadata, { ...fixedKeys, ...extra });
    assert.equal(m.facts.fileInfo.fileSize, info.file.size);
    assert.equal(m.facts.fileInfo.dataOffset, info.file.data_offset);
    assert.equal(`0x${m.facts.fileInfo.dataCrc32.toString(16).padStart(8, '0')}`, info.verification.data_crc32);
    assert.equal(m.facts.fileInfo.memoryMapped, false);
    assert.equal(`${m.facts.schemaVersion.major}.${m.facts.schemaVersion.minor}`, info.file.schema_version);
    assert.deepEqual(m.facts.parameterCounts, {
      embeddings: info.parameters.embeddings, attention: info.parameters.attention, mlp: info.parameters.mlp,
      norms: info.parameters.norms, lmHead: info.parameters.lm_head, codebooks: info.parameters.codebooks,
      total: info.parameters.total,
    });
    const g = m.facts.generationDefaults;
    assert.deepEqual([g.maxNewTokens, g.topK, g.seed], [20, 5, 42]);
    assert.equal(g.temperature, Math.fround(0.7));
    assert.deepEqual(m.facts.extraTensors, info.extras.map((x) => x.name));
    assert.deepEqual(m.tensorInfos('model').map((x) => [x.name, x.dtype, x.shape, x.fileOffset, x.bytes]),
      info.tensors.map((x) => [x.name, x.dtype, x.shape, x.offset, x.bytes]));
    assert.equal(m.findCodebook(1, 'mlp'), 1);
    assert.equal(m.siteWidth('mlp_mid'), 64);
    assert.equal(m.siteWidth('qkv'), 96);
    await expectStatus(assert, () => m.findCodebook(0, 'mlp'), 'out_of_range');
    m.dispose();
  });

  test('annotations with their top contexts; extras by name', async () => {
    const m = await cbk.load(pathToFileURL(fixture));
    // random_model.py: codebook 0, group 1, code 3, "the", contexts [[1, 2, 3, 4], highlight (1, 2), 0.5].
    const all = m.annotations();
    assert.equal(all.length, 1);
    const a = m.annotation(0, 1, 3);
    assert.deepEqual({ ...a, contexts: undefined }, {
      index: 0, codebook: 0, group: 1, code: 3, label: 'the', description: "fires on 'the'",
      frequency: 0.25, contexts: undefined,
    });
    assert.deepEqual(a.contexts, [{ tokens: Int32Array.from([1, 2, 3, 4]), highlightStart: 1, highlightEnd: 2, score: 0.5 }]);
    assert.equal(m.annotation(0, 1, 4), null);
    await expectStatus(assert, () => m.annotation(0, 1, 99), 'out_of_range');
    const notes = m.tensor('notes.u8');
    assert.equal(new TextDecoder().decode(notes.data), 'hello');
    const table = m.tensor('table.i32');
    assert.deepEqual(Array.from(table.data), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(table.info.shape, [2, 3]);
    await expectStatus(assert, () => m.tensor('no.such'), 'out_of_range');
    // A model tensor, f16 widened: the final norm is stored f32; tok_embed f16.
    const embed = m.tensor('tok_embed', 'model');
    assert.equal(embed.info.dtype, 'f16');
    assert.equal(embed.toFloat32().length, 268 * 32);
    m.dispose();
  });

  test('TokFSM: fsm.transitions is a 100 x 100 row-stochastic table', async () => {
    const m = await cbk.load(pathToFileURL(TOKFSM));
    assert.deepEqual(m.facts.extraTensors, ['fsm.transitions']);
    const t = m.tensor('fsm.transitions');
    assert.deepEqual(t.info.shape, [100, 100]);
    const v = t.toFloat32();
    for (let r = 0; r < 100; r += 17) {
      const sum = v.subarray(r * 100, r * 100 + 100).reduce((x, y) => x + y, 0);
      assert.ok(Math.abs(sum - 1) < 1e-4 || sum === 0, `row ${r} sums to ${sum}`);
    }
    const notes = m.annotations();  // the trainer's state codes (tools/python/tokfsm/annotate.py)
    assert.ok(notes.length > 100, `${notes.length} annotations`);
    for (const a of notes) assert.match(a.label, /^state \d\d$/);
    m.dispose();
  });
});

describe('tokenizer', () => {
  test('tokenize/detokenize round trip; vocabulary', async () => {
    const m = await cbk.load(pathToFileURL(fixture));
    const text = 'hello world, ünïcode';
    const ids = m.tokenize(text);
    assert.ok(ids instanceof Int32Array && ids.length > 0);
    assert.equal(m.detokenize(ids), text);
    const vocab = m.vocabulary();
    assert.equal(vocab.length, 268);
    assert.equal(vocab[104], 'h');  // byte-level BPE: the 256 single bytes first
    assert.equal(m.tokenize('<|endoftext|>', { allowSpecial: true }).length, 1);
    await expectStatus(assert, () => m.detokenize([100000]), 'out_of_range');
    await expectStatus(assert, () => m.tokenize(5), 'invalid_argument');
    const fsm = await cbk.load(pathToFileURL(TOKFSM));
    assert.deepEqual(Array.from(fsm.tokenize('0123')), [10, 0, 1, 2, 3]);  // BOS 10 first
    assert.deepEqual(Array.from(fsm.tokenize('0123', { addBos: false })), [0, 1, 2, 3]);
    await expectStatus(assert, () => fsm.tokenize('x'), 'invalid_argument');
    fsm.dispose();
    m.dispose();
  });
});

test('concurrent loads (the heap grows while reads are pending) give identical models', async () => {
  const sources = [pathToFileURL(TOKFSM), pathToFileURL(apiFixture()), bytesOf(TOKFSM), pathToFileURL(TOKFSM)];
  const models = await Promise.all(sources.map((src) => cbk.load(src)));
  assert.deepEqual(models[0].facts, models[2].facts);
  assert.deepEqual(models[0].facts, models[3].facts);
  const runs = models.filter((m) => m.architecture.family === 'gpt_neox').map((m) => {
    const s = m.createSession();
    s.prefill([10, 1, 2]);
    const r = s.generate({ maxNewTokens: 10, sampling: { temperature: 0 }, stopAtEos: false }).tokens;
    s.dispose();
    return Array.from(r);
  });
  assert.deepEqual(runs[1], runs[0]);
  assert.deepEqual(runs[2], runs[0]);
  for (const m of models) m.dispose();
});
