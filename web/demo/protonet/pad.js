// The 28x28 drawing pad and image painting for the prototype-network page. The drawing is kept as
// bytes (0..255, like a Fashion-MNIST image), so the floats given to the network are exactly
// byte / 255 — the same input the native `cbk classify` reads from an IDX file.

// Paints floats in [0, 1] (height x width, one channel) as white on black into a canvas of that size.
export function paintImage(canvas, values, width = canvas.width, height = canvas.height) {
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const v = Math.max(0, Math.min(255, Math.round(255 * values[i])));
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

export class DrawingPad {
  // onChange() is called (at most once per animation frame) after the drawing changed.
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.width = canvas.width;
    this.height = canvas.height;
    this.bytes = new Uint8Array(this.width * this.height);
    this.radius = 1.6;
    this._onChange = onChange;
    this._last = null;
    this._queued = false;
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      this._last = this._cell(e);
      this._stroke(this._last, this._last);
      e.preventDefault();
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this._last) return;
      const p = this._cell(e);
      this._stroke(this._last, p);
      this._last = p;
      e.preventDefault();
    });
    const end = () => { this._last = null; };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    this.paint();
  }

  // The image as floats in [0, 1].
  image() {
    return Float32Array.from(this.bytes, (b) => b / 255);
  }

  clear() {
    this.bytes.fill(0);
    this._changed();
  }

  // Replaces the drawing by bytes (e.g. a test image).
  setBytes(bytes) {
    this.bytes.set(bytes);
    this._changed();
  }

  paint() {
    paintImage(this.canvas, this.image());
  }

  // A pointer position in pixel cells (fractional).
  _cell(e) {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * this.width, y: ((e.clientY - r.top) / r.height) * this.height };
  }

  // A soft round brush along the segment a -> b: each pixel takes the max of its value and the
  // brush's coverage at its centre.
  _stroke(a, b) {
    const steps = Math.max(1, Math.ceil(Math.hypot(b.x - a.x, b.y - a.y) * 3));
    const r = this.radius;
    for (let s = 0; s <= steps; s++) {
      const cx = a.x + ((b.x - a.x) * s) / steps;
      const cy = a.y + ((b.y - a.y) * s) / steps;
      for (let y = Math.floor(cy - r - 1); y <= Math.ceil(cy + r + 1); y++) {
        for (let x = Math.floor(cx - r - 1); x <= Math.ceil(cx + r + 1); x++) {
          if (x < 0 || y < 0 || x >= this.width || y >= this.height) continue;
          const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
          const v = Math.round(255 * Math.max(0, Math.min(1, r + 0.5 - d)));
          const i = y * this.width + x;
          if (v > this.bytes[i]) this.bytes[i] = v;
        }
      }
    }
    this._changed();
  }

  _changed() {
    this.paint();
    if (this._queued) return;
    this._queued = true;
    requestAnimationFrame(() => {
      this._queued = false;
      this._onChange();
    });
  }
}
