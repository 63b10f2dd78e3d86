// runtime.js — one instantiated cbk.wasm module and the memory helpers the API is built on:
// typed views that follow memory growth, strings, structs (layout.js), a scratch area for output
// arguments, and status checks that turn a cbk_status into a CbkError.
import { CbkError, STATUS_NAMES, fail } from './errors.js';
import { STRUCTS } from './layout.js';

// The build writes cbk.mjs + cbk.wasm to build-web/ at the repository root (tools/ci/test-web.sh).
export const DEFAULT_MODULE_URL = new URL('../../build-web/cbk.mjs', import.meta.url);
export const IS_NODE = typeof process === 'object' && !!process.versions?.node;

const PAGE = 65536;
const SCRATCH_BYTES = 1024;
const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

export class Runtime {
  // Use createRuntime(); `M` is the Emscripten module instance, `memory` its WebAssembly.Memory.
  constructor(M, memory) {
    this.M = M;
    this.memory = memory;
    this._buffer = null;
    this.version = this.string(M._cbk_version());
    this.apiVersion = M._cbk_api_version();
    this.scratch = this.alloc(SCRATCH_BYTES);
    // Cancel checks by id, read by cbk_web_js_should_cancel (web/wasm/cbk_web.c).
    M.cbkCancelChecks = new Map();
    this._nextId = 1;
  }

  memoryBytes() {
    return this.memory.buffer.byteLength;
  }

  nextId() {
    return this._nextId++;
  }

  // ---- views (refreshed after memory growth, which replaces the ArrayBuffer) ----
  _views() {
    const buffer = this.memory.buffer;
    if (buffer !== this._buffer) {
      this._buffer = buffer;
      this.u8 = new Uint8Array(buffer);
      this.i32 = new Int32Array(buffer);
      this.u32 = new Uint32Array(buffer);
      this.f32 = new Float32Array(buffer);
    }
    return this;
  }
  get U8() { return this._views().u8; }
  get I32() { return this._views().i32; }
  get U32() { return this._views().u32; }
  get F32() { return this._views().f32; }

  // ---- memory ----
  // 64-byte aligned block (cbk_web_alloc); throws out_of_memory when the heap cannot grow.
  alloc(bytes) {
    const p = this.M._cbk_web_alloc(Math.max(1, bytes)) >>> 0;
    if (p === 0) fail('out_of_memory', `cannot allocate ${bytes} bytes in the WebAssembly heap (${this.memoryBytes()} bytes now)`);
    return p;
  }
  free(p) {
    if (p) this.M._cbk_web_free(p);
  }
  // Runs fn(ptr) with `bytes` of temporary memory.
  withBuffer(bytes, fn) {
    const p = this.alloc(bytes);
    try {
      return fn(p);
    } finally {
      this.free(p);
    }
  }
  // An int32 array copied into temporary memory for the duration of fn(ptr, n).
  withInt32(values, fn) {
    const n = values.length;
    return this.withBuffer(n * 4, (p) => {
      this.I32.set(values, p >>> 2);
      return fn(p, n);
    });
  }

  // ---- scalars at an address ----
  readU32(p) { return this.U32[p >>> 2]; }
  readI32(p) { return this.I32[p >>> 2]; }
  readPtr(p) { return this.U32[p >>> 2]; }
  readF32(p) { return this.F32[p >>> 2]; }
  // uint64 as a number when it is a safe integer, else a bigint.
  readU64(p) {
    const lo = this.U32[p >>> 2];
    const hi = this.U32[(p >>> 2) + 1];
    if (hi < 0x200000) return hi * 4294967296 + lo;
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  // ---- strings ----
  // The NUL-terminated UTF-8 string at p ("" for NULL).
  string(p) {
    p >>>= 0;
    if (p === 0) return '';
    const u8 = this.U8;
    let end = p;
    while (u8[end] !== 0) end++;
    return utf8Decoder.decode(u8.subarray(p, end));
  }
  // Runs fn(ptr, byteLength) with `text` as NUL-terminated UTF-8 in temporary memory.
  withString(text, fn) {
    const bytes = utf8Encoder.encode(text);
    return this.withBuffer(bytes.length + 1, (p) => {
      this.U8.set(bytes, p);
      this.U8[p + bytes.length] = 0;
      return fn(p, bytes.length);
    });
  }

  // ---- structs (layout.js) ----
  // Zeroes the struct at p and sets struct_size (when it has one).
  initStruct(kind, p) {
    const s = STRUCTS[kind];
    this.U8.fill(0, p, p + s.size);
    if (s.fields.struct_size) this.U32[p >>> 2] = s.size;
    return p;
  }
  // The struct at p as a plain object of raw field values (pointers as addresses).
  readStruct(kind, p) {
    const out = {};
    for (const [name, { offset, type }] of Object.entries(STRUCTS[kind].fields)) {
      const a = p + offset;
      out[name] = type === 'f32' ? this.readF32(a)
        : type === 'i32' ? this.readI32(a)
        : type === 'u64' ? this.readU64(a)
        : this.readU32(a);
    }
    return out;
  }
  writeStruct(kind, p, values) {
    this.initStruct(kind, p);
    for (const [name, { offset, type }] of Object.entries(STRUCTS[kind].fields)) {
      if (!(name in values)) continue;
      const a = (p + offset) >>> 2;
      if (type === 'f32') this.F32[a] = values[name];
      else if (type === 'i32') this.I32[a] = values[name];
      else this.U32[a] = values[name];
    }
    return p;
  }

  // ---- status ----
  // Throws CbkError for a failing status, with the library's message for the calling thread.
  check(status) {
    if (status !== 0) throw this.error(status);
  }
  error(status) {
    return new CbkError(STATUS_NAMES[status] ? status : 'internal', this.string(this.M._cbk_last_error_message()));
  }
}

// Instantiates cbk.wasm. Options: moduleUrl (cbk.mjs), wasmUrl, wasmBinary, wasmMemory.
export async function instantiate(options = {}) {
  const moduleUrl = new URL(String(options.moduleUrl ?? DEFAULT_MODULE_URL), import.meta.url);
  const wasmUrl = new URL(String(options.wasmUrl ?? new URL('cbk.wasm', moduleUrl)), import.meta.url);
  const { default: factory } = await import(moduleUrl.href);
  // Our own memory (the module imports it): views follow it, and a test can pass a small one.
  const memory = options.wasmMemory ?? new WebAssembly.Memory({ initial: 16 * 1024 * 1024 / PAGE, maximum: 65536 });
  const args = {
    wasmMemory: memory,
    locateFile: (path) => (path.endsWith('.wasm') ? wasmUrl.href : path),
    print: (s) => console.log(s),
    printErr: (s) => console.error(s),
  };
  if (options.wasmBinary) {
    args.wasmBinary = options.wasmBinary;
  } else if (IS_NODE && wasmUrl.protocol === 'file:') {
    // Emscripten 3.1.6 would fetch() a file: URL in Node, which Node's fetch does not support.
    const { readFile } = await import('node:fs/promises');
    args.wasmBinary = await readFile(wasmUrl);
  }
  let M;
  try {
    M = await factory(args);
  } catch (e) {
    throw new CbkError('io_error', `cannot instantiate ${wasmUrl.href}: ${e?.message ?? e}`);
  }
  return new Runtime(M, memory);
}
