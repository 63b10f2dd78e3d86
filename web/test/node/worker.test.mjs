// The worker and its client (worker.js + client.js) in a Node worker thread: load with progress,
// a token stream equal to the native CLI's tokens, cancel, steering, errors across the boundary.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { statSync } from 'node:fs';
import { bytesOf, expectStatus, nativeGenerate, startClient, TOKFSM } from './helpers.mjs';

let client;
before(async () => {
  client = await startClient();
});
after(() => client.terminate());

test('load by URL with progress; facts come along', async () => {
  const progress = [];
  const m = await client.load(pathToFileURL(TOKFSM).href, { onProgress: (n, total) => progress.push([n, total]) });
  assert.equal(m.facts.architecture.family, 'gpt_neox');
  assert.equal(m.facts.codebooks.length, 8);
  const size = statSync(TOKFSM).size;  // the last progress report is the whole file
  assert.deepEqual(progress.at(-1), [size, size]);
  assert.equal((await m.vocabulary()).length, 11);
  await m.dispose();
});

test('a Blob (as a file picker gives) is read in the worker, with progress', async () => {
  const bytes = bytesOf(TOKFSM);
  const progress = [];
  const m = await client.load(new Blob([bytes]), { onProgress: (n, total) => progress.push([n, total]) });
  assert.equal(m.facts.fileInfo.fileSize, bytes.byteLength);
  assert.deepEqual(progress.at(-1), [bytes.byteLength, bytes.byteLength]);
  const t = await m.tensor('fsm.transitions');
  assert.equal(t.values.length, 100 * 100);
  await m.dispose();
});

test('a token stream equal to native cbk generate; trace equal too', async () => {
  const native = nativeGenerate(TOKFSM, ['-p', '0123', '-n', '40', '--seed', '77', '--temp', '1', '--top-k', '0', '--top-p', '1']);
  const m = await client.load(bytesOf(TOKFSM));
  const s = await m.createSession({ seed: 77 });
  const prompt = await m.tokenize('0123');
  await s.prefill(prompt);
  const run = s.generate({ maxNewTokens: 40, sampling: { temperature: 1, topK: 0, topP: 1 }, streamCodes: true });
  const streamed = [];
  for await (const ev of run) streamed.push(ev);
  const result = await run;
  const expected = native.tokens.slice(prompt.length);
  assert.deepEqual(streamed.map((e) => e.token), expected);
  assert.deepEqual(Array.from(result.tokens), expected);
  assert.equal(result.stop, native.stop);
  assert.deepEqual(streamed.map((e) => e.position), expected.map((_, i) => prompt.length + i));
  assert.equal(streamed.map((e) => e.text).join(''), native.completion);
  // Per-token codes in the stream, and the trace afterwards, equal the native trace.
  const trace = await s.traceJson();
  assert.deepEqual(trace.map((t) => t.ids), native.codes.map((c) => c.ids));
  streamed.forEach((ev, i) => {
    ev.codes.forEach((c, j) => assert.deepEqual(Array.from(c.ids), native.codes[j].ids[prompt.length + i]));
  });
  await s.dispose();
  await m.dispose();
});

test('run(): reset + steering + prefill + generate in one message, as native --force', async () => {
  const native = nativeGenerate(TOKFSM, ['-p', '0123', '-n', '20', '--seed', '3', '--temp', '1', '--force', '2:mlp:0:11@generated']);
  const m = await client.load(pathToFileURL(TOKFSM).href);
  const s = await m.createSession();
  const steering = [{ kind: 'force', layer: 2, site: 'mlp', group: 0, code: 11, positions: 'generated' }];
  const tokens = [];
  const r = await s.run({ prompt: native.tokens.slice(0, 5), seed: 3, maxNewTokens: 20, sampling: { temperature: 1 }, steering, onToken: (e) => tokens.push(e.token) });
  assert.deepEqual(tokens, native.tokens.slice(5, 5 + tokens.length));
  assert.deepEqual(Array.from(r.tokens), native.tokens.slice(5));
  assert.equal(await s.steeringCount(), 1);
  await s.dispose();
  await m.dispose();
});

test('cancel between tokens: the run stops part-way and resolves cancelled; the session stays usable', async () => {
  const m = await client.load(pathToFileURL(TOKFSM).href);
  const s = await m.createSession({ maxContext: 128 });
  await s.prefill([10, 0]);
  // The worker runs the first ~8 ms slice as soon as 'generate' arrives, then yields and reads the
  // cancel posted right after it (126 tokens take far longer than one slice).
  const run = s.generate({ maxNewTokens: 126, sampling: { temperature: 1 }, stopAtEos: false });
  run.cancel();
  const r = await run;
  assert.equal(r.stop, 'cancelled');
  assert.ok(r.tokens.length < 126, `stopped after ${r.tokens.length} tokens`);
  assert.equal(await s.position(), 2 + r.tokens.length);
  const next = await s.step({ temperature: 0 });
  assert.ok(next >= 0 && next < 11);
  await s.dispose();
  await m.dispose();
});

test('errors cross the boundary as CbkError with the status name', async () => {
  await expectStatus(assert, () => client.load(new TextEncoder().encode('GIF89a: an image, not a model at all').buffer), 'bad_identifier');
  const m = await client.load(pathToFileURL(TOKFSM).href);
  const s = await m.createSession();
  await expectStatus(assert, () => s.decode(3), 'wrong_state');
  await expectStatus(assert, () => s.force({ layer: 9, site: 'mlp', code: 1 }), 'out_of_range');
  await expectStatus(assert, () => m.promotedTokens(0, 99, 0), 'out_of_range', /group/);
  await s.dispose();
  await expectStatus(assert, () => s.position(), 'wrong_state');
  await m.dispose();
});

test('with a SharedArrayBuffer flag, cancel stops a running prefill too (run() resolves cancelled)', async () => {
  const shared = await startClient({ sharedCancel: true });
  try {
    assert.equal(shared.sharedCancel, true);
    const m = await shared.load(pathToFileURL(TOKFSM).href);
    const s = await m.createSession({ prefillChunk: 1 });
    const prompt = Array.from({ length: 120 }, (_, i) => (i % 10));
    // The flag is set before the worker starts: the prefill's first cancel check sees it.
    const pre = s.prefill(prompt);
    s.cancel();
    await expectStatus(assert, () => pre, 'cancelled');
    assert.equal(await s.position(), 0);
    const run = s.run({ prompt, maxNewTokens: 5 });
    run.cancel();
    assert.deepEqual([(await run).stop, (await run).tokens.length], ['cancelled', 0]);
    await s.prefill(prompt);  // nothing left over: the next prefill runs to the end
    assert.equal(await s.position(), 120);
    await s.dispose();
    await m.dispose();
  } finally {
    shared.terminate();
  }
});
