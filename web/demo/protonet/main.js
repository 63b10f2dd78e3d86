// The prototype-network page: loads a prototype network (models/protonet-fashion.cbk by default,
// ?model=URL to choose another) into the WebAssembly library and shows, for the drawing on the pad,
// the distance to every prototype (with its decoded image), the nearest ones, the class
// probabilities and the decoded latent; edits (make the drawing a prototype, move A toward B,
// remove one) go through the library's Protonet handle. No network code in JavaScript.
import { $, fmt, h } from '../dom.js';
import { load } from '../../src/cbk.js';
import { DrawingPad, paintImage } from './pad.js';

const DEFAULT_MODEL = '../../../models/protonet-fashion.cbk';
const params = new URLSearchParams(location.search);

const state = {
  model: null, net: null, facts: null, name: '',
  result: null,            // the drawing's last classification
  renders: [],             // decoded prototype images by id (null while removed)
  interp: null,            // {a, b, t, original: Float32Array} while A is moved toward B
  testImages: [],
};
window.__protonet = state;  // for the browser tests and the console

const pad = new DrawingPad($('pad'), () => update());
state.pad = pad;

function showError(e, context = '') {
  const box = $('error');
  box.replaceChildren(context ? context + ': ' : '', h('span', { class: 'status' }, e?.status || 'error'),
    ' — ' + (e?.detail || e?.message || String(e)), ' ', h('button', { class: 'small', onclick: () => (box.hidden = true) }, 'dismiss'));
  box.hidden = false;
}

// Runs an action of the page; a CbkError (or any error) is shown instead of thrown.
function guard(fn, context) {
  return (...args) => {
    try {
      return fn(...args);
    } catch (e) {
      showError(e, context);
      return undefined;
    }
  };
}

// ---- loading -----------------------------------------------------------------------------------

async function open(source, name) {
  $('load-text').textContent = `loading ${name}…`;
  let model;
  try {
    model = await load(source);
    if (model.kind !== 'protonet' || model.protonet.prototypes === 0) {
      const what = model.kind === 'protonet' ? 'a baseline (no prototypes)' : `a ${model.kind} model`;
      model.dispose();
      throw Object.assign(new Error(`${name} is ${what}; this page needs a prototype network`), { status: 'unsupported' });
    }
  } catch (e) {
    $('load-text').textContent = state.model ? '' : 'no model loaded';
    showError(e, `Cannot open ${name}`);
    return;
  }
  state.net?.dispose();
  state.model?.dispose();
  Object.assign(state, { model, net: model.createProtonet(), facts: model.protonet, name, interp: null });
  const f = state.facts;
  $('model-name').textContent = name;
  $('load-text').textContent = '';
  $('pn-facts').textContent = `${f.height}×${f.width}, latent ${f.latentDim}, ${f.prototypes} prototypes, ${f.classes} classes`;
  $('error').hidden = true;
  renderPrototypes();
  fillSelects();
  update();
  document.body.dataset.loaded = String(Number(document.body.dataset.loaded || 0) + 1);
}

// ---- the network on the drawing ------------------------------------------------------------------

// The class a prototype votes for: its most negative weight (logits = d . W, a small d helps there).
function votes(id) {
  const w = state.net.prototype(id).weights;
  let best = 0;
  for (let c = 1; c < w.length; c++) if (w[c] < w[best]) best = c;
  return best;
}

// Decoded images of the active prototypes, the class the network gives each image (what the
// prototype looks like to it, as `cbk prototypes` prints) and the class of its most negative weight.
function renderPrototypes() {
  const net = state.net;
  state.removed = net.removed();
  state.votes = state.removed.map((_, id) => votes(id));
  state.renders = state.removed.map((gone, id) => (gone ? null : net.renderPrototype(id)));
  state.seenAs = state.renders.map((img) => (img ? net.classify(img).predicted : -1));
}

const update = guard(() => {
  if (!state.net) return;
  const image = pad.image();
  const r = state.net.classify(image);
  state.result = r;
  paintImage($('recon'), state.net.reconstruct(image));
  showDecision(r);
  showPrototypes(r);
  showInterpolation();
  document.body.dataset.runs = String(Number(document.body.dataset.runs || 0) + 1);
}, 'Classify');

function showDecision(r) {
  const names = state.facts.classNames;
  $('pred').textContent = r.className;
  $('pred').dataset.cls = String(r.predicted);
  $('pred-p').textContent = fmt.pct(r.probabilities[r.predicted]);
  $('nearest-text').textContent = Array.from(r.nearest.slice(0, 3), (id) => `#${id} (${fmt.num(r.distances[id], 2)})`).join(', ');
  const rows = Array.from(r.probabilities, (p, c) => h('div', { class: 'row' + (c === r.predicted ? ' best' : ''), dataset: { cls: String(c) } },
    h('span', {}, names[c]), h('span', {}, h('div', { class: 'bar', style: { width: (100 * p).toFixed(1) + '%' } })),
    h('span', { class: 'p' }, fmt.pct(p))));
  $('probs').replaceChildren(h('h3', { class: 'small muted' }, 'class probabilities'), ...rows);
}

function showPrototypes(r) {
  const names = state.facts.classNames;
  const rank = new Map(Array.from(r.nearest, (id, i) => [id, i]));
  let max = 0;
  for (const id of r.nearest) max = Math.max(max, r.distances[id]);
  const rows = [];
  for (let id = 0; id < state.facts.prototypes; id++) {
    if (state.removed[id]) continue;
    const k = rank.get(id);
    const d = r.distances[id];
    const canvas = h('canvas', { width: state.facts.width, height: state.facts.height, class: 'pix' });
    paintImage(canvas, state.renders[id]);
    rows.push(h('div', { class: 'proto-row' + (k === 0 ? ' rank1' : k < 3 ? ' near' : ''), dataset: { id: String(id), rank: String(k) } },
      canvas,
      h('div', { class: 'who' },
        h('div', { title: `most negative weight: ${names[state.votes[id]]}` }, h('span', { class: 'id' }, `#${id}`), ' ', names[state.seenAs[id]], k < 3 ? h('span', { class: 'rank' }, `nearest ${k + 1}`) : null),
        h('div', { class: 'barwrap' }, h('div', { class: 'bar', style: { width: (100 * d / (max || 1)).toFixed(1) + '%' } }))),
      h('span', { class: 'd' }, fmt.num(d, 2)),
      h('button', { class: 'small remove', title: `remove prototype ${id}`, 'aria-label': `remove prototype ${id}`,
        onclick: () => removePrototype(id) }, '✕')));
  }
  $('proto-list').replaceChildren(...rows);
}

// ---- edits ----------------------------------------------------------------------------------------

function fillSelects() {
  const ids = [];
  for (let id = 0; id < state.facts.prototypes; id++) if (!state.net.prototype(id).removed) ids.push(id);
  const names = state.facts.classNames;
  const options = (sel, value, extra = []) => {
    const el = $(sel);
    el.replaceChildren(...extra, ...ids.map((id) => h('option', { value: String(id) }, `#${id} ${names[state.seenAs[id]]}`)));
    el.value = ids.includes(value) || value === 'nearest' ? String(value) : el.options[0]?.value ?? '';
  };
  options('make-target', $('make-target').value || 'nearest', [h('option', { value: 'nearest' }, 'the nearest')]);
  options('interp-a', Number($('interp-a').value || ids[0]));
  options('interp-b', Number($('interp-b').value || ids[1] || ids[0]));
}

const makePrototype = guard(() => {
  const sel = $('make-target').value;
  const id = sel === 'nearest' ? state.result.nearest[0] : Number(sel);
  endInterpolation();
  state.net.setPrototypeFromImage(id, pad.image());
  renderPrototypes();
  fillSelects();
  update();
}, 'Make a prototype');

const removePrototype = guard((id) => {
  if (state.interp && (state.interp.a === id || state.interp.b === id)) endInterpolation();
  state.net.removePrototype(id);
  renderPrototypes();
  fillSelects();
  update();
}, 'Remove a prototype');

const resetPrototypes = guard(() => {
  state.interp = null;
  $('interp-t').value = '0';
  state.net.reset();
  renderPrototypes();
  fillSelects();
  update();
}, 'Reset');

// A = (1 - t) A0 + t B, from A's value when the slider was first moved (A0).
const interpolate = guard(() => {
  const a = Number($('interp-a').value);
  const b = Number($('interp-b').value);
  const t = Number($('interp-t').value);
  if (!state.interp || state.interp.a !== a || state.interp.b !== b) {
    endInterpolation();
    state.interp = { a, b, t: 0, original: state.net.prototype(a).latent };
  }
  state.net.setPrototype(a, state.interp.original);
  if (a !== b) state.net.interpolate(a, a, b, t);
  state.interp.t = t;
  renderPrototypes();
  update();
}, 'Interpolate');

function endInterpolation() {
  if (!state.interp) return;
  state.net.setPrototype(state.interp.a, state.interp.original);
  state.interp = null;
  $('interp-t').value = '0';
  renderPrototypes();
}

function showInterpolation() {
  const a = Number($('interp-a').value);
  const t = Number($('interp-t').value);
  $('interp-t-out').textContent = t.toFixed(2);
  const img = Number.isInteger(a) && state.renders[a];
  if (!img) return;
  paintImage($('interp-img'), img);
  const r = state.net.classify(img);  // the rendered A through the network
  $('interp-class').textContent = `${r.className} (${fmt.pct(r.probabilities[r.predicted])})`;
  $('interp-votes').textContent = state.facts.classNames[state.votes[a]];
}

// ---- test images ----------------------------------------------------------------------------------

async function loadTestImages() {
  const data = await (await fetch(new URL('test-images.json', import.meta.url))).json();
  state.testImages = data.images.map((im) => ({ ...im, bytes: Uint8Array.from(atob(im.pixels), (c) => c.charCodeAt(0)) }));
  $('test-image').append(...state.testImages.map((im, i) => h('option', { value: String(i) }, `${im.name} (#${im.index})`)));
}

function pickTestImage() {
  const i = $('test-image').value;
  if (i !== '') pad.setBytes(state.testImages[Number(i)].bytes);
}

// ---- wiring ---------------------------------------------------------------------------------------

$('clear').addEventListener('click', () => { $('test-image').value = ''; pad.clear(); });
$('brush').addEventListener('change', () => { pad.radius = Number($('brush').value); });
$('test-image').addEventListener('change', pickTestImage);
$('make-proto').addEventListener('click', makePrototype);
$('reset').addEventListener('click', resetPrototypes);
$('interp-t').addEventListener('input', interpolate);
$('interp-a').addEventListener('change', guard(() => { endInterpolation(); update(); }, 'Interpolate'));
$('interp-b').addEventListener('change', guard(() => { endInterpolation(); update(); }, 'Interpolate'));
$('interp-restore').addEventListener('click', guard(() => { endInterpolation(); update(); }, 'Interpolate'));
$('file-input').addEventListener('change', (e) => {
  const file = e.target.files[0];
  if (file) open(file, file.name);
});

await loadTestImages().catch((e) => showError(e, 'Cannot read the test images'));
const modelUrl = params.get('model') ?? DEFAULT_MODEL;
await open(new URL(modelUrl, location.href), modelUrl.split('/').pop());
if (state.testImages.length && params.get('image') !== 'none') {
  $('test-image').value = '0';
  pickTestImage();
}
