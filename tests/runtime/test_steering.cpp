// Steering on hand-built cases (model "steering": GPT-2, 1 layer; codebook 0 = attn_preproj
// 4 groups C=6 k=2, codebook 1 = mlp C=8 k=1 euclidean, codebook 2 = transformer_block C=160 k=2).
// Each case checks the trace against the unsteered run or an equivalent formulation.
#include <cmath>

#include "tests/runtime/engine_test_support.hpp"

namespace {

using cbk::CodebookSite;
using cbk::DisableCodes;
using cbk::ForceCode;
using cbk::PositionSet;
using cbk::Session;
using cbk::Steering;

constexpr std::size_t kTokens = 8;

struct Steered {
  std::unique_ptr<Session> s;
  std::vector<float> logits;
  std::int32_t id(std::size_t cb, std::size_t g, std::size_t pos, std::size_t slot) const {
    return s->trace_ids(cb, g)[pos * s->trace_slots(cb) + slot];
  }
  float score(std::size_t cb, std::size_t g, std::size_t pos, std::size_t slot) const {
    return s->trace_scores(cb, g)[pos * s->trace_slots(cb) + slot];
  }
};

// The block-output codebook quantizes the final residual stream, which would hide most changes
// from the logits; it is bypassed unless a case is about it.
Steered run(const Steering& steering, std::size_t prompt = kTokens, std::size_t decoded = 0,
            bool bypass_block = true) {
  static auto pm = cbk::test::prepared("steering");
  Steering st = steering;
  if (bypass_block) st.bypass.push_back({0, CodebookSite::transformer_block, -1});
  Steered r;
  r.s = cbk::test::open_session(pm);
  cbk::Error e = r.s->set_steering(st);
  INFO(e.message);
  REQUIRE(e.ok());
  const auto ids = cbk::test::test_prompt(prompt + decoded, pm->arch().vocab_size);
  r.logits.resize(prompt * pm->arch().vocab_size);
  REQUIRE(r.s->prefill(ids.data(), prompt, r.logits.data()).ok());
  for (std::size_t i = 0; i < decoded; ++i) {
    REQUIRE(r.s->decode(ids[prompt + i]).ok());
    r.logits.insert(r.logits.end(), r.s->logits(), r.s->logits() + pm->arch().vocab_size);
  }
  return r;
}

ForceCode force(std::int32_t group, std::int32_t code, PositionSet pos = PositionSet::all(),
                ForceCode::SlotMode mode = ForceCode::SlotMode::index, std::int32_t slot = -1,
                float strength = 1.0f) {
  return {{0, CodebookSite::attn_preproj, group}, code, pos, mode, slot, strength};
}

DisableCodes disable(CodebookSite site, std::int32_t group, std::vector<std::int32_t> codes, std::uint32_t top_n,
                     PositionSet pos, DisableCodes::Mode mode, std::vector<std::int32_t> slots = {}) {
  return {{0, site, group}, std::move(codes), top_n, pos, mode, std::move(slots)};
}

}  // namespace

TEST_CASE("force into the last slot at listed positions", "[engine][steering]") {
  const Steered base = run({});
  Steering st;
  PositionSet pos;
  pos.kind = PositionSet::Kind::ranges;
  pos.ranges = {{2, 4}, {6, 7}};
  st.forces.push_back(force(1, 5, pos));
  const Steered f = run(st);
  for (std::size_t p = 0; p < kTokens; ++p) {
    const bool on = (p >= 2 && p < 4) || p == 6;
    REQUIRE(f.id(0, 1, p, 0) == base.id(0, 1, p, 0));
    REQUIRE(f.id(0, 1, p, 1) == (on ? 5 : base.id(0, 1, p, 1)));
    for (std::size_t g : {0u, 2u, 3u})  // other heads of the same codebook are untouched
      for (std::size_t s = 0; s < 2; ++s) REQUIRE(f.id(0, g, p, s) == base.id(0, g, p, s));
  }
  // the forced code's score is its real similarity: unchanged positions keep their scores, and at
  // forced positions it is at most the slot-0 score (slot 0 is the best code)
  REQUIRE(f.score(0, 1, 2, 1) <= f.score(0, 1, 2, 0));
  REQUIRE(f.logits != base.logits);
  // positions before the first forced one are bit-identical (causality)
  const std::size_t vocab = f.s->model().arch().vocab_size;
  for (std::size_t i = 0; i < 2 * vocab; ++i) REQUIRE(f.logits[i] == base.logits[i]);
}

TEST_CASE("force all slots, append and strength", "[engine][steering]") {
  Steering all;
  all.forces.push_back(force(2, 3, PositionSet::all(), ForceCode::SlotMode::all));
  const Steered a = run(all);
  for (std::size_t p = 0; p < kTokens; ++p) {
    REQUIRE(a.id(0, 2, p, 0) == 3);
    REQUIRE(a.id(0, 2, p, 1) == 3);
  }
  // all slots = code 3 at strength 1 is the same as forcing it into each slot
  Steering each;
  each.forces.push_back(force(2, 3, PositionSet::all(), ForceCode::SlotMode::index, 0));
  each.forces.push_back(force(2, 3, PositionSet::all(), ForceCode::SlotMode::index, 1));
  REQUIRE(run(each).logits == a.logits);

  // strength 0 on every slot == zero-mode blocking of every slot: a zero vector either way
  Steering zero_strength;
  zero_strength.forces.push_back(force(2, 3, PositionSet::all(), ForceCode::SlotMode::all, -1, 0.0f));
  Steering blocked;
  blocked.disables.push_back(disable(CodebookSite::attn_preproj, 2, {}, 0, PositionSet::all(),
                                     DisableCodes::Mode::zero, {0, 1}));
  const Steered zs = run(zero_strength), bl = run(blocked);
  REQUIRE(zs.logits == bl.logits);
  REQUIRE(bl.id(0, 2, 4, 0) == -1);
  REQUIRE(std::isnan(bl.score(0, 2, 4, 0)));
  // strength 2 differs from strength 1
  Steering strong = all;
  strong.forces[0].strength = 2.0f;
  REQUIRE(run(strong).logits != a.logits);

  // append on generated tokens only: 3 trace slots; prompt tokens show "no slot" in the third
  const Steered base = run({}, 4, 3);
  Steering app;
  app.forces.push_back(force(0, 4, PositionSet::generated(), ForceCode::SlotMode::append));
  const Steered ap = run(app, 4, 3);
  REQUIRE(ap.s->trace_slots(0) == 3);
  REQUIRE(ap.s->trace_slots(1) == 1);
  for (std::size_t p = 0; p < 7; ++p) {
    REQUIRE(ap.id(0, 0, p, 0) == base.id(0, 0, p, 0));
    REQUIRE(ap.id(0, 0, p, 1) == base.id(0, 0, p, 1));
    REQUIRE(ap.id(0, 0, p, 2) == (p >= 4 ? 4 : cbk::kTraceNoSlot));
    REQUIRE(ap.id(0, 1, p, 2) == cbk::kTraceNoSlot);  // group 1 has no append
  }
  const std::size_t vocab = ap.s->model().arch().vocab_size;
  for (std::size_t i = 0; i < 4 * vocab; ++i) REQUIRE(ap.logits[i] == base.logits[i]);
  REQUIRE(ap.logits != base.logits);
}

TEST_CASE("keep-mode disable: the next best codes fill in", "[engine][steering]") {
  const Steered base = run({});
  const std::uint32_t p = 5;
  const std::int32_t best = base.id(0, 3, p, 0);
  Steering st;
  st.disables.push_back(disable(CodebookSite::attn_preproj, 3, {best}, 0, PositionSet::single(p),
                                DisableCodes::Mode::keep));
  const Steered d = run(st);
  REQUIRE(d.id(0, 3, p, 0) == base.id(0, 3, p, 1));
  REQUIRE(d.id(0, 3, p, 1) != best);
  REQUIRE(d.score(0, 3, p, 1) <= d.score(0, 3, p, 0));
  REQUIRE(d.score(0, 3, p, 0) == base.score(0, 3, p, 1));
  REQUIRE(d.id(0, 3, p - 1, 0) == base.id(0, 3, p - 1, 0));  // other positions untouched
  // disabling the best code at p == disabling the top-1 at p
  Steering top;
  top.disables.push_back(disable(CodebookSite::attn_preproj, 3, {}, 1, PositionSet::single(p),
                                 DisableCodes::Mode::keep));
  const Steered t = run(top);
  REQUIRE(t.logits == d.logits);
  REQUIRE(t.id(0, 3, p, 0) == d.id(0, 3, p, 0));
  REQUIRE(t.id(0, 3, p, 1) == d.id(0, 3, p, 1));
}

TEST_CASE("keep-mode with more than 128 codes to rank uses the exact fallback", "[engine][steering]") {
  // codebook 2 (transformer_block, C = 160, k = 2). top_n 126 alone ranks 128 codes (kernel path,
  // simd::kMaxTopK); with the best code also disabled it needs 129 (fallback) and must shift by
  // exactly one rank.
  const Steered base = run({}, kTokens, 0, false);
  const std::uint32_t p = 3;
  const std::int32_t best = base.id(2, 0, p, 0);
  Steering fast;
  fast.disables.push_back(disable(CodebookSite::transformer_block, -1, {}, 126, PositionSet::single(p),
                                  DisableCodes::Mode::keep));
  Steering slow;
  slow.disables.push_back(disable(CodebookSite::transformer_block, -1, {best}, 126, PositionSet::single(p),
                                  DisableCodes::Mode::keep));
  const Steered f = run(fast, kTokens, 0, false), s = run(slow, kTokens, 0, false);
  REQUIRE(s.id(2, 0, p, 0) == f.id(2, 0, p, 1));
  REQUIRE(s.score(2, 0, p, 0) == f.score(2, 0, p, 1));
  REQUIRE(s.score(2, 0, p, 1) <= s.score(2, 0, p, 0));
  // two keep disables at one token: union of codes, max of top_n
  Steering both;
  both.disables.push_back(disable(CodebookSite::transformer_block, -1, {}, 126, PositionSet::single(p),
                                  DisableCodes::Mode::keep));
  both.disables.push_back(disable(CodebookSite::transformer_block, -1, {best}, 3, PositionSet::single(p),
                                  DisableCodes::Mode::keep));
  const Steered b = run(both, kTokens, 0, false);
  REQUIRE(b.id(2, 0, p, 0) == s.id(2, 0, p, 0));
  REQUIRE(b.id(2, 0, p, 1) == s.id(2, 0, p, 1));
}

TEST_CASE("zero-mode disable blocks slots and keeps the rest", "[engine][steering]") {
  const Steered base = run({});
  const std::uint32_t p = 4;
  const std::int32_t second = base.id(0, 0, p, 1);
  Steering st;
  st.disables.push_back(disable(CodebookSite::attn_preproj, 0, {second}, 0, PositionSet::single(p),
                                DisableCodes::Mode::zero));
  const Steered z = run(st);
  REQUIRE(z.id(0, 0, p, 0) == base.id(0, 0, p, 0));
  REQUIRE(z.id(0, 0, p, 1) == -1);
  REQUIRE(std::isnan(z.score(0, 0, p, 1)));
  // zero top-1 everywhere blocks slot 0 at every position
  Steering top;
  top.disables.push_back(disable(CodebookSite::attn_preproj, 0, {}, 1, PositionSet::all(), DisableCodes::Mode::zero));
  const Steered t = run(top);
  for (std::size_t q = 0; q < kTokens; ++q) {
    REQUIRE(t.id(0, 0, q, 0) == -1);
    REQUIRE(t.id(0, 0, q, 1) == base.id(0, 0, q, 1));
  }
}

TEST_CASE("interchange copies a recorded trace row and bypass skips the group", "[engine][steering]") {
  auto pm = cbk::test::prepared("steering");
  auto donor = cbk::test::open_session(pm);
  const std::int32_t other[] = {40, 41, 42, 43, 44, 45};
  REQUIRE(donor->prefill(other, 6).ok());
  const std::int32_t* row = donor->trace_ids(0, 2) + 5 * donor->trace_slots(0);
  Steering st;
  st.interchanges.push_back({{0, CodebookSite::attn_preproj, 2}, 3, {row[0], row[1]}});
  st.bypass.push_back({0, CodebookSite::mlp, -1});
  const Steered r = run(st);
  const Steered base = run({});
  REQUIRE(r.id(0, 2, 3, 0) == row[0]);
  REQUIRE(r.id(0, 2, 3, 1) == row[1]);
  REQUIRE(r.id(0, 2, 2, 0) == base.id(0, 2, 2, 0));
  for (std::size_t q = 0; q < kTokens; ++q) REQUIRE(r.id(1, 0, q, 0) == cbk::kTraceNoSlot);
}

TEST_CASE("steering changed between decode steps applies from then on", "[engine][steering]") {
  auto pm = cbk::test::prepared("steering");
  auto s = cbk::test::open_session(pm);
  const auto ids = cbk::test::test_prompt(6, pm->arch().vocab_size);
  REQUIRE(s->prefill(ids.data(), 4).ok());
  Steering st;
  st.forces.push_back(force(1, 2, PositionSet::all(), ForceCode::SlotMode::append));
  REQUIRE(s->set_steering(st).ok());
  REQUIRE(s->trace_slots(0) == 3);
  REQUIRE(s->decode(ids[4]).ok());
  const std::int32_t* t = s->trace_ids(0, 1);
  REQUIRE(t[3 * 3 + 2] == cbk::kTraceNoSlot);  // recorded before the change
  REQUIRE(t[4 * 3 + 2] == 2);
}
