// A model's topics and what steering to one means (issue 14, the story model). A topic NAME is
// there when the file has both code annotations labelled exactly `topic: NAME` and the metadata
// key `topic.NAME.regex` (the pattern that decides, case-insensitively, whether a text mentions it).
// Steering to a topic is the paper's "one code" condition as its code runs it
// (codebook-semantics.md §4.2): for every (codebook, group) among the topic's codes, its codes in
// annotation order go into slots -1, -2, ... (at most k of them) at every position, prompt and
// generated. Pure functions, so the Node tests can check them too.

const LABEL = /^topic: (.+)$/;

// annotations: [{codebook, group, code, label}] (the file's order); metadata: {key: value};
// codebooks: [{index, layer, site, k}]. Returns [{name, regex (source text), codes: [{codebook,
// layer, site, group, code}]}] in the order the topics' first annotations come in the file.
export function findTopics(annotations, metadata, codebooks) {
  const byIndex = new Map(codebooks.map((c) => [c.index, c]));
  const topics = new Map();
  for (const a of annotations) {
    const m = LABEL.exec(a.label || '');
    const cb = byIndex.get(a.codebook);
    if (!m || !cb) continue;
    const name = m[1];
    const regex = metadata[`topic.${name}.regex`];
    if (!regex || !compiles(regex)) continue;
    if (!topics.has(name)) topics.set(name, { name, regex, codes: [] });
    topics.get(name).codes.push({ codebook: a.codebook, layer: cb.layer, site: cb.site, group: a.group, code: a.code });
  }
  return [...topics.values()];
}

const compiles = (source) => {
  try {
    new RegExp(source, 'i');
    return true;
  } catch {
    return false;
  }
};

// The steering-panel forces (steer-spec.js) that steer to `topic`: per (codebook, group), slots
// -1, -2, ... in annotation order; codes beyond the codebook's k are left out (k slots hold at most
// k forced codes). kOf(codebook index) -> k.
export function topicForces(topic, kOf) {
  const used = new Map();
  const out = [];
  for (const c of topic.codes) {
    const key = `${c.codebook}:${c.group}`;
    const n = used.get(key) || 0;
    if (n >= kOf(c.codebook)) continue;
    used.set(key, n + 1);
    out.push({ kind: 'force', layer: c.layer, site: c.site, group: c.group, code: c.code,
      positions: 'all', mode: 'slot', slot: -(n + 1), strength: 1 });
  }
  return out;
}

// Is `list` exactly the forces of one of `topics`? Returns that topic's name, else null (the
// "Steer to" row marks the active button; any edit in the panel makes it a custom steering).
export function activeTopic(topics, list, kOf) {
  const key = (s) => JSON.stringify([s.kind, s.layer, s.site, s.group, s.code, s.positions, s.mode, s.slot, s.strength]);
  const have = list.map(key).join('|');
  for (const t of topics) if (topicForces(t, kOf).map(key).join('|') === have && list.length) return t.name;
  return null;
}

// Where `text` mentions the topic: [[start, end), ...] of the case-insensitive matches of its regex
// (empty matches skipped).
export function mentions(text, regexSource) {
  const re = new RegExp(regexSource, 'gi');
  const out = [];
  for (const m of text.matchAll(re)) if (m[0].length) out.push([m.index, m.index + m[0].length]);
  return out;
}
