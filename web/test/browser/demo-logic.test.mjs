// The demo page's pure logic under Node, with the native CLI as the oracle: code search ranks codes
// exactly as `cbk search --json` does on the same tokens and codes, and every intervention the page
// writes in the CLI's flag syntax is accepted by `cbk generate` and reads back the same.
//   CBK_NATIVE_CLI=build/tools/cbk node --test web/test/browser/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { searchCodes } from '../../demo/code-search.js';
import { formatSpec, parseSpec, parsePositions } from '../../demo/steer-spec.js';
import { activeTopic, findTopics, mentions, topicForces } from '../../demo/topics.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = resolve(root, process.env.CBK_NATIVE_CLI || 'build/tools/cbk');
const model = join(root, 'models/tokfsm.cbk');
const cbk = (...args) => execFileSync(cli, args, { encoding: 'utf8' });

// 120 pseudo-random digit tokens after BOS (a fixed LCG, so the corpus never changes).
const corpus = [10];
for (let x = 12345, i = 0; i < 120; ++i) corpus.push((x = (x * 1103515245 + 12345) % 2147483648) % 10);

test('code search equals cbk search on the same tokens', () => {
  assert.ok(existsSync(cli), `native CLI not found at ${cli} (set CBK_NATIVE_CLI)`);
  const dir = mkdtempSync(join(tmpdir(), 'cbk-search-'));
  const file = join(dir, 'corpus.ids');
  writeFileSync(file, corpus.join(','));
  // The codes of every token (one window: the corpus is shorter than the 128-token context).
  const gen = JSON.parse(cbk('generate', model, '--prompt-ids', corpus.join(','), '-n', '0', '--json'));
  const vocab = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '<|endoftext|>'];
  const texts = corpus.map((t) => vocab[t]);
  const columns = gen.codes.map((c) => ({ layer: c.layer, site: c.site, group: c.group }));
  const traces = gen.codes.map((c) => ({ ids: Int32Array.from(c.ids.flat()), rows: c.ids.length, slots: 1 }));
  for (const regex of ['7(3)', '[0-4]', '(\\d)\\1', '9', '0(?=5)', 'text\\|>(\\d)']) {
    const want = JSON.parse(cbk('search', model, regex, file, '--ids', '--json'));
    const got = searchCodes(regex, texts, columns, (i) => traces[i]);
    assert.equal(got.nMatched, want.matched, `${regex}: matched tokens`);
    assert.deepEqual(got.results.map((r) => ({ ...columns[r.column], code: r.code, hits: r.hits, activations: r.activations })),
      want.codes.map((c) => ({ layer: c.layer, site: c.site, group: c.group, code: c.code, hits: c.hits, activations: c.activations })),
      `${regex}: ranked codes`);
    got.results.forEach((r, i) => {
      assert.ok(Math.abs(r.precision - want.codes[i].precision) < 1e-6, `${regex}: precision/recall as printed`);
      assert.ok(Math.abs(r.recall - want.codes[i].recall) < 1e-6, `${regex}: precision/recall as printed`);
    });
  }
});

test('interventions round-trip through the flag syntax and the native CLI accepts them', () => {
  const cases = [
    ['force', '2:mlp:0:7@5-20/all*1.5'], ['force', '2:mlp:*:7'], ['force', '1:attn_preproj:3:12@generated/append'],
    ['force', '0:mlp:0:3@1-3,9-10/-1*0.5'], ['disable', '1:attn_preproj:3:12,40,top5@generated/zero'],
    ['disable', '3:mlp:0:516'], ['bypass', '0:mlp'], ['bypass', '0:attn_preproj:2'],
  ];
  for (const [kind, text] of cases) {
    const spec = parseSpec(kind, text);
    assert.deepEqual(parseSpec(kind, formatSpec(spec)), spec, text);
    // The CLI runs the same flag (exit 0): syntax and values are valid for the model.
    cbk('generate', model, '--prompt-ids', '10,0,7', '-n', '1', `--${kind}`, formatSpec(spec));
  }
  assert.deepEqual(parsePositions('9-10,3,1-2'), [[1, 3], [9, 10]], 'touching ranges merge as the CLI merges them');
  for (const [kind, bad] of [['force', 'x:mlp:0:1'], ['force', '1:nope:0:1'], ['force', '1:mlp:0:1@5-3'], ['force', '1:mlp:0'],
    ['force', '1:mlp:0:1*'], ['disable', '1:mlp:0:a'], ['disable', '1:mlp:0:1/none'], ['bypass', '1']])
    assert.throws(() => parseSpec(kind, bad), Error, `${kind} ${bad}`);
});

test('topics: found from labels and regexes, forced per head in slots -1, -2, ... up to k, mentions marked', () => {
  const codebooks = [{ index: 0, layer: 0, site: 'attn_preproj', k: 2 }, { index: 1, layer: 1, site: 'mlp', k: 1 }];
  const notes = [
    { codebook: 0, group: 3, code: 7, label: 'topic: sea' }, { codebook: 1, group: 0, code: 2, label: 'topic: sea' },
    { codebook: 0, group: 3, code: 8, label: 'topic: sea' }, { codebook: 0, group: 3, code: 9, label: 'topic: sea' },
    { codebook: 1, group: 0, code: 4, label: 'topic: sea' }, { codebook: 0, group: 1, code: 1, label: 'topic: sky' },
    { codebook: 0, group: 1, code: 2, label: 'topic: nope' }, { codebook: 0, group: 1, code: 3, label: 'topic: bad' },
    { codebook: 0, group: 1, code: 4, label: 'Topic: sky' }, { codebook: 0, group: 1, code: 5, label: 'sky' },
  ];
  const metadata = { 'topic.sky.regex': '\\bsky\\b', 'topic.sea.regex': 'seas?', 'topic.bad.regex': '(', 'topic.moon.regex': 'moon' };
  const topics = findTopics(notes, metadata, codebooks);
  assert.deepEqual(topics.map((t) => [t.name, t.regex, t.codes.map((c) => `${c.codebook}/${c.group}/${c.code}`)]), [
    ['sea', 'seas?', ['0/3/7', '1/0/2', '0/3/8', '0/3/9', '1/0/4']],
    ['sky', '\\bsky\\b', ['0/1/1']],
  ], 'exact labels with a compiling regex only, codes in file order');
  const kOf = (i) => codebooks[i].k;
  const forces = topicForces(topics[0], kOf);
  // Hand-derived: head 3 of codebook 0 takes 7 and 8 (k = 2, 9 left out); codebook 1 takes 2 (k = 1).
  assert.deepEqual(forces.map(formatSpec), ['0:attn_preproj:3:7', '1:mlp:0:2', '0:attn_preproj:3:8/-2']);
  assert.ok(forces.every((f) => f.kind === 'force' && f.positions === 'all' && f.strength === 1));
  assert.equal(activeTopic(topics, forces, kOf), 'sea');
  assert.equal(activeTopic(topics, forces.slice(1), kOf), null, 'an edited list is no topic');
  assert.equal(activeTopic(topics, [], kOf), null);
  assert.deepEqual(mentions('The Sky, the SEA and two seas. Skyline.', '\\bsky\\b'), [[4, 7]]);
  assert.deepEqual(mentions('The Sky, the SEA and two seas.', 'seas?'), [[13, 16], [25, 29]]);
  assert.deepEqual(mentions('abc', 'x*'), [], 'empty matches are not mentions');
});
