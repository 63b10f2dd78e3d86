// The "Steer to" row (one button per topic of the open model, and "no steering") and, after a run,
// whether each continuation mentions the topic: its text with the topic regex's matches marked —
// the live version of the paper's steering measurement (topics.js has the rules).
import { h } from './dom.js';
import { mentions } from './topics.js';

// topics: findTopics()'s list; active: the steered topic's name or null.
export function renderTopicRow(root, topics, active, { onSteer, onClear }) {
  root.hidden = topics.length === 0;
  if (!topics.length) return root.replaceChildren();
  root.replaceChildren(
    h('span', { class: 'muted small' }, 'Steer to'),
    ...topics.map((t) => h('button', {
      class: 'topic' + (t.name === active ? ' active' : ''), dataset: { topic: t.name },
      title: `force the ${t.codes.length} “topic: ${t.name}” code${t.codes.length > 1 ? 's' : ''} at every position (regex /${t.regex}/i)`,
      onclick: () => onSteer(t),
    }, `steer to: ${t.name}`)),
    h('button', { id: 'topic-none', class: 'topic' + (active ? '' : ' active'), onclick: onClear }, 'no steering'));
}

// texts: [{title, text, cls}] (the continuations shown); topics: those to look for.
export function renderMentions(root, texts, topics) {
  root.hidden = topics.length === 0;
  if (!topics.length) return root.replaceChildren();
  root.replaceChildren(...texts.map(({ title, text, cls }) => {
    const found = topics.map((t) => ({ t, ranges: mentions(text, t.regex) }));
    const verdicts = found.map(({ t, ranges }) => h('span', {
      class: 'verdict ' + (ranges.length ? 'yes' : 'no'), dataset: { topic: t.name, count: ranges.length },
    }, `${ranges.length ? 'mentions' : 'does not mention'} ${t.name}${ranges.length ? ` (${ranges.length}×)` : ''}`));
    return h('div', { class: 'mention ' + cls, dataset: { text } },
      h('h3', {}, title, ' ', ...verdicts),
      h('p', { class: 'mention-text' }, marked(text, found)));
  }));
}

// The text as nodes with <mark> around every match (a match overlapping an earlier one stays unmarked).
function marked(text, found) {
  const spans = found.flatMap(({ t, ranges }) => ranges.map(([a, b]) => ({ a, b, name: t.name }))).sort((x, y) => x.a - y.a);
  const out = [];
  let at = 0;
  for (const s of spans) {
    if (s.a < at) continue;
    if (s.a > at) out.push(text.slice(at, s.a));
    out.push(h('mark', { dataset: { topic: s.name } }, text.slice(s.a, s.b)));
    at = s.b;
  }
  out.push(text.slice(at));
  return out;
}
