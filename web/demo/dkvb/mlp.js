// mlp.js — the baseline of the toy: an MLP 2 -> 32 -> ReLU -> 8, trained on the same task stream
// with full-batch cross-entropy and Adam (lr 1e-3, a fresh optimiser per task), in plain JS. It is
// the model that forgets: after the last task it predicts only the newest classes.
import { Adam } from './adam.js';

export class Mlp {
  // Weights as torch.nn.Linear initialises them: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  constructor({ inputs = 2, hidden = 32, outputs = 8, uniform = Math.random } = {}) {
    Object.assign(this, { inputs, hidden, outputs });
    const init = (n, fanIn) => Float32Array.from({ length: n }, () => (2 * uniform() - 1) / Math.sqrt(fanIn));
    this.w1 = init(hidden * inputs, inputs);   // [hidden, inputs], row-major as torch stores it
    this.b1 = init(hidden, inputs);
    this.w2 = init(outputs * hidden, hidden);  // [outputs, hidden]
    this.b2 = init(outputs, hidden);
    this.optimizer = null;
  }

  get params() { return [this.w1, this.b1, this.w2, this.b2]; }

  // Logits of n inputs x (n x inputs, row-major) -> Float32Array(n x outputs); `hiddenOut`, when
  // given, receives the post-ReLU activations (n x hidden).
  forward(x, n = x.length / this.inputs, hiddenOut = null) {
    const { inputs: I, hidden: H, outputs: O } = this;
    const out = new Float32Array(n * O);
    const a = hiddenOut ?? new Float32Array(n * H);
    for (let i = 0; i < n; i++) {
      for (let h = 0; h < H; h++) {
        let s = this.b1[h];
        for (let k = 0; k < I; k++) s += this.w1[h * I + k] * x[i * I + k];
        a[i * H + h] = s > 0 ? s : 0;
      }
      for (let o = 0; o < O; o++) {
        let s = this.b2[o];
        for (let h = 0; h < H; h++) s += this.w2[o * H + h] * a[i * H + h];
        out[i * O + o] = s;
      }
    }
    return out;
  }

  // A fresh Adam state (the start of a task).
  resetOptimizer(lr = 1e-3) {
    this.optimizer = new Adam(this.params, { lr });
  }

  // One full-batch step of mean cross-entropy on (x, y); returns the loss before the step.
  step(x, y) {
    const { inputs: I, hidden: H, outputs: O } = this;
    const n = y.length;
    const a = new Float32Array(n * H);
    const logits = this.forward(x, n, a);
    const { loss, grad } = crossEntropyGrad(logits, y, O);
    const gw1 = new Float64Array(this.w1.length), gb1 = new Float64Array(H);
    const gw2 = new Float64Array(this.w2.length), gb2 = new Float64Array(O);
    const da = new Float64Array(H);
    for (let i = 0; i < n; i++) {
      da.fill(0);
      for (let o = 0; o < O; o++) {
        const g = grad[i * O + o];
        gb2[o] += g;
        for (let h = 0; h < H; h++) {
          gw2[o * H + h] += g * a[i * H + h];
          da[h] += g * this.w2[o * H + h];
        }
      }
      for (let h = 0; h < H; h++) {
        if (a[i * H + h] <= 0) continue;  // ReLU's gradient is 0 at 0, as torch's
        gb1[h] += da[h];
        for (let k = 0; k < I; k++) gw1[h * I + k] += da[h] * x[i * I + k];
      }
    }
    if (!this.optimizer) this.resetOptimizer();
    this.optimizer.step([gw1, gb1, gw2, gb2]);
    return loss;
  }
}

// Mean cross-entropy of logits (n x classes) against labels y, and its gradient with respect to
// the logits: (softmax - onehot) / n, with optional label smoothing as torch's cross_entropy.
export function crossEntropyGrad(logits, y, classes, labelSmoothing = 0) {
  const n = y.length;
  const grad = new Float64Array(n * classes);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const off = i * classes;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[off + c]);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[off + c] - max);
    const logSum = Math.log(sum) + max;
    for (let c = 0; c < classes; c++) {
      const target = (c === y[i] ? 1 - labelSmoothing : 0) + labelSmoothing / classes;
      loss -= target * (logits[off + c] - logSum);
      grad[off + c] = (Math.exp(logits[off + c] - logSum) - target) / n;
    }
  }
  return { loss: loss / n, grad };
}
