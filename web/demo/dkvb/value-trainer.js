// value-trainer.js — values-only training of a DKVB with the codebook-voting decoder, in the page.
// Keys are frozen, so a sample's picked key per head depends only on the input (and the steering):
// the library classifies the batch (logits and picked keys), and the gradient of the mean
// cross-entropy reaches only the picked values: d loss / d V[c][key] = sum over the samples that
// picked `key` in head c of (softmax - target) / (n * heads). Adam updates the values, which go
// back into the library. This is the update the trainer (tools/python/dkvb) makes; the test
// web/test/browser/dkvb-logic.test.mjs checks it against torch.
import { Adam } from './adam.js';
import { crossEntropyGrad } from './mlp.js';

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

  // One step from a classified batch: logits (n x classes) and picked keys (n x heads, -1 where a
  // head picked nothing) as the library returned them, labels y. Returns the loss before the step.
  step(logits, picked, y) {
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
