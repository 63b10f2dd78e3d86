// The DKVB page's in-page learners under Node, against torch as the independent implementation
// (Debian's /usr/bin/python3 with torch, CBK_PYTHON to override): the values-only update
// (value-trainer.js: codebook-voting logits, mean cross-entropy, Adam on the value table with a
// fresh state per task) and the baseline MLP 2->32->8 (mlp.js, Adam) take the same steps as
// torch.optim.Adam on the same start, and the toy stream has the paper's classes and tasks.
//   node --test web/test/browser/dkvb-logic.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Mlp } from '../../demo/dkvb/mlp.js';
import { ValueTrainer } from '../../demo/dkvb/value-trainer.js';
import { MEANS, SIGMA, TASKS, makeStream, rng } from '../../demo/dkvb/toy.js';

const python = process.env.CBK_PYTHON ?? '/usr/bin/python3';

function torch(script, input) {
  const r = spawnSync(python, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`torch script failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function assertClose(got, want, tol, what) {
  assert.equal(got.length, want.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  assert.ok(worst <= tol, `${what}: max |diff| ${worst} > ${tol}`);
}

const VALUES_TORCH = `
import json, sys, torch
d = json.load(sys.stdin)
H, K, C = d['heads'], d['keys'], d['classes']
v = torch.tensor(d['values'], dtype=torch.float32).reshape(H, K, C).requires_grad_()
out = []
for task in d['tasks']:
    opt = torch.optim.Adam([v], lr=d['lr'])
    idx = torch.tensor(task['picked']).reshape(-1, H)
    y = torch.tensor(task['y'])
    for _ in range(d['steps']):
        logits = v[torch.arange(H)[None, :], idx].mean(1)
        loss = torch.nn.functional.cross_entropy(logits, y, label_smoothing=d['smoothing'])
        opt.zero_grad(); loss.backward(); opt.step()
print(json.dumps(v.detach().flatten().tolist()))
`;

test('values-only training takes the same Adam steps as torch (two tasks, fresh optimiser each)', () => {
  const dims = { heads: 5, keys: 7, classes: 8 };
  for (const smoothing of [0, 0.1]) {
    const u = rng(7);
    const values = Float32Array.from({ length: 5 * 7 * 8 }, () => 0.01 * (u() - 0.5));
    const tasks = [0, 1].map(() => {
      const n = 12;
      return {
        picked: Int32Array.from({ length: n * dims.heads }, () => Math.floor(u() * dims.keys)),
        y: Int32Array.from({ length: n }, () => Math.floor(u() * dims.classes)),
      };
    });
    const want = torch(VALUES_TORCH, { ...dims, values: Array.from(values), lr: 0.01, steps: 20, smoothing,
      tasks: tasks.map((t) => ({ picked: Array.from(t.picked), y: Array.from(t.y) })) });
    const trainer = new ValueTrainer(values, { ...dims, lr: 0.01, labelSmoothing: smoothing });
    for (const t of tasks) {
      trainer.resetOptimizer();
      for (let s = 0; s < 20; s++) trainer.step(t.picked, t.y);
    }
    assertClose(values, want, 2e-6, `values after 2 x 20 steps, label smoothing ${smoothing}`);
  }
});

const MLP_TORCH = `
import json, sys, torch
d = json.load(sys.stdin)
net = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.ReLU(), torch.nn.Linear(32, 8))
with torch.no_grad():
    for p, w in zip(net.parameters(), d['params']):
        p.copy_(torch.tensor(w).reshape(p.shape))
losses = []
for task in d['tasks']:
    opt = torch.optim.Adam(net.parameters(), lr=d['lr'])
    x = torch.tensor(task['x']).reshape(-1, 2); y = torch.tensor(task['y'])
    for _ in range(d['steps']):
        loss = torch.nn.functional.cross_entropy(net(x), y)
        losses.append(loss.item())
        opt.zero_grad(); loss.backward(); opt.step()
print(json.dumps({'params': [p.detach().flatten().tolist() for p in net.parameters()], 'losses': losses}))
`;

test('the baseline MLP 2->32->8 takes the same Adam steps as torch on the toy stream', () => {
  const { tasks } = makeStream(3);
  const mlp = new Mlp({ uniform: rng(5) });
  const want = torch(MLP_TORCH, { params: mlp.params.map((p) => Array.from(p)), lr: 1e-3, steps: 30,
    tasks: tasks.slice(0, 2).map((t) => ({ x: Array.from(t.x), y: Array.from(t.y) })) });
  const losses = [];
  for (const t of tasks.slice(0, 2)) {
    mlp.resetOptimizer(1e-3);
    for (let s = 0; s < 30; s++) losses.push(mlp.step(t.x, t.y));
  }
  assertClose(losses, want.losses, 1e-5, 'losses');
  mlp.params.forEach((p, i) => assertClose(p, want.params[i], 1e-5, `parameter ${i}`));
});

test('the toy stream: 4 tasks of 2 classes, 100 samples each, near their class means', () => {
  const { tasks, test: held } = makeStream(1);
  assert.deepEqual(tasks.map((t) => t.classes), TASKS);
  assert.deepEqual(TASKS.flat().sort(), [0, 1, 2, 3, 4, 5, 6, 7]);
  // the 3x3 grid of {.25, .5, .75}^2 without the centre, each point once
  assert.deepEqual(MEANS.map(([x, y]) => `${x},${y}`).sort(),
    ['0.25,0.25', '0.25,0.5', '0.25,0.75', '0.5,0.25', '0.5,0.75', '0.75,0.25', '0.75,0.5', '0.75,0.75']);
  for (const t of tasks) {
    assert.equal(t.y.length, 100);
    for (let i = 0; i < 100; i++) {
      assert.ok(t.classes.includes(t.y[i]));
      const [mx, my] = MEANS[t.y[i]];
      assert.ok(Math.hypot(t.x[2 * i] - mx, t.x[2 * i + 1] - my) < 6 * SIGMA, `sample ${i} lies near its mean`);
    }
    const ones = t.y.filter((c) => c === t.classes[0]).length;
    assert.ok(ones > 25 && ones < 75, `coin-flip classes: ${ones} of 100 are class ${t.classes[0]}`);
  }
  assert.deepEqual(Array.from({ length: 8 }, (_, c) => held.y.filter((y) => y === c).length), new Array(8).fill(50));
  // the samples' spread is sigma (pooled over x and y of every task)
  let ss = 0, n = 0;
  for (const t of tasks) for (let i = 0; i < 100; i++) { const [mx, my] = MEANS[t.y[i]]; ss += (t.x[2 * i] - mx) ** 2 + (t.x[2 * i + 1] - my) ** 2; n += 2; }
  assert.ok(Math.abs(Math.sqrt(ss / n) - SIGMA) < 0.006, `spread ${Math.sqrt(ss / n)}`);
});

test('keys are drawn where the projection maps a point onto them; heads that see a line are not drawn', async () => {
  const { keysInPlane } = await import('../../demo/dkvb/plane.js');
  const u = rng(11);
  const heads = 3, nKeys = 4, keyDim = 3;
  const projection = Float32Array.from({ length: heads * keyDim * 2 }, () => 2 * u() - 1);
  const points = Array.from({ length: heads * nKeys }, () => [u(), u()]);
  // keys exactly on the image of their head's projection: k = P_c x
  const keys = new Float32Array(heads * nKeys * keyDim);
  points.forEach(([x, y], i) => {
    const c = Math.floor(i / nKeys);
    for (let j = 0; j < keyDim; j++) keys[i * keyDim + j] = projection[(c * keyDim + j) * 2] * x + projection[(c * keyDim + j) * 2 + 1] * y;
  });
  const got = keysInPlane(keys, projection, { heads, keys: nKeys, keyDim, inputDim: 2 });
  assert.equal(got.length, heads * nKeys);
  got.forEach((k, i) => {
    assert.deepEqual([k.head, k.key], [Math.floor(i / nKeys), i % nKeys]);
    assert.ok(Math.hypot(k.x - points[i][0], k.y - points[i][1]) < 1e-4, `key ${i}: (${k.x}, ${k.y}) vs ${points[i]}`);
  });
  // No projection, one head of width 2: the key is the point itself.
  const plain = keysInPlane(Float32Array.of(0.1, 0.9, 0.4, 0.3), null, { heads: 1, keys: 2, keyDim: 2, inputDim: 2 });
  assert.deepEqual(plain.map((k) => [k.x, k.y].map((v) => Math.round(v * 1e6) / 1e6)), [[0.1, 0.9], [0.4, 0.3]]);
  // Two heads of width 1 (each sees one coordinate): not points of the plane.
  assert.equal(keysInPlane(Float32Array.of(0.1, 0.2), null, { heads: 2, keys: 1, keyDim: 1, inputDim: 2 }), null);
  assert.equal(keysInPlane(keys, projection, { heads, keys: nKeys, keyDim, inputDim: 2, encoderLayers: 1 }), null);
});
