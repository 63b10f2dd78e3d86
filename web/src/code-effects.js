// code-effects.js — what one code writes, read from the model alone: its vector as the engine uses
// it (cbk_model_code_vector) and its direct effect on the next-token logits through the final
// LayerNorm and unembedding (cbk_model_code_logits, defined in cbk.h), and the tokens it promotes.
import { checkInt } from './errors.js';

const BUFFER_TOO_SMALL = 28;

// Two-call read of a float vector from fn(handle, codebook, group, code, out, capacity, n_out).
function readFloats(rt, fn, h, codebook, group, code) {
  const args = [checkInt('codebook', codebook, 0), checkInt('group', group, 0), checkInt('code', code, 0)];
  const st = fn(h, ...args, 0, 0, rt.scratch);
  if (st !== BUFFER_TOO_SMALL) rt.check(st);
  const n = rt.readU32(rt.scratch);
  return rt.withBuffer(n * 4, (p) => {
    rt.check(fn(h, ...args, p, n, rt.scratch));
    return rt.F32.slice(p >>> 2, (p >>> 2) + n);
  });
}

// Float32Array[dim]: the code's vector (dequantized for f16/int8 tables).
export function codeVector(model, codebook, group, code) {
  const rt = model._rt;
  return readFloats(rt, rt.M._cbk_model_code_vector, model.handle(), codebook, group, code);
}

// Float32Array[vocabSize]: the code's direct logit effect. Errors: unsupported for qkv codebooks.
export function codeLogits(model, codebook, group, code) {
  const rt = model._rt;
  return readFloats(rt, rt.M._cbk_model_code_logits, model.handle(), codebook, group, code);
}

// The topN largest entries of codeLogits as {token, logit, text}, descending, ties to the lower id.
export function promotedTokens(model, codebook, group, code, topN = 10) {
  checkInt('topN', topN, 0);
  const logits = codeLogits(model, codebook, group, code);
  const ids = Array.from(logits.keys());
  ids.sort((a, b) => logits[b] - logits[a] || a - b);
  const hasText = model.facts.tokenizer.hasTokenizer;
  return ids.slice(0, topN).map((token) => ({
    token, logit: logits[token], text: hasText ? model.detokenize([token]) : '',
  }));
}
