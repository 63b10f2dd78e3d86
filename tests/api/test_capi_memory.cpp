// Session memory through cbk.h (API version 4): the estimate is computed before anything is
// allocated and agrees with hand-derived figures, max_memory_bytes caps creation and steering with
// OUT_OF_MEMORY naming the needed and allowed bytes, and a real allocation failure is a status, not
// a crash, after which the library keeps working.
#include <cstddef>
#include <string>
#include <vector>

#include "tests/api/api_test_support.hpp"
#if !defined(__EMSCRIPTEN__)
#include "tests/common/limited_child.hpp"
#endif

using namespace cbk_api_test;

namespace {

uint64_t estimate(const cbk_model* model, uint32_t max_context, int trace, uint32_t chunk = 4) {
  cbk_session_params p = cbk_session_default_params();
  p.max_context = max_context;
  p.trace = trace;
  p.prefill_chunk = chunk;
  uint64_t bytes = 0;
  INFO(cbk_last_error_message());
  REQUIRE(cbk_session_memory_estimate(model, &p, &bytes) == CBK_STATUS_OK);
  return bytes;
}

// Traced default params and what a session with them needs.
cbk_session_params traced_params(const cbk_model* model, uint64_t* need) {
  cbk_session_params p = cbk_session_default_params();
  p.trace = 1;
  REQUIRE(cbk_session_memory_estimate(model, &p, need) == CBK_STATUS_OK);
  return p;
}

// api.cbk (tests/api/make_models.py): GPT-2, 2 layers, d_model 32; codebooks attn_preproj
// (4 groups, k 2), mlp (1 group, k 3), mlp_mid (2 groups, k 1), qkv (12 groups, k 1).
constexpr uint64_t kLayers = 2, kDModel = 32;
constexpr uint64_t kTraceSlotsPerPosition = 4 * 2 + 1 * 3 + 2 * 1 + 12 * 1;  // sum of groups x k

}  // namespace

TEST_CASE("the memory estimate grows as the KV cache and the trace do", "[api][memory]") {
  cbk::model_ptr model = load_fixture();
  // Per position: keys and values of every layer (2 x 2 x 32 floats) and one attention score.
  const uint64_t per_position = 2 * kLayers * kDModel * 4 + 4;
  CHECK(estimate(model.get(), 16, 0) - estimate(model.get(), 8, 0) == 8 * per_position);
  // The trace holds an id and a score (8 bytes) per slot of every group, for every position of the
  // context, allocated up front: it does not grow with the tokens run.
  const uint64_t trace_growth = (estimate(model.get(), 16, 1) - estimate(model.get(), 8, 1)) -
                                (estimate(model.get(), 16, 0) - estimate(model.get(), 8, 0));
  CHECK(trace_growth == 8 * kTraceSlotsPerPosition * 8);

  // Defaults: max_context 0 means max_positions (16 here); params NULL means defaults.
  cbk_session_params p = cbk_session_default_params();
  CHECK(p.max_memory_bytes == 0);
  uint64_t with_defaults = 0, with_null = 0;
  REQUIRE(cbk_session_memory_estimate(model.get(), &p, &with_defaults) == CBK_STATUS_OK);
  REQUIRE(cbk_session_memory_estimate(model.get(), nullptr, &with_null) == CBK_STATUS_OK);
  CHECK(with_defaults == with_null);
  CHECK(with_defaults == estimate(model.get(), 16, 0, 64));
}

TEST_CASE("the memory estimate refuses what create refuses", "[api][memory][misuse]") {
  cbk::model_ptr model = load_fixture();
  uint64_t bytes = 7;
  cbk_session_params p = cbk_session_default_params();
  CHECK_FAILS(cbk_session_memory_estimate(nullptr, &p, &bytes), CBK_STATUS_INVALID_ARGUMENT, "model");
  CHECK_FAILS(cbk_session_memory_estimate(model.get(), &p, nullptr), CBK_STATUS_INVALID_ARGUMENT, "bytes_out");
  p.max_context = 17;
  CHECK_FAILS(cbk_session_memory_estimate(model.get(), &p, &bytes), CBK_STATUS_OUT_OF_RANGE, "max_positions");
  p = cbk_session_default_params();
  p.prefill_chunk = 0;
  CHECK_FAILS(cbk_session_memory_estimate(model.get(), &p, &bytes), CBK_STATUS_INVALID_ARGUMENT, "prefill_chunk");
  CHECK(bytes == 7);
  CHECK(cbk_session_memory(nullptr) == 0);
}

TEST_CASE("max_memory_bytes caps session creation", "[api][memory]") {
  cbk::model_ptr model = load_fixture();
  uint64_t need = 0;
  cbk_session_params p = traced_params(model.get(), &need);
  p.max_memory_bytes = need - 1;
  cbk_session* raw = nullptr;
  CHECK_FAILS(cbk_session_create(model.get(), &p, &raw), CBK_STATUS_OUT_OF_MEMORY,
              "needs " + std::to_string(need) + " bytes");
  CHECK(std::string(cbk_last_error_message()).find("allows " + std::to_string(need - 1)) != std::string::npos);
  CHECK(raw == nullptr);

  p.max_memory_bytes = need;  // exactly enough
  cbk_status st = CBK_STATUS_INTERNAL;
  cbk::session_ptr s = cbk::create_session(model.get(), &p, &st);
  INFO(cbk_last_error_message());
  REQUIRE(st == CBK_STATUS_OK);
  CHECK(cbk_session_memory(s.get()) == need);
  const int32_t prompt[3] = {5, 70, 33};
  CHECK(cbk_session_prefill(s.get(), prompt, 3) == CBK_STATUS_OK);
  CHECK(cbk_session_decode(s.get(), 9) == CBK_STATUS_OK);
  CHECK(cbk_session_memory(s.get()) == need);  // running tokens allocates nothing
}

TEST_CASE("steering that widens the trace past the cap is refused and changes nothing", "[api][memory]") {
  cbk::model_ptr model = load_fixture();
  uint64_t need = 0;
  cbk_session_params p = traced_params(model.get(), &need);
  p.max_memory_bytes = need;
  cbk_status st = CBK_STATUS_INTERNAL;
  cbk::session_ptr s = cbk::create_session(model.get(), &p, &st);
  REQUIRE(st == CBK_STATUS_OK);

  // An append force on the mlp codebook (1 group) adds one trace slot for each of 16 positions.
  const cbk_target mlp{1, CBK_SITE_MLP, -1};
  CHECK(cbk_steer_force(s.get(), &mlp, 3, nullptr, CBK_FORCE_APPEND, 0, 1.0f) == CBK_STATUS_OUT_OF_MEMORY);
  CHECK(std::string(cbk_session_last_error(s.get())).find("max_memory_bytes allows " + std::to_string(need)) !=
        std::string::npos);
  CHECK(cbk_steer_count(s.get()) == 0);
  CHECK(cbk_session_memory(s.get()) == need);

  // Without a cap the same force is installed, and the figure grows by at least the trace slots.
  p.max_memory_bytes = 0;
  cbk::session_ptr free_session = cbk::create_session(model.get(), &p, &st);
  REQUIRE(st == CBK_STATUS_OK);
  REQUIRE(cbk_steer_force(free_session.get(), &mlp, 3, nullptr, CBK_FORCE_APPEND, 0, 1.0f) == CBK_STATUS_OK);
  const uint64_t grown = cbk_session_memory(free_session.get()) - need;
  CHECK(grown >= 16 * 8);
  CHECK(grown < 16 * 8 + 64);  // plus a few bytes of per-slot selection scratch
}

TEST_CASE("a params struct from an API version 3 header is accepted without a cap", "[api][memory]") {
  cbk::model_ptr model = load_fixture();
  cbk_session_params p = cbk_session_default_params();
  p.max_memory_bytes = 1;  // past the old struct's end: must not be read
  p.struct_size = offsetof(cbk_session_params, max_memory_bytes);
  cbk_session* raw = nullptr;
  INFO(cbk_last_error_message());
  REQUIRE(cbk_session_create(model.get(), &p, &raw) == CBK_STATUS_OK);
  cbk_session_free(raw);
}

#if !defined(__EMSCRIPTEN__)
TEST_CASE("an 8 GiB default context is refused by the cap, or fails as OUT_OF_MEMORY, never a crash",
          "[api][memory]") {
  cbk_status st = CBK_STATUS_INTERNAL;
  cbk::model_ptr model = cbk::load_model(model_path("api_long").c_str(), nullptr, &st);
  INFO(cbk_last_error_message());
  REQUIRE(st == CBK_STATUS_OK);
  // max_positions 2^24: keys and values of 2 layers x 32 floats for 16,777,216 positions.
  const uint64_t kv = 2ull * 2 * (1ull << 24) * 32 * 4;
  const uint64_t attention_row = (1ull << 24) * 4;  // one score per position
  const uint64_t need = estimate(model.get(), 0, 0, 64);
  CHECK(need > kv + attention_row);
  CHECK(need < kv + attention_row + (1u << 20));  // plus small per-chunk scratch

  cbk_session_params capped = cbk_session_default_params();
  capped.max_memory_bytes = 256ull << 20;
  cbk_session* raw = nullptr;
  CHECK_FAILS(cbk_session_create(model.get(), &capped, &raw), CBK_STATUS_OUT_OF_MEMORY,
              "needs " + std::to_string(need) + " bytes (KV cache " + std::to_string(kv));
  CHECK(raw == nullptr);

  // Uncapped, in a child whose address space is 256 MB above its current use: the allocation
  // fails, create returns OUT_OF_MEMORY, and a small session on the same model still works.
  // (Sanitizer builds cannot cap the address space, and would really commit the 8 GiB.)
  if (!cbk::test::kAddressLimitApplies) return;
  const cbk::test::ChildResult r = cbk::test::run_with_address_limit(256ull << 20, [&] {
    cbk_session* big = nullptr;
    if (cbk_session_create(model.get(), nullptr, &big) != CBK_STATUS_OUT_OF_MEMORY || big != nullptr) return 1;
    if (std::string(cbk_last_error_message()).find(std::to_string(need)) == std::string::npos) return 2;
    cbk_session_params small = cbk_session_default_params();
    small.max_context = 64;
    cbk_session* s = nullptr;
    if (cbk_session_create(model.get(), &small, &s) != CBK_STATUS_OK) return 3;
    const int32_t prompt[2] = {1, 2};
    const cbk_status ran = cbk_session_prefill(s, prompt, 2);
    cbk_session_free(s);
    return ran == CBK_STATUS_OK ? 0 : 4;
  });
  INFO("child " << r.describe());
  CHECK(r.exited);
  CHECK(r.value == 0);
}
#endif
