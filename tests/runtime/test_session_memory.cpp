// Session memory: the figure create() computes up front is what it allocates, it follows the
// hand-derived KV-cache and trace sizes, and SessionOptions::max_memory_bytes caps it.
#include <catch2/catch.hpp>

#include <string>

#if defined(__GLIBC__)
#include <malloc.h>

#include "tests/common/limited_child.hpp"  // kSanitizerBuild
#define CBK_CAN_COUNT_HEAP 1
#endif

#include "tests/runtime/engine_test_support.hpp"

namespace {

std::shared_ptr<const cbk::PreparedModel> tokfsm() {
  std::shared_ptr<const cbk::Model> model;
  cbk::Error e = cbk::load_model_file(CBK_TOKFSM_MODEL, cbk::LoadOptions{}, &model);
  INFO(e.message);
  REQUIRE(e.ok());
  std::shared_ptr<const cbk::PreparedModel> pm;
  REQUIRE(cbk::PreparedModel::prepare(model, &pm).ok());
  return pm;
}

#if defined(CBK_CAN_COUNT_HEAP)
std::uint64_t heap_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;  // small chunks in use + mmap-ed large blocks
}
#endif

}  // namespace

TEST_CASE("the estimate splits into the hand-derived KV cache and trace", "[engine][memory]") {
  auto pm = tokfsm();
  const cbk::Architecture& a = pm->arch();
  cbk::SessionOptions opt;
  opt.trace = true;
  cbk::SessionMemory m;
  REQUIRE(cbk::Session::estimate_memory(*pm, opt, &m).ok());
  // Keys and values: n_layers x max_positions x d_model floats each.
  CHECK(m.kv_cache == 2ull * a.n_layers * a.max_positions * a.d_model * 4);
  // Trace: an id and a score per slot (k) of every group, for every position.
  std::uint64_t slots = 0;
  for (const cbk::Codebook& cb : pm->model().codebooks()) slots += std::uint64_t{cb.groups} * cb.k;
  CHECK(m.trace == 8ull * a.max_positions * slots);
  CHECK(m.scratch > 0);
  CHECK(m.total() == m.kv_cache + m.scratch + m.trace);

  opt.trace = false;
  opt.max_context = 10;
  REQUIRE(cbk::Session::estimate_memory(*pm, opt, &m).ok());
  CHECK(m.trace == 0);
  CHECK(m.kv_cache == 2ull * a.n_layers * 10 * a.d_model * 4);
}

#if defined(CBK_CAN_COUNT_HEAP)
TEST_CASE("create allocates what the estimate says", "[engine][memory]") {
  if (cbk::test::kSanitizerBuild) return;  // the sanitizer's allocator does not feed mallinfo2
  auto pm = tokfsm();
  cbk::SessionOptions opt;
  opt.trace = true;
  cbk::SessionMemory m;
  REQUIRE(cbk::Session::estimate_memory(*pm, opt, &m).ok());
  const std::uint64_t before = heap_in_use();
  std::unique_ptr<cbk::Session> s;
  REQUIRE(cbk::Session::create(pm, opt, &s).ok());
  const std::uint64_t allocated = heap_in_use() - before;
  INFO("estimate " << m.total() << ", allocated " << allocated);
  // malloc adds a few bytes per block (about 40 blocks here).
  CHECK(allocated >= m.total());
  CHECK(allocated <= m.total() + m.total() / 50 + 4096);
  CHECK(s->memory_bytes() == m.total());

  // Running tokens allocates nothing: the KV cache and the trace were sized for the whole context.
  const auto prompt = cbk::test::test_prompt(20, pm->arch().vocab_size);
  const std::uint64_t after_create = heap_in_use();
  REQUIRE(s->prefill(prompt.data(), prompt.size()).ok());
  for (int i = 0; i < 20; ++i) REQUIRE(s->decode(prompt[static_cast<std::size_t>(i)]).ok());
  CHECK(heap_in_use() == after_create);
}

TEST_CASE("with worker threads, prefill and decode allocate nothing either", "[engine][memory][threads]") {
  if (cbk::test::kSanitizerBuild) return;
  auto pm = tokfsm();
  cbk::SessionOptions opt;
  opt.trace = true;
  opt.n_threads = 3;
  opt.split_small_work = true;  // every operation goes through the pool
  opt.prefill_chunk = 8;
  std::unique_ptr<cbk::Session> s;
  REQUIRE(cbk::Session::create(pm, opt, &s).ok());
  const auto prompt = cbk::test::test_prompt(20, pm->arch().vocab_size);
  const std::uint64_t after_create = heap_in_use();
  REQUIRE(s->prefill(prompt.data(), prompt.size()).ok());
  for (int i = 0; i < 20; ++i) REQUIRE(s->decode(prompt[static_cast<std::size_t>(i)]).ok());
  CHECK(heap_in_use() == after_create);
}
#endif

TEST_CASE("max_memory_bytes refuses a session before allocating it", "[engine][memory]") {
  auto pm = tokfsm();
  cbk::SessionOptions opt;
  opt.trace = true;
  cbk::SessionMemory m;
  REQUIRE(cbk::Session::estimate_memory(*pm, opt, &m).ok());
  opt.max_memory_bytes = m.total() - 1;
  std::unique_ptr<cbk::Session> s;
  cbk::Error e = cbk::Session::create(pm, opt, &s);
  INFO(e.message);
  CHECK(e.status == cbk::Status::out_of_memory);
  CHECK(e.message.find("needs " + std::to_string(m.total()) + " bytes (KV cache " + std::to_string(m.kv_cache)) !=
        std::string::npos);
  CHECK(e.message.find("max_memory_bytes allows " + std::to_string(m.total() - 1)) != std::string::npos);
  CHECK_FALSE(s);

  opt.max_memory_bytes = m.total();
  REQUIRE(cbk::Session::create(pm, opt, &s).ok());
  CHECK(s->memory_bytes() == m.total());
}
