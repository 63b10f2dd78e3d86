// The transformer forward pass over a chunk of rows, with the Hugging Face math of each family
// (see tools/python/cbk_reference/blocks.py for the same steps in torch):
//   GPT-NeoX  x + attn(ln1 x) + mlp(ln2 x)  (parallel)  or  h = x + attn(ln1 x); h + mlp(ln2 h)
//   GPT-2/Neo h = x + attn(ln1 x); h + mlp(ln2 h)
// with codebooks at the seven sites. A prefill chunk and a single decoded token take the same
// path (GEMM and the multi-query search give the same results as their per-row forms).
#include <algorithm>
#include <cstring>

#include "runtime/engine/parallel_ops.hpp"
#include "runtime/engine/session_state.hpp"

namespace cbk::engine_detail {
namespace {

void resize(std::vector<float>& v, std::size_t n) { v.assign(n, 0.0f); }

struct Chunk {
  SessionState& st;
  const PreparedModel& pm;
  const simd::Kernels& kern;
  const Architecture& a;
  std::size_t n;   // rows
  std::size_t p0;  // absolute position of row 0
  std::size_t d;

  void codebook(std::size_t layer, const PreparedLayer& L, CodebookSite site, float* data, std::size_t width) {
    if (!st.captures.empty()) capture(layer, site, data, width);
    const int cb = L.site_codebook[static_cast<std::size_t>(site)];
    if (cb >= 0) apply_codebook(st, cb, data, n, width, p0);
  }

  // Copies the rows entering (layer, site) into every matching capture buffer.
  void capture(std::size_t layer, CodebookSite site, const float* data, std::size_t width) {
    for (const ActivationCapture& c : st.captures) {
      if (c.layer != layer || c.site != site || p0 >= c.rows) continue;
      const std::size_t rows = std::min(n, c.rows - p0);
      std::memcpy(c.dst + p0 * width, data, rows * width * sizeof(float));
    }
  }

  void layer_norm(const float* in, const float* w, const float* b, float* out) {
    for (std::size_t r = 0; r < n; ++r)
      kern.f32_layernorm(in + r * d, w, b, d, a.norm_eps, out + r * d);
  }

  void linear(const PreparedLinear& lin, const float* in, std::size_t in_width, float* out, std::size_t out_width) {
    parallel_linear(st, lin, in, n, in_width, out, out_width);
  }

  void add(const float* x, const float* y, float* out, std::size_t width) {
    kern.f32_add(x, y, out, n * width);
  }

  void embed(const std::int32_t* ids) {
    float* x = st.x.data();
    for (std::size_t r = 0; r < n; ++r) {
      pm.tok_embed().read_row(static_cast<std::size_t>(ids[r]), x + r * d);
      if (a.positions == PositionKind::learned) {
        float* row = st.final_row.data();
        pm.pos_embed().read_row(p0 + r, row);
        kern.f32_add(x + r * d, row, x + r * d, d);
      }
    }
  }

  // Attention block on ln_out -> attn_out (codebooks qkv, attn_preproj, attn inside).
  void attention(std::size_t layer, const PreparedLayer& L) {
    const std::size_t hd = a.head_dim, heads = a.n_heads, w3 = 3 * d;
    float* qkv = st.qkv.data();
    linear(L.qkv, st.ln_out.data(), d, qkv, w3);
    codebook(layer, L, CodebookSite::qkv, qkv, w3);

    float* k_cache = st.k_cache.data() + layer * st.capacity * d;
    float* v_cache = st.v_cache.data() + layer * st.capacity * d;
    const bool rotary = a.positions == PositionKind::rotary && a.rotary_dims > 0;
    for (std::size_t r = 0; r < n; ++r) {
      const float* row = qkv + r * w3;
      float* q = st.q.data() + r * d;
      float* k = k_cache + (p0 + r) * d;
      float* v = v_cache + (p0 + r) * d;
      for (std::size_t h = 0; h < heads; ++h) {
        std::memcpy(q + h * hd, row + pm.q_offset(h), hd * sizeof(float));
        std::memcpy(k + h * hd, row + pm.k_offset(h), hd * sizeof(float));
        std::memcpy(v + h * hd, row + pm.v_offset(h), hd * sizeof(float));
      }
      if (rotary) {
        kern.f32_rotary_neox(q, heads, hd, a.rotary_dims, p0 + r, a.rotary_base);
        kern.f32_rotary_neox(k, heads, hd, a.rotary_dims, p0 + r, a.rotary_base);
      }
    }
    simd::AttentionShape shape;
    shape.n_heads = heads;
    shape.head_dim = hd;
    shape.kv_stride = d;
    shape.scale = L.attention_scale;
    shape.window = L.window;
    parallel_attention(st, shape, st.q.data(), n, d, k_cache, v_cache, p0, st.z.data(), d);
    codebook(layer, L, CodebookSite::attn_preproj, st.z.data(), d);
    linear(L.out, st.z.data(), d, st.attn_out.data(), d);
    codebook(layer, L, CodebookSite::attn, st.attn_out.data(), d);
  }

  // MLP on mlp_in -> mlp_out (codebooks mlp_mid, mlp inside).
  void mlp(std::size_t layer, const PreparedLayer& L) {
    const std::size_t m = a.d_mlp;
    float* mid = st.mid.data();
    linear(L.up, st.mlp_in.data(), d, mid, m);
    switch (a.activation) {
      case Activation::gelu: parallel_unary(st, kern.f32_gelu_erf, mid, n * m); break;
      case Activation::gelu_new: parallel_unary(st, kern.f32_gelu_tanh, mid, n * m); break;
      case Activation::relu: parallel_unary(st, kern.f32_relu, mid, n * m); break;
    }
    codebook(layer, L, CodebookSite::mlp_mid, mid, m);
    linear(L.down, mid, m, st.mlp_out.data(), d);
    codebook(layer, L, CodebookSite::mlp, st.mlp_out.data(), d);
  }

  void block(std::size_t layer) {
    const PreparedLayer& L = pm.layers()[layer];
    float* x = st.x.data();
    layer_norm(x, L.ln1_weight, L.ln1_bias, st.ln_out.data());
    attention(layer, L);
    const bool attn_plus_mlp = L.site_codebook[static_cast<std::size_t>(CodebookSite::attn_plus_mlp)] >= 0;
    float* sum = st.resid.data();
    if (a.family == Family::gpt_neox && a.parallel_residual) {
      layer_norm(x, L.ln2_weight, L.ln2_bias, st.mlp_in.data());
      mlp(layer, L);
      add(st.mlp_out.data(), st.attn_out.data(), sum, d);  // m + a
      if (attn_plus_mlp) codebook(layer, L, CodebookSite::attn_plus_mlp, sum, d);
      add(sum, x, x, d);
    } else {
      add(st.attn_out.data(), x, sum, d);  // h = a + x
      layer_norm(sum, L.ln2_weight, L.ln2_bias, st.mlp_in.data());
      mlp(layer, L);
      if (attn_plus_mlp) {
        add(st.mlp_out.data(), st.attn_out.data(), sum, d);  // x + CB(m + a)
        codebook(layer, L, CodebookSite::attn_plus_mlp, sum, d);
        add(sum, x, x, d);
      } else {
        add(st.mlp_out.data(), sum, x, d);  // m + h
      }
    }
    codebook(layer, L, CodebookSite::transformer_block, x, d);
  }

  void logits(float* all_logits) {
    const std::size_t vocab = a.vocab_size;
    float* row = st.final_row.data();
    if (all_logits != nullptr) {
      layer_norm(st.x.data(), pm.final_norm_weight(), pm.final_norm_bias(), st.ln_out.data());
      parallel_linear(st, pm.lm_head(), st.ln_out.data(), n, d, all_logits, vocab);
      std::memcpy(st.logits.data(), all_logits + (n - 1) * vocab, vocab * sizeof(float));
    } else {
      kern.f32_layernorm(st.x.data() + (n - 1) * d, pm.final_norm_weight(), pm.final_norm_bias(),
                         d, a.norm_eps, row);
      parallel_linear(st, pm.lm_head(), row, 1, d, st.logits.data(), vocab, /*use_gemv=*/true);
    }
  }
};

}  // namespace

SessionMemory plan_memory(const PreparedModel& pm, std::size_t capacity, std::size_t chunk, bool trace,
                          std::size_t workers) noexcept {
  const Architecture& a = pm.arch();
  const std::uint64_t d = a.d_model, c = chunk, cap = capacity, vocab = a.vocab_size;
  const std::uint64_t max_k = std::max<std::size_t>(pm.max_k(), 1);
  std::uint64_t groups = 0;
  for (const PreparedCodebook& cb : pm.codebooks()) groups += cb.groups;
  SessionMemory m;
  m.kv_cache = 2 * a.n_layers * cap * d * sizeof(float);
  const std::uint64_t chunk_floats = c * (8 * d + 3 * d + a.d_mlp + std::max<std::size_t>(pm.max_group_dim(), 1));
  m.scratch = sizeof(SessionState) + (chunk_floats + cap + d + vocab) * sizeof(float) +
              c * max_k * (sizeof(std::int32_t) + sizeof(float)) +                // top_ids, top_scores
              vocab * (sizeof(std::int32_t) + sizeof(double)) +                  // sampler
              groups * sizeof(GroupSteering) +
              pm.codebooks().size() * (sizeof(std::vector<GroupSteering>) + 1) +  // + steered flags
              SelectionScratch::bytes(max_k, 0);
  // Each extra worker: its own codebook rows, top-k lists, attention scores and selection scratch.
  if (workers > 1)
    m.scratch += (workers - 1) * (sizeof(WorkerScratch) +
                                  (c * std::max<std::size_t>(pm.max_group_dim(), 1) + cap) * sizeof(float) +
                                  c * max_k * (sizeof(std::int32_t) + sizeof(float)) +
                                  SelectionScratch::bytes(max_k, 0));
  if (trace) {
    m.scratch += pm.codebooks().size() * sizeof(TraceBook);
    for (const PreparedCodebook& cb : pm.codebooks())
      m.trace += trace_entries(cb, capacity, cb.k) * (sizeof(std::int32_t) + sizeof(float));
  }
  return m;
}

void allocate_state(SessionState& st) {
  const PreparedModel& pm = *st.pm;
  const Architecture& a = pm.arch();
  const std::size_t d = a.d_model, c = st.chunk, cap = st.capacity;
  resize(st.k_cache, a.n_layers * cap * d);
  resize(st.v_cache, a.n_layers * cap * d);
  for (auto* v : {&st.x, &st.ln_out, &st.q, &st.z, &st.attn_out, &st.mlp_in, &st.mlp_out, &st.resid})
    resize(*v, c * d);
  resize(st.qkv, c * 3 * d);
  resize(st.mid, c * a.d_mlp);
  resize(st.x_hat, c * std::max<std::size_t>(pm.max_group_dim(), 1));
  st.top_ids.assign(c * std::max<std::size_t>(pm.max_k(), 1), -1);
  resize(st.top_scores, c * std::max<std::size_t>(pm.max_k(), 1));
  resize(st.attention_scratch, cap);
  resize(st.final_row, d);
  resize(st.logits, a.vocab_size);
  st.sample_order.assign(a.vocab_size, 0);
  st.sample_prob.assign(a.vocab_size, 0.0);
  st.group_steering.resize(pm.codebooks().size());
  st.codebook_steered.assign(pm.codebooks().size(), false);
  for (std::size_t i = 0; i < pm.codebooks().size(); ++i)
    st.group_steering[i].assign(pm.codebooks()[i].groups, GroupSteering{});
  st.selection.reserve(std::max<std::size_t>(pm.max_k(), 1), 0);
  if (st.trace) {
    st.traces.resize(pm.codebooks().size());
    for (std::size_t i = 0; i < pm.codebooks().size(); ++i) {
      const PreparedCodebook& cb = pm.codebooks()[i];
      TraceBook& t = st.traces[i];
      t.slots = cb.k;
      t.ids.assign(static_cast<std::size_t>(trace_entries(cb, cap, t.slots)), kTraceNoSlot);
      t.scores.assign(t.ids.size(), 0.0f);
    }
    clear_trace(st);
  }
  for (WorkerScratch& w : st.helpers) {
    resize(w.x_hat, c * std::max<std::size_t>(pm.max_group_dim(), 1));
    w.top_ids.assign(c * std::max<std::size_t>(pm.max_k(), 1), -1);
    resize(w.top_scores, c * std::max<std::size_t>(pm.max_k(), 1));
    resize(w.attention_scratch, cap);
    w.selection.reserve(std::max<std::size_t>(pm.max_k(), 1), 0);
  }
  st.memory_bytes = plan_memory(pm, cap, c, st.trace, st.helpers.size() + 1).total();
}

WorkerBuffers worker_buffers(SessionState& st, unsigned worker) noexcept {
  if (worker == 0)
    return {st.x_hat.data(), st.top_ids.data(), st.top_scores.data(), st.attention_scratch.data(), &st.selection};
  WorkerScratch& w = st.helpers[worker - 1];
  return {w.x_hat.data(), w.top_ids.data(), w.top_scores.data(), w.attention_scratch.data(), &w.selection};
}

void run_chunk(SessionState& st, const std::int32_t* ids, std::size_t n, std::size_t p0,
               float* all_logits) noexcept {
  const PreparedModel& pm = *st.pm;
  Chunk c{st, pm, *st.kern, pm.arch(), n, p0, pm.arch().d_model};
  c.embed(ids);
  for (std::size_t layer = 0; layer < pm.arch().n_layers; ++layer) c.block(layer);
  c.logits(all_logits);
  st.has_logits = true;
}

}  // namespace cbk::engine_detail
