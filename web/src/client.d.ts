// client.d.ts — a promise-based client for the library running in a Web Worker (worker.js), so a
// page never blocks. Every method posts one message and resolves with the worker's answer; errors
// reject with CbkError (same status names and messages as cbk.js). Calls on one worker run in the
// order they were made. Typed arrays in answers are transferred (the page owns them).
//
//   const client = await CbkClient.create();                 // starts web/src/worker.js
//   const model = await client.load('models/tokfsm.cbk', { onProgress: (n, total) => ... });
//   const s = await model.createSession();
//   await s.prefill(await model.tokenize('0123'));
//   const run = s.generate({ maxNewTokens: 20, sampling: { temperature: 0 } });
//   for await (const ev of run) console.log(ev.token, ev.text);  // token by token
//   const { tokens, stop } = await run;                        // run.cancel() stops it
//   const trace = await s.traceAll();

import type {
  Annotation, CodesEntry, DisableSpec, ForceSpec, GenerateResult as LibGenerateResult,
  InterchangeSpec, Intervention, LoadOptions as LibLoadOptions, ModelFacts, PromotedToken, SamplingParams,
  SessionParams, Target, TensorData, TensorList, TokenizeOptions, TraceGroup, TraceJson, SiteName,
} from './cbk.js';

export { CbkError, SITES, NO_SLOT } from './cbk.js';
export type * from './cbk.js';

export interface ClientOptions {
  /** A started worker running worker.js (e.g. a Node worker_threads Worker); default: a new
   *  module Web Worker from workerUrl. */
  worker?: Worker | { postMessage(m: unknown, t?: Transferable[]): void; on(ev: string, fn: (v: any) => void): void; terminate(): void };
  /** The worker script (default: new URL('./worker.js', import.meta.url)). */
  workerUrl?: string | URL;
  /** Where cbk.mjs is, as the worker imports it (default: the worker's built module path). */
  moduleUrl?: string | URL;
  /** Where cbk.wasm is (default: next to cbk.mjs). */
  wasmUrl?: string | URL;
  /** Use a SharedArrayBuffer cancel flag (default: when the page is cross-origin isolated). */
  sharedCancel?: boolean;
}

export interface ClientLoadOptions {
  /** Progress of the fetch / Blob read in the worker: total 0 when unknown. */
  onProgress?: (loadedBytes: number, totalBytes: number) => void;
  verifyChecksum?: boolean;
}

/** What the worker reads: a URL (fetched in the worker), a File/Blob (read in the worker), or bytes
 *  (an ArrayBuffer is TRANSFERRED: the caller's buffer is detached afterwards). */
export type ClientModelSource = string | URL | Blob | ArrayBuffer | ArrayBufferView;

export class CbkClient {
  /** Starts the worker and waits until its module is instantiated. */
  static create(options?: ClientOptions): Promise<CbkClient>;
  /** True when the page is cross-origin isolated: cancel() then also stops a running prefill
   *  (a SharedArrayBuffer flag); otherwise cancel() acts between generated tokens. */
  readonly sharedCancel: boolean;
  /** Library version, API version. */
  readonly version: string;
  readonly apiVersion: number;

  load(source: ClientModelSource, options?: ClientLoadOptions): Promise<RemoteModel>;
  /** Stops the worker; every handle becomes unusable (calls reject with wrong_state). */
  terminate(): void;
}

export class RemoteModel {
  readonly id: number;
  /** Fetched once at load. */
  readonly facts: ModelFacts;

  annotations(): Promise<Annotation[]>;
  annotation(codebook: number, group: number, code: number): Promise<Annotation | null>;
  tensor(name: string, list?: TensorList): Promise<RemoteTensor>;
  tokenize(text: string, options?: TokenizeOptions): Promise<Int32Array>;
  detokenize(tokens: ArrayLike<number>): Promise<string>;
  /** Every token's text, index = id (fetched once, cached in the client). */
  vocabulary(): Promise<string[]>;
  /** Model.promotedTokens in the worker: the topN (default 10) tokens whose logits the code's
   *  vector raises most directly (final LayerNorm and unembedding; see cbk.d.ts). Rejects with
   *  'unsupported' for qkv codebooks, 'out_of_range' for bad indices. */
  promotedTokens(codebook: number, group: number, code: number, topN?: number): Promise<PromotedToken[]>;
  /** Model.codeVector in the worker. */
  codeVector(codebook: number, group: number, code: number): Promise<Float32Array>;
  createSession(params?: SessionParams): Promise<RemoteSession>;
  /** Frees the model in the worker (its sessions stay usable until disposed). */
  dispose(): Promise<void>;
}

/** A tensor copied out of the worker: TensorData's fields plus the values as f32. */
export interface RemoteTensor extends Omit<TensorData, 'toFloat32'> {
  values: Float32Array;
}

/** One streamed token. */
export interface TokenEvent {
  token: number;
  /** Absolute position of the token in the session. */
  position: number;
  /** The token's text (its detokenized bytes, UTF-8 decoded; '' without a tokenizer). */
  text: string;
  /** With streamCodes: the token's codes per codebook group, in traceAll() order. */
  codes?: CodesEntry[];
}

export interface ClientGenerateOptions {
  maxNewTokens?: number;
  sampling?: SamplingParams;
  seed?: number | bigint;
  stopAtEos?: boolean;
  /** Send every token's codes with its event (default false). */
  streamCodes?: boolean;
  /** Called for each token (as an alternative to iterating the run). */
  onToken?: (event: TokenEvent) => void;
}

export interface ClientGenerateResult extends LibGenerateResult {
  /** Wall time of the generation in the worker and tokens/s (generated tokens only). */
  ms: number;
  tokensPerSecond: number;
}

/** A generation in progress: await it for the result, iterate it for the tokens, cancel() it.
 *  A cancelled run resolves with stop 'cancelled' (it does not reject). */
export interface GenerationRun extends PromiseLike<ClientGenerateResult>, AsyncIterable<TokenEvent> {
  cancel(): void;
  catch<T = never>(onRejected: (reason: any) => T | PromiseLike<T>): Promise<ClientGenerateResult | T>;
  finally(onFinally: () => void): Promise<ClientGenerateResult>;
}

/** Everything `run()` does in one message: reset, seed, steering, prefill, generate. */
export interface RunOptions extends ClientGenerateOptions {
  prompt: ArrayLike<number>;
  /** Replace the session's interventions with these (default: keep them). */
  steering?: Intervention[];
}

export class RemoteSession {
  readonly id: number;
  /** Errors as Session.prefill; cancel() during a prefill gives 'cancelled' only with sharedCancel. */
  prefill(tokens: ArrayLike<number>): Promise<{ position: number }>;
  decode(token: number): Promise<void>;
  sample(sampling?: SamplingParams): Promise<number>;
  step(sampling?: SamplingParams): Promise<number>;
  generate(options?: ClientGenerateOptions): GenerationRun;
  run(options: RunOptions): GenerationRun;
  /** Stops the running prefill/generate of this session (see CbkClient.sharedCancel). */
  cancel(): void;

  position(): Promise<number>;
  tokens(): Promise<Int32Array>;
  logits(): Promise<Float32Array>;
  probabilities(temperature?: number): Promise<Float32Array>;
  topTokens(n: number, temperature?: number): Promise<{ token: number; prob: number }[]>;
  setSeed(seed: number | bigint): Promise<void>;
  reset(): Promise<void>;

  codes(codebook: number, group: number, position: number): Promise<CodesEntry>;
  trace(codebook: number, group: number): Promise<TraceGroup>;
  traceAll(): Promise<TraceGroup[]>;
  traceJson(): Promise<TraceJson[]>;

  force(spec: ForceSpec): Promise<void>;
  disable(spec: DisableSpec): Promise<void>;
  interchange(spec: InterchangeSpec): Promise<void>;
  bypass(target: Target): Promise<void>;
  steer(interventions: Intervention[]): Promise<void>;
  clearSteering(): Promise<void>;
  steeringCount(): Promise<number>;

  dispose(): Promise<void>;
}

export type { SiteName };
