// cbk.d.ts — TypeScript declarations of the JS API over the WebAssembly build of the C API
// (bindings/c/include/cbk.h). The comments are the manual; cbk.h says the rest.
//
// Conventions:
//  - Every failure throws CbkError; `status` is cbk_status_string()'s name ("out_of_range", ...),
//    `message` the library's message (cbk_last_error_message / cbk_session_last_error). Misuse on
//    the JS side (a disposed handle, a wrong type) throws CbkError too ("invalid_argument",
//    "wrong_state" for a disposed handle).
//  - Typed arrays returned by the API are COPIES the caller owns, unless the name says `View`: a
//    view aliases the module's memory and is valid only until the next call on that session (the
//    library may rewrite or move the memory then).
//  - A model's bytes are copied once into the module's memory (64-byte aligned) and borrowed by the
//    library; they are freed when the model and every session created from it are disposed.
//  - Handles hold module memory until dispose(); JS garbage collection does not free them.

/** Status names, equal to cbk_status_string() of cbk.h's cbk_status values. */
export type StatusName =
  | 'ok' | 'invalid_argument' | 'out_of_memory' | 'io_error' | 'bad_identifier'
  | 'unsupported_version' | 'truncated' | 'verify_failed' | 'checksum_mismatch'
  | 'bad_data_section' | 'tensor_out_of_range' | 'tensor_misaligned' | 'shape_overflow'
  | 'shape_mismatch' | 'bad_dtype' | 'missing_tensor' | 'duplicate_tensor' | 'bad_architecture'
  | 'bad_codebook' | 'bad_tokenizer' | 'bad_annotation' | 'non_finite_value' | 'out_of_range'
  | 'context_full' | 'wrong_state' | 'cancelled' | 'unsupported' | 'internal' | 'buffer_too_small'
  | 'wrong_model_kind' | 'unsupported_model_kind';

/** The one error class of the API. `message` is "<status>: <library message>". */
export class CbkError extends Error {
  constructor(status: StatusName | number, message: string);
  readonly name: 'CbkError';
  /** cbk_status name, e.g. "bad_identifier". */
  readonly status: StatusName;
  /** Numeric cbk_status value (-1 when the status does not come from the library). */
  readonly code: number;
  /** The library's message alone (without the status prefix). */
  readonly detail: string;
}

export type SiteName =
  | 'attn_preproj' | 'attn' | 'mlp' | 'mlp_mid' | 'qkv' | 'attn_plus_mlp' | 'transformer_block';

/** Site names by cbk_site value (index = value). */
export const SITES: readonly SiteName[];

// ---- Runtime (one instantiated WebAssembly module) ----------------------------------------------

export interface RuntimeOptions {
  /** The compiled module's bytes (skips fetching cbk.wasm). */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /** Where cbk.wasm is (default: next to cbk.mjs). */
  wasmUrl?: string | URL;
  /** Where cbk.mjs is (default: build-web/cbk.mjs at the repository root, relative to cbk.js). */
  moduleUrl?: string | URL;
  /** A WebAssembly.Memory to run in (e.g. with a small `maximum`, to test out-of-memory);
   *  initial >= 256 pages (16 MiB). */
  wasmMemory?: WebAssembly.Memory;
}

export interface Runtime {
  /** The library's version ("0.1.0") and API version (cbk_api_version). */
  readonly version: string;
  readonly apiVersion: number;
  /** Loads a model into this runtime; see load(). */
  load(source: ModelSource, options?: LoadOptions): Promise<Model>;
  /** Bytes of the module's linear memory now (it only grows, up to 4 GiB). */
  memoryBytes(): number;
}

/** Instantiates a new module (each runtime has its own memory). */
export function createRuntime(options?: RuntimeOptions): Promise<Runtime>;
/** The shared default runtime, created on first use. */
export function defaultRuntime(): Promise<Runtime>;

// ---- Loading -----------------------------------------------------------------------------------

/** Bytes, a Blob/File, a Response, or a URL (http(s):, file: in Node, or a path relative to the page). */
export type ModelSource = ArrayBuffer | ArrayBufferView | Blob | Response | string | URL;

export interface LoadOptions {
  /** Called as bytes arrive (URL/Blob/Response sources): total is 0 when unknown. */
  onProgress?: (loadedBytes: number, totalBytes: number) => void;
  /** CRC the whole data section (default true; cbk_model_params.verify_checksum). */
  verifyChecksum?: boolean;
  /** Stops a URL fetch. */
  signal?: AbortSignal;
  /** Runtime to load into (default: defaultRuntime()). */
  runtime?: Runtime;
}

/** Loads and verifies a .cbk model. Errors: every model-file status (bad_identifier, truncated,
 *  checksum_mismatch, ...), io_error (fetch failed), out_of_memory. */
export function load(source: ModelSource, options?: LoadOptions): Promise<Model>;

// ---- Model facts (plain data) ------------------------------------------------------------------

export interface Architecture {
  family: 'gpt2' | 'gpt_neox' | 'gpt_neo' | string;
  vocabSize: number; dModel: number; nLayers: number; nHeads: number; headDim: number; dMlp: number;
  maxPositions: number; rotaryDims: number; localWindow: number; normEps: number; rotaryBase: number;
  activation: string; positions: 'learned' | 'rotary' | string;
  parallelResidual: boolean; tiedEmbeddings: boolean;
}

export interface CodebookInfo {
  /** Codebook index (file order), the `codebook` argument of every call. */
  index: number;
  layer: number; site: SiteName; groups: number; codes: number; dim: number; k: number;
  metric: 'inner_product' | 'euclidean';
  /** Storage: "f32" | "f16" | "bf16" | "int8" (the table the search scans), and bytes in the file. */
  dtype: string; bytes: number;
  /** An f16/int8 table stored with its f32 originals: ids and outputs equal the f32 file's. */
  exact: boolean;
}

export interface TokenizerInfo {
  hasTokenizer: boolean; kind: 'byte_bpe' | 'vocab' | ''; vocabSize: number;
  bos: number; eos: number; pad: number; addBos: boolean; nTokens: number; nMerges: number;
}

export interface CodeContext {
  tokens: Int32Array; highlightStart: number; highlightEnd: number; score: number;
}

export interface Annotation {
  index: number; codebook: number; group: number; code: number;
  label: string; description: string; frequency: number; contexts: CodeContext[];
}

export interface FileInfo {
  fileSize: number; schemaMajor: number; schemaMinor: number; headerSize: number;
  dataOffset: number; dataSize: number; headerCrc32: number; dataCrc32: number;
  dataCrcVerified: boolean; memoryMapped: boolean;
}

export interface ParameterCounts {
  embeddings: number; attention: number; mlp: number; norms: number; lmHead: number;
  codebooks: number; total: number;
}

export interface GenerationDefaults {
  maxNewTokens: number; temperature: number; topK: number; topP: number;
  /** Safe integer when it fits, else a bigint. */
  seed: number | bigint;
}

export type TensorList = 'model' | 'extra';

export interface TensorInfo {
  name: string; dtype: 'f32' | 'f16' | 'bf16' | 'int8' | string; shape: number[];
  fileOffset: number; bytes: number; elements: number;
}

export interface TensorData {
  info: TensorInfo;
  /** Copy of the stored elements: f32 → Float32Array, f16/bf16 → Uint16Array (raw bits),
   *  int8 → Int8Array, u8 → Uint8Array, i32 → Int32Array (extras may be u8/i32). */
  data: Float32Array | Uint16Array | Int8Array | Uint8Array | Int32Array;
  /** Per-row f32 scales of an int8 tensor, else null. */
  scales: Float32Array | null;
  /** The values as f32 (dequantized / widened), row-major. */
  toFloat32(): Float32Array;
}

/** The model family a file holds (cbk_model_kind; cbk_kind_name() gives the same names). */
export type ModelKind = 'transformer' | 'dkvb' | 'protonet';

/** Facts of a Discrete Key-Value Bottleneck model (cbk_model_dkvb_info). */
export interface DkvbFacts {
  /** Floats per input vector, and of the encoder's output z (= inputDim for the identity encoder). */
  inputDim: number; embedDim: number;
  /** Encoder layers (0: the identity). */
  encoderLayers: number;
  /** Key-value codebooks; each picks one key per input. */
  heads: number;
  /** Key-value pairs per head (cbk.h's `pairs`): a picked key is a pair id in [0, keys). */
  keys: number;
  keyDim: number; valueDim: number;
  /** Logits per input. */
  classes: number;
  /** 'voting': logits = mean over heads of the picked values; 'linear': a linear layer over them. */
  decoder: 'voting' | 'linear';
  /** false: each head reads its keyDim slice of z. */
  hasProjection: boolean;
  /** The file marks pairs never selected in training; they are skipped by the search. */
  hasUsedPairs: boolean;
  /** Pairs searchable under the file's mask, over all heads. */
  usedPairs: number;
}

/** Facts of a prototype network (cbk_model_protonet_info, cbk_protonet_class_name). */
export interface ProtonetFacts {
  /** The image shape: channels x height x width floats, channel-major (Fashion-MNIST: 1 x 28 x 28). */
  channels: number; height: number; width: number;
  /** channels * height * width: the floats of an image. */
  imageSize: number;
  /** Floats of the encoder's latent z (and of a prototype). */
  latentDim: number;
  /** m, the number of prototypes; 0 for a baseline file (a linear head, no decoder). */
  prototypes: number;
  classes: number;
  /** classes names, index = class (e.g. "T-shirt/top"). */
  classNames: string[];
}

/** Everything a page shows about a model, as one plain (structured-cloneable) object. The
 *  transformer facts (architecture, codebooks, tokenizer, parameterCounts, generationDefaults) are
 *  null (codebooks empty) for a model of another kind; `dkvb` is set for DKVB models only,
 *  `protonet` for prototype networks only. */
export interface ModelFacts {
  kind: ModelKind;
  architecture: Architecture | null;
  codebooks: CodebookInfo[];
  tokenizer: TokenizerInfo | null;
  metadata: Record<string, string>;
  schemaVersion: { major: number; minor: number };
  fileInfo: FileInfo;
  parameterCounts: ParameterCounts | null;
  generationDefaults: GenerationDefaults | null;
  annotationCount: number;
  /** Names of the file's extra tensors (e.g. "fsm.transitions"). */
  extraTensors: string[];
  dkvb: DkvbFacts | null;
  protonet: ProtonetFacts | null;
}

export interface TokenizeOptions {
  /** Prepend BOS (default: the tokenizer's addBos). */
  addBos?: boolean;
  /** "<|endoftext|>" and the like become special tokens (default false). */
  allowSpecial?: boolean;
}

export interface SessionParams {
  /** Tokens the KV cache holds (default 0 = the model's maxPositions). */
  maxContext?: number;
  /** Prompt rows per batched pass (default 64). */
  prefillChunk?: number;
  /** Record every token's codes (default TRUE here, unlike cbk.h). */
  trace?: boolean;
  /** RNG seed (default 0). */
  seed?: number | bigint;
  /** cbk_session_params.n_threads, an integer in [0, 256] (default 1). Accepted for parity with the
   * native API, but the WebAssembly module is built without threads: every session runs on the
   * calling thread whatever the count (native results are identical for every count anyway). */
  threads?: number;
}

/** One token a code promotes (Model.promotedTokens). */
export interface PromotedToken {
  token: number;
  logit: number;
  text: string;
}

/** Calls for one model kind made on a model of another throw CbkError 'wrong_model_kind' (the
 *  transformer calls — annotations, codes, tokenizer, sessions — on a DKVB model, and
 *  createClassifier / dkvbKeys on a transformer). Loading, facts, metadata, tensors and dispose work
 *  for every kind; a kind this library does not run fails to load with 'unsupported_model_kind'. */
export class Model {
  readonly disposed: boolean;
  /** Facts computed once at load (cached). */
  readonly facts: ModelFacts;
  readonly kind: ModelKind;
  /** facts.dkvb: null unless kind is 'dkvb'. */
  readonly dkvb: DkvbFacts | null;
  /** Prototype-network facts; null for other kinds. */
  readonly protonet: ProtonetFacts | null;
  /** null for a model that is not a transformer (as tokenizer). */
  readonly architecture: Architecture | null;
  readonly codebooks: CodebookInfo[];
  readonly tokenizer: TokenizerInfo | null;
  readonly metadata: Record<string, string>;

  /** Every annotation, with its top contexts. */
  annotations(): Annotation[];
  /** The annotation of one code, or null when it has none. Errors: out_of_range (bad indices). */
  annotation(codebook: number, group: number, code: number): Annotation | null;
  /** Index of the codebook at (layer, site). Errors: out_of_range. */
  findCodebook(layer: number, site: SiteName | number): number;
  /** Floats per token at a site (cbk_model_site_width). */
  siteWidth(site: SiteName | number): number;

  /** The code's vector, exactly as the engine adds it into the mean (f16/int8 tables dequantized;
   *  cbk_model_code_vector). Errors: out_of_range (codebook, group, code). */
  codeVector(codebook: number, group: number, code: number): Float32Array;
  /** The code's direct effect on the next-token logits, vocabSize floats (cbk_model_code_logits):
   *  unembed(finalLayerNorm(r)), r the code's residual-stream contribution on its own — the code in
   *  its group's slice of a zero vector (attn, mlp, attn_plus_mlp, transformer_block), through the
   *  layer's attention output projection (attn_preproj) or MLP down projection (mlp_mid), biases
   *  left out; the LayerNorm normalises r alone, then applies its gain and bias.
   *  Errors: out_of_range, unsupported (qkv codebooks). */
  codeLogits(codebook: number, group: number, code: number): Float32Array;
  /** The topN (default 10) largest entries of codeLogits, descending, ties to the lower token id;
   *  text is the token's text ('' for a padding id or a model without tokenizer).
   *  Errors: as codeLogits, invalid_argument (topN). */
  promotedTokens(codebook: number, group: number, code: number, topN?: number): PromotedToken[];

  tensorInfos(list?: TensorList): TensorInfo[];
  /** A tensor by name (default list: 'extra'). Errors: out_of_range (no such tensor). */
  tensor(name: string, list?: TensorList): TensorData;

  /** Errors: unsupported (no tokenizer), invalid_argument (text a vocab tokenizer cannot match). */
  tokenize(text: string, options?: TokenizeOptions): Int32Array;
  /** UTF-8 decoded, invalid sequences replaced (U+FFFD). Errors: out_of_range (bad id). */
  detokenize(tokens: ArrayLike<number>): string;
  /** The raw bytes of the tokens. */
  detokenizeBytes(tokens: ArrayLike<number>): Uint8Array;
  /** Every token's text, index = id (length = tokenizer vocabSize; '' beyond). Cached. */
  vocabulary(): string[];

  /** Errors: out_of_range (maxContext > maxPositions), out_of_memory, wrong_model_kind. */
  createSession(params?: SessionParams): Session;

  /** A classifier on a DKVB model (cbk_dkvb_create): its own steering and scratch; it keeps the
   *  model's bytes alive until disposed. Errors: wrong_model_kind, out_of_memory. */
  createClassifier(): Classifier;
  /** Every key, [heads x keys x keyDim] floats (cbk_model_dkvb_key). Errors: wrong_model_kind. */
  dkvbKeys(): Float32Array;
  /** A prototype-network handle with its own copy of the prototypes and class weights.
   *  Errors: wrong_model_kind (not a prototype network), out_of_memory. */
  createProtonet(): Protonet;
  /** Frees the model (the bytes once the last session is disposed too). Idempotent. */
  dispose(): void;
}

// ---- Sessions ----------------------------------------------------------------------------------

export interface SamplingParams {
  /** <= 0: greedy (default 1). */
  temperature?: number;
  /** 0: off (default). */
  topK?: number;
  /** 1: off (default); in (0, 1]. */
  topP?: number;
}

/** Checked before every prefill chunk and between generated tokens; return true to stop. */
export type ShouldCancel = () => boolean;

export interface PrefillOptions {
  shouldCancel?: ShouldCancel;
  /** Also return every prompt token's logits, [n x vocabSize] (cbk_session_prefill_logits). */
  allLogits?: boolean;
}

export type StopReason = 'length' | 'eos' | 'context_full' | 'cancelled';

export interface GenerateOptions {
  /** New tokens at most (default: the model's generationDefaults.maxNewTokens). */
  maxNewTokens?: number;
  /** Fields left out come from the model's generationDefaults (as `cbk generate` does). */
  sampling?: SamplingParams;
  /** Restart the RNG first (cbk_session_set_seed). */
  seed?: number | bigint;
  /** Stop at the tokenizer's EOS (default true; cbk generate --ignore-eos = false). */
  stopAtEos?: boolean;
  /** Called after each token ran (decode done, its codes readable at `position`); return false to stop. */
  onToken?: (token: number, position: number) => boolean | void;
  shouldCancel?: ShouldCancel;
}

export interface GenerateResult {
  /** The generated tokens only. */
  tokens: Int32Array;
  stop: StopReason;
}

/** Where an intervention applies: 'all', 'generated', or [first, end) absolute positions. */
export type Positions = 'all' | 'generated' | { first: number; end: number } | [number, number];

export interface Target {
  layer: number;
  site: SiteName | number;
  /** Group index, or -1 (default) = every group. */
  group?: number;
}

export interface ForceSpec extends Target {
  code: number;
  positions?: Positions;           // default 'all'
  mode?: 'slot' | 'all' | 'append'; // default 'slot'
  slot?: number;                   // CBK_FORCE_SLOT only, default 0; -1 = the last slot
  strength?: number;               // default 1
}

export interface DisableSpec extends Target {
  codes?: ArrayLike<number>;       // default []
  topN?: number;                   // default 0
  positions?: Positions;           // default 'all'
  mode?: 'keep' | 'zero';          // default 'keep'
  slots?: ArrayLike<number>;       // zero mode only
}

export interface InterchangeSpec extends Target {
  position: number;
  /** k ids (each -1 = blocked, or a valid code). */
  ids: ArrayLike<number>;
}

/** One intervention as data (the client/worker and URL-hash form). */
export type Intervention =
  | ({ kind: 'force' } & ForceSpec)
  | ({ kind: 'disable' } & DisableSpec)
  | ({ kind: 'interchange' } & InterchangeSpec)
  | ({ kind: 'bypass' } & Target);

export interface CodesEntry {
  ids: Int32Array;      // slot order; CBK_NO_SLOT (-2) = unfilled append slot, -1 = blocked
  scores: Float32Array; // NaN where the id is -1 or -2
}

export interface TraceGroup extends CodesEntry {
  codebook: number; layer: number; site: SiteName; group: number;
  rows: number; slots: number;   // ids/scores are row-major [rows x slots]
}

/** The `codes` array of `cbk generate --json` (ids without CBK_NO_SLOT entries). */
export interface TraceJson {
  layer: number; site: SiteName; group: number; ids: number[][]; scores: number[][];
}

export const NO_SLOT: -2;

export class Session {
  readonly disposed: boolean;
  readonly model: Model;
  /** Tokens run so far / prompt length / context size. */
  readonly position: number;
  readonly promptLength: number;
  readonly contextSize: number;
  /** Every token run so far (prompt + generated), as given to the session. */
  readonly tokens: Int32Array;
  /** Number of interventions set (cbk_steer_count). */
  readonly steeringCount: number;
  /** cbk_session_last_error(). */
  readonly lastError: string;

  /** Errors: wrong_state (already prefilled: reset first), out_of_range, context_full, cancelled
   *  (the session is then empty again). Returns the [n x vocab] logits with allLogits. */
  prefill(tokens: ArrayLike<number>, options?: PrefillOptions): Float32Array | undefined;
  /** Runs one token. Errors: wrong_state, out_of_range, context_full. */
  decode(token: number): void;
  /** Samples the next token from the last logits (does not run it); unset sampling fields take
   *  cbk.h's defaults (temperature 1, topK 0, topP 1). */
  sample(sampling?: SamplingParams): number;
  /** sample() then decode() in one call; returns the token. */
  step(sampling?: SamplingParams): number;
  /** Generates as `cbk generate` does (after prefill). */
  generate(options?: GenerateOptions): GenerateResult;

  /** Logits of the last token run (copy) / a view (valid until the next call). */
  logits(): Float32Array;
  logitsView(): Float32Array;
  /** softmax(logits / temperature) (default temperature 1; <= 0 gives a one-hot argmax). */
  probabilities(temperature?: number): Float32Array;
  /** The n most probable next tokens, best first. */
  topTokens(n: number, temperature?: number): { token: number; prob: number }[];

  setSeed(seed: number | bigint): void;
  /** Back to position 0 (steering, trace switch and RNG kept). */
  reset(): void;

  /** Codes of one token (copies). Errors: wrong_state (trace off), out_of_range. */
  codes(codebook: number, group: number, position: number): CodesEntry;
  /** The whole trace of one codebook group (copies). */
  trace(codebook: number, group: number): TraceGroup;
  /** Views instead of copies: valid until the next prefill/decode/reset/steering change. */
  traceView(codebook: number, group: number): TraceGroup;
  /** Every codebook group's trace (copies), in codebook then group order. */
  traceAll(): TraceGroup[];
  /** traceAll() in the shape of `cbk generate --json`'s `codes`. */
  traceJson(): TraceJson[];

  force(spec: ForceSpec): void;
  disable(spec: DisableSpec): void;
  interchange(spec: InterchangeSpec): void;
  bypass(target: Target): void;
  /** Applies interventions in order (on error the ones before it stay set). */
  steer(interventions: Intervention[]): void;
  clearSteering(): void;

  /** Frees the session. Idempotent. */
  dispose(): void;
}

// ---- DKVB classifiers --------------------------------------------------------------------------

/** What a classification returns (copies). */
export interface Classification {
  /** Inputs classified. */
  rows: number;
  /** The logits, [rows x classes]. */
  logits: Float32Array;
  /** The picked key (pair id) of every head, [rows x heads]. */
  keys: Int32Array;
}

/** One user's DKVB classifier (cbk_dkvb): classify vectors and steer. Steering changes this
 *  classifier only, never the model or another classifier, and applies to every later classify. */
export class Classifier {
  readonly disposed: boolean;
  readonly model: Model;
  /** model.dkvb. */
  readonly facts: DkvbFacts;
  /** cbk_dkvb_last_error: the message of the last failing call on this classifier, or ''. */
  readonly lastError: string;

  /** One input of inputDim numbers (rows = 1). Errors: invalid_argument (not inputDim numbers),
   *  non_finite_value (NaN or infinite input). */
  classify(input: ArrayLike<number>): Classification;
  /** Row-major inputs, a whole number of rows of inputDim numbers (cbk_dkvb_classify).
   *  Errors: invalid_argument, non_finite_value (nothing is returned), out_of_memory. */
  classifyBatch(inputs: ArrayLike<number>): Classification;

  /** Head `head` uses key `key` for every input (its search is skipped; a forced key is used even
   *  when masked); key -1 lets it search again. Errors: out_of_range (head, key). */
  forceKey(head: number, key: number): void;
  /** forceKey(head, -1). */
  clearForcedKey(head: number): void;
  /** The forced key of every head, -1 where the head searches. */
  forcedKeys(): Int32Array;
  /** Excludes (masked, default true) or re-admits keys of one head (-1: the same keys of every head)
   *  from the search, e.g. to "unlearn" a class by masking the keys its inputs pick. All or
   *  nothing. Errors: out_of_range (head, a key), invalid_argument (a head would have no searchable
   *  key left), out_of_memory. */
  maskPairs(head: number, keys: ArrayLike<number>, masked?: boolean): void;
  /** The same with pairs of several heads: heads[i] and keys[i] name pair i (equal lengths). Every
   *  index is checked before anything changes; one library call per head follows, so an error of a
   *  later head (invalid_argument: no searchable key left) leaves the earlier heads changed. */
  maskPairs(heads: ArrayLike<number>, keys: ArrayLike<number>, masked?: boolean): void;
  /** Applies (true, the default) or ignores the file's used-pair mask. Errors: invalid_argument. */
  useFileMask(enabled: boolean): void;
  /** Whether the search of `head` may pick `key` now (both masks applied). Errors: out_of_range. */
  pairSearchable(head: number, key: number): boolean;

  /** The value row (valueDim floats) this classifier uses for (head, key), overrides included.
   *  Errors: out_of_range. */
  valueRow(head: number, key: number): Float32Array;
  /** Overrides the value row of (head, key) with valueDim numbers. Errors: invalid_argument (not
   *  valueDim numbers), out_of_range, non_finite_value, out_of_memory (the first override copies
   *  the value table). */
  setValueRow(head: number, key: number, value: ArrayLike<number>): void;
  /** The whole value table this classifier uses, [heads x keys x valueDim]. */
  values(): Float32Array;
  /** Overrides every value row from [heads x keys x valueDim] numbers, e.g. after a training step
   *  (values are a DKVB's only trained tensors). Errors: invalid_argument (wrong length),
   *  non_finite_value (the table is checked first: nothing changes), out_of_memory. */
  setValues(table: ArrayLike<number>): void;
  /** No forced keys, no masked pairs, the file's mask applied, the file's values (every override,
   *  setValues' included, is dropped). */
  clearSteering(): void;
  /** Frees the classifier. Idempotent; any other call afterwards throws wrong_state. */
  dispose(): void;
}

/** Library version string (after the default runtime is created). */
export function version(): Promise<string>;

// ---- Prototype networks ------------------------------------------------------------------------

/** One classification (Protonet.classify). */
export interface ProtonetResult {
  /** argmax of the logits (ties to the lower class) and its name. */
  predicted: number;
  className: string;
  /** m squared distances d_j = ||z - p_j||^2; Infinity for a removed prototype. */
  distances: Float32Array;
  /** The active prototypes' ids by ascending distance (ties to the lower id). */
  nearest: Int32Array;
  /** logits = d . W (classes floats) and their softmax. */
  logits: Float32Array;
  probabilities: Float32Array;
  /** The encoder's latent z (latentDim floats). */
  latent: Float32Array;
}

/** A prototype network's state in this handle (Protonet.prototype). */
export interface PrototypeState {
  /** The prototype's latent (latentDim floats) and its row of W (classes floats). */
  latent: Float32Array;
  weights: Float32Array;
  /** Removed prototypes keep their values (readable) but leave the distances' ranking and logits. */
  removed: boolean;
}

/** A prototype network (cbk_protonet_*; Li, Liu, Chen & Rudin 2018): an encoder maps an image to z,
 *  the distances to m prototypes decide the class through W, a decoder renders any latent. Images
 *  are Float32Array (or number arrays) of facts.imageSize values in [0, 1], channel-major; latents
 *  latentDim values. Edits change this handle's copy only (never the model or another handle).
 *  Common errors: invalid_argument (a wrong length or type, an id that is not an integer),
 *  non_finite_value (NaN or infinity), out_of_range (an id >= m), wrong_state (disposed),
 *  unsupported (the prototype functions on a baseline file, m = 0). */
export class Protonet {
  readonly model: Model;
  readonly facts: ProtonetFacts;
  readonly disposed: boolean;
  /** The handle's last error message ('' when none). */
  readonly lastError: string;

  /** Runs the network on one image. */
  classify(image: ArrayLike<number>): ProtonetResult;

  /** The decoder applied to prototype id (its current value here). Errors: wrong_state (removed). */
  renderPrototype(id: number): Float32Array;
  /** The decoder applied to any latent. */
  decode(latent: ArrayLike<number>): Float32Array;
  /** The decoder applied to the image's latent. */
  reconstruct(image: ArrayLike<number>): Float32Array;

  /** Prototype id as this handle has it. */
  prototype(id: number): PrototypeState;
  /** removed flags of every prototype (m booleans). */
  removed(): boolean[];

  /** Prototype id becomes `latent` (a removed one is active again). */
  setPrototype(id: number, latent: ArrayLike<number>): void;
  /** "Make this drawing a prototype": prototype id becomes the image's latent (and active). */
  setPrototypeFromImage(id: number, image: ArrayLike<number>): void;
  /** Prototype target becomes (1 - t) p_a + t p_b; t outside [0, 1] extrapolates.
   *  Errors: wrong_state (a or b removed). */
  interpolate(target: number, a: number, b: number, t: number): void;
  /** Replaces prototype id's row of W (classes floats). */
  setClassWeights(id: number, weights: ArrayLike<number>): void;
  /** Takes prototype id out of the ranking and the logits. Errors: wrong_state (the last active one). */
  removePrototype(id: number): void;
  /** The model's prototypes and weights again, none removed. */
  reset(): void;
  /** Frees the handle (and the model's bytes when it was the last user). Idempotent. */
  dispose(): void;
}
