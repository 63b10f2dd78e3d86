// The code search panel: runs a regex over the generations so far (their traces are kept) or over a
// pasted text (run through the model in context-sized windows, as `cbk search` does), ranks the
// codes with code-search.js and lists them; a row opens the code in the inspector.
import { fmt, h } from './dom.js';
import { searchCodes } from './code-search.js';

// ctx: {engine, columns, labels, history (runs with tokens and trace), regex, pasted (text or
// null: the generations), out (element), onInspect(sel), onError(err)}
export async function runSearch(ctx) {
  const { engine, columns, labels, history, regex, pasted, out } = ctx;
  if (!regex) return;
  try {
    new RegExp(regex);
  } catch (e) {
    return ctx.onError({ status: 'invalid_argument', message: `bad regex: ${e.message}` });
  }
  out.replaceChildren(h('p', { class: 'muted small' }, 'searching…'));
  let tokens, trace;
  try {
    if (pasted !== null) {
      tokens = await engine.tokenize(pasted);
      trace = await engine.traceOf('search', tokens);
    } else {
      if (!history.length) return out.replaceChildren(h('p', { class: 'muted small' }, 'Generate something first.'));
      tokens = history.flatMap((r) => r.tokens);
      trace = columns.map((_, ci) => {
        const parts = history.map((r) => r.trace[ci]);
        const ids = new Int32Array(parts.reduce((n, t) => n + t.ids.length, 0));
        let at = 0;
        for (const t of parts) ids.set(t.ids, at), (at += t.ids.length);
        return { ids, rows: tokens.length, slots: parts[0].slots };
      });
    }
  } catch (e) {
    out.replaceChildren();
    return ctx.onError(e);
  }
  const res = searchCodes(regex, tokens.map((t) => engine.tokenText(t)), columns, (ci) => trace[ci]);
  out.replaceChildren(...[
    h('p', { class: 'small muted' }, `${res.nMatched} of ${res.tokens} tokens match /${regex}/; codes by precision (recall > 1 %):`),
    res.results.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'plain', id: 'search-table' },
      h('tr', {}, ['codebook', 'code', 'label', 'prec.', 'recall', 'hits'].map((c) => h('th', {}, c))),
      res.results.slice(0, 40).map((r) => {
        const c = columns[r.column];
        const grouped = columns.some((o) => o.book === c.book && o.group > 0);
        return h('tr', { class: 'clickable', onclick: () => ctx.onInspect({ pos: -1, col: r.column, code: r.code }) },
          h('td', { title: `layer ${c.layer}, ${c.site}, group ${c.group}` }, `L${c.layer} ${c.site}${grouped ? ' g' + c.group : ''}`),
          h('td', {}, r.code),
          h('td', {}, labels.get(`${r.column}:${r.code}`) || ''), h('td', { title: String(r.precision) }, fmt.num(r.precision, 2)),
          h('td', { title: String(r.recall) }, fmt.num(r.recall, 2)), h('td', {}, r.hits));
      }))) : null].filter(Boolean));
}
