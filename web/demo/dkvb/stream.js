// stream.js — plays the toy's task stream for both learners in lockstep: per task, a fresh
// optimiser and STEPS_PER_TASK full-batch steps on the task's 100 samples; after each task both
// are scored on a held-out set of all 8 classes. The DKVB is classified by the library (clf) and
// only its values change; the MLP is plain JS.
import { Mlp } from './mlp.js';
import { ValueTrainer } from './value-trainer.js';
import { STEPS_PER_TASK, TASKS, accuracy, makeStream, rng } from './toy.js';

export const ACC_DONE = 0.9;  // the table marks a score at or above this as kept
const DKVB_LR = 1e-3;
const MLP_LR = 1e-3;

export class StreamPlayer {
  constructor(clf, facts, { seed = 1, stepsPerTask = STEPS_PER_TASK } = {}) {
    Object.assign(this, { clf, facts, seed, stepsPerTask });
    const { tasks, test } = makeStream(seed);
    this.tasks = tasks;
    this.test = test;
    // Until the first reset the classifier shows the values the file shipped with.
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

  // Values back to zero (the trainer's start), a new MLP, no history.
  reset() {
    this.started = true;
    const { heads, keys, classes } = this.facts;
    this.values = new Float32Array(heads * keys * classes);
    this.clf.setValues(this.values);
    this.trainer = new ValueTrainer(this.values, { heads, keys, classes, lr: DKVB_LR });
    this.mlp = new Mlp({ uniform: rng(this.seed + 1000) });
    this.task = 0;
    this.step = 0;
    this.history = [];  // [{task, dkvb, mlp}] all-class accuracy after each task
    this.evaluate();
  }

  // Up to n training steps, stopping at the end of task `untilTask - 1`.
  run(n, untilTask = TASKS.length) {
    for (let i = 0; i < n && this.task < untilTask; i++) {
      const t = this.tasks[this.task];
      if (this.step === 0) {
        this.trainer.resetOptimizer();
        this.mlp.resetOptimizer(MLP_LR);
      }
      const r = this.clf.classifyBatch(t.x);
      this.trainer.step(r.logits, r.keys, t.y);
      this.clf.setValues(this.values);
      this.mlp.step(t.x, t.y);
      if (++this.step === this.stepsPerTask) {
        this.evaluate();
        this.history.push({ task: this.task, ...this.accNow });
        this.task++;
        this.step = 0;
      }
    }
    if (this.step % 50 === 0) this.evaluate();
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
