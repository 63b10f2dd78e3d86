// The DKVB demo page: loads a DKVB model (models/dkvb-toy.cbk by default) into the WebAssembly
// library, plays the toy's 4-task stream with values-only training for the DKVB (the library
// classifies, value-trainer.js updates the values, the library gets them back) and an MLP in JS
// beside it, and wires hover and steering. State lives here; plane.js draws, steering.js steers.
import { $, fmt, h } from '../dom.js';
import { load } from '../../src/cbk.js';
import { PlaneView, cssColor, keysInPlane } from './plane.js';
import { wireSteering } from './steering.js';
import { ACC_DONE, StreamPlayer } from './stream.js';
import { N_CLASSES, TASKS, argmax } from './toy.js';

const DEFAULT_MODEL = '../../../models/dkvb-toy.cbk';
const params = new URLSearchParams(location.search);

const state = {
  model: null, clf: null, facts: null, name: '',
  keys: null,              // [{head, key, x, y}] in the plane, or null
  player: null,
  hover: null, picked: null,
  running: false,
  stepsPerFrame: 25,
  frames: 0,
};
window.__dkvb = state;  // for the browser tests and the console

const dkvbView = new PlaneView($('dkvb-plane'));
const mlpView = new PlaneView($('mlp-plane'));
state.views = { dkvb: dkvbView, mlp: mlpView };

function showError(e, context = '') {
  const box = $('error');
  box.replaceChildren(context ? context + ': ' : '', h('span', { class: 'status' }, e?.status || 'error'),
    ' — ' + (e?.detail || e?.message || String(e)), ' ', h('button', { class: 'small', onclick: () => (box.hidden = true) }, 'dismiss'));
  box.hidden = false;
}

// ---- loading -----------------------------------------------------------------------------------

async function open(source, name) {
  $('load-text').textContent = `loading ${name}…`;
  let model;
  try {
    model = await load(source);
    const why = model.kind !== 'dkvb' ? `${name} is a ${model.kind} model; this page needs a DKVB model`
      : model.dkvb.inputDim !== 2 ? `${name} classifies ${model.dkvb.inputDim}-D inputs; this page draws the plane` : '';
    if (why) {
      model.dispose();
      throw Object.assign(new Error(why), { status: 'unsupported' });
    }
  } catch (e) {
    $('load-text').textContent = state.model ? '' : 'no model loaded';
    showError(e, `Cannot open ${name}`);
    return;
  }
  stop();
  state.clf?.dispose();
  state.picker?.dispose();
  state.model?.dispose();
  const clf = model.createClassifier();
  const picker = model.createClassifier();
  Object.assign(state, { model, clf, picker, facts: model.dkvb, name });
  const f = state.facts;
  state.keys = keysInPlane(model.dkvbKeys(), projectionOf(model), f);
  $('model-name').textContent = name;
  $('load-text').textContent = '';
  $('dkvb-facts').textContent = `${f.heads} head${f.heads > 1 ? 's' : ''} × ${f.keys} keys, in WebAssembly`;
  state.player = new StreamPlayer(clf, picker, f, { seed: Number(params.get('seed') ?? 1) });
  // The in-page trainer is the voting decoder's, on the toy's 8 classes.
  state.trainable = f.decoder === 'voting' && f.classes === N_CLASSES;
  for (const b of ['play', 'step-task', 'reset']) $(b).disabled = !state.trainable;
  if (!state.trainable) $('progress').textContent = `training here needs the voting decoder and ${N_CLASSES} classes`;
  wireSteering(state, { refresh, showError });
  refresh();
  document.body.dataset.loaded = '1';
}

// The projection [heads x keyDim x embedDim] from the model's tensor table (the name the cbkfile
// writer gives it), null without one; undefined when it cannot be read (the keys are not drawn).
function projectionOf(model) {
  if (!model.dkvb.hasProjection) return null;
  try {
    return model.tensor('dkvb.projection', 'model').toFloat32();
  } catch {
    return undefined;
  }
}

// ---- playing the stream ------------------------------------------------------------------------

function frame() {
  if (!state.running) return;
  try {
    const p = state.player;
    const target = state.stopAtTask ?? TASKS.length;
    p.run(state.stepsPerFrame, target);
    if (p.task >= target) stop();
  } catch (e) {
    stop();
    showError(e, 'Training');
  }
  refresh();
  if (state.running) requestAnimationFrame(frame);
}

function start(stopAtTask) {
  if (state.player.done || !state.player.started) {
    state.player.reset();
    state.onReset?.();
  }
  state.stopAtTask = stopAtTask;
  state.running = true;
  $('pause').disabled = false;
  $('play').disabled = $('step-task').disabled = true;
  requestAnimationFrame(frame);
}

function stop() {
  state.running = false;
  $('pause').disabled = true;
  $('play').disabled = $('step-task').disabled = !state.player || !state.trainable;
}

$('play').onclick = () => start(TASKS.length);
$('step-task').onclick = () => start(Math.min(TASKS.length, state.player.task + 1));
$('pause').onclick = stop;
$('reset').onclick = () => { stop(); state.player.reset(); state.onReset?.(); refresh(); };
$('speed').onchange = (e) => (state.stepsPerFrame = Number(e.target.value));

// ---- drawing -----------------------------------------------------------------------------------

function refresh() {
  const p = state.player;
  if (!p) return;
  const f = state.facts;
  dkvbView.setRegions(state.clf.classifyBatch(dkvbView.grid).logits, f.classes);
  mlpView.setRegions(p.mlp.forward(mlpView.grid), N_CLASSES);
  const points = p.tasks.map((t, i) => ({ x: t.x, y: t.y, faded: p.started && i !== p.currentTaskIndex }))
    .filter((_, i) => !p.started || i <= p.currentTaskIndex);
  const keys = (state.keys ?? []).map((k) => ({ ...k, dormant: !state.clf.pairSearchable(k.head, k.key) }));
  dkvbView.draw({ points, keys, picked: state.picked, hover: state.hover });
  mlpView.draw({ points, hover: state.hover });
  if (state.trainable) $('progress').textContent = !p.started ? 'the values as the file shipped them; Play trains them from zero'
    : p.done ? 'all 4 tasks learnt' : p.task < TASKS.length
    ? `task ${p.task + 1} of 4 (classes ${TASKS[p.task].join(' & ')}): step ${p.step} of ${p.stepsPerTask}` : '';
  $('dkvb-acc').textContent = `accuracy on all 8 classes now: ${fmt.pct(p.accNow.dkvb)}`;
  $('mlp-acc').textContent = `accuracy on all 8 classes now: ${fmt.pct(p.accNow.mlp)}`;
  $('acc-table').tBodies[0].replaceChildren(...p.history.map((r) => h('tr', {},
    h('td', {}, String(r.task + 1)), h('td', {}, TASKS[r.task].join(' & ')),
    h('td', { class: kept(r.dkvb, r.task) }, fmt.pct(r.dkvb)), h('td', { class: kept(r.mlp, r.task) }, fmt.pct(r.mlp)))));
  state.frames++;
  document.body.dataset.task = String(p.task);
}

// Green when a learner keeps (ACC_DONE of) every class seen so far, red when it lost some.
const kept = (acc, task) => (acc >= ACC_DONE * (2 * (task + 1)) / N_CLASSES ? 'good' : 'bad');

$('legend').replaceChildren(...Array.from({ length: N_CLASSES }, (_, c) =>
  h('span', {}, h('span', { class: 'sw', style: { background: cssColor(c) } }), `class ${c}`)));

// ---- hover: the key each head picked -----------------------------------------------------------

function hoverAt(ev) {
  if (!state.clf) return;
  const rect = ev.target.getBoundingClientRect();
  const px = (ev.clientX - rect.left) * ev.target.width / rect.width;
  const py = (ev.clientY - rect.top) * ev.target.height / rect.height;
  const [x, y] = dkvbView.toPlane(px, py);
  state.hover = [x, y];
  showPicked(x, y);
  refresh();
}

function showPicked(x, y) {
  const f = state.facts;
  const { logits, keys } = state.clf.classify([x, y]);
  state.picked = new Set(Array.from(keys, (k, c) => `${c}:${k}`));
  const forced = state.clf.forcedKeys();
  $('hover-where').textContent = `(${x.toFixed(3)}, ${y.toFixed(3)}) → class ${argmax(logits)}`;
  $('hover-keys').replaceChildren(...Array.from(keys, (k, c) => {
    const row = k >= 0 ? state.clf.valueRow(c, k) : null;
    const vote = row ? argmax(row) : -1;
    return h('span', { class: forced[c] >= 0 ? 'forced' : '', title: row ? `value: ${Array.from(row, (v) => v.toFixed(2)).join(' ')}` : 'no key' },
      `h${c}: k${k}`, vote >= 0 ? h('span', { style: { color: cssColor(vote) } }, ` ▶${vote}`) : '');
  }));
  document.body.dataset.hoverKeys = Array.from(keys).join(',');
}

// A click on the DKVB plane selects the key the steering head picked there (or head 0's).
$('dkvb-plane').addEventListener('click', (ev) => {
  hoverAt(ev);
  if (!state.hover) return;
  const { keys } = state.clf.classify(state.hover);
  const head = $('steer-head').value === 'all' ? 0 : Number($('steer-head').value);
  $('steer-key').value = String(keys[head]);
  $('steer-key').dispatchEvent(new Event('input'));
});

for (const canvas of [$('dkvb-plane'), $('mlp-plane')]) {
  canvas.addEventListener('mousemove', hoverAt);
  canvas.addEventListener('mouseleave', () => { state.hover = null; state.picked = null; refresh(); });
}

// ---- start -------------------------------------------------------------------------------------

$('file-input').onchange = (e) => {
  const file = e.target.files?.[0];
  if (file) open(file, file.name);
};
state.stepsPerFrame = Number(params.get('speed') ?? $('speed').value);
const url = params.get('model') ?? DEFAULT_MODEL;
open(url, url.split('/').pop());
