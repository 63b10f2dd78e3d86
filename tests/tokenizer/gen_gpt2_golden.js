#!/usr/bin/env node
// Golden data for the GPT-2 byte-level BPE test, from an outside implementation: the npm package
// gpt-tokenizer (its r50k_base encoding, i.e. GPT-2's).
//
//   node gen_gpt2_golden.js REPO_ROOT CORPUS_JSON OUT_DIR
//
// Writes into OUT_DIR:
//   vocab.json   GPT-2 style {"token": id}, tokens spelled in the byte-to-unicode alphabet
//   merges.txt   GPT-2 style merge list, derived from the ranks (see derive_merges)
//   golden.json  {"cases": [{"text", "special", "ids"}]} with gpt-tokenizer's ids for each text
// Exits 77 (ctest's skip code for this test) when node_modules/gpt-tokenizer is not installed.
'use strict';
const fs = require('fs');
const path = require('path');

const [repoRoot, corpusPath, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: gen_gpt2_golden.js REPO_ROOT CORPUS_JSON OUT_DIR');
  process.exit(2);
}

function load(name) {
  try {
    return require(require.resolve(name, { paths: [repoRoot] }));
  } catch (e) {
    console.log(`SKIP: cannot load ${name} from ${repoRoot}/node_modules (${e.code}); run "npm ci" at the repo root`);
    fs.rmSync(path.join(outDir, 'golden.json'), { force: true });  // so the C++ test skips too
    process.exit(77);
  }
}
const r50k = load('gpt-tokenizer/encoding/r50k_base');
const rankData = load('gpt-tokenizer/bpeRanks/r50k_base').default;

// ---- vocabulary: rank r is token id r; each entry is UTF-8 text or, when not valid UTF-8, bytes.
const tokenBytes = rankData.map((t) => (typeof t === 'string' ? Buffer.from(t, 'utf8') : Buffer.from(t)));
if (tokenBytes.length !== 50256) throw new Error(`expected 50256 ranks, got ${tokenBytes.length}`);
const EOT = '<|endoftext|>';
const EOT_ID = 50256;

// GPT-2's byte-to-unicode alphabet: printable Latin-1 bytes stand for themselves, the other 68
// bytes take code points 256, 257, ... in byte order.
const byteToChar = [];
{
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    byteToChar.push(String.fromCodePoint(printable ? b : next++));
  }
}
const spell = (buf) => Array.from(buf, (b) => byteToChar[b]).join('');

// ---- merges: the usual tiktoken -> Hugging Face conversion. A multi-byte token of rank r is
// the merge of the two parts that BPE reaches on its bytes using only ranks below r.
const rankOf = new Map(tokenBytes.map((b, r) => [b.toString('latin1'), r]));
function deriveMerge(bytes, maxRank) {
  let parts = Array.from(bytes, (b) => String.fromCharCode(b));
  for (;;) {
    let best = -1;
    let bestRank = maxRank;
    for (let i = 0; i + 1 < parts.length; i++) {
      const r = rankOf.get(parts[i] + parts[i + 1]);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) break;
    parts.splice(best, 2, parts[best] + parts[best + 1]);
  }
  if (parts.length !== 2) throw new Error(`rank ${maxRank}: BPE ends in ${parts.length} parts`);
  return parts.map((p) => spell(Buffer.from(p, 'latin1'))).join(' ');
}
const merges = [];
tokenBytes.forEach((b, r) => {
  if (b.length === 1) {
    if (r >= 256) throw new Error(`single-byte token at rank ${r}`);
    return;
  }
  merges.push(deriveMerge(b, r));
});

// ---- corpus: the committed strings, variants of them, and seeded random mixes.
const base = JSON.parse(fs.readFileSync(corpusPath, 'utf8'));
// JavaScript's \s differs from Unicode White_Space (used by Hugging Face, tiktoken and us) on
// U+0085 and U+FEFF, so texts with them are checked by the C++ unit tests instead.
for (const s of base) {
  if (/[\u0085\ufeff]/.test(s)) throw new Error(`corpus text has U+0085/U+FEFF: ${JSON.stringify(s)}`);
}

const cases = [];
const add = (text, special) => cases.push({ text, special, ids: encode(text, special) });
const encodeOrdinary = (text) => r50k.encode(text, { disallowedSpecial: new Set() });
// With allowedSpecial, gpt-tokenizer 4.0.0 only finds a special token at the very start of the
// remaining text (its special-token RegExp is sticky, and the match index is then offset twice),
// so "a<|endoftext|>b" comes back as plain text. Special cases are therefore made the way tiktoken
// defines them: split on the special text, encode each part with gpt-tokenizer, join with the id.
let libraryDisagrees = 0;
function encode(text, special) {
  if (!special) return encodeOrdinary(text);
  const ids = [];
  text.split(EOT).forEach((part, i) => {
    if (i > 0) ids.push(EOT_ID);
    ids.push(...encodeOrdinary(part));
  });
  const direct = r50k.encode(text, { allowedSpecial: new Set([EOT]) });
  if (direct.join() !== ids.join()) libraryDisagrees++;
  return ids;
}

for (const s of base) {
  add(s, false);
  add(' ' + s, false);
  add(s + '  \n', false);
  add(s.toUpperCase(), false);
  add('\t' + s + '\t', false);
}

// Deterministic pseudo-random mixes of tricky fragments (LCG so the corpus never changes).
const fragments = [
  'a', 'Z', 'é', 'ß', 'Ω', 'ж', 'ع', 'ה', 'क', '中', '文', 'の', '한', 'ｱ', 'ℕ', '𝔘', 'ǅ',
  'e\u0301', 'n\u0303', '\u0308', '\u200d', '0', '7', '42', '½', '²', '٣', '໓', 'Ⅻ', '𝟗',
  ' ', '  ', '\t', '\n', '\r\n', '\u00a0', '\u3000', '\u2003', '\u2028', '\v', '\f',
  "'", "'s", "'S", "'ll", "'LL", "'re", "'ve", "'d", "'m", "'t", "''", '"', '`',
  '.', ',', '!?', '...', '—', '–', '-', '_', '(', ')', '[', ']', '{', '}', '<', '>', '/', '\\',
  '@', '#', '$', '%', '^', '&', '*', '+', '=', '|', '~', ';', ':', '€', '£', '¥', '©', '°',
  '😀', '👍🏽', '👨‍👩‍👧‍👦', '🏳️‍🌈', '❤️', '🇺🇸', '🤖', '✓',
  ' the', ' The', 'ing', ' of', 'tion', ' hello', ' world', 'http', '://', 'www', '.com',
];
let seed = 0x1234567;
const rand = (n) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
};
for (let k = 0; k < 150; k++) {
  const len = k < 100 ? 5 + rand(60) : 500 + rand(3000);
  let s = '';
  for (let i = 0; i < len; i++) s += fragments[rand(fragments.length)];
  add(s, false);
}

// Long texts: every committed string joined, and long runs that stress the merge loop.
add(base.join('\n'), false);
add(base.join(' '), false);
add('a'.repeat(5000), false);
add(' '.repeat(3000) + 'x', false);
add('\n'.repeat(1000), false);
add('1234567890'.repeat(300), false);
add('!@#$%^&*()'.repeat(200), false);
add('中文'.repeat(1000), false);
add('👍🏽'.repeat(300), false);

// <|endoftext|> as the special token (allowed) and as ordinary text (not allowed).
for (const s of [
  EOT, EOT + EOT, 'Hello' + EOT + 'world', ' ' + EOT + ' ', 'a\n' + EOT + '\nb', '<|endoftext|', '<|endoftext|>>',
  '<<|endoftext|>', 'x<|endoftext|>y<|endoftext|>z', '<|endoftext|> The end.', 'The end. <|endoftext|>',
]) {
  add(s, true);
  add(s, false);
}

fs.mkdirSync(outDir, { recursive: true });
const vocab = {};
tokenBytes.forEach((b, r) => { vocab[spell(b)] = r; });
vocab[EOT] = EOT_ID;
fs.writeFileSync(path.join(outDir, 'vocab.json'), JSON.stringify(vocab));
fs.writeFileSync(path.join(outDir, 'merges.txt'), '#version: 0.2\n' + merges.join('\n') + '\n');
fs.writeFileSync(path.join(outDir, 'golden.json'), JSON.stringify({ eot_id: EOT_ID, cases }));
if (libraryDisagrees > 0) {
  console.log(`note: gpt-tokenizer's own allowedSpecial encode differs on ${libraryDisagrees} special cases (see encode())`);
}
console.log(`wrote ${Object.keys(vocab).length} tokens, ${merges.length} merges, ${cases.length} cases to ${outDir}`);
