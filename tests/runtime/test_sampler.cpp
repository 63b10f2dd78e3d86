// The sampler: a fixed, platform-independent random stream and hand-derived sampling cases.
// Expected values come from an independent Python transcription of splitmix64 + xoshiro256**.
#include <cmath>
#include <map>

#include "runtime/engine/sampler.hpp"
#include "tests/runtime/engine_test_support.hpp"

namespace {

std::vector<std::int32_t> draw(const std::vector<float>& logits, const cbk::SamplingParams& p,
                               std::uint64_t seed, int n) {
  cbk::Rng rng(seed);
  std::vector<std::int32_t> order(logits.size());
  std::vector<double> prob(logits.size());
  std::vector<std::int32_t> out;
  for (int i = 0; i < n; ++i)
    out.push_back(cbk::sample_token(logits.data(), logits.size(), p, rng, {order.data(), prob.data()}));
  return out;
}

}  // namespace

TEST_CASE("the random stream is fixed", "[engine][sampler]") {
  cbk::Rng a(0);
  REQUIRE(a.next() == 0x99ec5f36cb75f2b4ull);
  REQUIRE(a.next() == 0xbf6e1f784956452aull);
  REQUIRE(a.next() == 0x1a5f849d4933e6e0ull);
  cbk::Rng b(42);
  REQUIRE(b.next() == 0x15780b2e0c2ec716ull);
  REQUIRE(b.uniform() == 0.3789802506626686);
  b.reseed(0);
  REQUIRE(b.next() == 0x99ec5f36cb75f2b4ull);
}

TEST_CASE("greedy takes the first maximum", "[engine][sampler]") {
  const std::vector<float> logits = {1.0f, 3.0f, 3.0f, 2.0f};
  REQUIRE(cbk::argmax_token(logits.data(), logits.size()) == 1);
  REQUIRE(draw(logits, {0.0f, 0, 1.0f}, 5, 3) == std::vector<std::int32_t>{1, 1, 1});
  REQUIRE(draw(logits, {1.0f, 1, 1.0f}, 5, 3) == std::vector<std::int32_t>{1, 1, 1});
  REQUIRE(draw(logits, {-1.0f, 0, 1.0f}, 5, 1) == std::vector<std::int32_t>{1});
}

TEST_CASE("top-k keeps the k best, ties by id; hand-derived draws", "[engine][sampler]") {
  // Ranking 1, 2 (tie at 3.0, lower id first), 0, 3; top-2 keeps {1, 2} at 1/2 each.
  // Seed 0 uniforms: 0.6013, 0.7478, 0.1030, 0.4166 -> 2, 2, 1, 1.
  const std::vector<float> logits = {1.0f, 3.0f, 3.0f, 2.0f};
  REQUIRE(draw(logits, {1.0f, 2, 1.0f}, 0, 4) == std::vector<std::int32_t>{2, 2, 1, 1});
}

TEST_CASE("top-p keeps the shortest prefix reaching p; hand-derived draws", "[engine][sampler]") {
  // p = (0.2, 0.5, 0.3): ranking 1, 2, 0; cumulative 0.5, 0.8 >= 0.7 keeps {1, 2}, renormalised
  // to 0.625 / 0.375. Seed 0 uniforms -> 1, 2, 1, 1.
  const std::vector<float> logits = {std::log(0.2f), std::log(0.5f), std::log(0.3f)};
  REQUIRE(draw(logits, {1.0f, 0, 0.7f}, 0, 4) == std::vector<std::int32_t>{1, 2, 1, 1});
  // top_p small enough keeps only the best
  REQUIRE(draw(logits, {1.0f, 0, 0.1f}, 0, 4) == std::vector<std::int32_t>{1, 1, 1, 1});
}

TEST_CASE("temperature flattens the distribution; hand-derived draws", "[engine][sampler]") {
  // logits (0, ln 3) at T = 2: weights 1/sqrt(3), 1 (walked in id order, no truncation).
  // Seed 0 uniforms * 1.577: 0.948, 1.179, 0.162, 0.657 -> 1, 1, 0, 1.
  const std::vector<float> logits = {0.0f, std::log(3.0f)};
  REQUIRE(draw(logits, {2.0f, 0, 1.0f}, 0, 4) == std::vector<std::int32_t>{1, 1, 0, 1});
}

TEST_CASE("sampled frequencies follow the softmax", "[engine][sampler]") {
  const std::vector<float> logits = {0.0f, 1.0f, 2.0f, -1.0f};
  const auto ids = draw(logits, {1.0f, 0, 1.0f}, 123, 20000);
  std::map<std::int32_t, int> count;
  for (auto id : ids) count[id]++;
  double z = 0.0;
  for (float l : logits) z += std::exp(l);
  for (std::int32_t i = 0; i < 4; ++i) {
    const double expected = std::exp(logits[static_cast<std::size_t>(i)]) / z;
    CHECK(std::fabs(count[i] / 20000.0 - expected) < 0.015);
  }
}

TEST_CASE("bad sampling parameters are refused", "[engine][sampler]") {
  REQUIRE(cbk::check_sampling({1.0f, 0, 0.0f}).status == cbk::Status::invalid_argument);
  REQUIRE(cbk::check_sampling({std::nanf(""), 0, 1.0f}).status == cbk::Status::invalid_argument);
  REQUIRE(cbk::check_sampling({0.7f, 40, 0.9f}).ok());
}

TEST_CASE("session sampling is reproducible from the seed", "[engine][sampler]") {
  auto pm = cbk::test::prepared("gpt2");
  auto generate = [&](std::uint64_t seed) {
    cbk::SessionOptions opt;
    opt.seed = seed;
    std::unique_ptr<cbk::Session> s;
    REQUIRE(cbk::Session::create(pm, opt, &s).ok());
    const std::int32_t prompt[] = {5, 6};
    REQUIRE(s->prefill(prompt, 2).ok());
    std::vector<std::int32_t> out;
    for (int i = 0; i < 10; ++i) {
      std::int32_t t = -1;
      REQUIRE(s->sample({1.5f, 50, 0.95f}, &t).ok());
      out.push_back(t);
      REQUIRE(s->decode(t).ok());
    }
    return out;
  };
  const auto a = generate(9), b = generate(9), c = generate(10);
  REQUIRE(a == b);
  REQUIRE(a != c);
}
