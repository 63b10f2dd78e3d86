// Activation capture: the captured rows are exactly what each codebook searched (recomputing the
// search from them reproduces the trace), capturing changes nothing, prefill and decode capture
// the same rows, and bad captures are refused.
#include <cmath>
#include <limits>

#include "tests/runtime/engine_test_support.hpp"

namespace {

using cbk::ActivationCapture;
using cbk::CodebookSite;

// Top-1 inner-product code of LayerNorm(x) with the group's affine: max <x̂, c> / ‖c‖ (the
// reference's search, tools/python/cbk_reference/codebook.py).
std::int32_t reference_top1(const cbk::CodebookGroup& g, const float* x, std::size_t dim, std::size_t codes) {
  double mean = 0.0, var = 0.0;
  for (std::size_t i = 0; i < dim; ++i) mean += x[i];
  mean /= static_cast<double>(dim);
  for (std::size_t i = 0; i < dim; ++i) var += (x[i] - mean) * (x[i] - mean);
  var /= static_cast<double>(dim);
  const double inv = 1.0 / std::sqrt(var + 1e-5);
  std::int32_t best = -1;
  double best_score = -std::numeric_limits<double>::infinity();
  for (std::size_t c = 0; c < codes; ++c) {
    double s = 0.0, norm = 0.0;
    for (std::size_t i = 0; i < dim; ++i) {
      const double code = g.codes.f32()[c * dim + i];
      s += ((x[i] - mean) * inv * g.ln_weight.f32()[i] + g.ln_bias.f32()[i]) * code;
      norm += code * code;
    }
    s /= std::sqrt(norm);
    if (s > best_score) best_score = s, best = static_cast<std::int32_t>(c);
  }
  return best;
}

}  // namespace

TEST_CASE("captured codebook inputs reproduce the traced code ids", "[engine][capture]") {
  auto pm = cbk::test::prepared("neox_parallel");
  const auto& arch = pm->arch();
  const auto prompt = cbk::test::test_prompt(9, arch.vocab_size);
  auto plain = cbk::test::open_session(pm, true, 4);
  std::vector<float> plain_logits(prompt.size() * arch.vocab_size);
  REQUIRE(plain->prefill(prompt.data(), prompt.size(), plain_logits.data()).ok());

  // One buffer per codebook; rows = prompt length.
  const auto& books = pm->model().codebooks();
  std::vector<std::vector<float>> bufs(books.size());
  std::vector<ActivationCapture> caps;
  for (std::size_t c = 0; c < books.size(); ++c) {
    if (books[c].site == CodebookSite::attn_plus_mlp) continue;  // a capture there is tested below
    bufs[c].assign(prompt.size() * cbk::site_width(arch, books[c].site), std::nanf(""));
    caps.push_back({books[c].layer, books[c].site, bufs[c].data(), prompt.size()});
  }
  auto s = cbk::test::open_session(pm, true, 4);  // chunks of 4: positions beyond the first chunk
  REQUIRE(s->set_captures(caps).ok());
  std::vector<float> logits(plain_logits.size());
  REQUIRE(s->prefill(prompt.data(), prompt.size(), logits.data()).ok());
  CHECK(logits == plain_logits);  // capturing changes nothing

  std::size_t checked = 0;
  for (std::size_t c = 0; c < books.size(); ++c) {
    const cbk::Codebook& cb = books[c];
    if (bufs[c].empty() || cb.k != 1 || cb.similarity != cbk::Similarity::inner_product ||
        cb.group_data[0].codes.dtype != cbk::DType::f32)
      continue;
    const std::size_t width = cbk::site_width(arch, cb.site);
    for (std::size_t g = 0; g < cb.groups; ++g) {
      const std::int32_t* ids = s->trace_ids(c, g);
      for (std::size_t p = 0; p < prompt.size(); ++p) {
        INFO("codebook " << c << " group " << g << " position " << p);
        CHECK(ids[p] == reference_top1(cb.group_data[g], bufs[c].data() + p * width + g * cb.dim, cb.dim, cb.codes));
        ++checked;
      }
    }
  }
  CHECK(checked > 0);
}

TEST_CASE("prefill and decode capture the same rows; rows bound the writes", "[engine][capture]") {
  auto pm = cbk::test::prepared("neox_sequential");
  const auto& arch = pm->arch();
  const auto prompt = cbk::test::test_prompt(7, arch.vocab_size);
  const std::size_t w = cbk::site_width(arch, CodebookSite::mlp_mid);
  REQUIRE(w == arch.d_mlp);
  std::vector<float> a(prompt.size() * w, -7.0f), b(a.size(), -7.0f);
  const std::size_t rows = 5;  // positions 5 and 6 are not written

  auto s1 = cbk::test::open_session(pm, false);
  REQUIRE(s1->set_captures({{1, CodebookSite::mlp_mid, a.data(), rows}}).ok());
  REQUIRE(s1->prefill(prompt.data(), prompt.size()).ok());
  auto s2 = cbk::test::open_session(pm, false);
  REQUIRE(s2->set_captures({{1, CodebookSite::mlp_mid, b.data(), rows}}).ok());
  REQUIRE(s2->prefill(prompt.data(), 1).ok());
  for (std::size_t i = 1; i < prompt.size(); ++i) REQUIRE(s2->decode(prompt[i]).ok());
  for (std::size_t i = 0; i < rows * w; ++i) {
    INFO("float " << i);
    REQUIRE(a[i] != -7.0f);
    REQUIRE(std::fabs(a[i] - b[i]) <= 1e-4f * (1.0f + std::fabs(a[i])));
  }
  for (std::size_t i = rows * w; i < a.size(); ++i) REQUIRE((a[i] == -7.0f && b[i] == -7.0f));

  // An empty list turns capturing off: the buffer is no longer written.
  std::fill(a.begin(), a.end(), -7.0f);
  REQUIRE(s1->set_captures({}).ok());
  s1->reset();
  REQUIRE(s1->prefill(prompt.data(), prompt.size()).ok());
  for (float v : a) REQUIRE(v == -7.0f);
}

TEST_CASE("bad captures are refused and keep the old list", "[engine][capture]") {
  auto pm = cbk::test::prepared("steering");  // one layer, no attn_plus_mlp codebook
  auto s = cbk::test::open_session(pm, false);
  std::vector<float> buf(4 * pm->arch().d_model);
  REQUIRE(s->set_captures({{0, CodebookSite::attn, buf.data(), 4}}).ok());
  CHECK(s->set_captures({{1, CodebookSite::attn, buf.data(), 4}}).status == cbk::Status::out_of_range);
  CHECK(s->set_captures({{0, static_cast<CodebookSite>(9), buf.data(), 4}}).status == cbk::Status::out_of_range);
  CHECK(s->set_captures({{0, CodebookSite::attn_plus_mlp, buf.data(), 4}}).status == cbk::Status::out_of_range);
  CHECK(s->set_captures({{0, CodebookSite::mlp, nullptr, 4}}).status == cbk::Status::invalid_argument);
  std::fill(buf.begin(), buf.end(), -7.0f);
  const auto prompt = cbk::test::test_prompt(3, pm->arch().vocab_size);
  REQUIRE(s->prefill(prompt.data(), prompt.size()).ok());
  CHECK(buf[0] != -7.0f);                         // the first list is still installed
  CHECK(buf[3 * pm->arch().d_model] == -7.0f);    // position 3 was never run
}
