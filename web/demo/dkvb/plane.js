// plane.js — one view of the unit square on a canvas: the decision regions of a classifier
// (each cell of a grid coloured by its argmax class, paler where the decision is less sure), the
// data points, and optionally the keys as dots with the picked ones ringed.
import { argmax } from './toy.js';

// One colour per class (Okabe–Ito plus two), as [r, g, b].
export const CLASS_COLORS = [
  [230, 159, 0], [86, 180, 233], [0, 158, 115], [204, 121, 167],
  [213, 94, 0], [0, 114, 178], [140, 110, 60], [120, 120, 120],
];
export const cssColor = (c, a = 1) => `rgba(${CLASS_COLORS[c % 8].join(',')},${a})`;

// The centres of an r x r grid over [lo, hi]^2 as a Float32Array (r*r x 2), row by row from the
// top (y = hi) so that index = row * r + col matches the image's pixels.
export function gridPoints(r, lo = 0, hi = 1) {
  const xy = new Float32Array(2 * r * r);
  for (let row = 0; row < r; row++) {
    for (let col = 0; col < r; col++) {
      const i = row * r + col;
      xy[2 * i] = lo + (hi - lo) * (col + 0.5) / r;
      xy[2 * i + 1] = hi - (hi - lo) * (row + 0.5) / r;
    }
  }
  return xy;
}

export const NO_CLASS = 255;  // a cell whose logits are all equal (e.g. every vote still zero)

// argmax class (NO_CLASS for a tie of all classes) and its softmax probability of each row of
// logits (n x classes).
export function decisions(logits, classes) {
  const n = logits.length / classes;
  const cls = new Uint8Array(n);
  const conf = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const off = i * classes;
    const best = argmax(logits, off, classes);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[off + c] - logits[off + best]);
    cls[i] = sum >= classes - 1e-6 ? NO_CLASS : best;
    conf[i] = 1 / sum;
  }
  return { cls, conf };
}

export class PlaneView {
  // canvas: the element; r: the region grid's resolution; lo/hi: the square shown.
  constructor(canvas, { r = 96, lo = 0, hi = 1 } = {}) {
    Object.assign(this, { canvas, r, lo, hi });
    this.ctx = canvas.getContext('2d');
    this.regions = document.createElement('canvas');
    this.regions.width = this.regions.height = r;
    this.grid = gridPoints(r, lo, hi);
    this.cls = null;       // Uint8Array(r*r): argmax class (or NO_CLASS) per grid cell, for the tests
  }

  // Canvas pixel <-> plane coordinates.
  toPlane(px, py) {
    const { width, height } = this.canvas;
    return [this.lo + (this.hi - this.lo) * px / width, this.hi - (this.hi - this.lo) * py / height];
  }
  toPixel(x, y) {
    const { width, height } = this.canvas;
    return [(x - this.lo) / (this.hi - this.lo) * width, (this.hi - y) / (this.hi - this.lo) * height];
  }

  // New regions from the logits of this.grid (r*r x classes).
  setRegions(logits, classes) {
    const { cls, conf } = decisions(logits, classes);
    this.cls = cls;
    const rctx = this.regions.getContext('2d');
    const img = rctx.createImageData(this.r, this.r);
    for (let i = 0; i < cls.length; i++) {
      const [cr, cg, cb] = cls[i] === NO_CLASS ? [235, 235, 238] : CLASS_COLORS[cls[i] % 8];
      const a = 0.25 + 0.55 * Math.max(0, (conf[i] - 1 / classes) / (1 - 1 / classes));  // paler = less sure
      img.data[4 * i] = Math.round(255 + (cr - 255) * a);
      img.data[4 * i + 1] = Math.round(255 + (cg - 255) * a);
      img.data[4 * i + 2] = Math.round(255 + (cb - 255) * a);
      img.data[4 * i + 3] = 255;
    }
    rctx.putImageData(img, 0, 0);
  }

  // Draws everything: regions, points {x, y} (faded ones first), keys [{x, y, head, key, dormant}]
  // (dormant = masked: hollow) and the picked keys (a Set of "head:key") ringed, and the hovered point.
  draw({ points = [], keys = [], picked = null, hover = null } = {}) {
    const { ctx, canvas } = this;
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(this.regions, 0, 0, canvas.width, canvas.height);
    for (const { x, y, faded } of points) {
      ctx.globalAlpha = faded ? 0.25 : 0.9;
      for (let i = 0; i < y.length; i++) {
        const [px, py] = this.toPixel(x[2 * i], x[2 * i + 1]);
        ctx.beginPath();
        ctx.arc(px, py, 2.6, 0, 2 * Math.PI);
        ctx.fillStyle = cssColor(y[i]);
        ctx.fill();
        ctx.lineWidth = 0.7;
        ctx.strokeStyle = '#fff';
        ctx.stroke();
      }
    }
    ctx.globalAlpha = 1;
    for (const k of keys) {
      const [px, py] = this.toPixel(k.x, k.y);
      const on = picked?.has(`${k.head}:${k.key}`);
      if (k.dormant && !on) {
        ctx.strokeStyle = 'rgba(20,20,30,.3)';
        ctx.lineWidth = 0.8;
        ctx.strokeRect(px - 1.5, py - 1.5, 3, 3);
        continue;
      }
      ctx.fillStyle = on ? '#000' : 'rgba(20,20,30,.6)';
      ctx.fillRect(px - (on ? 2.5 : 1.5), py - (on ? 2.5 : 1.5), on ? 5 : 3, on ? 5 : 3);
      if (on) {
        ctx.beginPath();
        ctx.arc(px, py, 7, 0, 2 * Math.PI);
        ctx.lineWidth = 1.5;
        ctx.strokeStyle = '#000';
        ctx.stroke();
      }
    }
    if (hover) {
      const [px, py] = this.toPixel(hover[0], hover[1]);
      ctx.beginPath();
      ctx.moveTo(px - 6, py); ctx.lineTo(px + 6, py); ctx.moveTo(px, py - 6); ctx.lineTo(px, py + 6);
      ctx.lineWidth = 2;
      ctx.strokeStyle = '#000';
      ctx.stroke();
    }
  }
}

// Where each key sits in the input plane (identity encoder, 2-D inputs): head c projects x to
// q_c = P_c x with P_c = projection[c] (keyDim x 2; without a projection, rows c*keyDim.. of the
// identity), and the key k sits at the x whose projection is nearest it, x = (P_cᵀP_c)⁻¹ P_cᵀ k
// (least squares). keys: [heads x keys x keyDim]; projection: [heads x keyDim x 2] or null.
// Returns [{head, key, x, y}], or null when the keys are not points of the plane (another input
// width, an encoder, or a head that sees a line of the plane only).
export function keysInPlane(keys, projection, { heads, keys: nKeys, keyDim, inputDim, encoderLayers = 0 }) {
  if (inputDim !== 2 || encoderLayers > 0 || projection === undefined) return null;
  const out = [];
  for (let c = 0; c < heads; c++) {
    // P(j, i): row j (key dimension), column i (input dimension).
    const P = projection ? (j, i) => projection[(c * keyDim + j) * 2 + i] : (j, i) => (c * keyDim + j === i ? 1 : 0);
    let a = 0, b = 0, d = 0;  // PᵀP = [[a, b], [b, d]]
    for (let j = 0; j < keyDim; j++) { a += P(j, 0) ** 2; b += P(j, 0) * P(j, 1); d += P(j, 1) ** 2; }
    const det = a * d - b * b;
    if (!(Math.abs(det) > 1e-9)) return null;
    for (let k = 0; k < nKeys; k++) {
      let u = 0, v = 0;  // Pᵀ k
      for (let j = 0; j < keyDim; j++) {
        const kj = keys[(c * nKeys + k) * keyDim + j];
        u += P(j, 0) * kj;
        v += P(j, 1) * kj;
      }
      out.push({ head: c, key: k, x: (d * u - b * v) / det, y: (a * v - b * u) / det });
    }
  }
  return out;
}
