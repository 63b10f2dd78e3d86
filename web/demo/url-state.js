// The run's settings in the URL hash, so a shared link reproduces it:
//   #prompt=...&ids=1&n=16&temp=0&topk=0&topp=1&seed=0&force=2:mlp:0:7@5-127&disable=...&bypass=...
// Interventions use the `cbk generate` flag syntax (steer-spec.js).
import { formatSpec, parseSpec } from './steer-spec.js';

export function writeHash({ prompt, promptIsIds, sampling, interventions }) {
  const q = new URLSearchParams();
  q.set('prompt', prompt);
  if (promptIsIds) q.set('ids', '1');
  q.set('n', sampling.n);
  q.set('temp', sampling.temperature);
  q.set('topk', sampling.topK);
  q.set('topp', sampling.topP);
  q.set('seed', sampling.seed);
  for (const s of interventions) q.append(s.kind, formatSpec(s));
  const hash = '#' + q.toString();
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

// Returns the settings the hash names (fields absent when not given) and the errors met.
export function readHash(hash = location.hash) {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const out = { sampling: {}, interventions: [], errors: [] };
  if (q.has('prompt')) out.prompt = q.get('prompt');
  if (q.has('ids')) out.promptIsIds = q.get('ids') === '1';
  const num = (key, field) => {
    if (!q.has(key)) return;
    const v = Number(q.get(key));
    if (Number.isFinite(v)) out.sampling[field] = v;
    else out.errors.push(`${key}: not a number`);
  };
  num('n', 'n'); num('temp', 'temperature'); num('topk', 'topK'); num('topp', 'topP'); num('seed', 'seed');
  for (const [kind, text] of q)
    if (kind === 'force' || kind === 'disable' || kind === 'bypass') {
      try {
        out.interventions.push(parseSpec(kind, text));
      } catch (e) {
        out.errors.push(e.message);
      }
    }
  return out;
}

// The models bundled with the page, by the name `?model=NAME` uses; paths from the repository root
// (the demo is served at web/demo/). `prompt` and `tokens` are what a fresh load starts with (a story
// needs ~150 tokens to reach its topic); `missing` is said when the server does not have the file.
export const BUNDLED = {
  tokfsm: { label: 'TokFSM', path: 'models/tokfsm.cbk' },
  stories: {
    label: 'Stories', path: 'models/stories.cbk', prompt: 'Once upon a time,', tokens: 150,
    missing: 'It is part of the repository (models/stories.cbk): serve the repository root. ',
  },
};
export const DEFAULT_MODEL = 'tokfsm';

// The model the query names: {bundled: NAME} for `?model=NAME` of BUNDLED (and no ?model at all),
// else {url} (any other `?model=URL`, resolved against the page).
export function readModel(search = location.search) {
  const value = new URLSearchParams(search).get('model');
  if (!value) return { bundled: DEFAULT_MODEL };
  if (Object.hasOwn(BUNDLED, value)) return { bundled: value };
  return { url: value };
}

// Records the open model in the query (the hash, the run's settings, stays): a bundled NAME, a URL,
// or null for a local file (a link cannot carry it, so the query loses ?model).
export function writeModel(value) {
  const q = new URLSearchParams(location.search);
  if (value) q.set('model', value);
  else q.delete('model');
  const search = q.toString() ? '?' + q.toString() : '';
  const url = location.pathname + search + location.hash;
  if (url !== location.pathname + location.search + location.hash) history.replaceState(null, '', url);
}
