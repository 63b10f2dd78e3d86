// Prototype networks in the JS API (web/src/protonet.js) against two independent oracles: the native
// `cbk classify --json` on the same Fashion-MNIST test images (same class, same nearest prototypes in
// the same order, distances within 1e-4 relative) and the trainer's torch float64 goldens
// (tools/python/protonet/export.py: logits, latents, reconstructions, decoded prototypes within
// 1e-4). Edits are checked against their definitions (logits = d . W over the active prototypes,
// interpolation, replacement by an image's latent); misuse must be a CbkError with the status.
// Env: CBK_PROTONET_MODEL (default models/protonet-fashion.cbk), CBK_PROTONET_GOLDENS (default
// tests/parity/protonet/goldens.json), CBK_FASHION_MNIST (default /usr/share/datasets/fashion-mnist).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { api, bytesOf, expectStatus, nativeCli, ROOT, TOKFSM } from './helpers.mjs';

const MODEL = process.env.CBK_PROTONET_MODEL ?? join(ROOT, 'models/protonet-fashion.cbk');
const GOLDENS = process.env.CBK_PROTONET_GOLDENS ?? join(ROOT, 'tests/parity/protonet/goldens.json');
const DATASET = process.env.CBK_FASHION_MNIST ?? '/usr/share/datasets/fashion-mnist';
const N_IMAGES = 64;
const TOL = 1e-4;

let cbk, model, net, images, goldens;

// The first n test images as bytes (n x 784).
function testImages(n) {
  const all = gunzipSync(readFileSync(join(DATASET, 't10k-images-idx3-ubyte.gz')));
  return all.subarray(16, 16 + n * 784);
}
const imageAt = (bytes, i) => Float32Array.from(bytes.subarray(i * 784, (i + 1) * 784), (b) => b / 255);

// `cbk classify MODEL IMAGES.idx --json` natively: [{class, name, nearest, distances}] per image.
function nativeClassify(bytes, n) {
  const dir = mkdtempSync(join(tmpdir(), 'cbk-protonet-'));
  const path = join(dir, 'images.idx');
  const header = Buffer.alloc(16);
  header.set([0, 0, 8, 3]);
  header.writeUInt32BE(n, 4);
  header.writeUInt32BE(28, 8);
  header.writeUInt32BE(28, 12);
  writeFileSync(path, Buffer.concat([header, Buffer.from(bytes.subarray(0, n * 784))]));
  const r = spawnSync(nativeCli(), ['classify', MODEL, path, '--json'], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout).rows;
}

function near(actual, expected, what, tol = TOL) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    assert.ok(Math.abs(actual[i] - e) <= tol * Math.max(1, Math.abs(e)), `${what}[${i}]: ${actual[i]} vs ${e}`);
  }
}

// logits = d . W over the active prototypes, W read from the handle.
function expectedLogits(p, distances) {
  const { prototypes, classes } = p.facts;
  const out = new Float64Array(classes);
  for (let j = 0; j < prototypes; j++) {
    const s = p.prototype(j);
    if (s.removed) continue;
    for (let c = 0; c < classes; c++) out[c] += distances[j] * s.weights[c];
  }
  return out;
}

before(async () => {
  for (const [what, path] of [['prototype network (CBK_PROTONET_MODEL)', MODEL], ['goldens (CBK_PROTONET_GOLDENS)', GOLDENS],
    ['Fashion-MNIST (CBK_FASHION_MNIST)', join(DATASET, 't10k-images-idx3-ubyte.gz')]])
    assert.ok(existsSync(path), `${what} not found at ${path}`);
  cbk = await api();
  model = await cbk.load(bytesOf(MODEL));
  net = model.createProtonet();
  images = testImages(N_IMAGES);
  goldens = JSON.parse(readFileSync(GOLDENS, 'utf8'));
});
after(() => {
  net?.dispose();
  model?.dispose();
});

describe('prototype network: facts and classification', () => {
  test('facts equal the native cbk info', () => {
    const r = spawnSync(nativeCli(), ['info', MODEL, '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout).protonet;
    const f = model.protonet;
    assert.equal(model.kind, 'protonet');
    assert.equal(`${f.channels}x${f.height}x${f.width}`, info.image);
    assert.equal(f.imageSize, 784);
    assert.equal(f.latentDim, info.latent_dim);
    assert.equal(f.prototypes, info.prototypes);
    assert.equal(f.classes, info.classes);
    assert.deepEqual(f.classNames, info.class_names);
    assert.equal(model.architecture, null);
    assert.equal(model.tokenizer, null);
  });

  test(`${N_IMAGES} test images: the native CLI's class, nearest prototypes and distances`, () => {
    const rows = nativeClassify(images, N_IMAGES);
    assert.equal(rows.length, N_IMAGES);
    for (let i = 0; i < N_IMAGES; i++) {
      const r = net.classify(imageAt(images, i));
      assert.equal(r.predicted, rows[i].class, `image ${i}: class`);
      assert.equal(r.className, rows[i].name);
      assert.deepEqual(Array.from(r.nearest), rows[i].nearest, `image ${i}: nearest`);
      near(r.distances, rows[i].distances, `image ${i}: distances`);
      near(r.logits, expectedLogits(net, rows[i].distances), `image ${i}: logits = d . W`);
      let sum = 0;
      for (const p of r.probabilities) sum += p;
      assert.ok(Math.abs(sum - 1) < 1e-5);
    }
  });

  test("the trainer's goldens: logits, nearest, latents, reconstructions, decoded prototypes", () => {
    for (let i = 0; i < goldens.images_u8.length; i++) {
      const image = Float32Array.from(goldens.images_u8[i], (b) => b / 255);
      const r = net.classify(image);
      near(r.logits, goldens.logits[i], `golden ${i}: logits`);
      near(r.distances, goldens.distances[i], `golden ${i}: distances`);
      near(r.latent, goldens.latents[i].flat(), `golden ${i}: latent`);
      assert.deepEqual(Array.from(r.nearest), goldens.nearest[i], `golden ${i}: nearest`);
      near(net.reconstruct(image), goldens.reconstructions[i].flat(Infinity), `golden ${i}: reconstruction`);
      near(net.decode(r.latent), goldens.reconstructions[i].flat(Infinity), `golden ${i}: decode(latent)`);
    }
    for (let j = 0; j < model.protonet.prototypes; j++) {
      near(net.renderPrototype(j), goldens.decoded_prototypes[j].flat(Infinity), `prototype ${j}: render`);
    }
  });
});

describe('prototype network: edits', () => {
  test('make an image a prototype: it becomes the nearest at distance 0; other handles keep theirs', () => {
    const image = imageAt(images, 3);
    const before = net.classify(image);
    const id = before.nearest.at(-1);  // the farthest
    net.setPrototypeFromImage(id, image);
    const after = net.classify(image);
    assert.equal(after.nearest[0], id);
    assert.ok(after.distances[id] < 1e-6, `distance ${after.distances[id]}`);
    near(net.prototype(id).latent, after.latent, 'the prototype is the latent', 1e-6);
    near(after.logits, expectedLogits(net, after.distances), 'logits after the edit');
    const other = model.createProtonet();
    near(other.classify(image).distances, before.distances, 'a second handle is unchanged', 0);
    other.dispose();
    net.reset();
    near(net.classify(image).distances, before.distances, 'reset', 0);
  });

  test('interpolate two prototypes; set class weights; remove one', () => {
    const a = net.prototype(0).latent;
    const b = net.prototype(1).latent;
    net.interpolate(2, 0, 1, 0.25);
    const mixed = net.prototype(2).latent;
    for (let k = 0; k < a.length; k++) assert.ok(Math.abs(mixed[k] - (0.75 * a[k] + 0.25 * b[k])) < 1e-5);
    const image = imageAt(images, 0);
    const r = net.classify(image);
    let d = 0;
    for (let k = 0; k < mixed.length; k++) d += (r.latent[k] - mixed[k]) ** 2;
    assert.ok(Math.abs(r.distances[2] - d) <= TOL * Math.max(1, d));

    const w = new Float32Array(model.protonet.classes).fill(0);
    w[4] = -3;
    net.setClassWeights(5, w);
    assert.deepEqual(Array.from(net.prototype(5).weights), Array.from(w));
    const r2 = net.classify(image);
    near(r2.logits, expectedLogits(net, r2.distances), 'logits with new weights');

    net.removePrototype(1);
    const r3 = net.classify(image);
    assert.equal(r3.distances[1], Infinity);
    assert.ok(!Array.from(r3.nearest).includes(1));
    assert.equal(r3.nearest.length, model.protonet.prototypes - 1);
    assert.deepEqual(net.removed().map((x, i) => (x ? i : -1)).filter((i) => i >= 0), [1]);
    near(r3.logits, expectedLogits(net, r3.distances.map((x) => (Number.isFinite(x) ? x : 0))), 'logits without 1');
    net.setPrototype(1, b);  // replacing brings a removed prototype back
    assert.equal(net.prototype(1).removed, false);
    net.reset();
  });
});

describe('prototype network: misuse is a CbkError', () => {
  test('arguments, ids, states, kinds', async () => {
    const p = model.createProtonet();
    const image = imageAt(images, 0);
    await expectStatus(assert, () => p.classify(new Float32Array(10)), 'invalid_argument', /784/);
    await expectStatus(assert, () => p.classify('image'), 'invalid_argument');
    await expectStatus(assert, () => p.classify(Array.from(image, (v, i) => (i === 5 ? NaN : v))), 'non_finite_value');
    await expectStatus(assert, () => p.renderPrototype(model.protonet.prototypes), 'out_of_range');
    await expectStatus(assert, () => p.renderPrototype(-1), 'invalid_argument');
    await expectStatus(assert, () => p.renderPrototype(1.5), 'invalid_argument');
    await expectStatus(assert, () => p.decode(new Float32Array(3)), 'invalid_argument');
    await expectStatus(assert, () => p.interpolate(0, 1, 2, NaN), 'non_finite_value');
    await expectStatus(assert, () => p.interpolate(0, 1, 99, 0.5), 'out_of_range');
    await expectStatus(assert, () => p.setClassWeights(0, [1, 2]), 'invalid_argument');
    p.removePrototype(3);
    await expectStatus(assert, () => p.renderPrototype(3), 'wrong_state');
    await expectStatus(assert, () => p.interpolate(0, 3, 1, 0.5), 'wrong_state');
    for (let j = 0; j < model.protonet.prototypes - 1; j++) if (j !== 3) p.removePrototype(j);
    await expectStatus(assert, () => p.removePrototype(model.protonet.prototypes - 1), 'wrong_state', /last/);
    const r = p.classify(image);  // one prototype left: it is the nearest
    assert.deepEqual(Array.from(r.nearest), [model.protonet.prototypes - 1]);
    p.dispose();
    p.dispose();  // idempotent
    await expectStatus(assert, () => p.classify(image), 'wrong_state', /disposed/);

    const tokfsm = await cbk.load(bytesOf(TOKFSM));
    assert.equal(tokfsm.kind, 'transformer');
    assert.equal(tokfsm.protonet, null);
    await expectStatus(assert, () => tokfsm.createProtonet(), 'wrong_model_kind');
    await expectStatus(assert, () => model.tokenize('x'), 'wrong_model_kind');
    tokfsm.dispose();
  });

  test('the baseline file (no prototypes): classifies like native, prototype functions are unsupported', async () => {
    const path = join(ROOT, 'models/protonet-fashion-baseline.cbk');
    if (process.env.CBK_PROTONET_MODEL && !existsSync(path)) return;  // a development model without its baseline
    const m = await cbk.load(bytesOf(path));
    assert.equal(m.protonet.prototypes, 0);
    const p = m.createProtonet();
    const dir = mkdtempSync(join(tmpdir(), 'cbk-protonet-base-'));
    const header = Buffer.alloc(16);
    header.set([0, 0, 8, 3]);
    header.writeUInt32BE(8, 4);
    header.writeUInt32BE(28, 8);
    header.writeUInt32BE(28, 12);
    writeFileSync(join(dir, 'x.idx'), Buffer.concat([header, Buffer.from(images.subarray(0, 8 * 784))]));
    const r = spawnSync(nativeCli(), ['classify', path, join(dir, 'x.idx'), '--json'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const rows = JSON.parse(r.stdout).rows;
    for (let i = 0; i < 8; i++) {
      const got = p.classify(imageAt(images, i));
      assert.equal(got.predicted, rows[i].class, `baseline image ${i}`);
      assert.equal(got.distances.length, 0);
      assert.equal(got.nearest.length, 0);
    }
    await expectStatus(assert, () => p.renderPrototype(0), 'unsupported');
    await expectStatus(assert, () => p.decode(new Float32Array(m.protonet.latentDim)), 'unsupported');
    p.dispose();
    m.dispose();
  });

  test('a handle keeps the model bytes alive after the model is disposed', async () => {
    const m = await cbk.load(bytesOf(MODEL));
    const p = m.createProtonet();
    m.dispose();
    const r = p.classify(imageAt(images, 1));
    assert.equal(r.distances.length, m.protonet.prototypes);
    p.dispose();
  });
});
