// Memory: a failed allocation inside the library becomes CbkError out_of_memory and the module
// keeps working; struct layouts of cbk.js equal the compiler's.
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { bytesOf, expectStatus, MODULE_URL, TOKFSM } from './helpers.mjs';
import { createRuntime } from '../../src/cbk.js';
import { instantiate } from '../../src/runtime.js';
import { STRUCTS, STRUCT_ORDER } from '../../src/layout.js';

const MiB = 1024 * 1024;

test('struct layouts in layout.js have the sizes the C compiler gives them', async () => {
  const rt = await instantiate({ moduleUrl: MODULE_URL });
  STRUCT_ORDER.forEach((name, i) => {
    assert.equal(STRUCTS[name].size, rt.M._cbk_web_sizeof(i), `sizeof(cbk_${name})`);
  });
  assert.equal(rt.M._cbk_web_sizeof(STRUCT_ORDER.length), 0);
});

test('out of memory in the library is a CbkError, and the module keeps working', async () => {
  // 32 MiB at most: the model (7 MiB) fits, a session does not once ballast fills the rest.
  const memory = new WebAssembly.Memory({ initial: 256, maximum: 512 });
  const runtime = await createRuntime({ moduleUrl: MODULE_URL, wasmMemory: memory });
  const model = await runtime.load(pathToFileURL(TOKFSM));
  const rt = runtime._rt;  // internal: to fill the heap on purpose
  const ballast = [];
  for (let size = 4 * MiB; size >= 1024; size >>= 1) {
    for (;;) {
      const p = rt.M._cbk_web_alloc(size) >>> 0;
      if (p === 0) break;
      ballast.push(p);
    }
  }
  // Emscripten grows in steps, so the last few MiB below the maximum may stay unused.
  assert.ok(memory.buffer.byteLength >= 24 * MiB, `the heap grew (${memory.buffer.byteLength} bytes)`);
  const e = await expectStatus(assert, () => model.createSession(), 'out_of_memory');
  assert.ok(e.detail.length > 0);
  // A model that does not fit at all is refused before the library sees it.
  await expectStatus(assert, () => runtime.load(bytesOf(TOKFSM)), 'out_of_memory');
  for (const p of ballast) rt.free(p);
  const s = model.createSession();
  s.prefill([10, 0, 1, 2, 3]);
  const r = s.generate({ maxNewTokens: 10, sampling: { temperature: 0 }, stopAtEos: false });
  assert.equal(r.tokens.length, 10);
  s.dispose();
  model.dispose();
});

test('a session whose KV cache cannot be allocated: out_of_memory, then a small one works', async () => {
  const memory = new WebAssembly.Memory({ initial: 256, maximum: 256 });  // 16 MiB, no growth
  const runtime = await createRuntime({ moduleUrl: MODULE_URL, wasmMemory: memory });
  const model = await runtime.load(pathToFileURL(TOKFSM));
  // Several full-context sessions until one fails.
  const sessions = [];
  let error;
  try {
    for (let i = 0; i < 200; i++) sessions.push(model.createSession());
  } catch (e) {
    error = e;
  }
  assert.equal(error?.status, 'out_of_memory', String(error));
  for (const s of sessions) s.dispose();
  const s = model.createSession({ maxContext: 16 });
  s.prefill([10, 1, 2]);
  assert.equal(s.step({ temperature: 0 }) >= 0, true);
  s.dispose();
  model.dispose();
});
