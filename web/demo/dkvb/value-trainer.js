// value-trainer.js — values-only training of a DKVB with the codebook-voting decoder, in the page.
// As the trainer (tools/python/dkvb/continual.py) does it: keys are frozen, so a task's samples
// pick the same pairs at every step — the library picks them once per task (without the used-pair
// mask) — and each step computes the logits from those picks and the values (mean over heads), the
// mean cross-entropy, and its gradient, which reaches only the picked values: d loss / d V[c][key]
// = sum over the samples that picked `key` in head c of (softmax - target) / (n * heads). Adam
// (fresh per task) updates the values, which then go back into the library. The test
// web/test/browser/dkvb-logic.test.mjs checks these steps against torch.
import { Adam } from './adam.js';
import { crossEntropyGrad } from './mlp.js';

// Codebook-voting logits of n samples from their picks (n x heads) and the values: the mean over
// heads of the picked value rows, (n x classes).
export function votingLogits(values, picked, n, { heads, keys, classes }) {
  const out = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < heads; c++) {
      const row = (c * keys + picked[i * heads + c]) * classes;
      for (let j = 0; j < classes; j++) out[i * classes + j] += values[row + j];
    }
    for (let j = 0; j < classes; j++) out[i * classes + j] /= heads;
  }
  return out;
}

export class ValueTrainer {
  // values: Float32Array [heads x keys x classes], the model's value table (the trainer's copy;
  // write it back with the model after each step). Options: lr, labelSmoothing.
  constructor(values, { heads, keys, classes, lr = 1e-3, labelSmoothing = 0 }) {
    if (values.length !== heads * keys * classes) throw new Error(`values hold ${values.length} floats, not ${heads}x${keys}x${classes}`);
    Object.assign(this, { values, heads, keys, classes, lr, labelSmoothing });
    this.optimizer = null;
  }

  // A fresh Adam state (the start of a task).
  resetOptimizer() {
    this.optimizer = new Adam([this.values], { lr: this.lr });
  }

  // One step on samples with picks (n x heads, from the library) and labels y; returns the loss
  // before the step.
  step(picked, y) {
    return this.stepFrom(votingLogits(this.values, picked, y.length, this), picked, y);
  }

  // The same with the logits (n x classes) of those picks given.
  stepFrom(logits, picked, y) {
    const { heads, keys, classes } = this;
    const n = y.length;
    const { loss, grad } = crossEntropyGrad(logits, y, classes, this.labelSmoothing);
    const g = new Float64Array(this.values.length);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < heads; c++) {
        const key = picked[i * heads + c];
        if (key < 0 || key >= keys) continue;
        const row = (c * keys + key) * classes;
        for (let k = 0; k < classes; k++) g[row + k] += grad[i * classes + k] / heads;
      }
    }
    if (!this.optimizer) this.resetOptimizer();
    this.optimizer.step([g]);
    return loss;
  }
}
