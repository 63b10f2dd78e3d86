// Shared helpers of the Node tests: where things are, the native CLI (the oracle for exactness),
// fixture models, and the runtime under test.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BUILD_WEB = resolve(ROOT, process.env.CBK_WEB_BUILD_DIR ?? 'build-web');
export const MODULE_URL = pathToFileURL(join(BUILD_WEB, 'cbk.mjs'));
export const TOKFSM = join(ROOT, 'models/tokfsm.cbk');
export const CASES = join(ROOT, 'tests/parity/cases');
// One small fixture per architecture family (no tokenizer: prompts are ids).
export const FAMILY_FIXTURES = {
  gpt2: join(CASES, 'gpt2-attn-g-ip-k8.cbk'),
  gpt_neox: join(CASES, 'gpt_neox-mlp-g-euc-k8.cbk'),
  gpt_neo: join(CASES, 'gpt_neo-attn-v-ip-k8.cbk'),
};

// The native `cbk` binary: CBK_NATIVE_CLI, else build/tools/cbk.
export function nativeCli() {
  const cli = process.env.CBK_NATIVE_CLI ?? join(ROOT, 'build/tools/cbk');
  if (!existsSync(cli)) throw new Error(`native CLI not found at ${cli}: build it or set CBK_NATIVE_CLI`);
  return cli;
}

// Runs `cbk generate MODEL --json ARGS...` natively and returns the parsed JSON.
export function nativeGenerate(model, args) {
  const r = spawnSync(nativeCli(), ['generate', model, '--json', ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`native cbk generate failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// Runs a model-writing script of tests/api (SCRIPT OUT_DIR) once into the build directory and
// returns the path of `file` among its outputs.
export function pythonFixture(script, file) {
  const out = join(BUILD_WEB, 'test-fixtures');
  const path = join(out, file);
  if (!existsSync(path)) {
    mkdirSync(out, { recursive: true });
    const py = process.env.CBK_PYTHON ?? '/usr/bin/python3';
    const r = spawnSync(py, [join(ROOT, 'tests/api', script), out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  }
  return path;
}

// The C API test model (tests/api/make_models.py): gpt2, byte-level BPE tokenizer, annotations
// with contexts, metadata, max_positions 16.
export function apiFixture() {
  return pythonFixture('make_models.py', 'api.cbk');
}

// The worker client (worker.js + client.js) in a Node worker thread; options as CbkClient.create's.
export async function startClient(options = {}) {
  const { CbkClient } = await import('../../src/client.js');
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(new URL('../../src/worker.js', import.meta.url));
  return CbkClient.create({ worker, moduleUrl: MODULE_URL, ...options });
}

export function bytesOf(path) {
  const b = readFileSync(path);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

// The API under test, bound to the build's module.
export async function api() {
  const cbk = await import('../../src/cbk.js');
  const runtime = await cbk.createRuntime({ moduleUrl: MODULE_URL });
  return { ...cbk, runtime, load: (src, opts = {}) => runtime.load(src, opts) };
}

// Asserts that fn() throws (or rejects with) a CbkError with this status.
export async function expectStatus(assert, fn, status, messagePart) {
  let error;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error, `expected a CbkError ${status}, nothing was thrown`);
  assert.equal(error.name, 'CbkError', `expected a CbkError, got ${error?.stack}`);
  assert.equal(error.status, status, `expected ${status}, got ${error.status}: ${error.message}`);
  if (messagePart) assert.match(error.message, messagePart);
  return error;
}

// The DKVB models of make_dkvb_models.py (voting.cbk, linear.cbk, split.cbk), written once into the
// build directory, and the shipped toy.
export const DKVB_TOY = join(ROOT, 'models/dkvb-toy.cbk');
export function dkvbFixture(file) {
  const out = join(BUILD_WEB, 'test-fixtures', 'dkvb');
  const path = join(out, file);
  if (!existsSync(path)) {
    const py = process.env.CBK_PYTHON ?? '/usr/bin/python3';
    const r = spawnSync(py, [join(ROOT, 'web/test/node/make_dkvb_models.py'), out], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`make_dkvb_models.py failed: ${r.stderr}`);
  }
  return path;
}

// Runs the native `cbk classify MODEL --json [FLAGS]` on rows of floats (one line each on standard
// input; the shortest decimals that read back as the same float32): [{keys, logits}] per row.
export function nativeClassify(model, rows, flags = []) {
  const input = rows.map((x) => Array.from(x, (v) => String(v)).join(' ')).join('\n') + '\n';
  const r = spawnSync(nativeCli(), ['classify', model, '-', '--json', ...flags], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`native cbk classify failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout).rows.map((x) => ({ keys: x.keys, logits: x.logits }));
}
