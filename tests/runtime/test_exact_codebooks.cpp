// Exact quantized codebooks: a file whose code tables are f16/int8 plus their f32 originals
// (convert.py --codebook-dtype f16|int8) must behave bit for bit like the f32 file it came from:
// the same code ids and scores at every token, slot and group, the same logits, the same greedy
// tokens, with and without steering (whose re-searches and scores use the f32 originals).
#include <cmath>
#include <cstring>

#include "engine_test_support.hpp"

namespace {

using cbk::test::open_session;
using cbk::test::prepared;

struct Run {
  std::vector<std::int32_t> tokens;
  std::vector<float> logits;                 // every step's logits, concatenated
  std::vector<std::vector<std::int32_t>> ids;  // per (codebook, group): the whole trace
  std::vector<std::vector<float>> scores;
};

Run run_model(const std::string& name, const cbk::Steering& steering) {
  auto pm = prepared(name);
  auto s = open_session(pm, true, 7);  // chunk 7: a prompt of several chunks and a partial one
  REQUIRE(s->set_steering(steering).ok());
  const std::size_t vocab = pm->arch().vocab_size;
  Run r;
  r.tokens = cbk::test::test_prompt(19, vocab);
  REQUIRE(s->prefill(r.tokens.data(), r.tokens.size()).ok());
  for (int step = 0; step < 12; ++step) {
    const float* l = s->logits();
    r.logits.insert(r.logits.end(), l, l + vocab);
    std::int32_t best = 0;
    for (std::size_t v = 1; v < vocab; ++v)
      if (l[v] > l[best]) best = static_cast<std::int32_t>(v);
    r.tokens.push_back(best);
    REQUIRE(s->decode(best).ok());
  }
  for (std::size_t c = 0; c < pm->codebooks().size(); ++c)
    for (std::size_t g = 0; g < pm->codebooks()[c].groups; ++g) {
      const std::size_t n = s->position() * s->trace_slots(c);
      r.ids.emplace_back(s->trace_ids(c, g), s->trace_ids(c, g) + n);
      r.scores.emplace_back(s->trace_scores(c, g), s->trace_scores(c, g) + n);
    }
  return r;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

cbk::Steering mixed_steering() {
  cbk::Steering st;
  cbk::ForceCode f;
  f.target = {0, cbk::CodebookSite::attn_preproj, 2};
  f.code = 977;
  f.positions = cbk::PositionSet::generated();
  f.slot = 0;
  st.forces.push_back(f);
  cbk::DisableCodes keep;  // keep mode: the search itself skips the 3 best codes
  keep.target = {1, cbk::CodebookSite::mlp, -1};
  keep.top_n = 3;
  keep.codes = {5, 17};
  st.disables.push_back(keep);
  return st;
}

}  // namespace

TEST_CASE("exact f16 and int8 codebooks reproduce the f32 file bit for bit", "[engine][exact]") {
  for (const bool steered : {false, true}) {
    const cbk::Steering steering = steered ? mixed_steering() : cbk::Steering{};
    const Run want = run_model("exact_f32", steering);
    for (const char* name : {"exact_f16", "exact_int8"}) {
      DYNAMIC_SECTION(name << (steered ? " steered" : "")) {
        const Run got = run_model(name, steering);
        CHECK(got.tokens == want.tokens);
        CHECK(same_bits(got.logits, want.logits));
        REQUIRE(got.ids.size() == want.ids.size());
        for (std::size_t i = 0; i < want.ids.size(); ++i) {
          INFO("codebook group " << i);
          CHECK(got.ids[i] == want.ids[i]);
          CHECK(same_bits(got.scores[i], want.scores[i]));
        }
      }
    }
  }
}

TEST_CASE("an exact quantized group scans its quantized table and gathers the f32 originals", "[engine][exact]") {
  auto f32 = prepared("exact_f32");
  auto q8 = prepared("exact_int8");
  const cbk::PreparedGroup& a = f32->codebooks()[0].group[0];
  const cbk::PreparedGroup& b = q8->codebooks()[0].group[0];
  CHECK(a.search_exact == nullptr);
  REQUIRE(b.search_exact != nullptr);
  CHECK(b.exact.quantized.dtype == cbk::simd::DType::int8);
  CHECK(b.book.dtype == cbk::simd::DType::f32);  // gather / steering scores read the originals
  const std::size_t n = a.book.n_codes * a.book.dim;
  CHECK(std::memcmp(a.book.codes, b.book.codes, n * sizeof(float)) == 0);
  CHECK(std::memcmp(a.book.norm_term, b.book.norm_term, a.book.n_codes * sizeof(float)) == 0);
  for (std::size_t j = 0; j < b.book.n_codes; ++j) {
    CHECK(b.exact.quant_error[j] > 0.0f);  // int8 rounding leaves some error in every random row
    CHECK(b.exact.quant_error[j] < 0.05f * std::sqrt(static_cast<float>(b.book.dim)));
  }
}
