// The code grid: one row per token, one column per codebook group (layer, site, group). A cell
// lists the token's active code ids in slot order (× = a blocked slot), the annotation label of
// its first labelled code, and is shaded by the first slot's score relative to the column's range.
// Rows stream in as tokens are generated. Cells carry data-pos / data-col / data-codes for tests.
import { h, showToken } from './dom.js';

export class CodeGrid {
  // columns: [{book, group, layer, site}]; labelOf(col, code) -> string|''; onCell(pos, col).
  constructor(table, { columns, labelOf, tokenText, onCell }) {
    this.table = table;
    this.columns = columns;
    this.labelOf = labelOf;
    this.tokenText = tokenText;
    this.filter = { layer: '', site: '' };
    this.rows = [];              // [{token, codes: [{ids, scores}] | null}]
    this.nPrompt = 0;
    this.marks = { forced: new Set(), changed: new Set() };  // "pos:col"
    this.selected = null;        // {pos, col, code}
    table.addEventListener('click', (e) => {
      const td = e.target.closest('td.cell');
      if (td) onCell(Number(td.dataset.pos), Number(td.dataset.col));
    });
  }

  visible() {
    return this.columns
      .map((c, i) => ({ ...c, i }))
      .filter((c) => (this.filter.layer === '' || c.layer === Number(this.filter.layer)) &&
        (this.filter.site === '' || c.site === this.filter.site));
  }

  setFilter(layer, site) {
    this.filter = { layer, site };
    this.render();
  }

  start(tokens, nPrompt) {
    this.rows = tokens.map((token) => ({ token, codes: null }));
    this.nPrompt = nPrompt;
    this.marks = { forced: new Set(), changed: new Set() };
    this.render();
  }

  // A streamed token (codes: per column {ids, scores}). Rows are drawn once per animation frame,
  // however many tokens arrived in it: one layout pass per frame keeps the page responsive and
  // leaves the CPU to the worker.
  setRow(pos, token, codes) {
    this.rows[pos] = { token, codes };
    (this.pending ??= new Set()).add(pos);
    this.frame ??= requestAnimationFrame(() => this.flush());
  }

  flush() {
    cancelAnimationFrame(this.frame);
    this.frame = null;
    if (!this.pending?.size) return;
    const cols = this.visible(), ranges = this.ranges();
    const added = document.createDocumentFragment();
    for (const pos of [...this.pending].sort((a, b) => a - b)) {
      const row = this.rowElement(pos, cols, ranges);
      if (this.body.children[pos]) this.body.children[pos].replaceWith(row);
      else added.append(row);
    }
    this.body.append(added);
    this.pending.clear();
  }

  // The finished run: tokens and per-column traces ({ids, scores, slots}).
  setRun(run, marks) {
    this.rows = run.tokens.map((token, p) => ({
      token,
      codes: run.trace.map((t) => ({
        ids: t.ids.subarray(p * t.slots, (p + 1) * t.slots),
        scores: t.scores.subarray(p * t.slots, (p + 1) * t.slots),
      })),
    }));
    this.nPrompt = run.nPrompt;
    this.marks = marks;
    this.render();
  }

  select(sel) {
    this.selected = sel;
    for (const td of this.table.querySelectorAll('td.selected, td.same')) td.classList.remove('selected', 'same');
    if (!sel) return;
    for (const td of this.table.querySelectorAll(`td.cell[data-col="${sel.col}"]`)) {
      const codes = td.dataset.codes.split(',').map(Number);
      if (Number(td.dataset.pos) === sel.pos) td.classList.add('selected');
      else if (codes.includes(sel.code)) td.classList.add('same');
    }
  }

  // Per column [min, max] of the first slot's score over the rows so far.
  ranges() {
    return this.columns.map((_, ci) => {
      let lo = Infinity, hi = -Infinity;
      for (const r of this.rows) {
        const s = r?.codes?.[ci]?.scores[0];
        if (Number.isFinite(s)) lo = Math.min(lo, s), hi = Math.max(hi, s);
      }
      return [lo, hi];
    });
  }

  render() {
    this.pending?.clear();
    const cols = this.visible();
    const ranges = this.ranges();
    // Two header rows: the codebook (layer and site) over its groups, then the group index.
    const spans = [];
    for (const c of cols) {
      const last = spans[spans.length - 1];
      if (last && last.book === c.book) last.n++;
      else spans.push({ book: c.book, layer: c.layer, site: c.site, n: 1 });
    }
    const grouped = cols.some((c) => this.columns.some((o) => o.book === c.book && o.group > 0));
    const head = h('thead', {},
      h('tr', {}, h('th', { class: 'tok', rowspan: grouped ? 2 : 1 }, 'pos token'),
        spans.map((b) => h('th', { colspan: b.n, class: 'book', title: `layer ${b.layer}, site ${b.site}` },
          `L${b.layer} `, h('span', { class: 'site' }, b.site)))),
      grouped ? h('tr', { class: 'groups' }, cols.map((c) => h('th', { title: `layer ${c.layer}, ${c.site}, group ${c.group}` },
        this.columns.some((o) => o.book === c.book && o.group > 0) ? `g${c.group}` : ''))) : null);
    this.body = h('tbody', {}, this.rows.map((_, p) => this.rowElement(p, cols, ranges)));
    this.table.replaceChildren(head, this.body);
    if (this.selected) this.select(this.selected);
  }

  rowElement(p, cols, ranges) {
    const r = this.rows[p];
    const cls = (p < this.nPrompt ? 'prompt' : 'gen') + (p === this.nPrompt ? ' first-gen' : '');
    return h('tr', { class: cls, dataset: { pos: p, token: r.token } },
      h('th', { class: 'tok', title: `position ${p}, token id ${r.token}` },
        h('span', { class: 'pos' }, p), showToken(this.tokenText(r.token)),
        this.tokenText(r.token) === String(r.token) ? null : h('span', { class: 'id' }, ` #${r.token}`)),
      cols.map((c) => this.cell(p, c.i, r.codes?.[c.i], ranges[c.i])));
  }

  cell(p, ci, codes, [lo, hi]) {
    if (!codes) return h('td', { class: 'cell pending', dataset: { pos: p, col: ci, codes: '' } }, '…');
    const ids = Array.from(codes.ids).filter((id) => id !== -2);
    const label = ids.map((id) => (id >= 0 ? this.labelOf(ci, id) : '')).find((l) => l) || '';
    const s = codes.scores[0];
    const t = Number.isFinite(s) && hi > lo ? (s - lo) / (hi - lo) : 0.5;
    const alpha = 0.06 + 0.6 * t;
    const key = `${p}:${ci}`;
    const cls = ['cell', alpha > 0.45 && 'dark', this.marks.forced.has(key) && 'forced', this.marks.changed.has(key) && 'changed']
      .filter(Boolean).join(' ');
    return h('td', {
      class: cls,
      style: { '--a': alpha.toFixed(3) },
      dataset: { pos: p, col: ci, codes: ids.join(',') },
      title: `${ids.map((id, k) => `slot ${k}: ${id < 0 ? 'blocked' : id} (score ${Number(codes.scores[k]).toFixed(3)})`).join('\n')}` +
        (label ? `\n${label}` : '') + (this.marks.forced.has(key) ? '\nsteered here' : '') +
        (this.marks.changed.has(key) ? '\ndiffers from the unsteered run' : ''),
    }, ids.length > 2
      // k > 2: the codes in rows of four, so a cell stays narrow
      ? h('span', { class: 'many' }, ids.map((id, k) => [k && k % 4 === 0 ? h('br') : k ? ' ' : '', id < 0 ? '×' : String(id)]))
      : ids.map((id) => (id < 0 ? '×' : id)).join(','), label ? h('span', { class: 'lbl' }, label) : null);
  }
}
