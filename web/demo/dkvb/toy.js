// toy.js — the data of the DKVB paper's 2-D toy (Träuble et al. 2023, Figure 2): 8 isotropic
// Gaussian classes (sigma 0.035) at the 3x3 grid points of the unit square minus the centre,
// presented as 4 tasks of 2 classes, 100 samples per task (class by coin flip). Seeded, so a
// page reload and the tests see the same stream.

export const SIGMA = 0.035;
export const N_CLASSES = 8;
export const SAMPLES_PER_TASK = 100;
export const STEPS_PER_TASK = 1000;
// Class means by class id; the tasks pair class t with class t + 4.
export const MEANS = [
  [0.25, 0.25], [0.75, 0.25], [0.75, 0.75], [0.25, 0.75],
  [0.75, 0.5], [0.5, 0.75], [0.25, 0.5], [0.5, 0.25],
];
export const TASKS = [[0, 4], [1, 5], [2, 6], [3, 7]];

// mulberry32: a small, fast, seeded uniform generator in [0, 1).
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Standard normal draws from a uniform generator (Box-Muller, both halves used).
export function gaussian(uniform) {
  let spare = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = Math.max(uniform(), 1e-12);
    const r = Math.sqrt(-2 * Math.log(u));
    const t = 2 * Math.PI * uniform();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
}

// n samples drawn from `classes` (each sample's class uniformly among them):
// {x: Float32Array(n*2) row-major, y: Int32Array(n)}.
export function sample(classes, n, uniform) {
  const normal = gaussian(uniform);
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = classes[Math.min(classes.length - 1, Math.floor(uniform() * classes.length))];
    y[i] = c;
    x[2 * i] = MEANS[c][0] + SIGMA * normal();
    x[2 * i + 1] = MEANS[c][1] + SIGMA * normal();
  }
  return { x, y };
}

// `perClass` samples of every class, class by class: {x, y} as sample()'s.
export function sampleBalanced(perClass, uniform) {
  const normal = gaussian(uniform);
  const x = new Float32Array(2 * perClass * N_CLASSES);
  const y = new Int32Array(perClass * N_CLASSES);
  for (let i = 0; i < y.length; i++) {
    const c = Math.floor(i / perClass);
    y[i] = c;
    x[2 * i] = MEANS[c][0] + SIGMA * normal();
    x[2 * i + 1] = MEANS[c][1] + SIGMA * normal();
  }
  return { x, y };
}

// The 4-task stream and a held-out test set with `testPerClass` samples of every class.
export function makeStream(seed = 1, testPerClass = 50) {
  const u = rng(seed);
  const tasks = TASKS.map((classes) => ({ classes, ...sample(classes, SAMPLES_PER_TASK, u) }));
  return { tasks, test: sampleBalanced(testPerClass, u) };
}

// Fraction of rows whose argmax of `logits` (n x classes, row-major) equals the label.
export function accuracy(logits, labels, classes = N_CLASSES) {
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (argmax(logits, i * classes, classes) === labels[i]) right++;
  return labels.length ? right / labels.length : 0;
}

export function argmax(v, offset = 0, n = v.length - offset) {
  let best = 0;
  for (let j = 1; j < n; j++) if (v[offset + j] > v[offset + best]) best = j;
  return best;
}
