// The demo page: loads a model into the worker, generates with the code grid streaming, and wires
// the inspector, steering panel, TokFSM view, code search and export together. State lives here;
// the modules render it.
import { $, bars, fmt, h, showToken } from './dom.js';
import { Engine } from './engine.js';
import { CodeGrid } from './grid.js';
import { modelCard } from './model-card.js';
import { renderInspector } from './inspector.js';
import { renderSteering } from './steering-panel.js';
import { FsmView, BOS } from './fsm-view.js';
import { runSearch } from './search-panel.js';
import { traceCsv, traceJson, download } from './export.js';
import { cliFlag, coversPosition, parseSpec } from './steer-spec.js';
import { BUNDLED, readHash, readModel, writeHash, writeModel } from './url-state.js';
import { activeTopic, findTopics, topicForces } from './topics.js';
import { renderMentions, renderTopicRow } from './topic-panel.js';

const state = {
  engine: null,
  modelName: '',
  source: null,         // what is open: {bundled: NAME} | {url} | {file: name}
  topics: [],           // findTopics() of the open model
  columns: [],          // [{book, group, layer, site}] in traceAll() order
  labels: new Map(),    // "col:code" -> label
  interventions: [],
  run: null,            // the run the grid shows (steered when interventions are set)
  baseline: null,       // the unsteered run beside it
  history: [],          // token sequences generated so far with their traces (code search)
  active: null,         // the generation in flight (has cancel())
  busy: Promise.resolve(),
  selected: null,
  firstLoad: true,
};
window.__demo = state;  // for the browser tests and the console

const fsmView = new FsmView($('fsm'));
const grid = new CodeGrid($('grid'), {
  columns: [],
  labelOf: (col, code) => state.labels.get(`${col}:${code}`) || '',
  tokenText: (id) => state.engine?.tokenText(id) ?? String(id),
  onCell: (pos, col) => {
    const t = state.run.trace[col];
    const code = t.ids[pos * t.slots];
    if (code >= 0) inspect({ pos, col, code });
  },
});

// ---- errors and status ---------------------------------------------------------------------

function showError(e, context = '') {
  const box = $('error');
  const status = e?.status || (e instanceof SyntaxError ? 'syntax_error' : 'error');
  const detail = e?.detail || e?.message || String(e);
  box.replaceChildren(context ? context + ': ' : '', h('span', { class: 'status' }, status), ' — ' + detail,
    ' ', h('button', { class: 'small', onclick: () => (box.hidden = true) }, 'dismiss'));
  delete box.dataset.missing;
  box.hidden = false;
}
const clearError = () => ($('error').hidden = true);

// ---- loading ------------------------------------------------------------------------------------

// origin says where `source` comes from ({bundled: NAME} | {url} | {file: name}): the chooser and the
// query follow it once the model is open, and go back to the open model's when it cannot be opened.
async function loadModel(source, name, origin) {
  const bar = $('load-progress'), text = $('load-text');
  bar.hidden = false;
  bar.removeAttribute('value');
  text.textContent = `loading ${name}…`;
  $('generate').disabled = true;
  const t0 = performance.now();
  let engine;
  try {
    engine = await Engine.open(source, (loaded, total) => {
      if (total > 0) bar.max = total, bar.value = loaded;
      text.textContent = `loading ${name}: ${fmt.bytes(loaded)}${total > 0 ? ' of ' + fmt.bytes(total) : ''}`;
    });
  } catch (e) {
    bar.hidden = true;
    text.textContent = state.engine ? '' : 'no model loaded';
    $('generate').disabled = !state.engine;
    if (state.source) showSource(state.source);
    const bundled = origin.bundled && BUNDLED[origin.bundled];
    if (bundled && e?.status === 'io_error' && /HTTP 404/.test(e.detail || e.message || '')) {
      showError({ status: 'not_found', message: `${bundled.path} is not on this server. ${bundled.missing || ''}` +
        `Choose another model above or open a .cbk file.` }, `The ${bundled.label} model is not available`);
      $('error').dataset.missing = origin.bundled;
    } else showError(e, `Cannot open ${name}`);
    return false;
  }
  clearError();
  await state.busy;
  if (state.engine) await state.engine.dispose();
  state.engine = engine;
  state.modelName = name;
  state.source = origin;
  showSource(origin);
  writeModel(origin.bundled ?? origin.url ?? null);
  bar.hidden = true;
  text.textContent = `loaded in ${((performance.now() - t0) / 1000).toFixed(2)} s`;
  $('model-name').textContent = engine.facts.metadata.name || name;
  await setupModel(engine);
  return true;
}

async function setupModel(engine) {
  const f = engine.facts;
  state.columns = f.codebooks.flatMap((c) => Array.from({ length: c.groups }, (_, g) => ({ book: c.index, group: g, layer: c.layer, site: c.site })));
  state.labels = new Map();
  const colOf = new Map(state.columns.map((c, i) => [`${c.book}:${c.group}`, i]));
  for (const a of await engine.model.annotations())
    if (a.label) state.labels.set(`${colOf.get(`${a.codebook}:${a.group}`)}:${a.code}`, a.label);
  state.topics = findTopics(await engine.model.annotations(), f.metadata, f.codebooks);
  grid.columns = state.columns;
  grid.rows = [];
  grid.selected = null;
  $('model-card-body').replaceChildren(...modelCard(f, engine.fsm).filter(Boolean));
  $('model-card-body').classList.remove('muted');
  const a = f.architecture;
  $('model-summary').textContent = ` — ${a.family}, ${a.nLayers} layers, d_model ${a.dModel}, ${f.codebooks.length} codebooks` +
    ` (${state.columns.length} groups), ${fmt.int(f.parameterCounts.total)} parameters`;
  const layers = [...new Set(state.columns.map((c) => c.layer))];
  const sites = [...new Set(state.columns.map((c) => c.site))];
  $('filter-layer').replaceChildren(h('option', { value: '' }, 'all'), ...layers.map((l) => h('option', { value: l }, l)));
  $('filter-site').replaceChildren(h('option', { value: '' }, 'all'), ...sites.map((s) => h('option', { value: s }, s)));
  // Wide models start on their first layer (the filters show the rest).
  const firstLayer = state.columns.length > 24 ? String(layers[0]) : '';
  $('filter-layer').value = firstLayer;
  grid.setFilter(firstLayer, '');
  state.run = state.baseline = null;
  state.history = [];
  state.selected = null;
  $('inspector').replaceChildren('Click a cell of the code grid (or a search result).');
  $('fsm-panel').hidden = !engine.fsm;

  // Settings: the URL hash on the first load, else a prompt that suits the model.
  const fromHash = state.firstLoad ? readHash() : null;
  state.firstLoad = false;
  if (fromHash?.errors.length) showError({ status: 'invalid_argument', message: fromHash.errors.join('; ') }, 'URL');
  if (fromHash?.prompt !== undefined) {
    $('prompt').value = fromHash.prompt;
    setPromptKind(fromHash.promptIsIds ? 'ids' : 'text');
  } else if (engine.fsm) {
    const s2 = engine.fsm.succ[0][0];
    setPromptKind(f.tokenizer.hasTokenizer ? 'text' : 'ids');
    $('prompt').value = f.tokenizer.hasTokenizer ? '00' + String(s2).padStart(2, '0') : `${BOS},0,0,${Math.floor(s2 / 10)},${s2 % 10}`;
  } else {
    setPromptKind(f.tokenizer.hasTokenizer ? 'text' : 'ids');
    $('prompt').value = f.tokenizer.hasTokenizer ? BUNDLED[state.source.bundled]?.prompt ?? 'Once upon a time,' : String(Math.max(0, f.tokenizer.bos));
  }
  const d = f.generationDefaults;
  const sm = fromHash?.sampling || {};
  $('n').value = sm.n ?? (engine.fsm ? 12 : BUNDLED[state.source.bundled]?.tokens ?? Math.min(32, d.maxNewTokens || 32));
  $('temperature').value = sm.temperature ?? (engine.fsm ? 0 : d.temperature);
  $('top-k').value = sm.topK ?? d.topK;
  $('top-p').value = sm.topP ?? d.topP;
  $('seed').value = sm.seed ?? Number(d.seed);
  state.interventions = fromHash?.interventions || [];
  renderSteeringPanel();
  $('generate').disabled = false;
  await showPromptTokens();
  generate();
}

// ---- prompt -------------------------------------------------------------------------------------

const promptKind = () => document.querySelector('input[name=prompt-kind]:checked').value;
function setPromptKind(kind) {
  document.querySelector(`input[name=prompt-kind][value=${kind}]`).checked = true;
}

async function promptIds() {
  const text = $('prompt').value;
  if (promptKind() === 'ids') {
    const parts = text.split(/[\s,]+/).filter(Boolean);
    const ids = parts.map(Number);
    const V = state.engine.facts.architecture.vocabSize;
    const bad = parts.find((p, i) => !/^\d+$/.test(p) || ids[i] >= V);
    if (bad !== undefined) throw { status: 'out_of_range', message: `'${bad}' is not a token id (0..${V - 1})` };
    if (!ids.length) throw { status: 'invalid_argument', message: 'the prompt has no token ids' };
    return ids;
  }
  const ids = await state.engine.tokenize(text);
  if (!ids.length) throw { status: 'invalid_argument', message: 'the prompt encodes to no tokens' };
  return ids;
}

// A token as text, with its id where the text does not already say it.
const chip = (id, cls = '') => {
  const text = state.engine.tokenText(id);
  return h('span', { class: 'chip ' + cls, title: `token id ${id}` }, showToken(text), text === String(id) ? null : h('span', { class: 'id' }, id));
};

async function showPromptTokens() {
  if (!state.engine) return;
  try {
    const ids = await promptIds();
    $('prompt-tokens').replaceChildren(...ids.map((id) => chip(id)), h('span', { class: 'muted small' }, ` ${ids.length} tokens`));
  } catch (e) {
    $('prompt-tokens').replaceChildren(h('span', { class: 'muted small' }, `${e.status || 'error'}: ${e.detail || e.message}`));
  }
}

// ---- generation ---------------------------------------------------------------------------------

function sampling() {
  const num = (id, lo, def) => {
    const v = Number($(id).value);
    return Number.isFinite(v) && v >= lo ? v : def;
  };
  return {
    n: Math.floor(num('n', 1, 16)), temperature: num('temperature', 0, 0), topK: Math.floor(num('top-k', 0, 0)),
    topP: Math.min(1, num('top-p', 0.01, 1)), seed: Math.floor(num('seed', 0, 0)),
  };
}

// Which cells an intervention writes: "pos:col".
function steeredCells(run) {
  const out = new Set();
  for (const s of state.interventions) {
    if (s.kind !== 'force') continue;
    state.columns.forEach((c, ci) => {
      if (c.layer !== s.layer || c.site !== s.site || (s.group >= 0 && s.group !== c.group)) return;
      for (let p = 0; p < run.tokens.length; ++p) if (coversPosition(s, p, run.nPrompt)) out.add(`${p}:${ci}`);
    });
  }
  return out;
}

function changedCells(run, base) {
  const out = new Set();
  if (!base) return out;
  run.trace.forEach((t, ci) => {
    const b = base.trace[ci];
    for (let p = 0; p < Math.min(t.rows, b.rows); ++p)
      for (let k = 0; k < t.slots; ++k)
        if (t.ids[p * t.slots + k] !== b.ids[p * b.slots + k]) { out.add(`${p}:${ci}`); break; }
  });
  return out;
}

async function stopActive() {
  state.active?.cancel();
  await state.busy.catch(() => {});
}

async function generate() {
  if (!state.engine) return;
  await stopActive();
  const job = runGeneration();
  state.busy = job.catch(() => {});
  return job;
}

async function runGeneration() {
  const engine = state.engine;
  let prompt;
  try {
    prompt = await promptIds();
  } catch (e) {
    return showError(e, 'Prompt');
  }
  clearError();
  const sm = sampling();
  writeHash({ prompt: $('prompt').value, promptIsIds: promptKind() === 'ids', sampling: sm, interventions: state.interventions });
  $('generate').disabled = true;
  $('stop').disabled = false;
  $('speed').textContent = 'generating…';
  grid.start(prompt, prompt.length);
  const steered = state.interventions.length > 0;
  const t0 = performance.now();
  let count = 0;
  try {
    const run = await engine.generate('main', {
      prompt, sampling: sm, interventions: state.interventions,
      onStart: (r) => (state.active = r),
      onToken: (ev) => {
        count++;
        grid.setRow(ev.position, ev.token, ev.codes);
        $('speed').textContent = `${count} tokens, ${(count / ((performance.now() - t0) / 1000)).toFixed(1)} tokens/s`;
      },
    });
    state.active = null;
    const baseline = steered ? await engine.generate('base', { prompt, sampling: sm, interventions: [] }) : null;
    state.run = run;
    state.baseline = baseline;
    state.history.push(run);
    if (state.history.length > 20) state.history.shift();
    const changed = changedCells(run, baseline);
    grid.setRun(run, { forced: steeredCells(run), changed });
    $('speed').textContent = `${run.tokens.length - run.nPrompt} tokens · ${run.tokensPerSecond.toFixed(1)} tokens/s in the worker` +
      (run.stop !== 'length' ? ` · stopped: ${run.stop}` : '');
    renderContinuations(run, baseline);
    await showMentions(run, baseline);
    await renderDistributions(run, baseline, changed);
    if (engine.fsm) fsmView.render({ engine, run, seed: sm.seed });
    $('export-json').disabled = $('export-csv').disabled = false;
    if (!state.selected) autoSelect(run);
    else if (state.selected.pos < run.tokens.length) {
      const t = run.trace[state.selected.col];
      state.selected.code = t.ids[state.selected.pos * t.slots] >= 0 ? t.ids[state.selected.pos * t.slots] : state.selected.code;
      inspect(state.selected, false);
    }
    document.body.dataset.runs = String(Number(document.body.dataset.runs || 0) + 1);
  } catch (e) {
    showError(e, 'Generation');
    $('speed').textContent = '';
  } finally {
    state.active = null;
    $('generate').disabled = false;
    $('stop').disabled = true;
  }
}

// A first look for a new visitor: the earliest generated token's first annotated code (else none),
// early enough that "Force from here on" visibly changes the continuation.
function autoSelect(run) {
  for (let p = run.nPrompt; p < run.tokens.length - 1; ++p)
    for (let ci = 0; ci < state.columns.length; ++ci) {
      const t = run.trace[ci];
      const code = t.ids[p * t.slots];
      if (code >= 0 && state.labels.has(`${ci}:${code}`)) return inspect({ pos: p, col: ci, code }, false);
    }
}

function renderContinuations(run, baseline) {
  const gen = (r) => r.tokens.slice(r.nPrompt);
  const col = (title, r, cls, other) => h('div', { class: 'continuation ' + cls, id: cls ? `cont-${cls}` : 'cont-plain' },
    h('h3', {}, title),
    h('div', { class: 'token-chips' }, gen(r).map((id, i) => chip(id, 'gen' + (other && gen(other)[i] !== id ? ' diff' : '')))),
    h('div', { class: 'small muted mono' }, gen(r).join(',')));
  $('continuations').replaceChildren(...(baseline
    ? [col('unsteered', baseline, 'unsteered'), col('steered', run, 'steered', baseline)]
    : [col('continuation', run, '')]));
}

// Whether each continuation mentions the steered topic (every topic when none is steered).
async function showMentions(run, baseline) {
  if (!state.topics.length) return renderMentions($('mentions'), [], []);
  const text = (r) => state.engine.model.detokenize(r.tokens.slice(r.nPrompt));
  const active = activeTopic(state.topics, state.interventions, kOf);
  const texts = baseline
    ? [{ title: 'unsteered', text: await text(baseline), cls: 'unsteered' },
      { title: active ? `steered to ${active}` : 'steered', text: await text(run), cls: 'steered' }]
    : [{ title: 'continuation', text: await text(run), cls: 'plain' }];
  renderMentions($('mentions'), texts, active ? state.topics.filter((t) => t.name === active) : state.topics);
}

// The next-token distribution where steering first changes a code (else where it first acts; at
// the prompt's end at the earliest), before and after steering, both on the unsteered run's tokens.
async function renderDistributions(run, baseline, changed) {
  const engine = state.engine;
  const base = baseline || run;
  let at = run.nPrompt - 1;
  if (baseline) {
    let first = Infinity;
    for (const key of changed) first = Math.min(first, Number(key.split(':')[0]));
    if (!Number.isFinite(first))
      for (const s of state.interventions)
        for (let p = 0; p < base.tokens.length; ++p) if (coversPosition(s, p, base.nPrompt)) { first = Math.min(first, p); break; }
    if (Number.isFinite(first)) at = Math.min(Math.max(at, first), base.tokens.length - 1);
  }
  const ctx = base.tokens.slice(0, at + 1);
  const items = (top) => top.map((t) => ({ label: showToken(engine.tokenText(t.token)), p: t.prob, title: `token ${t.token}` }));
  const where = `next token after position ${at} ‘${showToken(engine.tokenText(ctx[at]))}’`;
  const before = await engine.nextTokens('probe', ctx, [], 8);
  const panels = [bars(baseline ? `unsteered: ${where}` : where, items(before))];
  if (baseline) panels.push(bars(`steered: ${where}`, items(await engine.nextTokens('probe', ctx, state.interventions, 8)), 'steered'));
  $('distributions').replaceChildren(...panels);
}

// ---- inspector and steering ---------------------------------------------------------------------

function inspect(sel, scroll = true) {
  state.selected = sel;
  grid.select(sel);
  renderInspector($('inspector'), sel, {
    engine: state.engine, columns: state.columns, run: state.run,
    contextSize: state.engine.facts.architecture.maxPositions,
    onSteer: (spec) => setInterventions([...state.interventions, spec]),
    onJump: (pos) => {
      const td = $('grid').querySelector(`td.cell[data-pos="${pos}"][data-col="${sel.col}"]`);
      td?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
      td?.click();
    },
  }).catch((e) => showError(e, 'Inspector'));
  if (scroll && matchMedia('(max-width: 960px)').matches) $('inspector-panel').scrollIntoView({ block: 'start' });
}

const kOf = (book) => state.engine.facts.codebooks[book].k;

function renderSteeringPanel() {
  renderTopicRow($('topic-row'), state.topics, activeTopic(state.topics, state.interventions, kOf), {
    onSteer: (topic) => setInterventions(topicForces(topic, kOf)),
    onClear: () => setInterventions([]),
  });
  $('steer-count').textContent = state.interventions.length;
  $('steer-cli').textContent = state.interventions.map(cliFlag).join(' ');
  renderSteering($('steering-list'), state.interventions, {
    onChange: setInterventions,
    onError: (msg) => showError({ status: 'invalid_argument', message: msg }, 'Steering'),
  });
}

let rerunTimer = 0;
function setInterventions(list) {
  state.interventions = list;
  renderSteeringPanel();
  clearTimeout(rerunTimer);
  rerunTimer = setTimeout(generate, 60);  // any change re-runs at once (edits in a burst run once)
}

// ---- wiring -------------------------------------------------------------------------------------

function openFile(file) {
  if (file) loadModel(file, file.name, { file: file.name });
}

// The chooser shows the open model: a bundled one by name, anything else as "other file".
function showSource(origin) {
  const other = $('model-other');
  other.hidden = !!origin.bundled;
  other.textContent = origin.file ?? (origin.url ? origin.url.split('/').pop() || origin.url : 'other file');
  $('model-choice').value = origin.bundled ?? '';
}

function openBundled(key) {
  const url = new URL('../../' + BUNDLED[key].path, location.href).href;
  return loadModel(url, BUNDLED[key].path.split('/').pop(), { bundled: key });
}

$('model-choice').addEventListener('change', (e) => { if (e.target.value) openBundled(e.target.value); });

$('file-input').addEventListener('change', (e) => { openFile(e.target.files[0]); e.target.value = ''; });
let dragDepth = 0;
addEventListener('dragenter', (e) => { if (e.dataTransfer?.types.includes('Files')) { dragDepth++; $('drop-overlay').hidden = false; } });
addEventListener('dragleave', () => { if (--dragDepth <= 0) dragDepth = 0, $('drop-overlay').hidden = true; });
addEventListener('dragover', (e) => e.preventDefault());
addEventListener('drop', (e) => {
  e.preventDefault();
  dragDepth = 0;
  $('drop-overlay').hidden = true;
  openFile(e.dataTransfer?.files[0]);
});

$('generate').addEventListener('click', generate);
$('stop').addEventListener('click', () => state.active?.cancel());
$('prompt').addEventListener('input', () => { clearTimeout(state.promptTimer); state.promptTimer = setTimeout(showPromptTokens, 150); });
$('prompt').addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) generate(); });
for (const r of document.querySelectorAll('input[name=prompt-kind]')) r.addEventListener('change', showPromptTokens);
$('filter-layer').addEventListener('change', () => grid.setFilter($('filter-layer').value, $('filter-site').value));
$('filter-site').addEventListener('change', () => grid.setFilter($('filter-layer').value, $('filter-site').value));
$('steer-add').addEventListener('submit', (e) => {
  e.preventDefault();
  try {
    setInterventions([...state.interventions, parseSpec($('steer-kind').value, $('steer-text').value)]);
    $('steer-text').value = '';
  } catch (err) {
    showError({ status: 'invalid_argument', message: err.message }, 'Steering');
  }
});
$('steer-clear').addEventListener('click', () => setInterventions([]));
$('search-form').addEventListener('submit', (e) => {
  e.preventDefault();
  if (!state.engine) return;
  runSearch({
    engine: state.engine, columns: state.columns, labels: state.labels, history: state.history,
    regex: $('search-regex').value, pasted: $('search-source').value === 'paste' ? $('search-text').value : null,
    out: $('search-results'), onInspect: inspect, onError: (err) => showError(err, 'Search'),
  });
});
$('search-source').addEventListener('change', () => ($('search-text').hidden = $('search-source').value !== 'paste'));
$('export-json').addEventListener('click', () => {
  const settings = { modelName: state.modelName, sampling: sampling(), interventions: state.interventions };
  download('cbk-trace.json', JSON.stringify(traceJson(state.run, state.columns, settings)) + '\n', 'application/json');
});
$('export-csv').addEventListener('click', () => download('cbk-trace.csv',
  traceCsv(state.run, state.columns, (id) => state.engine.tokenText(id), (ci, code) => state.labels.get(`${ci}:${code}`)), 'text/csv'));
$('copy-link').addEventListener('click', async () => {
  writeHash({ prompt: $('prompt').value, promptIsIds: promptKind() === 'ids', sampling: sampling(), interventions: state.interventions });
  try {
    await navigator.clipboard.writeText(location.href);
    $('copy-link').textContent = 'Copied';
  } catch {
    $('copy-link').textContent = 'Link in the address bar';
  }
  setTimeout(() => ($('copy-link').textContent = 'Copy link'), 1500);
});
addEventListener('hashchange', () => {
  const s = readHash();
  if (s.prompt === undefined || !state.engine) return;
  $('prompt').value = s.prompt;
  setPromptKind(s.promptIsIds ? 'ids' : 'text');
  const ids = { n: 'n', temperature: 'temperature', topK: 'top-k', topP: 'top-p', seed: 'seed' };
  for (const [k, id] of Object.entries(ids)) if (s.sampling[k] !== undefined) $(id).value = s.sampling[k];
  state.interventions = s.interventions;
  renderSteeringPanel();
  showPromptTokens();
  generate();
});

Engine.version().then((v) => ($('version').textContent = v), (e) => showError(e, 'Starting the library'));
const first = readModel();
if (first.bundled) openBundled(first.bundled);
else loadModel(new URL(first.url, location.href).href, first.url.split('/').pop() || first.url, { url: first.url });
showSource(first);
