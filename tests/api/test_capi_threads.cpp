// Session threads through cbk.h (API version 5): n_threads defaults to 1, reaches the engine
// (each worker's scratch shows in the memory estimate, results equal the one-thread session's),
// an API version 4 params struct is accepted without it, and a count above 256 is refused.
// tests/threads/test_engine_threads.cpp checks bit-identity for every family and split.
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "tests/api/api_test_support.hpp"

using namespace cbk_api_test;

namespace {

// Prompt logits of every token, then the logits of 4 greedy decodes, as bits.
std::vector<uint32_t> run_logits(const cbk_model* model, uint32_t threads) {
  cbk_session_params p = cbk_session_default_params();
  p.n_threads = threads;
  p.prefill_chunk = 3;
  cbk_status st = CBK_STATUS_INTERNAL;
  cbk::session_ptr s = cbk::create_session(model, &p, &st);
  INFO(cbk_last_error_message());
  REQUIRE(st == CBK_STATUS_OK);
  const cbk_architecture a = arch_of(model);
  const int32_t prompt[] = {5, 17, 3, 9, 11, 2, 7};
  const size_t n = sizeof(prompt) / sizeof(prompt[0]);
  std::vector<float> logits(n * a.vocab_size);
  REQUIRE(cbk_session_prefill_logits(s.get(), prompt, n, logits.data(), logits.size()) == CBK_STATUS_OK);
  cbk_sampling_params greedy = cbk_sampling_default_params();
  greedy.temperature = 0.0f;
  for (int i = 0; i < 4; ++i) {
    int32_t next = -1;
    REQUIRE(cbk_session_sample(s.get(), &greedy, &next) == CBK_STATUS_OK);
    REQUIRE(cbk_session_decode(s.get(), next) == CBK_STATUS_OK);
    const float* l = nullptr;
    size_t vocab = 0;
    REQUIRE(cbk_session_logits(s.get(), &l, &vocab) == CBK_STATUS_OK);
    REQUIRE(vocab == a.vocab_size);
    logits.insert(logits.end(), l, l + vocab);
  }
  std::vector<uint32_t> bits(logits.size());
  std::memcpy(bits.data(), logits.data(), logits.size() * sizeof(float));
  return bits;
}

}  // namespace

TEST_CASE("n_threads: default 1, passed to the engine, same results", "[api][threads]") {
  cbk::model_ptr model = load_fixture();
  CHECK(cbk_session_default_params().n_threads == 1);
  cbk_session_params p = cbk_session_default_params();
  uint64_t one = 0, three = 0;
  REQUIRE(cbk_session_memory_estimate(model.get(), &p, &one) == CBK_STATUS_OK);
  p.n_threads = 3;
  REQUIRE(cbk_session_memory_estimate(model.get(), &p, &three) == CBK_STATUS_OK);
#if defined(__EMSCRIPTEN__)
  CHECK(three == one);  // no threads in this build: the count is clamped to 1
#else
  CHECK(three > one);   // two workers' codebook and attention scratch
#endif
  const std::vector<uint32_t> reference = run_logits(model.get(), 1);
  CHECK(run_logits(model.get(), 0) == reference);
  CHECK(run_logits(model.get(), 3) == reference);
}

TEST_CASE("n_threads above 256 is refused, and an API version 4 struct runs on one thread", "[api][threads]") {
  cbk::model_ptr model = load_fixture();
  cbk_session_params p = cbk_session_default_params();
  p.n_threads = 257;
  cbk_session* raw = nullptr;
  CHECK_FAILS(cbk_session_create(model.get(), &p, &raw), CBK_STATUS_INVALID_ARGUMENT, "n_threads 257");
  CHECK(raw == nullptr);

  // Past the old struct's end: must not be read (it would be refused if it were).
  p.struct_size = offsetof(cbk_session_params, n_threads);
  uint64_t v4 = 0, now = 0;
  INFO(cbk_last_error_message());
  REQUIRE(cbk_session_memory_estimate(model.get(), &p, &v4) == CBK_STATUS_OK);
  cbk_session_params d = cbk_session_default_params();
  REQUIRE(cbk_session_memory_estimate(model.get(), &d, &now) == CBK_STATUS_OK);
  CHECK(v4 == now);
  REQUIRE(cbk_session_create(model.get(), &p, &raw) == CBK_STATUS_OK);
  cbk_session_free(raw);
}
