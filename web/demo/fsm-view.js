// The TokFSM view, for models with the extra `fsm.transitions`: a state is two digit tokens after
// BOS (token 10); the view shows the run's states with each transition valid or invalid, the
// current state and its successors, and steers the prompt to another state S the way
// `cbk fsm-demo` does (tools/cli/fsm_demo.cpp): either S's annotated "state SS" code forced in every
// MLP codebook at the prompt's last token, or interchange (every MLP code from the prompt's last
// state on copied from a donor run that is in state S). It then samples 100 next states with and
// without steering (temperature 1, seeds seed+1+i).
import { bars, h } from './dom.js';

export const BOS = 10;

// The state a token completes at position p, or -1 (second digits: even positions >= 2 after BOS).
export function stateAt(tokens, p) {
  if (p < 2 || p >= tokens.length || p % 2 !== 0 || tokens[p - 1] > 9 || tokens[p] > 9) return -1;
  return tokens[p - 1] * 10 + tokens[p];
}

const two = (s) => String(s).padStart(2, '0');
const isEdge = (fsm, a, b) => fsm.matrix[a * fsm.n + b] > 0;

// MLP codebooks with one group, and per book the most frequent code labelled "state SS" for S.
function mlpBooks(engine) {
  return engine.facts.codebooks.filter((c) => c.site === 'mlp' && c.groups === 1);
}

function annotatedStateCodes(annotations, books, s) {
  const want = `state ${two(s)}`;
  return books.map((b) => {
    let best = -1, code = -1;
    for (const a of annotations)
      if (a.label === want && a.codebook === b.index && a.frequency > best) best = a.frequency, code = a.code;
    return code;
  });
}

// One continuation as fsm-demo's continue_prompt: tokens (prompt + new), stopping at BOS.
async function continuePrompt(engine, prompt, n, temperature, seed, steer) {
  const s = await engine.session('fsm');
  const donor = steer.mode === 'interchange' && steer.target >= 0 ? await engine.session('fsm-donor') : null;
  const books = steer.books;
  const interchangeAt = async (position, donorPosition) => {
    for (const b of books) {
      const { ids } = await donor.codes(b.index, 0, donorPosition);
      await s.interchange({ layer: b.layer, site: 'mlp', group: 0, position, ids });
    }
  };
  const tokens = [...prompt];
  await s.reset();
  await s.setSeed(seed);
  await s.clearSteering();
  if (steer.target >= 0) {
    if (steer.mode === 'force') {
      const last = prompt.length - 1;
      for (let i = 0; i < books.length; ++i)
        if (steer.codes[i] >= 0)
          await s.force({ layer: books[i].layer, site: 'mlp', group: -1, code: steer.codes[i], positions: { first: last, end: last + 1 }, mode: 'all', slot: -1, strength: 1 });
    } else {
      await donor.reset();
      await donor.prefill([BOS, Math.floor(steer.target / 10), steer.target % 10]);
      await interchangeAt(prompt.length - 2, 1);
      await interchangeAt(prompt.length - 1, 2);
    }
  }
  await s.prefill(prompt);
  for (let i = 0; i < n; ++i) {
    const next = await s.sample({ temperature });
    if (next === BOS) break;
    const position = tokens.length;
    tokens.push(next);
    if (i + 1 === n) break;
    if (donor) {
      await donor.decode(next);
      await interchangeAt(position, 3 + (position - prompt.length));
    }
    await s.decode(next);
  }
  return tokens;
}

function statePath(fsm, tokens, nPrompt, steeredTo = -1) {
  const items = [];
  let prev = -1;
  for (let p = 0; p < tokens.length; ++p) {
    const s = stateAt(tokens, p);
    if (s < 0) continue;
    const from = p === nPrompt + 1 && steeredTo >= 0 ? steeredTo : prev;
    const ok = from < 0 || isEdge(fsm, from, s);
    items.push(h('span', {
      class: from < 0 ? '' : ok ? 'ok' : 'bad',
      title: from < 0 ? `state ${two(s)}` : `${two(from)} → ${two(s)}: ${ok ? 'valid' : 'INVALID'} transition`,
    }, (items.length ? (from !== prev ? `(as ${two(from)})` : '') + (ok ? '→' : '⇏') : '') + two(s) + (p < nPrompt ? '' : '*')));
    prev = s;
  }
  return h('div', { class: 'fsm-path' }, items.length ? items : h('span', { class: 'muted' }, 'no complete state yet'));
}

// As fsm-demo: the first state that is neither in the prompt nor a successor of its last state.
function defaultTarget(fsm, run) {
  const prompt = run.tokens.slice(0, run.nPrompt);
  const states = prompt.map((_, p) => stateAt(prompt, p)).filter((s) => s >= 0);
  if (!states.length) return -1;
  const last = states[states.length - 1];
  for (let s = 0; s < fsm.n; ++s) if (!isEdge(fsm, last, s) && !states.includes(s)) return s;
  return -1;
}

// ctx: {engine, run, seed}; keeps its own "steer to" choice between renders.
export class FsmView {
  constructor(root) {
    this.root = root;
    this.target = -1;
    this.mode = 'interchange';
    this.result = null;
  }

  render(ctx) {
    this.ctx = ctx;
    const { engine, run } = ctx;
    const fsm = engine.fsm;
    const tokens = run ? run.tokens : [];
    let cur = -1;
    for (let p = 0; p < tokens.length; ++p) if (stateAt(tokens, p) >= 0) cur = stateAt(tokens, p);
    const succ = new Set(cur >= 0 ? fsm.succ[cur] : []);
    if (this.target < 0 && run) this.target = defaultTarget(fsm, run);
    const grid = h('div', { class: 'fsm-states', title: 'click a state to steer to it' },
      Array.from({ length: fsm.n }, (_, s) => h('div', {
        class: [s === cur && 'cur', succ.has(s) && 'succ', s === this.target && 'target'].filter(Boolean).join(' '),
        title: `state ${two(s)}${s === cur ? ' (current)' : succ.has(s) ? ` (successor of ${two(cur)})` : ''}`,
        onclick: () => { this.target = s; this.render(this.ctx); },
      }, two(s))));
    const controls = h('div', { class: 'fsm-controls' },
      h('label', {}, 'steer the prompt to state ', h('input', {
        type: 'number', min: 0, max: fsm.n - 1, value: this.target >= 0 ? this.target : '',
        onchange: (e) => { this.target = Number(e.target.value); },
      })),
      h('select', { onchange: (e) => { this.mode = e.target.value; } },
        h('option', { value: 'interchange', selected: this.mode === 'interchange' }, 'by interchange'),
        h('option', { value: 'force', selected: this.mode === 'force' }, 'by annotated state codes')),
      h('button', { id: 'fsm-steer', onclick: () => this.steer() }, 'Steer + sample 100'));
    this.root.replaceChildren(...[
      h('p', { class: 'small muted' }, `${fsm.n} states, a state = two digit tokens. The run's states (* = generated; red = invalid transition):`),
      run ? statePath(fsm, run.tokens, run.nPrompt) : null,
      cur >= 0 ? h('p', { class: 'small' }, `current state ${two(cur)}; successors: ${fsm.succ[cur].map(two).join(' ')}`) : null,
      grid, controls, this.result].filter(Boolean));
  }

  async steer() {
    const { engine, run, seed } = this.ctx;
    const fsm = engine.fsm;
    const out = (msg) => { this.result = h('div', {}, msg); this.render(this.ctx); };
    if (!run) return out(h('p', { class: 'muted' }, 'Generate first: the prompt of the current run is steered.'));
    const prompt = run.tokens.slice(0, run.nPrompt);
    const last = stateAt(prompt, prompt.length - 1);
    if (last < 0) return out(h('p', { class: 'muted' }, 'The prompt must be BOS followed by whole states (two digits each).'));
    if (!(this.target >= 0 && this.target < fsm.n)) return out(h('p', { class: 'muted' }, 'Pick a state to steer to (click one).'));
    const books = mlpBooks(engine);
    const steer = { mode: this.mode, target: this.target, books, codes: [] };
    if (this.mode === 'force') {
      steer.codes = annotatedStateCodes(await engine.model.annotations(), books, this.target);
      if (steer.codes.every((c) => c < 0)) return out(h('p', { class: 'muted' }, `No MLP code is annotated "state ${two(this.target)}"; use interchange.`));
    }
    const none = { target: -1, books };
    out(h('p', { class: 'muted' }, 'running…'));
    try {
      const plain = await continuePrompt(engine, prompt, 6, 0, seed, none);
      const steered = await continuePrompt(engine, prompt, 6, 0, seed, steer);
      const counts = [new Map(), new Map()];
      const follows = [[0, 0], [0, 0]];
      for (let i = 0; i < 100; ++i)
        for (let k = 0; k < 2; ++k) {
          const t = await continuePrompt(engine, prompt, 2, 1, seed + 1 + i, k ? steer : none);
          const s = stateAt(t, prompt.length + 1);
          if (s < 0) continue;
          counts[k].set(s, (counts[k].get(s) || 0) + 1);
          follows[k][0] += isEdge(fsm, last, s);
          follows[k][1] += isEdge(fsm, this.target, s);
        }
      const dist = (k, title, cls) => bars(title, [...counts[k]].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([s, c]) => ({
        label: two(s) + (isEdge(fsm, this.target, s) ? ' ✓' : isEdge(fsm, last, s) ? ' ○' : ' ✗'),
        p: c / 100, text: `${c}`, title: `state ${two(s)}`,
      })), cls);
      const how = this.mode === 'force'
        ? `state ${two(this.target)}'s codes forced at the prompt's last token (${books.map((b, i) => steer.codes[i] >= 0 ? `L${b.layer}:${steer.codes[i]}` : null).filter(Boolean).join(' ')})`
        : `every MLP code from the prompt's last state on taken from a run in state ${two(this.target)}`;
      out([
        h('h3', { class: 'small' }, `Steered to ${two(this.target)}: ${how}`),
        h('div', { class: 'small' }, 'greedy, unsteered:'), statePath(fsm, plain, prompt.length),
        h('div', { class: 'small' }, 'greedy, steered:'), statePath(fsm, steered, prompt.length, this.target),
        h('p', { class: 'small' }, '100 sampled next states (temperature 1): how many follow each state'),
        h('table', { class: 'plain small', id: 'fsm-counts' },
          h('tr', {}, h('th', {}, ''), h('th', {}, `after ${two(last)}`), h('th', {}, `after ${two(this.target)}`)),
          ['unsteered', 'steered'].map((name, k) => h('tr', {}, h('td', {}, name), h('td', {}, follows[k][0]), h('td', {}, follows[k][1])))),
        h('div', { class: 'distributions' }, dist(0, 'next state, unsteered', ''), dist(1, 'next state, steered', 'steered')),
        h('p', { class: 'small muted' }, `✓ = a successor of ${two(this.target)}, ○ = of ${two(last)}, ✗ = of neither`),
      ]);
    } catch (e) {
      out(h('p', { class: 'error' }, `${e.status || 'error'}: ${e.detail || e.message}`));
    }
  }
}
