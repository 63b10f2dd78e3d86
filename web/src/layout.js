// layout.js — the C structs of cbk.h as wasm32 sees them (size_t and pointers 4 bytes, uint64_t
// 8 bytes aligned to 8), laid out by C's rules from the field list, so offsets are never written
// by hand. Field lists follow cbk.h's order exactly; cbk_web_sizeof() in web/wasm/cbk_web.c lets a
// test compare every size with the compiler's.

const SIZES = { usize: 4, ptr: 4, u32: 4, i32: 4, f32: 4, u64: 8 };

function struct(fields) {
  const offsets = {};
  let offset = 0;
  let align = 1;
  for (const [name, type] of fields) {
    const size = SIZES[type];
    offset = Math.ceil(offset / size) * size;
    offsets[name] = { offset, type };
    offset += size;
    align = Math.max(align, size);
  }
  return { fields: offsets, size: Math.ceil(offset / align) * align };
}

// Index = the `which` argument of cbk_web_sizeof().
export const STRUCTS = {
  architecture: struct([
    ['struct_size', 'usize'], ['family', 'ptr'], ['vocab_size', 'u32'], ['d_model', 'u32'],
    ['n_layers', 'u32'], ['n_heads', 'u32'], ['head_dim', 'u32'], ['d_mlp', 'u32'],
    ['max_positions', 'u32'], ['rotary_dims', 'u32'], ['local_window', 'u32'], ['norm_eps', 'f32'],
    ['rotary_base', 'f32'], ['activation', 'ptr'], ['positions', 'ptr'], ['parallel_residual', 'i32'],
    ['tied_embeddings', 'i32']]),
  codebook_info: struct([
    ['struct_size', 'usize'], ['layer', 'u32'], ['site', 'i32'], ['groups', 'u32'], ['codes', 'u32'],
    ['dim', 'u32'], ['k', 'u32'], ['metric', 'i32']]),
  code_annotation: struct([
    ['struct_size', 'usize'], ['codebook', 'usize'], ['group', 'u32'], ['code', 'u32'], ['label', 'ptr'],
    ['description', 'ptr'], ['frequency', 'f32'], ['n_contexts', 'usize']]),
  code_context: struct([
    ['struct_size', 'usize'], ['tokens', 'ptr'], ['n_tokens', 'usize'], ['highlight_start', 'u32'],
    ['highlight_end', 'u32'], ['score', 'f32']]),
  tokenizer_info: struct([
    ['struct_size', 'usize'], ['has_tokenizer', 'i32'], ['kind', 'ptr'], ['vocab_size', 'u32'],
    ['bos', 'i32'], ['eos', 'i32'], ['pad', 'i32'], ['add_bos', 'i32']]),
  file_info: struct([
    ['struct_size', 'usize'], ['file_size', 'u64'], ['schema_major', 'u32'], ['schema_minor', 'u32'],
    ['header_size', 'u64'], ['data_offset', 'u64'], ['data_size', 'u64'], ['header_crc32', 'u32'],
    ['data_crc32', 'u32'], ['data_crc_verified', 'i32'], ['memory_mapped', 'i32']]),
  parameter_counts: struct([
    ['struct_size', 'usize'], ['embeddings', 'u64'], ['attention', 'u64'], ['mlp', 'u64'],
    ['norms', 'u64'], ['lm_head', 'u64'], ['codebooks', 'u64'], ['total', 'u64']]),
  tensor_info: struct([
    ['struct_size', 'usize'], ['name', 'ptr'], ['dtype', 'ptr'], ['shape', 'ptr'], ['n_dims', 'usize'],
    ['file_offset', 'u64'], ['bytes', 'u64'], ['elements', 'u64']]),
  generation_defaults: struct([
    ['struct_size', 'usize'], ['max_new_tokens', 'u32'], ['temperature', 'f32'], ['top_k', 'u32'],
    ['top_p', 'f32'], ['seed', 'u64']]),
  target: struct([['layer', 'u32'], ['site', 'i32'], ['group', 'i32']]),
  positions: struct([['kind', 'i32'], ['first', 'u32'], ['end', 'u32']]),
  dkvb_info: struct([
    ['struct_size', 'usize'], ['input_dim', 'u32'], ['embed_dim', 'u32'], ['encoder_layers', 'u32'],
    ['heads', 'u32'], ['pairs', 'u32'], ['key_dim', 'u32'], ['value_dim', 'u32'], ['classes', 'u32'],
    ['decoder', 'i32'], ['has_projection', 'i32'], ['has_used_pairs', 'i32'], ['used_pairs', 'u64']]),
  protonet_info: struct([
    ['struct_size', 'usize'], ['image_channels', 'u32'], ['image_height', 'u32'], ['image_width', 'u32'],
    ['latent_dim', 'u32'], ['prototypes', 'u32'], ['classes', 'u32']]),
};

export const STRUCT_ORDER = Object.keys(STRUCTS);
