// cbk.js — the JavaScript API of codebook.cpp over its WebAssembly build (see cbk.d.ts, the manual,
// and bindings/c/include/cbk.h, whose conventions it follows). ES module, no dependencies; runs in
// browsers, workers and Node.
//
//   import { load } from './cbk.js';
//   const model = await load('models/tokfsm.cbk');            // bytes, Blob, Response or URL
//   const s = model.createSession({ seed: 1 });
//   s.prefill(model.tokenize('0123'));
//   const { tokens } = s.generate({ maxNewTokens: 8, sampling: { temperature: 0 } });
//   const codes = s.codes(0, 0, s.position - 1);                // {ids, scores} of the last token
//   s.force({ layer: 0, site: 'attn', code: 3, positions: 'generated' });
//   s.dispose(); model.dispose();
import { Classifier } from './dkvb.js';
import { CbkError } from './errors.js';
import { loadModel, Model } from './model.js';
import { Protonet } from './protonet.js';
import { instantiate } from './runtime.js';
import { Session } from './session.js';
import { NO_SLOT, SITES } from './values.js';

export { CbkError, Classifier, Model, Protonet, Session, NO_SLOT, SITES };

class PublicRuntime {
  constructor(rt) {
    this._rt = rt;
    this.version = rt.version;
    this.apiVersion = rt.apiVersion;
  }
  load(source, options = {}) {
    return loadModel(this._rt, source, options);
  }
  memoryBytes() {
    return this._rt.memoryBytes();
  }
}

export async function createRuntime(options = {}) {
  return new PublicRuntime(await instantiate(options));
}

let shared = null;
export function defaultRuntime() {
  shared ??= createRuntime().catch((e) => {
    shared = null;
    throw e;
  });
  return shared;
}

export async function load(source, options = {}) {
  const runtime = options.runtime ?? (await defaultRuntime());
  return runtime.load(source, options);
}

export async function version() {
  return (await defaultRuntime()).version;
}
