// protonet.js — prototype networks (cbk_model_kind "protonet", cbk_protonet_*): their facts and the
// Protonet handle: classify an image (distances to every prototype, the nearest ones, logits,
// probabilities, the latent), render through the decoder, and edit the handle's own copy of the
// prototypes and class weights. Edits never change the model or another handle.
import { checkInt, describe, fail } from './errors.js';
import { toFloats } from './values.js';

// Model.facts.protonet, read once at load (cbk_model_protonet_info, cbk_protonet_class_name).
export function readProtonetFacts(rt, h) {
  const p = rt.initStruct('protonet_info', rt.scratch);
  rt.check(rt.M._cbk_model_protonet_info(h, p));
  const d = rt.readStruct('protonet_info', p);
  const classNames = [];
  for (let c = 0; c < d.classes; c++) {
    rt.check(rt.M._cbk_protonet_class_name(h, c, rt.scratch));
    classNames.push(rt.string(rt.readPtr(rt.scratch)));
  }
  return {
    channels: d.image_channels, height: d.image_height, width: d.image_width,
    imageSize: d.image_channels * d.image_height * d.image_width, latentDim: d.latent_dim,
    prototypes: d.prototypes, classes: d.classes, classNames,
  };
}

const U32_MAX = 0xffffffff;

export class Protonet {
  // Use model.createProtonet(). Holds the model's borrowed bytes until disposed.
  constructor(rt, model, bytes) {
    rt.check(rt.M._cbk_protonet_create(model.handle(), rt.scratch));  // wrong_model_kind for other kinds
    this._h = rt.readPtr(rt.scratch);
    this._rt = rt;
    this.model = model;
    this.facts = model.facts.protonet;
    this._bytes = bytes;
    bytes.retain();
  }

  get disposed() { return this._h === 0; }
  get lastError() { return this._rt.string(this._rt.M._cbk_protonet_last_error(this.handle())); }

  handle() {
    if (this._h === 0) fail('wrong_state', 'the prototype network was disposed');
    return this._h;
  }

  // One image (imageSize floats in [0, 1], channel-major) -> {predicted, className, distances
  // (m; Infinity for a removed prototype), nearest (active ids by ascending distance), logits,
  // probabilities, latent}.
  classify(image) {
    const rt = this._rt;
    const M = rt.M;
    const h = this.handle();
    const { imageSize, prototypes: m, classes, latentDim, classNames } = this.facts;
    const x = toFloats(image, 'image', { n: imageSize });
    const floats = imageSize + 2 * m + 2 * classes + latentDim + 1;
    return rt.withBuffer(4 * floats, (p) => {
      const dist = p + 4 * imageSize;
      const near = dist + 4 * m;
      const logits = near + 4 * m;
      const probs = logits + 4 * classes;
      const latent = probs + 4 * classes;
      const count = latent + 4 * latentDim;
      rt.F32.set(x, p >>> 2);
      rt.check(M._cbk_protonet_classify(h, p, imageSize, rt.scratch));
      const predicted = rt.readI32(rt.scratch);
      const read = (fn, at, cap, View) => {
        rt.check(fn(h, at, cap, count));
        const n = rt.readU32(count);
        return View === Int32Array ? rt.I32.slice(at >>> 2, (at >>> 2) + n) : rt.F32.slice(at >>> 2, (at >>> 2) + n);
      };
      const out = { predicted, className: classNames[predicted] ?? '' };
      out.distances = m ? read(M._cbk_protonet_distances, dist, m, Float32Array) : new Float32Array(0);
      out.nearest = m ? read(M._cbk_protonet_nearest, near, m, Int32Array) : new Int32Array(0);
      out.logits = read(M._cbk_protonet_logits, logits, classes, Float32Array);
      out.probabilities = read(M._cbk_protonet_probabilities, probs, classes, Float32Array);
      out.latent = read(M._cbk_protonet_latent, latent, latentDim, Float32Array);
      return out;
    });
  }

  // ---- rendering (the decoder) -> Float32Array(imageSize) in [0, 1] ----
  renderPrototype(id) {
    const h = this.handle();
    return this._image((out, n) => this._rt.M._cbk_protonet_render_prototype(h, checkInt('id', id, 0, U32_MAX), out, n));
  }
  decode(latent) {
    return this._withInput(latent, 'latent', this.facts.latentDim,
      (h, p, n) => this._image((out, cap) => this._rt.M._cbk_protonet_decode(h, p, n, out, cap)));
  }
  reconstruct(image) {
    return this._withInput(image, 'image', this.facts.imageSize,
      (h, p, n) => this._image((out, cap) => this._rt.M._cbk_protonet_reconstruct(h, p, n, out, cap)));
  }

  // ---- reading prototypes (this handle's values) ----
  // {latent: Float32Array(latentDim), weights: Float32Array(classes), removed}.
  prototype(id) {
    const rt = this._rt;
    const h = this.handle();
    const { latentDim, classes } = this.facts;
    checkInt('id', id, 0, U32_MAX);
    return rt.withBuffer(4 * (latentDim + classes), (p) => {
      rt.check(rt.M._cbk_protonet_prototype(h, id, p, latentDim, rt.scratch));
      const removed = rt.readI32(rt.scratch) !== 0;
      const w = p + 4 * latentDim;
      rt.check(rt.M._cbk_protonet_prototype_weights(h, id, w, classes));
      return {
        latent: rt.F32.slice(p >>> 2, (p >>> 2) + latentDim),
        weights: rt.F32.slice(w >>> 2, (w >>> 2) + classes),
        removed,
      };
    });
  }
  // Whether each prototype is removed in this handle (m booleans).
  removed() {
    return Array.from({ length: this.facts.prototypes }, (_, id) => this.prototype(id).removed);
  }

  // ---- edits (this handle only; each makes the next classify the first to read) ----
  setPrototype(id, latent) {
    checkInt('id', id, 0, U32_MAX);
    this._withInput(latent, 'latent', this.facts.latentDim,
      (h, p, n) => this._rt.check(this._rt.M._cbk_protonet_set_prototype(h, id, p, n)));
  }
  // "Make this image a prototype": prototype `id` becomes the image's latent (and is active again).
  setPrototypeFromImage(id, image) {
    checkInt('id', id, 0, U32_MAX);
    this._withInput(image, 'image', this.facts.imageSize,
      (h, p, n) => this._rt.check(this._rt.M._cbk_protonet_set_prototype_from_image(h, id, p, n)));
  }
  // Prototype `target` becomes (1 - t) p_a + t p_b (a and b as this handle has them now).
  interpolate(target, a, b, t) {
    if (typeof t !== 'number') fail('invalid_argument', `t must be a number, got ${describe(t)}`);
    this._rt.check(this._rt.M._cbk_protonet_interpolate(this.handle(), checkInt('target', target, 0, U32_MAX),
      checkInt('a', a, 0, U32_MAX), checkInt('b', b, 0, U32_MAX), t));
  }
  setClassWeights(id, weights) {
    checkInt('id', id, 0, U32_MAX);
    this._withInput(weights, 'weights', this.facts.classes,
      (h, p, n) => this._rt.check(this._rt.M._cbk_protonet_set_class_weights(h, id, p, n)));
  }
  removePrototype(id) {
    this._rt.check(this._rt.M._cbk_protonet_remove_prototype(this.handle(), checkInt('id', id, 0, U32_MAX)));
  }
  // The model's prototypes and weights again, none removed.
  reset() {
    this._rt.check(this._rt.M._cbk_protonet_reset(this.handle()));
  }

  dispose() {
    if (this._h === 0) return;
    this._rt.M._cbk_protonet_free(this._h);
    this._h = 0;
    this._bytes.release();
  }

  // Runs fn(handle, ptr, n) with `values` (n floats) copied into temporary memory.
  _withInput(values, name, n, fn) {
    const rt = this._rt;
    const h = this.handle();
    const x = toFloats(values, name, { n });
    return rt.withBuffer(4 * Math.max(1, n), (p) => {
      rt.F32.set(x, p >>> 2);
      return fn(h, p, n);
    });
  }
  // Runs call(out, capacity) into an image buffer and returns the image.
  _image(call) {
    const rt = this._rt;
    const n = this.facts.imageSize;
    return rt.withBuffer(4 * n, (out) => {
      rt.check(call(out, n));
      return rt.F32.slice(out >>> 2, (out >>> 2) + n);
    });
  }
}
