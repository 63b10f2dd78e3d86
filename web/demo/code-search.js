// Code search as `cbk search` does it (tools/cli/search.cpp): the matched positions M are the tokens
// containing the start of regex group 1 (the whole match when the pattern has no group; empty
// matches are skipped). Per codebook group, every code active on M gets recall = hits on M / |M|
// (kept when > 0.01) and precision = hits / all its activations in the text; sorted by precision,
// then recall, then code id; `top` kept per group, then a stable sort by precision over all groups.
// The text is the concatenation of the tokens' texts, so token boundaries are exact.

// tokenTexts: string per token; returns a boolean array, true where a match starts.
export function matchedTokens(regexSource, tokenTexts) {
  const re = new RegExp(regexSource, 'gd');  // 'd': group offsets; throws SyntaxError on a bad pattern
  const starts = [];
  let text = '';
  for (const t of tokenTexts) {
    starts.push(text.length);
    text += t;
  }
  const matched = new Array(tokenTexts.length).fill(false);
  for (const m of text.matchAll(re)) {
    const g = m.length > 1 ? 1 : 0;
    if (m[g] === undefined || m[g].length === 0) continue;
    const offset = m.indices[g][0];
    let lo = 0, hi = starts.length;  // last token starting at or before offset
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (starts[mid] <= offset) lo = mid; else hi = mid;
    }
    matched[lo] = true;
  }
  return matched;
}

// columns: [{book, group, layer, site}]; traceOf(columnIndex) -> {ids: Int32Array, rows, slots}
// for the same tokens. Returns {matched, tokens, results: [{column, code, precision, recall, hits,
// activations}]}.
export function searchCodes(regexSource, tokenTexts, columns, traceOf, { top = 8, topKSlots = 0 } = {}) {
  const matched = matchedTokens(regexSource, tokenTexts);
  const nMatched = matched.filter(Boolean).length;
  const results = [];
  if (nMatched > 0) {
    columns.forEach((col, ci) => {
      const { ids, rows, slots } = traceOf(ci);
      const use = topKSlots > 0 ? Math.min(slots, topKSlots) : slots;
      const counts = new Map();  // code -> [hits, activations]
      for (let p = 0; p < rows; ++p)
        for (let k = 0; k < use; ++k) {
          const code = ids[p * slots + k];
          if (code < 0) continue;
          let e = counts.get(code);
          if (!e) counts.set(code, (e = [0, 0]));
          e[1] += 1;
          if (matched[p]) e[0] += 1;
        }
      const group = [];
      for (const [code, [hits, activations]] of counts) {
        if (hits === 0) continue;
        const recall = hits / nMatched, precision = hits / activations;
        if (recall > 0.01) group.push({ column: ci, code, precision, recall, hits, activations });
      }
      group.sort((a, b) => b.precision - a.precision || b.recall - a.recall || a.code - b.code);
      results.push(...group.slice(0, top));
    });
  }
  results.sort((a, b) => b.precision - a.precision);  // Array.prototype.sort is stable
  return { matched, tokens: tokenTexts.length, nMatched, results };
}
