// values.js — conversions between the JS API's values and cbk.h's: site names, positions,
// tensor element types.
import { checkInt, describe, fail } from './errors.js';

// cbk_site names by value (cbk.h's cbk_site; cbk_site_name() returns the same strings).
export const SITES = Object.freeze([
  'attn_preproj', 'attn', 'mlp', 'mlp_mid', 'qkv', 'attn_plus_mlp', 'transformer_block',
]);

export const NO_SLOT = -2;

export function siteValue(site) {
  if (Number.isInteger(site) && site >= 0 && site < SITES.length) return site;
  const i = SITES.indexOf(site);
  if (i < 0) fail('invalid_argument', `unknown site ${describe(site)} (one of ${SITES.join(', ')})`);
  return i;
}

// cbk_positions fields for 'all' | 'generated' | {first, end} | [first, end].
export function positionsValue(positions = 'all') {
  if (positions === 'all') return { kind: 0, first: 0, end: 0 };
  if (positions === 'generated') return { kind: 1, first: 0, end: 0 };
  const [first, end] = Array.isArray(positions) ? positions : [positions?.first, positions?.end];
  if (!Number.isInteger(first) || !Number.isInteger(end) || first < 0 || end > 0xffffffff) {
    fail('invalid_argument', `positions must be 'all', 'generated', [first, end] or {first, end}, got ${describe(positions)}`);
  }
  return { kind: 2, first, end };
}

// Copies a tensor's stored elements out of the heap by dtype (see cbk_model_tensor_data).
export function decodeTensor(rt, info, dataPtr, scalesPtr) {
  const n = info.elements;
  let data;
  if (info.dtype === 'f32') data = rt.F32.slice(dataPtr >>> 2, (dataPtr >>> 2) + n);
  else if (info.dtype === 'f16' || info.dtype === 'bf16') data = new Uint16Array(rt.U8.slice(dataPtr, dataPtr + 2 * n).buffer);
  else if (info.dtype === 'int8') data = new Int8Array(rt.U8.slice(dataPtr, dataPtr + n).buffer);
  else if (info.dtype === 'u8') data = rt.U8.slice(dataPtr, dataPtr + n);
  else if (info.dtype === 'i32') data = rt.I32.slice(dataPtr >>> 2, (dataPtr >>> 2) + n);
  else fail('unsupported', `tensor '${info.name}' has dtype '${info.dtype}', which this API cannot read`);
  const rows = info.shape.length ? info.shape[0] : 1;  // int8 scales: one per row
  const scales = scalesPtr ? rt.F32.slice(scalesPtr >>> 2, (scalesPtr >>> 2) + rows) : null;
  return { data, scales };
}

export function tensorToFloat32(info, data, scales) {
  if (data instanceof Float32Array) return data.slice();
  if (data instanceof Uint8Array || data instanceof Int32Array) return Float32Array.from(data);
  const out = new Float32Array(data.length);
  if (info.dtype === 'bf16') {
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < data.length; i++) u32[i] = data[i] << 16;
  } else if (info.dtype === 'f16') {
    for (let i = 0; i < data.length; i++) out[i] = halfToFloat(data[i]);
  } else {
    const rows = scales ? scales.length : 1;
    const cols = data.length / rows;
    for (let i = 0; i < data.length; i++) out[i] = data[i] * (scales ? scales[Math.floor(i / cols)] : 1);
  }
  return out;
}

function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

// An Int32Array of the ids in `values` (any array-like of integers); throws invalid_argument naming
// `name` otherwise.
export function toIds(values, name) {
  if (values instanceof Int32Array) return values;
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    fail('invalid_argument', `${name} must be an array of integers, got ${describe(values)}`);
  }
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = checkInt(`${name}[${i}]`, values[i], -2147483648, 2147483647);
  return out;
}

// A Float32Array (used as it is) or an array of numbers (copied), checked: `n` numbers exactly, or
// whole rows of `width`, when given.
export function toFloats(values, name, { n, width } = {}) {
  let out = values;
  if (!(values instanceof Float32Array)) {
    if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
      fail('invalid_argument', `${name} must be a Float32Array or an array of numbers, got ${describe(values)}`);
    }
    out = Float32Array.from(values, (v, i) => {
      if (typeof v !== 'number') fail('invalid_argument', `${name}[${i}] must be a number, got ${describe(v)}`);
      return v;
    });
  }
  if (n !== undefined && out.length !== n) fail('invalid_argument', `${name} must hold ${n} numbers, got ${out.length}`);
  if (width !== undefined && out.length % width !== 0) {
    fail('invalid_argument', `${name} must hold whole rows of ${width} numbers, got ${out.length}`);
  }
  return out;
}
