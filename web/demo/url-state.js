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
