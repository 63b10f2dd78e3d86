// client.js — a promise-based client for worker.js, so a page never blocks (see client.d.ts).
// Every call posts one message; the answer resolves or rejects (CbkError) its promise. A
// generation is a GenerationRun: await it, iterate its tokens, cancel() it.
import { CbkError, NO_SLOT, SITES } from './cbk.js';

export { CbkError, NO_SLOT, SITES };

const CANCEL_SLOTS = 256;

// A worker-like endpoint: a Web Worker, or a Node worker_threads Worker (tests).
function wrapWorker(worker) {
  if (typeof worker.on === 'function' && typeof worker.addEventListener !== 'function') {
    return {
      post: (m, t) => worker.postMessage(m, t),
      listen: (fn) => worker.on('message', fn),
      fail: (fn) => worker.on('error', fn),
      terminate: () => worker.terminate(),
    };
  }
  return {
    post: (m, t) => worker.postMessage(m, t),
    listen: (fn) => worker.addEventListener('message', (e) => fn(e.data)),
    fail: (fn) => worker.addEventListener('error', (e) => fn(e.error ?? new Error(e.message))),
    terminate: () => worker.terminate(),
  };
}

export class CbkClient {
  // Use CbkClient.create(); `worker` is a started worker running worker.js.
  constructor(worker) {
    this._w = wrapWorker(worker);
    this._pending = new Map();
    this._nextId = 1;
    this._nextRun = 1;
    this._closed = false;
    this._cancelFlags = null;
    this._w.listen((msg) => this._receive(msg));
    this._w.fail((e) => this._failAll(new CbkError('internal', `the worker failed: ${e?.message ?? e}`)));
  }

  static async create(options = {}) {
    const url = options.workerUrl ?? new URL('./worker.js', import.meta.url);
    const worker = options.worker ?? new Worker(url, { type: 'module' });
    const client = new CbkClient(worker);
    await client._init(options);
    return client;
  }

  async _init({ moduleUrl, wasmUrl, sharedCancel } = {}) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && (sharedCancel ?? globalThis.crossOriginIsolated === true);
    let cancelBuffer;
    if (shared) {
      cancelBuffer = new SharedArrayBuffer(4 * CANCEL_SLOTS);
      this._cancelFlags = new Int32Array(cancelBuffer);
    }
    const info = await this._call('init', {
      moduleUrl: moduleUrl && String(moduleUrl), wasmUrl: wasmUrl && String(wasmUrl), cancelBuffer,
    });
    this.version = info.version;
    this.apiVersion = info.apiVersion;
  }

  get sharedCancel() {
    return this._cancelFlags !== null;
  }

  _receive(msg) {
    const p = this._pending.get(msg.id);
    if (!p) return;
    if (msg.event) {
      p.onEvent?.(msg);
      return;
    }
    this._pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(CbkError.fromJSON(msg.error));
  }

  _failAll(error) {
    for (const p of this._pending.values()) p.reject(error);
    this._pending.clear();
  }

  // Posts {id, op, args}; resolves with the worker's result. onEvent receives event messages.
  _call(op, args, { transfer = [], onEvent } = {}) {
    if (this._closed) return Promise.reject(new CbkError('wrong_state', 'the client was terminated'));
    const id = this._nextId++;
    return new Promise((resolve, reject) => {
      this._pending.set(id, { resolve, reject, onEvent });
      try {
        this._w.post({ id, op, args }, transfer);
      } catch (e) {
        this._pending.delete(id);
        reject(new CbkError('invalid_argument', `cannot send '${op}' to the worker: ${e?.message ?? e}`));
      }
    });
  }

  _newRun() {
    const runId = this._nextRun++;
    return { runId, slot: runId % CANCEL_SLOTS };
  }

  _cancelRun(run) {
    if (this._cancelFlags) Atomics.store(this._cancelFlags, run.slot, run.runId);
    if (!this._closed) this._w.post({ op: 'cancel', args: { runId: run.runId } });
  }

  async load(source, { onProgress, verifyChecksum } = {}) {
    const transfer = source instanceof ArrayBuffer ? [source] : [];
    // A relative URL means relative to the page, not to the worker script.
    if (typeof source === 'string' && typeof location !== 'undefined') source = new URL(source, location.href).href;
    if (source instanceof URL) source = source.href;
    const r = await this._call('load', { source, verifyChecksum }, {
      transfer,
      onEvent: (ev) => onProgress?.(ev.loaded, ev.total),
    });
    return new RemoteModel(this, r.model, r.facts);
  }

  terminate() {
    this._closed = true;
    this._w.terminate();
    this._failAll(new CbkError('wrong_state', 'the client was terminated'));
  }
}

export class RemoteModel {
  constructor(client, id, facts) {
    this._c = client;
    this.id = id;
    this.facts = facts;
    this._vocabulary = null;
  }
  _call(op, args = {}) {
    return this._c._call(op, { model: this.id, ...args });
  }
  annotations() { return this._call('annotations'); }
  annotation(codebook, group, code) { return this._call('annotation', { codebook, group, code }); }
  tensor(name, list) { return this._call('tensor', { name, list }); }
  tokenize(text, options) { return this._call('tokenize', { text, options }); }
  detokenize(tokens) { return this._call('detokenize', { tokens: Array.from(tokens) }); }
  vocabulary() {
    this._vocabulary ??= this._call('vocabulary');
    return this._vocabulary;
  }
  promotedTokens(codebook, group, code, topN = 10) {
    return this._call('promotedTokens', { codebook, group, code, topN });
  }
  codeVector(codebook, group, code) { return this._call('codeVector', { codebook, group, code }); }
  async createSession(params) {
    const r = await this._call('createSession', { params });
    return new RemoteSession(this._c, r.session, this);
  }
  dispose() { return this._call('disposeModel'); }
}

// A generation in flight: a promise of the result and an async iterator of its token events.
class Run {
  constructor(client, session) {
    this._client = client;
    this._session = session;
    this._ids = client._newRun();
    this._events = [];
    this._wake = null;
    this._done = false;
    this._onToken = null;
  }
  _start(op, args, onToken) {
    this._onToken = onToken;
    this._session._active = this;
    this._promise = this._client._call(op, { session: this._session.id, ...args, ...this._ids }, {
      onEvent: (ev) => {
        for (const t of ev.tokens) {
          this._onToken?.(t);
          this._events.push(t);
        }
        this._notify();
      },
    }).finally(() => {
      this._done = true;
      if (this._session._active === this) this._session._active = null;
      this._notify();
    });
    this._promise.catch(() => {});  // an unawaited failing run is reported through then()/iteration
    return this;
  }
  _notify() {
    this._wake?.();
    this._wake = null;
  }
  cancel() {
    if (!this._done) this._client._cancelRun(this._ids);
  }
  then(resolve, reject) {
    return this._promise.then(resolve, reject);
  }
  catch(reject) {
    return this._promise.catch(reject);
  }
  finally(fn) {
    return this._promise.finally(fn);
  }
  async *[Symbol.asyncIterator]() {
    for (;;) {
      if (this._events.length) {
        yield this._events.shift();
      } else if (this._done) {
        await this._promise;  // rethrows a failure
        return;
      } else {
        await new Promise((r) => { this._wake = r; });
      }
    }
  }
}

export class RemoteSession {
  constructor(client, id, model) {
    this._c = client;
    this.id = id;
    this.model = model;
    this._active = null;
  }
  _call(op, args = {}) {
    return this._c._call(op, { session: this.id, ...args });
  }
  prefill(tokens) {
    const run = new Run(this._c, this);
    return run._start('prefill', { tokens: Array.from(tokens) });
  }
  decode(token) { return this._call('decode', { token }); }
  sample(sampling) { return this._call('sample', { sampling }); }
  step(sampling) { return this._call('step', { sampling }); }
  generate(options = {}) {
    const { onToken, ...args } = options;
    return new Run(this._c, this)._start('generate', args, onToken);
  }
  run(options) {
    const { onToken, prompt, ...args } = options;
    return new Run(this._c, this)._start('run', { ...args, prompt: Array.from(prompt) }, onToken);
  }
  cancel() {
    this._active?.cancel();
  }
  position() { return this._call('position'); }
  tokens() { return this._call('tokens'); }
  logits() { return this._call('logits'); }
  probabilities(temperature) { return this._call('probabilities', { temperature }); }
  topTokens(n, temperature) { return this._call('topTokens', { n, temperature }); }
  setSeed(seed) { return this._call('setSeed', { seed }); }
  reset() { return this._call('reset'); }
  codes(codebook, group, position) { return this._call('codes', { codebook, group, position }); }
  trace(codebook, group) { return this._call('trace', { codebook, group }); }
  traceAll() { return this._call('traceAll'); }
  traceJson() { return this._call('traceJson'); }
  force(spec) { return this._call('force', { spec }); }
  disable(spec) { return this._call('disable', { spec }); }
  interchange(spec) { return this._call('interchange', { spec }); }
  bypass(spec) { return this._call('bypass', { spec }); }
  steer(interventions) { return this._call('steer', { interventions }); }
  clearSteering() { return this._call('clearSteering'); }
  steeringCount() { return this._call('steeringCount'); }
  dispose() { return this._call('disposeSession'); }
}
