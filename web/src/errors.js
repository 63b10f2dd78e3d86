// errors.js — the API's one error class. Every failure of the library (a cbk_status other than ok)
// and every misuse caught on the JS side (a disposed handle, an argument of the wrong type) is a
// CbkError carrying the status name of cbk.h's cbk_status_string() and a message.

// cbk_status values by name, as pinned in cbk.h (index = value).
export const STATUS_NAMES = [
  'ok', 'invalid_argument', 'out_of_memory', 'io_error', 'bad_identifier', 'unsupported_version',
  'truncated', 'verify_failed', 'checksum_mismatch', 'bad_data_section', 'tensor_out_of_range',
  'tensor_misaligned', 'shape_overflow', 'shape_mismatch', 'bad_dtype', 'missing_tensor',
  'duplicate_tensor', 'bad_architecture', 'bad_codebook', 'bad_tokenizer', 'bad_annotation',
  'non_finite_value', 'out_of_range', 'context_full', 'wrong_state', 'cancelled', 'unsupported',
  'internal', 'buffer_too_small', 'wrong_model_kind', 'unsupported_model_kind',
];

export class CbkError extends Error {
  // status: a cbk_status value or its name; message: the library's (or our) explanation.
  constructor(status, message) {
    const code = typeof status === 'number' ? status : STATUS_NAMES.indexOf(status);
    const name = typeof status === 'number' ? (STATUS_NAMES[status] ?? 'unknown') : status;
    const detail = String(message ?? '');
    super(detail ? `${name}: ${detail}` : name);
    this.name = 'CbkError';
    this.status = name;
    this.code = code;
    this.detail = detail;
  }

  // The plain form a worker posts; fromJSON() rebuilds the error on the other side.
  toJSON() {
    return { cbkError: true, status: this.status, detail: this.detail };
  }

  static fromJSON(data) {
    return new CbkError(data.status, data.detail);
  }
}

// JS-side argument checks: they throw CbkError invalid_argument naming the argument.
export function fail(status, message) {
  throw new CbkError(status, message);
}

export function checkInt(name, value, min = -2147483648, max = 4294967295) {
  if (!Number.isInteger(value) || value < min || value > max) {
    fail('invalid_argument', `${name} must be an integer in [${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}

export function checkNumber(name, value) {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    fail('invalid_argument', `${name} must be a number, got ${describe(value)}`);
  }
  return value;
}

export function describe(value) {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (value === null || value === undefined || typeof value !== 'object') return String(value);
  return value.constructor ? value.constructor.name : 'object';
}
