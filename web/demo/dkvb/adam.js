// adam.js — Adam as torch.optim.Adam computes it (no weight decay, no amsgrad): the page's two
// in-page learners (the DKVB's values, the baseline MLP) both use it, with a fresh state per task
// as the paper's toy does.

export class Adam {
  // params: the Float32Arrays it updates in place.
  constructor(params, { lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = {}) {
    Object.assign(this, { params, lr, beta1, beta2, eps, t: 0 });
    this.m = params.map((p) => new Float64Array(p.length));
    this.v = params.map((p) => new Float64Array(p.length));
  }

  // One step with grads[i] the gradient of params[i].
  step(grads) {
    this.t++;
    const { lr, beta1, beta2, eps } = this;
    const stepSize = lr / (1 - beta1 ** this.t);
    const correction2 = Math.sqrt(1 - beta2 ** this.t);
    this.params.forEach((p, i) => {
      const g = grads[i], m = this.m[i], v = this.v[i];
      for (let j = 0; j < p.length; j++) {
        m[j] = beta1 * m[j] + (1 - beta1) * g[j];
        v[j] = beta2 * v[j] + (1 - beta2) * g[j] * g[j];
        p[j] -= stepSize * m[j] / (Math.sqrt(v[j]) / correction2 + eps);
      }
    });
  }
}
