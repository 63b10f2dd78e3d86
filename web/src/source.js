// source.js — model bytes into the WebAssembly heap with exactly one copy: a known size is
// allocated first (64-byte aligned, as CBK_MEMORY_BORROW needs) and every arriving chunk is
// written straight into it. Sources: bytes, Blob/File, Response, URL (fetch; file: and paths read
// from disk in Node).
import { CbkError, describe, fail } from './errors.js';
import { IS_NODE } from './runtime.js';

// Returns { ptr, size } (the caller frees ptr with rt.free) or throws CbkError.
export async function readIntoHeap(rt, source, { onProgress, signal } = {}) {
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const bytes = source instanceof ArrayBuffer
      ? new Uint8Array(source)
      : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    if (bytes.length === 0) fail('invalid_argument', 'the model bytes are empty');
    const ptr = rt.alloc(bytes.length);
    rt.U8.set(bytes, ptr);
    onProgress?.(bytes.length, bytes.length);
    return { ptr, size: bytes.length };
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) {
    return readStream(rt, source.stream(), source.size, onProgress);
  }
  if (typeof Response !== 'undefined' && source instanceof Response) {
    return readResponse(rt, source, onProgress);
  }
  if (typeof source === 'string' || source instanceof URL) {
    const base = typeof location !== 'undefined' ? location.href : pathToFileBase();
    const url = new URL(String(source), base);
    if (IS_NODE && url.protocol === 'file:') return readNodeFile(rt, url, onProgress);
    let response;
    try {
      response = await fetch(url, { signal });
    } catch (e) {
      throw new CbkError('io_error', `cannot fetch ${url.href}: ${e?.message ?? e}`);
    }
    if (!response.ok) fail('io_error', `cannot fetch ${url.href}: HTTP ${response.status} ${response.statusText}`);
    return readResponse(rt, response, onProgress);
  }
  fail('invalid_argument', `a model source must be bytes, a Blob, a Response or a URL, got ${describe(source)}`);
}

function pathToFileBase() {
  return IS_NODE ? `file://${process.cwd()}/` : undefined;
}

function readResponse(rt, response, onProgress) {
  // Content-Length counts encoded bytes; a compressed body may be larger (readStream grows).
  const total = Number(response.headers.get('content-length')) || 0;
  if (!response.body) fail('io_error', 'the response has no body');
  return readStream(rt, response.body, total, onProgress);
}

async function readStream(rt, stream, total, onProgress) {
  const reader = stream.getReader();
  let capacity = total;
  let ptr = capacity ? rt.alloc(capacity) : 0;
  let loaded = 0;
  const pending = [];  // chunks kept only while the size is unknown
  try {
    onProgress?.(0, total);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!ptr) {
        pending.push(value);
      } else {
        if (loaded + value.length > capacity) {
          const grown = rt.alloc(Math.max(capacity * 2, loaded + value.length));
          rt.U8.copyWithin(grown, ptr, ptr + loaded);
          rt.free(ptr);
          ptr = grown;
          capacity = Math.max(capacity * 2, loaded + value.length);
        }
        rt.U8.set(value, ptr + loaded);
      }
      loaded += value.length;
      onProgress?.(loaded, total);
    }
    if (loaded === 0) fail('truncated', 'the model source is empty (0 bytes)');
    if (!ptr) {
      ptr = rt.alloc(loaded);
      let at = ptr;
      for (const chunk of pending) {
        rt.U8.set(chunk, at);
        at += chunk.length;
      }
    }
    return { ptr, size: loaded };
  } catch (e) {
    rt.free(ptr);
    if (e instanceof CbkError) throw e;
    throw new CbkError('io_error', `reading the model failed: ${e?.message ?? e}`);
  }
}

async function readNodeFile(rt, url, onProgress) {
  const { open } = await import('node:fs/promises');
  let file;
  try {
    file = await open(url, 'r');
  } catch (e) {
    throw new CbkError('io_error', `cannot open ${url.pathname}: ${e.code ?? e.message}`);
  }
  let ptr = 0;
  try {
    const { size } = await file.stat();
    if (size === 0) fail('truncated', `${url.pathname} is empty (0 bytes)`);
    ptr = rt.alloc(size);
    // Chunks go through a small buffer: another call may grow the heap while a read is pending,
    // which would detach a view of the heap handed to the read.
    const chunk = new Uint8Array(Math.min(size, 1 << 22));
    let loaded = 0;
    while (loaded < size) {
      const { bytesRead } = await file.read(chunk, 0, Math.min(size - loaded, chunk.length), loaded);
      if (bytesRead === 0) fail('io_error', `${url.pathname} shrank while reading`);
      rt.U8.set(chunk.subarray(0, bytesRead), ptr + loaded);
      loaded += bytesRead;
      onProgress?.(loaded, size);
    }
    return { ptr, size };
  } catch (e) {
    rt.free(ptr);
    if (e instanceof CbkError) throw e;
    throw new CbkError('io_error', `reading ${url.pathname} failed: ${e.code ?? e.message}`);
  } finally {
    await file.close();
  }
}
