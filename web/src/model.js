// model.js — a loaded model: its facts as plain data, annotations, tensors, the tokenizer, and
// sessions. The model's bytes live once in the WebAssembly heap, borrowed by the library
// (CBK_MEMORY_BORROW); they are freed when the model and all of its sessions are disposed, as
// cbk.h's lifetime rule for borrowed data requires.
import { codeLogits, codeVector, promotedTokens } from './code-effects.js';
import { Classifier, dkvbKeys, readDkvbFacts } from './dkvb.js';
import { checkInt, describe, fail } from './errors.js';
import { Protonet, readProtonetFacts } from './protonet.js';
import { Session } from './session.js';
import { readIntoHeap } from './source.js';
import { SITES, siteValue, decodeTensor, tensorToFloat32, toIds } from './values.js';

const LISTS = { model: 0, extra: 1 };
const SIZE_MAX32 = 0xffffffff;
const utf8 = new TextDecoder('utf-8');

// Reference count of the borrowed bytes: the model holds one, every live session one.
class BorrowedBytes {
  constructor(rt, ptr, size) {
    Object.assign(this, { rt, ptr, size, refs: 1 });
  }
  retain() {
    this.refs++;
  }
  release() {
    if (--this.refs === 0) {
      this.rt.free(this.ptr);
      this.ptr = 0;
    }
  }
}

export async function loadModel(rt, source, options = {}) {
  const { ptr, size } = await readIntoHeap(rt, source, options);
  const bytes = new BorrowedBytes(rt, ptr, size);
  const out = rt.scratch;
  const st = rt.M._cbk_web_model_load(ptr, size, options.verifyChecksum === false ? 0 : 1, out);
  if (st !== 0) {
    const err = rt.error(st);
    bytes.release();
    throw err;
  }
  const handle = rt.readPtr(out);
  try {
    return new Model(rt, handle, bytes);
  } catch (e) {
    rt.M._cbk_model_free(handle);
    bytes.release();
    throw e;
  }
}

export class Model {
  constructor(rt, handle, bytes) {
    this._rt = rt;
    this._h = handle;
    this._bytes = bytes;
    this._vocabulary = null;
    this.facts = readFacts(rt, handle);
  }

  get disposed() { return this._h === 0; }
  get kind() { return this.facts.kind; }
  get dkvb() { return this.facts.dkvb; }
  get protonet() { return this.facts.protonet; }
  get architecture() { return this.facts.architecture; }
  get codebooks() { return this.facts.codebooks; }
  get tokenizer() { return this.facts.tokenizer; }
  get metadata() { return this.facts.metadata; }

  // The live handle, or CbkError wrong_state after dispose().
  handle() {
    if (this._h === 0) fail('wrong_state', 'the model was disposed');
    return this._h;
  }

  annotations() {
    const out = [];
    for (let i = 0; i < this.facts.annotationCount; i++) out.push(this._annotation(i));
    return out;
  }

  annotation(codebook, group, code) {
    const rt = this._rt;
    const h = this.handle();
    rt.U32[rt.scratch >>> 2] = 0;
    const st = rt.M._cbk_model_find_annotation(h, checkInt('codebook', codebook, 0), checkInt('group', group, 0),
      checkInt('code', code, 0), rt.scratch);
    if (st !== 0 && rt.readU32(rt.scratch) === SIZE_MAX32) return null;  // exists, not annotated
    rt.check(st);
    return this._annotation(rt.readU32(rt.scratch));
  }

  _annotation(index) {
    const rt = this._rt;
    const h = this.handle();
    const p = rt.initStruct('code_annotation', rt.scratch);
    rt.check(rt.M._cbk_model_annotation(h, index, p));
    const a = rt.readStruct('code_annotation', p);
    const contexts = [];
    for (let c = 0; c < a.n_contexts; c++) {
      const q = rt.initStruct('code_context', rt.scratch + 128);
      rt.check(rt.M._cbk_model_annotation_context(h, index, c, q));
      const x = rt.readStruct('code_context', q);
      contexts.push({
        tokens: rt.I32.slice(x.tokens >>> 2, (x.tokens >>> 2) + x.n_tokens),
        highlightStart: x.highlight_start, highlightEnd: x.highlight_end, score: x.score,
      });
    }
    return {
      index, codebook: a.codebook, group: a.group, code: a.code, label: rt.string(a.label),
      description: rt.string(a.description), frequency: a.frequency, contexts,
    };
  }

  codeVector(codebook, group, code) { return codeVector(this, codebook, group, code); }
  codeLogits(codebook, group, code) { return codeLogits(this, codebook, group, code); }
  promotedTokens(codebook, group, code, topN = 10) { return promotedTokens(this, codebook, group, code, topN); }

  findCodebook(layer, site) {
    const rt = this._rt;
    rt.check(rt.M._cbk_model_find_codebook(this.handle(), checkInt('layer', layer, 0), siteValue(site), rt.scratch));
    return rt.readU32(rt.scratch);
  }

  siteWidth(site) {
    const rt = this._rt;
    rt.check(rt.M._cbk_model_site_width(this.handle(), siteValue(site), rt.scratch));
    return rt.readU32(rt.scratch);
  }

  tensorInfos(list = 'extra') {
    const n = this._rt.M._cbk_model_tensor_count(this.handle(), listValue(list)) >>> 0;
    return Array.from({ length: n }, (_, i) => tensorInfo(this._rt, this._h, listValue(list), i));
  }

  tensor(name, list = 'extra') {
    const rt = this._rt;
    const h = this.handle();
    if (typeof name !== 'string') fail('invalid_argument', `a tensor name must be a string, got ${describe(name)}`);
    const l = listValue(list);
    const index = rt.withString(name, (p) => {
      rt.check(rt.M._cbk_model_find_tensor(h, l, p, rt.scratch));
      return rt.readU32(rt.scratch);
    });
    const info = tensorInfo(rt, h, l, index);
    rt.check(rt.M._cbk_model_tensor_data(h, l, index, rt.scratch, rt.scratch + 4));
    const { data, scales } = decodeTensor(rt, info, rt.readPtr(rt.scratch), rt.readPtr(rt.scratch + 4));
    return { info, data, scales, toFloat32: () => tensorToFloat32(info, data, scales) };
  }

  tokenize(text, { addBos = this.facts.tokenizer?.addBos ?? false, allowSpecial = false } = {}) {
    const rt = this._rt;
    const h = this.handle();
    if (typeof text !== 'string') fail('invalid_argument', `text must be a string, got ${describe(text)}`);
    const flags = (addBos ? 1 : 0) | (allowSpecial ? 2 : 0);
    return rt.withString(text, (p, len) => {
      let capacity = len + 8;
      for (;;) {
        const result = rt.withBuffer(capacity * 4, (tokens) => {
          const st = rt.M._cbk_tokenize(h, p, len, flags, tokens, capacity, rt.scratch);
          const n = rt.readU32(rt.scratch);
          if (st === 28 /* buffer_too_small */) return n;
          rt.check(st);
          return rt.I32.slice(tokens >>> 2, (tokens >>> 2) + n);
        });
        if (typeof result !== 'number') return result;
        capacity = result;
      }
    });
  }

  detokenizeBytes(tokens) {
    const rt = this._rt;
    const h = this.handle();
    const ids = toIds(tokens, 'tokens');
    return rt.withInt32(ids, (p, n) => {
      let capacity = n * 16 + 1;
      for (;;) {
        const result = rt.withBuffer(capacity, (text) => {
          const st = rt.M._cbk_detokenize(h, p, n, text, capacity, rt.scratch);
          const len = rt.readU32(rt.scratch);
          if (st === 28) return len + 1;
          rt.check(st);
          return rt.U8.slice(text, text + len);
        });
        if (typeof result !== 'number') return result;
        capacity = result;
      }
    });
  }

  detokenize(tokens) {
    return utf8.decode(this.detokenizeBytes(tokens));
  }

  vocabulary() {
    if (!this.facts.tokenizer) fail('wrong_model_kind', `a ${this.kind} model has no vocabulary`);
    if (!this._vocabulary) {
      const n = this.facts.tokenizer.hasTokenizer ? this.facts.tokenizer.vocabSize : 0;
      const words = new Array(this.facts.architecture.vocabSize).fill('');
      for (let id = 0; id < n; id++) words[id] = this.detokenize([id]);
      this._vocabulary = words;
    }
    return this._vocabulary;
  }

  createSession(params = {}) {
    return new Session(this._rt, this, this._bytes, params);
  }

  // ---- DKVB models (dkvb.js) ----
  createClassifier() {
    return new Classifier(this._rt, this, this._bytes);
  }

  dkvbKeys() {
    return dkvbKeys(this);
  }

  // ---- prototype networks (protonet.js) ----
  createProtonet() {
    return new Protonet(this._rt, this, this._bytes);
  }

  dispose() {
    if (this._h === 0) return;
    this._rt.M._cbk_model_free(this._h);
    this._h = 0;
    this._bytes.release();
  }
}

function listValue(list) {
  if (!(list in LISTS)) fail('invalid_argument', `a tensor list is 'model' or 'extra', got ${describe(list)}`);
  return LISTS[list];
}

function tensorInfo(rt, h, list, index) {
  const p = rt.initStruct('tensor_info', rt.scratch);
  rt.check(rt.M._cbk_model_tensor_info(h, list, index, p));
  const t = rt.readStruct('tensor_info', p);
  const shape = [];
  for (let d = 0; d < t.n_dims; d++) shape.push(rt.readU64(t.shape + 8 * d));
  return {
    name: rt.string(t.name), dtype: rt.string(t.dtype), shape, fileOffset: t.file_offset,
    bytes: t.bytes, elements: t.elements,
  };
}

// cbk_kind names by value (cbk.h; cbk_kind_name() returns the same strings).
export const KINDS = Object.freeze(['transformer', 'dkvb', 'protonet']);

function readKind(rt, h) {
  rt.check(rt.M._cbk_model_kind(h, rt.scratch));
  const k = rt.readI32(rt.scratch);
  return KINDS[k] ?? String(k);
}

// Everything cached in Model.facts, read once at load. The transformer facts (architecture,
// codebooks, tokenizer, parameter counts, generation defaults) are null / empty for other kinds.
function readFacts(rt, h) {
  const M = rt.M;
  const S = rt.scratch;
  const read = (kind, fn) => {
    const p = rt.initStruct(kind, S);
    rt.check(fn(p));
    return rt.readStruct(kind, p);
  };
  const kind = readKind(rt, h);
  const common = readCommonFacts(rt, h, read);
  if (kind !== 'transformer') {
    return { kind, architecture: null, codebooks: [], tokenizer: null, parameterCounts: null, generationDefaults: null,
      annotationCount: 0, ...common, dkvb: kind === 'dkvb' ? readDkvbFacts(rt, h) : null,
      protonet: kind === 'protonet' ? readProtonetFacts(rt, h) : null };
  }
  const a = read('architecture', (p) => M._cbk_model_architecture(h, p));
  const architecture = {
    family: rt.string(a.family), vocabSize: a.vocab_size, dModel: a.d_model, nLayers: a.n_layers,
    nHeads: a.n_heads, headDim: a.head_dim, dMlp: a.d_mlp, maxPositions: a.max_positions,
    rotaryDims: a.rotary_dims, localWindow: a.local_window, normEps: a.norm_eps, rotaryBase: a.rotary_base,
    activation: rt.string(a.activation), positions: rt.string(a.positions),
    parallelResidual: a.parallel_residual !== 0, tiedEmbeddings: a.tied_embeddings !== 0,
  };
  const codebooks = [];
  const nCodebooks = M._cbk_model_codebook_count(h) >>> 0;
  for (let i = 0; i < nCodebooks; i++) {
    const c = read('codebook_info', (p) => M._cbk_model_codebook_info(h, i, p));
    rt.check(M._cbk_model_codebook_storage(h, i, S + 256, S + 264));
    rt.check(M._cbk_model_codebook_exact(h, i, S + 272));
    codebooks.push({
      index: i, layer: c.layer, site: SITES[c.site] ?? String(c.site), groups: c.groups, codes: c.codes,
      dim: c.dim, k: c.k, metric: c.metric === 1 ? 'euclidean' : 'inner_product',
      dtype: rt.string(rt.readPtr(S + 256)), bytes: rt.readU64(S + 264), exact: rt.readU32(S + 272) !== 0,
    });
  }
  const t = read('tokenizer_info', (p) => M._cbk_model_tokenizer_info(h, p));
  let nTokens = 0;
  let nMerges = 0;
  if (t.has_tokenizer) {
    rt.check(M._cbk_model_tokenizer_sizes(h, S + 256, S + 260));
    nTokens = rt.readU32(S + 256);
    nMerges = rt.readU32(S + 260);
  }
  const tokenizer = {
    hasTokenizer: t.has_tokenizer !== 0, kind: rt.string(t.kind), vocabSize: t.vocab_size, bos: t.bos,
    eos: t.eos, pad: t.pad, addBos: t.add_bos !== 0, nTokens, nMerges,
  };
  const c = read('parameter_counts', (p) => M._cbk_model_parameter_counts(h, p));
  const parameterCounts = {
    embeddings: c.embeddings, attention: c.attention, mlp: c.mlp, norms: c.norms, lmHead: c.lm_head,
    codebooks: c.codebooks, total: c.total,
  };
  const g = read('generation_defaults', (p) => M._cbk_model_generation_defaults(h, p));
  const generationDefaults = {
    maxNewTokens: g.max_new_tokens, temperature: g.temperature, topK: g.top_k, topP: g.top_p, seed: g.seed,
  };
  return {
    kind, architecture, codebooks, tokenizer, parameterCounts, generationDefaults,
    annotationCount: M._cbk_model_annotation_count(h) >>> 0, ...common, dkvb: null, protonet: null,
  };
}

// The facts every model kind has: metadata, schema version, file facts, the extra tensors' names.
function readCommonFacts(rt, h, read) {
  const M = rt.M;
  const S = rt.scratch;
  const metadata = {};
  const nMeta = M._cbk_model_metadata_count(h) >>> 0;
  for (let i = 0; i < nMeta; i++) {
    rt.check(M._cbk_model_metadata_at(h, i, S + 256, S + 260));
    metadata[rt.string(rt.readPtr(S + 256))] = rt.string(rt.readPtr(S + 260));
  }
  rt.check(M._cbk_model_schema_version(h, S + 256, S + 260));
  const schemaVersion = { major: rt.readU32(S + 256), minor: rt.readU32(S + 260) };
  const f = read('file_info', (p) => M._cbk_model_file_info(h, p));
  const fileInfo = {
    fileSize: f.file_size, schemaMajor: f.schema_major, schemaMinor: f.schema_minor, headerSize: f.header_size,
    dataOffset: f.data_offset, dataSize: f.data_size, headerCrc32: f.header_crc32, dataCrc32: f.data_crc32,
    dataCrcVerified: f.data_crc_verified !== 0, memoryMapped: f.memory_mapped !== 0,
  };
  const nExtra = M._cbk_model_tensor_count(h, 1) >>> 0;
  const extraTensors = Array.from({ length: nExtra }, (_, i) => tensorInfo(rt, h, 1, i).name);
  return { metadata, schemaVersion, fileInfo, extraTensors };
}

