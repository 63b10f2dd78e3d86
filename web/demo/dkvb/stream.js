// stream.js — plays the toy's task stream for both learners in lockstep, as the trainer
// (tools/python/dkvb/train_toy.py, continual.py) does: per task, a fresh Adam and STEPS_PER_TASK
// full-batch steps on the task's 100 samples; after each task both are scored on a held-out set of
// all 8 classes. The DKVB's values start at zero and are its only trained tensor; a task's picks
// come from the library once (keys are frozen), without the used-pair mask, and count as used;
// evaluation (and the drawn regions) mask the pairs no task has used yet, as the trainer's
// evaluation does. The MLP is plain JS.
import { Mlp } from './mlp.js';
import { ValueTrainer } from './value-trainer.js';
import { STEPS_PER_TASK, TASKS, accuracy, makeStream, rng } from './toy.js';

export const ACC_DONE = 0.9;  // the table marks a score at or above this as kept
const DKVB_LR = 1e-3;
const MLP_LR = 1e-3;
const TEST_PER_CLASS = 100;

export class StreamPlayer {
  // clf: the classifier the page shows (and steers); picker: a second classifier on the same model
  // that only picks the training pairs (never steered, the file's mask off).
  constructor(clf, picker, facts, { seed = 1, stepsPerTask = STEPS_PER_TASK } = {}) {
    Object.assign(this, { clf, picker, facts, seed, stepsPerTask, maskDormant: true });
    const { tasks, test } = makeStream(seed, TEST_PER_CLASS);
    this.tasks = tasks;
    this.test = test;
    picker.useFileMask(false);
    // Until the first reset the classifier shows the model as the file shipped it.
    this.values = clf.values();
    this.mlp = new Mlp({ uniform: rng(seed + 1000) });
    this.started = false;
    this.task = 0;
    this.step = 0;
    this.history = [];
    this.evaluate();
  }

  get done() { return this.task >= TASKS.length; }
  // The task whose samples are drawn bright (the one being learnt, or the last one).
  get currentTaskIndex() { return Math.min(this.task, TASKS.length - 1); }

  // Values back to zero (the trainer's start), no pair used, a new MLP, no history, no steering.
  reset() {
    const { heads, keys, classes } = this.facts;
    this.started = true;
    this.values = new Float32Array(heads * keys * classes);
    this.used = new Uint32Array(heads * keys);
    this.unusedMasked = [];  // pair ids (head * keys + key) no task has used yet
    this.dormantApplied = false;  // whether the classifier masks them now
    this.trainer = new ValueTrainer(this.values, { heads, keys, classes, lr: DKVB_LR });
    this.mlp = new Mlp({ uniform: rng(this.seed + 1000) });
    this.task = 0;
    this.step = 0;
    this.picks = null;
    this.history = [];  // [{task, dkvb, mlp}] all-class accuracy after each task
    this.clf.clearSteering();
    this.restore();
  }

  // The classifier as training left it: the values, the file's mask off and the unused pairs masked.
  // Also after the library's clearSteering(), which drops all of that.
  restore() {
    if (!this.started) return;
    this.clf.useFileMask(false);
    this.dormantApplied = false;
    this._applyDormant(this.unusedMasked);
    this.clf.setValues(this.values);
    this.evaluate();
  }

  // Masks (on, the default) or lets the search see the dormant pairs: the file's used-pair mask
  // before the first Play, the pairs no task has used since.
  setMaskDormant(on) {
    this.maskDormant = on;
    if (this.started) this._applyDormant(this.unusedMasked);
    else this.clf.useFileMask(on);
    this.evaluate();
  }

  // Brings the classifier's dormant-pair mask to `unused` (none while maskDormant is off, or while no
  // pair is used: a head needs a searchable pair), changing only the pairs that differ.
  _applyDormant(unused) {
    const want = this.maskDormant && unused.length < this.used.length ? new Set(unused) : new Set();
    const have = this.dormantApplied ? new Set(this.unusedMasked) : new Set();
    this._mask([...have].filter((p) => !want.has(p)), false);
    this._mask([...want].filter((p) => !have.has(p)), true);
    this.unusedMasked = unused;
    this.dormantApplied = want.size > 0;
  }

  _mask(pairs, masked) {
    if (!pairs.length) return;
    const k = this.facts.keys;
    this.clf.maskPairs(pairs.map((p) => Math.floor(p / k)), pairs.map((p) => p % k), masked);
  }

  // The start of a task: its picks, counted as used; newly used pairs stop being dormant.
  _startTask(t) {
    const { heads, keys } = this.facts;
    this.picks = this.picker.classifyBatch(t.x).keys;
    for (let i = 0; i < this.picks.length; i++) this.used[(i % heads) * keys + this.picks[i]]++;
    const unused = [];
    for (let p = 0; p < this.used.length; p++) if (this.used[p] === 0) unused.push(p);
    this._applyDormant(unused);
    this.trainer.resetOptimizer();
    this.mlp.resetOptimizer(MLP_LR);
  }

  // Up to n training steps, stopping at the end of task `untilTask - 1`; the values go into the
  // library once at the end.
  run(n, untilTask = TASKS.length) {
    if (!this.started) this.reset();
    for (let i = 0; i < n && this.task < untilTask; i++) {
      const t = this.tasks[this.task];
      if (this.step === 0) this._startTask(t);
      this.trainer.step(this.picks, t.y);
      this.mlp.step(t.x, t.y);
      if (++this.step === this.stepsPerTask) {
        this.clf.setValues(this.values);
        this.evaluate();
        this.history.push({ task: this.task, ...this.accNow });
        this.task++;
        this.step = 0;
      }
    }
    this.clf.setValues(this.values);
    this.evaluate();
  }

  // All-8-class accuracy of both learners now, on the held-out set.
  evaluate() {
    const { x, y } = this.test;
    this.accNow = {
      dkvb: accuracy(this.clf.classifyBatch(x).logits, y, this.facts.classes),
      mlp: accuracy(this.mlp.forward(x), y),
    };
    return this.accNow;
  }
}
