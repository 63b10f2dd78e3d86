// Interventions as the page keeps them, written in the syntax of `cbk generate`'s steering flags so
// that a panel row, the URL hash and the native command line all say the same thing:
//   force   LAYER:SITE:GROUP:CODE[@POSITIONS][/SLOT|/all|/append][*STRENGTH]
//   disable LAYER:SITE:GROUP:CODE[,CODE|topN...][@POSITIONS][/keep|/zero]
//   bypass  LAYER:SITE[:GROUP]
// GROUP is an index or `*` (every group, stored as -1). POSITIONS: `all` (default), `generated`, or
// a comma list of P and inclusive ranges A-B (absolute positions, 0 = first prompt token).

export const SITES = ['attn_preproj', 'attn', 'mlp', 'mlp_mid', 'qkv', 'attn_plus_mlp', 'transformer_block'];

const int = (s) => (/^-?\d+$/.test(s) ? Number(s) : NaN);

function parseTarget(parts, what, needGroup) {
  const [layer, site, group] = parts;
  const l = int(layer);
  if (!(l >= 0)) throw new Error(`${what}: bad layer '${layer}'`);
  if (!SITES.includes(site)) throw new Error(`${what}: unknown site '${site}' (${SITES.join(', ')})`);
  if (group === undefined && needGroup) throw new Error(`${what}: missing GROUP`);
  const g = group === undefined || group === '*' ? -1 : int(group);
  if (!(g >= -1)) throw new Error(`${what}: bad group '${group}'`);
  return { layer: l, site, group: g };
}

// 'all' | 'generated' | [[first, last], ...] sorted, merged, inclusive.
export function parsePositions(text) {
  if (text === undefined || text === '' || text === 'all') return 'all';
  if (text === 'generated') return 'generated';
  const ranges = [];
  for (const item of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(item.trim());
    if (!m) throw new Error(`bad position '${item}' (all, generated, P or A-B)`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new Error(`bad range '${item}' (A-B needs A <= B)`);
    ranges.push([a, b]);
  }
  ranges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const merged = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([...r]);
  }
  return merged;
}

export function formatPositions(p) {
  if (p === 'all' || p === 'generated') return p;
  return p.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
}

function cut(text, sep) {
  const i = text.lastIndexOf(sep);
  return i < 0 ? [text, undefined] : [text.slice(0, i), text.slice(i + 1)];
}

export function parseSpec(kind, text) {
  text = String(text).trim();
  if (kind === 'bypass') {
    const parts = text.split(':');
    if (parts.length < 2 || parts.length > 3) throw new Error(`bypass: expected LAYER:SITE[:GROUP], got '${text}'`);
    return { kind, ...parseTarget(parts, 'bypass', false) };
  }
  // As the CLI does: split on ':' first, then cut *STRENGTH, /SLOT and @POSITIONS off the last part.
  const parts = text.split(':');
  if (parts.length !== 4) throw new Error(`${kind}: expected LAYER:SITE:GROUP:${kind === 'force' ? 'CODE' : 'CODES'}, got '${text}'`);
  const target = parseTarget(parts, kind, true);
  if (kind === 'force') {
    let rest = parts[3], strength = 1, mode = 'slot', slot = -1, s, m, at;
    [rest, s] = cut(rest, '*');
    if (s !== undefined) {
      strength = Number(s);
      if (s === '' || !Number.isFinite(strength)) throw new Error(`force: bad strength '${s}'`);
    }
    [rest, m] = cut(rest, '/');
    if (m === 'all' || m === 'append') mode = m;
    else if (m !== undefined) {
      slot = int(m);
      if (Number.isNaN(slot)) throw new Error(`force: bad slot '${m}' (an index, all or append)`);
    }
    [rest, at] = cut(rest, '@');
    const code = int(rest);
    if (!(code >= 0)) throw new Error(`force: bad code '${rest}'`);
    return { kind, ...target, code, positions: parsePositions(at), mode, slot, strength };
  }
  if (kind === 'disable') {
    let rest = parts[3], m, at;
    [rest, m] = cut(rest, '/');
    if (m !== undefined && m !== 'keep' && m !== 'zero') throw new Error(`disable: bad mode '${m}' (keep or zero)`);
    [rest, at] = cut(rest, '@');
    const codes = [];
    let topN = 0;
    for (const item of rest.split(',')) {
      const t = /^top(\d+)$/.exec(item);
      if (t) topN = Math.max(topN, Number(t[1]));
      else if (int(item) >= 0) codes.push(int(item));
      else throw new Error(`disable: bad code '${item}'`);
    }
    return { kind, ...target, codes, topN, positions: parsePositions(at), mode: m || 'keep' };
  }
  throw new Error(`unknown intervention kind '${kind}'`);
}

export function formatSpec(s) {
  const g = s.group < 0 ? '*' : String(s.group);
  if (s.kind === 'bypass') return `${s.layer}:${s.site}${s.group < 0 ? '' : ':' + s.group}`;
  const at = s.positions === 'all' ? '' : '@' + formatPositions(s.positions);
  if (s.kind === 'force') {
    const mode = s.mode === 'slot' ? (s.slot === -1 ? '' : `/${s.slot}`) : `/${s.mode}`;
    const strength = s.strength === 1 ? '' : `*${s.strength}`;
    return `${s.layer}:${s.site}:${g}:${s.code}${at}${mode}${strength}`;
  }
  const codes = [...s.codes.map(String), ...(s.topN ? [`top${s.topN}`] : [])].join(',');
  return `${s.layer}:${s.site}:${g}:${codes}${at}${s.mode === 'keep' ? '' : '/' + s.mode}`;
}

// The native command line flag for one intervention (what `cbk generate` accepts).
export const cliFlag = (s) => `--${s.kind} ${formatSpec(s)}`;

// Does the intervention act at position `pos` of a run with `nPrompt` prompt tokens?
export function coversPosition(s, pos, nPrompt) {
  if (s.kind === 'bypass' || s.positions === 'all') return true;
  if (s.positions === 'generated') return pos >= nPrompt;
  return s.positions.some(([a, b]) => pos >= a && pos <= b);
}
