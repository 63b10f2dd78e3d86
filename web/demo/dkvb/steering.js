// steering.js — the steering panel: force a head's key, set or swap a key's value, and "unlearn" a
// class by masking every (head, key) pair its training samples pick. Forcing and masking are the
// library's steering (clf.forceKey, clf.maskPairs); value edits change the value table the page
// trains (the player's copy, pushed with clf.setValues), so training continues from the edit.
// "Clear steering" lifts forces and masks and restores the values as they were before the first edit;
// the dormant-pair switch (the file's used-pair mask, or the pairs the page's training has not
// used) stays as set.
import { $, h } from '../dom.js';
import { argmax } from './toy.js';

export function wireSteering(state, { refresh, showError }) {
  const f = state.facts;
  let savedValues = null;  // the values before the first edit since the last clear

  $('steer-head').replaceChildren(h('option', { value: 'all' }, 'every head'),
    ...Array.from({ length: f.heads }, (_, c) => h('option', { value: String(c) }, String(c))));
  if (f.heads === 1) $('steer-head').value = '0';
  for (const id of ['value-class', 'unlearn-class']) {
    $(id).replaceChildren(...Array.from({ length: f.classes }, (_, c) => h('option', { value: String(c) }, `class ${c}`)));
  }
  $('steer-key').max = $('swap-key').max = String(f.keys - 1);
  const heads = () => ($('steer-head').value === 'all' ? Array.from({ length: f.heads }, (_, c) => c) : [Number($('steer-head').value)]);
  const key = (id) => Number($(id).value);

  const act = (what, fn) => () => {
    try {
      fn();
      $('steer-status').textContent = what;
      document.body.dataset.steered = String((Number(document.body.dataset.steered) || 0) + 1);
      showValue();
      refresh();
    } catch (e) {
      showError(e, what);
    }
  };
  // Before the first Play the values are the file's (player.values is a copy of them).
  const editValues = (fn) => {
    const v = state.player.values;
    savedValues ??= v.slice();
    fn(v);
    state.clf.setValues(v);
    state.player.evaluate();
  };
  const row = (v, c, k) => v.subarray((c * f.keys + k) * f.classes, (c * f.keys + k + 1) * f.classes);

  $('force-key').onclick = act('forced', () => {
    for (const c of heads()) state.clf.forceKey(c, key('steer-key'));
    state.player.evaluate();
  });
  // The key's vote moves to the chosen class: its largest entry and that class's entry swap
  // (an all-zero value gets a vote of 1).
  $('edit-value').onclick = act('value edited', () => editValues((v) => {
    const target = Number($('value-class').value);
    for (const c of heads()) {
      const r = row(v, c, key('steer-key'));
      const best = argmax(r);
      if (r[best] === 0) r[target] = 1;
      else [r[best], r[target]] = [r[target], r[best]];
    }
  }));
  $('swap-value').onclick = act('values swapped', () => editValues((v) => {
    for (const c of heads()) {
      const a = row(v, c, key('steer-key')), b = row(v, c, key('swap-key'));
      const t = a.slice();
      a.set(b);
      b.set(t);
    }
  }));
  // Every pair the class's training samples pick, in every task, masked out of the search.
  $('unlearn').onclick = act('class unlearnt', () => {
    const cls = Number($('unlearn-class').value);
    const pairs = new Set();
    for (const t of state.player.tasks) {
      const r = state.clf.classifyBatch(t.x);
      for (let i = 0; i < t.y.length; i++) {
        if (t.y[i] !== cls) continue;
        for (let c = 0; c < f.heads; c++) if (r.keys[i * f.heads + c] >= 0) pairs.add(c * f.keys + r.keys[i * f.heads + c]);
      }
    }
    const heads = Array.from(pairs, (p) => Math.floor(p / f.keys));
    const keys = Array.from(pairs, (p) => p % f.keys);
    state.clf.maskPairs(heads, keys);
    state.player.evaluate();
    $('steer-status').dataset.masked = String(pairs.size);
  });
  // The library's clear also drops every value override, i.e. the trained values: they go back in.
  $('clear-steering').onclick = act('steering cleared', () => {
    state.clf.clearSteering();
    if (savedValues) state.player.values.set(savedValues);
    savedValues = null;
    if (state.player.started) state.player.restore();
    else state.player.setMaskDormant(state.player.maskDormant);  // the library's clear turned the file mask back on
  });
  $('dormant-mask').onchange = act('dormant pairs', () => state.player.setMaskDormant($('dormant-mask').checked));
  // A reset of the stream drops all steering (and the saved values with it).
  state.onReset = () => {
    savedValues = null;
    $('steer-status').textContent = '';
    showValue();
  };
  for (const id of ['steer-head', 'steer-key']) $(id).oninput = showValue;

  function showValue() {
    const k = key('steer-key');
    const c = heads()[0];
    if (!(k >= 0 && k < f.keys)) return $('value-row').replaceChildren();
    const r = state.clf.valueRow(c, k);
    $('value-row').replaceChildren(`head ${c} key ${k}: [${Array.from(r, (x) => x.toFixed(2)).join(', ')}]`);
  }
  for (const b of ['force-key', 'edit-value', 'swap-value', 'unlearn', 'clear-steering', 'dormant-mask']) $(b).disabled = false;
  $('dormant-mask').checked = state.player.maskDormant;
  showValue();
}
