// The model card: what the file is (architecture, parameters, tokenizer, metadata) and its
// codebook table (layer, site, groups, codes, dim, k, metric, storage).
import { fmt, h } from './dom.js';

export function modelCard(facts, fsm) {
  const a = facts.architecture, t = facts.tokenizer, md = facts.metadata, pc = facts.parameterCounts;
  const fact = (k, v) => h('div', {}, h('span', {}, k + ' '), String(v));
  const note = (md.description || '').trim();
  return [
    note ? h('p', {}, note) : null,
    h('div', { class: 'facts' },
      fact('family', a.family), fact('layers', a.nLayers), fact('d_model', a.dModel), fact('heads', a.nHeads),
      fact('d_mlp', a.dMlp), fact('vocab', fmt.int(a.vocabSize)), fact('context', a.maxPositions),
      fact('positions', a.positions + (a.rotaryDims ? ` (${a.rotaryDims} dims)` : '')), fact('activation', a.activation),
      fact('parameters', fmt.int(pc.total)), fact('codebook params', fmt.int(pc.codebooks)),
      fact('tokenizer', t.hasTokenizer ? `${t.kind}, ${fmt.int(t.vocabSize)} tokens` : 'none (token ids only)'),
      fact('file', fmt.bytes(facts.fileInfo.fileSize)), fact('schema', `${facts.schemaVersion.major}.${facts.schemaVersion.minor}`),
      fact('annotations', fmt.int(facts.annotationCount)),
      facts.extraTensors.length ? fact('extras', facts.extraTensors.join(', ')) : null,
      fsm ? fact('TokFSM', `${fsm.n} states`) : null),
    h('div', { class: 'table-wrap' }, h('table', { class: 'plain', id: 'codebook-table' },
      h('thead', {}, h('tr', {}, ['#', 'layer', 'site', 'groups', 'codes', 'dim', 'k', 'metric', 'storage'].map((c) => h('th', {}, c)))),
      h('tbody', {}, facts.codebooks.map((c) => h('tr', {},
        h('td', {}, c.index), h('td', {}, c.layer), h('td', {}, c.site), h('td', {}, c.groups), h('td', {}, fmt.int(c.codes)),
        h('td', {}, c.dim), h('td', {}, c.k), h('td', {}, c.metric), h('td', {}, `${c.dtype}, ${fmt.bytes(c.bytes)}`)))))),
    h('details', {}, h('summary', { class: 'small' }, 'metadata'),
      h('table', { class: 'plain small' }, Object.entries(md).filter(([, v]) => v !== '').map(([k, v]) =>
        h('tr', {}, h('td', {}, k), h('td', { style: { whiteSpace: 'normal', textAlign: 'left' } }, v.length > 300 ? v.slice(0, 300) + '…' : v))))),
  ];
}
