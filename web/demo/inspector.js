// The code inspector: one code of one codebook group — its annotation (label, description,
// frequency, top contexts), where else it fires in the current run, the tokens its vector promotes
// directly through the final LayerNorm and unembedding (every site that writes into the residual
// stream: on it, or through the layer's attention output / MLP down projection), and steering buttons.
import { bars, fmt, h, showToken } from './dom.js';

// How a site's code reaches the residual stream (cbk.h, cbk_model_code_logits); qkv codes do not.
const PATH_TO_RESIDUAL = {
  attn: '', mlp: '', attn_plus_mlp: '', transformer_block: '',
  attn_preproj: 'attention output projection → ', mlp_mid: 'MLP down projection → ',
};

// sel: {pos (or -1), col, code}; ctx: {engine, columns, run, contextSize, onSteer(spec), onJump(pos)}
export async function renderInspector(root, sel, ctx) {
  const { engine, columns, run } = ctx;
  const c = columns[sel.col];
  const target = { layer: c.layer, site: c.site, group: c.group };
  const head = h('div', { class: 'insp-head' },
    h('span', { class: 'code' }, `code ${sel.code}`),
    h('span', { class: 'muted' }, `layer ${c.layer} · ${c.site} · group ${c.group}`),
    sel.pos >= 0 ? h('span', { class: 'muted' }, `at position ${sel.pos}`) : null);
  const body = h('div', { class: 'insp' }, head, h('p', { class: 'muted small' }, 'loading…'));
  root.replaceChildren(body);

  const [note, promoted] = await Promise.all([
    engine.model.annotation(c.book, c.group, sel.code).catch(() => null),
    Object.hasOwn(PATH_TO_RESIDUAL, c.site)
      ? engine.model.promotedTokens(c.book, c.group, sel.code, 8).catch((e) => ({ error: e }))
      : Promise.resolve(null),
  ]);

  const parts = [head];
  if (note) {
    if (note.label) head.append(h('span', { class: 'label' }, note.label));
    if (note.description) parts.push(h('p', {}, note.description));
    if (note.frequency > 0) parts.push(h('p', { class: 'small muted' }, `fires on ${fmt.pct(note.frequency, 2)} of tokens`));
    if (note.contexts.length) {
      parts.push(h('h3', {}, 'Top contexts'));
      for (const cx of note.contexts.slice(0, 6))
        parts.push(h('div', { class: 'context' }, Array.from(cx.tokens, (t, i) => {
          const txt = engine.tokenText(t);
          return i >= cx.highlightStart && i < cx.highlightEnd ? h('mark', {}, txt) : txt;
        })));
    }
  } else {
    parts.push(h('p', { class: 'small muted' }, 'This code has no annotation in the file.'));
  }

  // Where else the code fires in the current run (any slot).
  if (run) {
    const t = run.trace[sel.col];
    const at = [];
    for (let p = 0; p < t.rows; ++p)
      for (let k = 0; k < t.slots; ++k) if (t.ids[p * t.slots + k] === sel.code) { at.push(p); break; }
    parts.push(h('h3', {}, `Fires at ${at.length} of ${t.rows} positions here`),
      h('div', { class: 'fires' }, at.map((p) => h('button', {
        class: 'small', title: `position ${p}`, onclick: () => ctx.onJump(p),
      }, `${p}:${showToken(engine.tokenText(run.tokens[p]))}`))));
  }

  if (promoted && !promoted.error && promoted.length) {
    const z = promoted.map((x) => x.logit);
    const top = Math.max(...z);
    parts.push(h('div', { class: 'promotes', dataset: { tokens: promoted.map((x) => x.token).join(',') } },
      bars(`Promotes directly (${PATH_TO_RESIDUAL[c.site]}final LayerNorm → unembedding)`,
        promoted.map((x) => ({ label: showToken(x.text), p: Math.exp(x.logit - top), text: x.logit.toFixed(2),
          title: `token ${x.token}: direct logit ${x.logit.toFixed(4)}` })))));
  } else if (promoted?.error) {
    parts.push(h('p', { class: 'small muted' }, `Logit effect unavailable: ${promoted.error.message}`));
  } else if (!Object.hasOwn(PATH_TO_RESIDUAL, c.site)) {
    parts.push(h('p', { class: 'small muted' }, `${c.site} codes feed attention, not the residual stream, so they have no direct logit effect.`));
  }

  const force = (positions) => ctx.onSteer({ kind: 'force', ...target, code: sel.code, positions, mode: 'slot', slot: -1, strength: 1 });
  const last = ctx.contextSize - 1;
  parts.push(h('div', { class: 'buttons' },
    sel.pos >= 0 ? h('button', { onclick: () => force([[sel.pos, sel.pos]]) }, 'Force here') : null,
    sel.pos >= 0 ? h('button', { class: 'primary', onclick: () => force([[sel.pos, last]]) }, 'Force from here on') : null,
    h('button', { onclick: () => force('all') }, 'Force everywhere'),
    h('button', { onclick: () => ctx.onSteer({ kind: 'disable', ...target, codes: [sel.code], topN: 0, positions: 'all', mode: 'keep' }) }, 'Disable')));
  body.replaceChildren(...parts);
}
