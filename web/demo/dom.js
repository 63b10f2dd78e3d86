// Small DOM helpers shared by the page's modules.

// h('div', {class: 'x', onclick: f}, child, 'text', [more children]) -> element
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style' && typeof v === 'object') for (const [p, x] of Object.entries(v)) el.style.setProperty(p.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()), x);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export const $ = (id) => document.getElementById(id);

// A token's text made visible: spaces and newlines shown, empty text as ∅.
export function showToken(text) {
  if (text === '') return '∅';
  return text.replace(/\n/g, '↵').replace(/\t/g, '⇥').replace(/^ | $/g, '·');
}

export const fmt = {
  int: (n) => String(Math.round(Number(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ','),  // toLocaleString loads ICU data: slow
  pct: (x, digits = 1) => (100 * x).toFixed(digits) + ' %',
  bytes: (n) => (n >= 1 << 20 ? (n / (1 << 20)).toFixed(1) + ' MiB' : n >= 1024 ? (n / 1024).toFixed(1) + ' KiB' : n + ' B'),
  num: (x, digits = 3) => (Number.isFinite(x) ? Number(x).toFixed(digits) : '–'),
};

// Horizontal bars for a distribution: items [{label, p, title?}], best first.
export function bars(title, items, cls = '') {
  const max = Math.max(1e-9, ...items.map((i) => i.p));
  return h('div', { class: 'dist ' + cls },
    h('h3', {}, title),
    items.map((i) => h('div', { class: 'bar-row', title: i.title || '' },
      h('span', { class: 'tok' }, i.label),
      h('span', {}, h('div', { class: 'bar', style: { width: (100 * i.p / max).toFixed(1) + '%' } })),
      h('span', { class: 'p' }, i.text ?? fmt.pct(i.p)))));
}
