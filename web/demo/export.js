// The current trace as a download: JSON in the shape of `cbk generate --trace` (format
// cbk-trace-v1: tokens, n_prompt, codes [{layer, site, group, ids, scores}]) plus the settings, or
// CSV with one row per (token, codebook group, slot).
import { cliFlag } from './steer-spec.js';

export function traceJson(run, columns, settings) {
  const codes = columns.map((c, ci) => {
    const { ids, scores, slots } = run.trace[ci];
    const perToken = (arr) => Array.from({ length: run.tokens.length }, (_, p) => {
      const row = [];
      for (let k = 0; k < slots; ++k) if (ids[p * slots + k] !== -2) row.push(arr[p * slots + k]);
      return row;
    });
    return { layer: c.layer, site: c.site, group: c.group, ids: perToken(ids), scores: perToken(scores) };
  });
  return {
    format: 'cbk-trace-v1',
    model: settings.modelName,
    tokens: Array.from(run.tokens),
    n_prompt: run.nPrompt,
    sampling: settings.sampling,
    steering: settings.interventions.map(cliFlag),
    codes,
  };
}

const csvField = (s) => (/[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s);

export function traceCsv(run, columns, tokenText, labelOf) {
  const lines = ['position,token,text,layer,site,group,slot,code,score,label'];
  for (let p = 0; p < run.tokens.length; ++p)
    columns.forEach((c, ci) => {
      const { ids, scores, slots } = run.trace[ci];
      for (let k = 0; k < slots; ++k) {
        const code = ids[p * slots + k];
        if (code === -2) continue;
        lines.push([p, run.tokens[p], csvField(tokenText(run.tokens[p])), c.layer, c.site, c.group, k, code,
          scores[p * slots + k], csvField(labelOf(ci, code) || '')].join(','));
      }
    });
  return lines.join('\n') + '\n';
}

export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
