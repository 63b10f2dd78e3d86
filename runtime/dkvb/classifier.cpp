#include "runtime/dkvb/classifier.hpp"

#include <algorithm>
#include <cmath>
#include <new>
#include <string>

namespace cbk::dkvb {
namespace {

Error key_range(std::size_t head, std::int64_t key, std::size_t heads, std::size_t pairs) {
  if (head >= heads)
    return Error(Status::out_of_range, "head " + std::to_string(head) + " is out of range (the model has " +
                                           std::to_string(heads) + " heads)");
  if (key < 0 || static_cast<std::uint64_t>(key) >= pairs)
    return Error(Status::out_of_range, "key " + std::to_string(key) + " is out of range (each head has " +
                                           std::to_string(pairs) + " pairs)");
  return Error();
}

}  // namespace

Error Classifier::create(std::shared_ptr<const PreparedDkvb> model, std::unique_ptr<Classifier>* out) noexcept {
  if (model == nullptr || out == nullptr) return Error(Status::invalid_argument, "model and out must not be NULL");
  try {
    std::unique_ptr<Classifier> c(new Classifier(std::move(model)));
    const PreparedDkvb& m = *c->model_;
    std::size_t widest = m.embed_dim();
    for (const Linear& l : m.encoder()) widest = std::max(widest, l.w.out_features);
    c->hidden_a_.resize(widest);
    c->hidden_b_.resize(widest);
    c->queries_.resize(m.heads() * m.key_dim());
    c->concat_.resize(m.heads() * m.value_dim());
    c->rows_.resize(m.heads());
    c->forced_.assign(m.heads(), -1);
    c->masked_.assign(m.heads() * m.pairs(), 0);
    c->live_.resize(m.heads());
    if (Error e = c->apply_masks(c->masked_, true, -1); !e.ok()) return e;
    *out = std::move(c);
    return Error();
  } catch (const std::bad_alloc&) {
    return Error(Status::out_of_memory, "out of memory while creating a dkvb classifier");
  }
}

bool Classifier::live(std::size_t head, std::size_t key, const std::vector<std::uint8_t>& masked,
                      bool file_mask) const noexcept {
  const std::size_t i = head * model_->pairs() + key;
  if (masked[i]) return false;
  const std::uint8_t* used = model_->used_pairs();
  return !file_mask || used == nullptr || used[i] != 0;
}

bool Classifier::searchable(std::size_t head, std::size_t key) const noexcept {
  return live(head, key, masked_, file_mask_);
}

Error Classifier::build_live(std::size_t head, const std::vector<std::uint8_t>& masked, bool file_mask,
                             LiveKeys* out) const {
  const std::size_t pairs = model_->pairs(), d = model_->key_dim();
  std::size_t n_live = 0;
  for (std::size_t j = 0; j < pairs; ++j) n_live += live(head, j, masked, file_mask) ? 1 : 0;
  *out = LiveKeys();
  if (n_live == 0)
    return Error(Status::invalid_argument, "head " + std::to_string(head) + " would have no searchable pair left");
  if (n_live == pairs) return Error();  // the full table
  const float* keys = model_->keys() + head * pairs * d;
  const float* norms = model_->key_norm_terms() + head * pairs;
  out->keys.reserve(n_live * d);
  out->norms.reserve(n_live);
  out->ids.reserve(n_live);
  for (std::size_t j = 0; j < pairs; ++j) {
    if (!live(head, j, masked, file_mask)) continue;
    out->keys.insert(out->keys.end(), keys + j * d, keys + (j + 1) * d);
    out->norms.push_back(norms[j]);
    out->ids.push_back(static_cast<std::int32_t>(j));
  }
  return Error();
}

Error Classifier::apply_masks(std::vector<std::uint8_t> masked, bool file_mask, std::int64_t only_head) noexcept {
  try {
    const std::size_t heads = model_->heads();
    const std::size_t first = only_head < 0 ? 0 : static_cast<std::size_t>(only_head);
    const std::size_t end = only_head < 0 ? heads : first + 1;
    std::vector<LiveKeys> rebuilt(end - first);
    for (std::size_t h = first; h < end; ++h)
      if (Error e = build_live(h, masked, file_mask, &rebuilt[h - first]); !e.ok()) return e;
    for (std::size_t h = first; h < end; ++h) live_[h] = std::move(rebuilt[h - first]);
    masked_ = std::move(masked);
    file_mask_ = file_mask;
    return Error();
  } catch (const std::bad_alloc&) {
    return Error(Status::out_of_memory, "out of memory while masking pairs");
  }
}

Error Classifier::force_key(std::size_t head, std::int32_t key) noexcept {
  if (key == -1 && head < model_->heads()) {
    forced_[head] = -1;
    return Error();
  }
  if (Error e = key_range(head, key, model_->heads(), model_->pairs()); !e.ok()) return e;
  forced_[head] = key;
  return Error();
}

Error Classifier::mask_pairs(std::int64_t head, const std::int32_t* keys, std::size_t n, bool masked) noexcept {
  const std::size_t heads = model_->heads(), pairs = model_->pairs();
  if (head < -1 || head >= static_cast<std::int64_t>(heads))
    return Error(Status::out_of_range, "head " + std::to_string(head) + " is out of range (the model has " +
                                           std::to_string(heads) + " heads; -1 = every head)");
  if (keys == nullptr && n != 0) return Error(Status::invalid_argument, "keys is NULL but n > 0");
  for (std::size_t i = 0; i < n; ++i)
    if (keys[i] < 0 || static_cast<std::size_t>(keys[i]) >= pairs)
      return Error(Status::out_of_range, "key " + std::to_string(keys[i]) + " (entry " + std::to_string(i) +
                                             ") is out of range (each head has " + std::to_string(pairs) + " pairs)");
  try {
    std::vector<std::uint8_t> next = masked_;
    const std::size_t first = head < 0 ? 0 : static_cast<std::size_t>(head);
    const std::size_t end = head < 0 ? heads : first + 1;
    for (std::size_t h = first; h < end; ++h)
      for (std::size_t i = 0; i < n; ++i) next[h * pairs + static_cast<std::size_t>(keys[i])] = masked ? 1 : 0;
    return apply_masks(std::move(next), file_mask_, head);
  } catch (const std::bad_alloc&) {
    return Error(Status::out_of_memory, "out of memory while masking pairs");
  }
}

Error Classifier::use_file_mask(bool enabled) noexcept {
  try {
    return apply_masks(masked_, enabled, -1);
  } catch (const std::bad_alloc&) {
    return Error(Status::out_of_memory, "out of memory while switching the used-pair mask");
  }
}

Error Classifier::set_value(std::size_t head, std::size_t key, const float* value) noexcept {
  const std::size_t pairs = model_->pairs(), vd = model_->value_dim();
  if (Error e = key_range(head, static_cast<std::int64_t>(std::min<std::uint64_t>(key, INT64_MAX)), model_->heads(), pairs);
      !e.ok())
    return e;
  if (value == nullptr) return Error(Status::invalid_argument, "value is NULL");
  for (std::size_t i = 0; i < vd; ++i)
    if (!std::isfinite(value[i]))
      return Error(Status::non_finite_value, "value entry " + std::to_string(i) + " is NaN or infinite");
  try {
    if (values_.empty()) values_.assign(model_->values(), model_->values() + model_->heads() * pairs * vd);
  } catch (const std::bad_alloc&) {
    return Error(Status::out_of_memory, "out of memory while copying the value table for an override");
  }
  std::copy(value, value + vd, values_.begin() + static_cast<std::ptrdiff_t>((head * pairs + key) * vd));
  return Error();
}

const float* Classifier::value(std::size_t head, std::size_t key) const noexcept {
  return value_table() + (head * model_->pairs() + key) * model_->value_dim();
}

void Classifier::clear_steering() noexcept {
  std::fill(forced_.begin(), forced_.end(), -1);
  std::fill(masked_.begin(), masked_.end(), std::uint8_t{0});
  std::vector<float>().swap(values_);
  // Dropping steering masks can only widen each head's search; only the file's mask remains.
  for (std::size_t h = 0; h < live_.size(); ++h) {
    LiveKeys rebuilt;
    try {
      if (build_live(h, masked_, true, &rebuilt).ok()) live_[h] = std::move(rebuilt);
    } catch (const std::bad_alloc&) {
      live_[h] = LiveKeys();  // cannot compact: search every pair (the file's mask is then ignored)
    }
  }
  file_mask_ = true;
}

std::int32_t Classifier::search_head(std::size_t head, const float* query) const noexcept {
  const LiveKeys& live = live_[head];
  simd::CodebookView book = model_->head_keys(head);
  if (!live.ids.empty()) {
    book.codes = live.keys.data();
    book.norm_term = live.norms.data();
    book.n_codes = live.ids.size();
  }
  std::int32_t id = -1;
  float score = 0.0f;
  model_->kernels().f32_codebook_search(book, query, 1, &id, &score);
  return live.ids.empty() ? id : live.ids[static_cast<std::size_t>(id)];
}

void Classifier::run_row(const float* x, std::int32_t* keys_out, float* logits_out) noexcept {
  const PreparedDkvb& m = *model_;
  const simd::Kernels& k = m.kernels();
  const float* z = x;
  float* buffers[2] = {hidden_a_.data(), hidden_b_.data()};
  for (std::size_t l = 0; l < m.encoder().size(); ++l) {
    const Linear& layer = m.encoder()[l];
    float* y = buffers[l % 2];
    k.f32_linear_gemv(layer.w, layer.bias, z, y);
    if (l + 1 < m.encoder().size()) k.f32_relu(y, y, layer.w.out_features);
    z = y;
  }
  const float* q = z;
  if (const Linear* p = m.projection()) {
    k.f32_linear_gemv(p->w, nullptr, z, queries_.data());
    q = queries_.data();
  }
  const std::size_t heads = m.heads(), pairs = m.pairs(), dk = m.key_dim(), vd = m.value_dim();
  for (std::size_t c = 0; c < heads; ++c) {
    const std::int32_t id = forced_[c] >= 0 ? forced_[c] : search_head(c, q + c * dk);
    if (keys_out != nullptr) keys_out[c] = id;
    rows_[c] = static_cast<std::int32_t>(c * pairs + static_cast<std::size_t>(id));
  }
  if (logits_out == nullptr) return;
  simd::CodebookView values;
  values.codes = value_table();
  values.n_codes = heads * pairs;
  values.dim = vd;
  if (const Linear* d = m.decoder()) {
    for (std::size_t c = 0; c < heads; ++c)
      std::copy_n(value_table() + static_cast<std::size_t>(rows_[c]) * vd, vd, concat_.data() + c * vd);
    k.f32_linear_gemv(d->w, d->bias, concat_.data(), logits_out);
  } else {
    k.f32_gather_mean(values, rows_.data(), heads, nullptr, logits_out);
  }
}

Error Classifier::classify(const float* inputs, std::size_t rows, std::int32_t* keys_out, float* logits_out) noexcept {
  const std::size_t n = model_->input_dim();
  if (inputs == nullptr && rows != 0) return Error(Status::invalid_argument, "inputs is NULL");
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t i = 0; i < n; ++i)
      if (!std::isfinite(inputs[r * n + i]))
        return Error(Status::non_finite_value, "input row " + std::to_string(r) + " entry " + std::to_string(i) +
                                                   " is NaN or infinite");
  for (std::size_t r = 0; r < rows; ++r)
    run_row(inputs + r * n, keys_out != nullptr ? keys_out + r * model_->heads() : nullptr,
            logits_out != nullptr ? logits_out + r * model_->classes() : nullptr);
  return Error();
}

}  // namespace cbk::dkvb
