// Batched prefill, chunked prefill and token-by-token decode must agree: logits within 1e-5 and
// identical code ids at every token, codebook, group and slot.
#include <algorithm>
#include <cmath>

#include "tests/runtime/engine_test_support.hpp"

namespace {

using cbk::Session;

struct Run {
  std::vector<float> logits;  // [tokens x vocab]
  std::unique_ptr<Session> session;
};

Run run_prefill(std::shared_ptr<const cbk::PreparedModel> pm, const std::vector<std::int32_t>& ids,
                std::uint32_t chunk) {
  Run r;
  r.session = cbk::test::open_session(pm, true, chunk);
  r.logits.resize(ids.size() * pm->arch().vocab_size);
  cbk::Error e = r.session->prefill(ids.data(), ids.size(), r.logits.data());
  INFO(e.message);
  REQUIRE(e.ok());
  return r;
}

Run run_decode(std::shared_ptr<const cbk::PreparedModel> pm, const std::vector<std::int32_t>& ids) {
  Run r;
  r.session = cbk::test::open_session(pm, true);
  const std::size_t vocab = pm->arch().vocab_size;
  REQUIRE(r.session->prefill(ids.data(), 1).ok());
  r.logits.assign(r.session->logits(), r.session->logits() + vocab);
  for (std::size_t i = 1; i < ids.size(); ++i) {
    REQUIRE(r.session->decode(ids[i]).ok());
    r.logits.insert(r.logits.end(), r.session->logits(), r.session->logits() + vocab);
  }
  return r;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  float m = 0.0f;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

void require_same_trace(const Session& a, const Session& b, std::size_t tokens) {
  const auto& books = a.model().codebooks();
  for (std::size_t c = 0; c < books.size(); ++c) {
    REQUIRE(a.trace_slots(c) == b.trace_slots(c));
    const std::size_t slots = a.trace_slots(c);
    for (std::size_t g = 0; g < books[c].groups; ++g) {
      const std::int32_t* ia = a.trace_ids(c, g);
      const std::int32_t* ib = b.trace_ids(c, g);
      const float* sa = a.trace_scores(c, g);
      const float* sb = b.trace_scores(c, g);
      for (std::size_t i = 0; i < tokens * slots; ++i) {
        INFO("codebook " << c << " group " << g << " token " << i / slots << " slot " << i % slots);
        REQUIRE(ia[i] == ib[i]);
        REQUIRE(std::fabs(sa[i] - sb[i]) <= 1e-5f);
      }
    }
  }
}

// Every slot holds a valid code, slot scores never increase.
void require_plausible_trace(const Session& s, std::size_t tokens) {
  const auto& books = s.model().codebooks();
  for (std::size_t c = 0; c < books.size(); ++c) {
    const std::size_t slots = s.trace_slots(c);
    REQUIRE(slots == books[c].k);
    for (std::size_t g = 0; g < books[c].groups; ++g) {
      for (std::size_t t = 0; t < tokens; ++t) {
        const std::int32_t* ids = s.trace_ids(c, g) + t * slots;
        const float* sc = s.trace_scores(c, g) + t * slots;
        for (std::size_t k = 0; k < slots; ++k) {
          REQUIRE(ids[k] >= 0);
          REQUIRE(ids[k] < static_cast<std::int32_t>(books[c].codes));
          if (k > 0) REQUIRE(sc[k] <= sc[k - 1]);
        }
      }
    }
  }
}

}  // namespace

TEST_CASE("prefill, chunked prefill and decode agree at every site", "[engine]") {
  const char* name = GENERATE("neox_parallel", "neox_sequential", "gpt2", "gpt_neo");
  INFO(name);
  auto pm = cbk::test::prepared(name);
  const auto ids = cbk::test::test_prompt(20, pm->arch().vocab_size);
  Run full = run_prefill(pm, ids, 64);
  Run chunked = run_prefill(pm, ids, 3);
  Run stepped = run_decode(pm, ids);
  CHECK(max_abs_diff(full.logits, chunked.logits) <= 1e-5f);
  CHECK(max_abs_diff(full.logits, stepped.logits) <= 1e-5f);
  require_same_trace(*full.session, *chunked.session, ids.size());
  require_same_trace(*full.session, *stepped.session, ids.size());
  require_plausible_trace(*full.session, ids.size());
  // logits() after prefill is the last row of all_logits
  const std::size_t vocab = pm->arch().vocab_size;
  for (std::size_t i = 0; i < vocab; ++i)
    REQUIRE(full.session->logits()[i] == full.logits[(ids.size() - 1) * vocab + i]);
}

TEST_CASE("two sessions on one prepared model are independent and deterministic", "[engine]") {
  auto pm = cbk::test::prepared("gpt_neo");
  const auto ids = cbk::test::test_prompt(12, pm->arch().vocab_size);
  Run a = run_prefill(pm, ids, 64);
  Run b = run_prefill(pm, ids, 64);
  REQUIRE(a.logits == b.logits);
  // reset() then the same prompt again reproduces the first run exactly
  a.session->reset();
  REQUIRE(a.session->position() == 0);
  std::vector<float> again(a.logits.size());
  REQUIRE(a.session->prefill(ids.data(), ids.size(), again.data()).ok());
  REQUIRE(again == b.logits);
}

TEST_CASE("codebooks change the output and bypass restores the plain path", "[engine]") {
  auto pm = cbk::test::prepared("neox_parallel");
  const auto ids = cbk::test::test_prompt(6, pm->arch().vocab_size);
  Run plain = run_prefill(pm, ids, 64);
  auto s = cbk::test::open_session(pm, true);
  cbk::Steering st;
  for (const auto& cb : pm->codebooks()) st.bypass.push_back({cb.layer, cb.site, -1});
  REQUIRE(s->set_steering(st).ok());
  std::vector<float> bypassed(plain.logits.size());
  REQUIRE(s->prefill(ids.data(), ids.size(), bypassed.data()).ok());
  CHECK(max_abs_diff(plain.logits, bypassed) > 1e-3f);
  // bypassed groups record no slots
  REQUIRE(s->trace_ids(0, 0)[0] == cbk::kTraceNoSlot);
  REQUIRE(std::isnan(s->trace_scores(0, 0)[0]));
}

TEST_CASE("tracing off records nothing and changes nothing", "[engine]") {
  auto pm = cbk::test::prepared("gpt2");
  const auto ids = cbk::test::test_prompt(8, pm->arch().vocab_size);
  Run traced = run_prefill(pm, ids, 64);
  auto s = cbk::test::open_session(pm, false);
  std::vector<float> logits(traced.logits.size());
  REQUIRE(s->prefill(ids.data(), ids.size(), logits.data()).ok());
  REQUIRE(logits == traced.logits);
  REQUIRE_FALSE(s->tracing());
  REQUIRE(s->trace_ids(0, 0) == nullptr);
  REQUIRE(s->trace_slots(0) == 0);
}
