// SessionOptions::n_threads: a session on 2 or 3 threads gives the same results as on one thread,
// bit for bit — every prompt logit, every decoded token's logits, every traced code id and score,
// and the sampled tokens — on the engine's tiny models of every family (tests/runtime/make_models.py:
// codebooks at every site, f32/f16/int8 tables and weights), with steering active and a prompt
// longer than prefill_chunk. The one-thread engine is the oracle here; it is itself checked
// against the Python reference by the parity suite. split_small_work makes these tiny operations
// split as finely as the threads allow (otherwise they would all stay on one thread), so the
// split of every operation is exercised. Under ThreadSanitizer (tools/ci/test-tsan.sh) any data
// race between the workers fails the test.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "runtime/engine/prepared_model.hpp"
#include "runtime/engine/session.hpp"
#include "runtime/loader/load_model.hpp"
#include "runtime/parallel/thread_pool.hpp"

namespace {

constexpr std::uint32_t kChunk = 4;    // prefill chunk: the prompt takes four passes
constexpr std::size_t kPrompt = 13;
constexpr std::size_t kDecode = 8;

std::shared_ptr<const cbk::PreparedModel> prepared(const std::string& name) {
  const char* dir = std::getenv("CBK_ENGINE_MODELS");
  const std::string path = std::string(dir ? dir : "models") + "/" + name + ".cbk";
  std::shared_ptr<const cbk::Model> model;
  cbk::Error e = cbk::load_model_file(path, cbk::LoadOptions{}, &model);
  INFO(path << ": " << e.message);
  REQUIRE(e.ok());
  std::shared_ptr<const cbk::PreparedModel> pm;
  REQUIRE(cbk::PreparedModel::prepare(model, &pm).ok());
  return pm;
}

cbk::CodebookTarget target(std::uint32_t layer, cbk::CodebookSite site, std::int32_t group = -1) {
  cbk::CodebookTarget t;
  t.layer = layer;
  t.site = site;
  t.group = group;
  return t;
}

// Every kind of intervention on the steering model (tests/runtime/make_models.py: one GPT-2 layer
// with attn_preproj (4 groups, C = 6, k = 2), mlp (C = 8, k = 1) and transformer_block (C = 80,
// k = 2, so a keep-mode disable of 62 codes takes the every-code fallback)).
cbk::Steering steering_model_steering() {
  using cbk::CodebookSite;
  cbk::Steering s;
  cbk::ForceCode append;
  append.target = target(0, CodebookSite::attn_preproj, 1);
  append.code = 3;
  append.mode = cbk::ForceCode::SlotMode::append;
  append.strength = 0.5f;
  s.forces.push_back(append);
  cbk::DisableCodes keep;
  keep.target = target(0, CodebookSite::transformer_block);
  keep.codes = {5};
  keep.top_n = 62;
  keep.positions = cbk::PositionSet::generated();
  s.disables.push_back(keep);
  cbk::DisableCodes zero;
  zero.target = target(0, CodebookSite::mlp);
  zero.codes = {2};
  zero.mode = cbk::DisableCodes::Mode::zero;
  s.disables.push_back(zero);
  s.interchanges.push_back({target(0, CodebookSite::attn_preproj, 2), 3, {1, -1}});
  s.bypass.push_back(target(0, CodebookSite::attn_preproj, 3));
  return s;
}

// On the every-site models: a force on the generated tokens and a keep-mode disable everywhere.
cbk::Steering every_site_steering() {
  cbk::Steering s;
  cbk::ForceCode force;
  force.target = target(0, cbk::CodebookSite::mlp);
  force.code = 5;
  force.slot = 0;
  force.positions = cbk::PositionSet::generated();
  s.forces.push_back(force);
  cbk::DisableCodes keep;
  keep.target = target(1, cbk::CodebookSite::attn);
  keep.top_n = 1;
  s.disables.push_back(keep);
  return s;
}

void append_bits(std::vector<std::uint32_t>& out, const float* v, std::size_t n) {
  const std::size_t at = out.size();
  out.resize(at + n);
  std::memcpy(out.data() + at, v, n * sizeof(float));
}

struct Run {
  std::vector<std::uint32_t> logit_bits;  // every prompt token's, then every decoded token's
  std::vector<std::int32_t> tokens;
  std::vector<std::int32_t> code_ids;
  std::vector<std::uint32_t> score_bits;
};

Run run(const std::shared_ptr<const cbk::PreparedModel>& pm, const cbk::Steering& steering,
        std::uint32_t threads, bool split_small) {
  cbk::SessionOptions opt;
  opt.trace = true;
  opt.prefill_chunk = kChunk;
  opt.seed = 42;
  opt.n_threads = threads;
  opt.split_small_work = split_small;
  std::unique_ptr<cbk::Session> s;
  cbk::Error e = cbk::Session::create(pm, opt, &s);
  INFO(e.message);
  REQUIRE(e.ok());
  REQUIRE(s->set_steering(steering).ok());
  const std::size_t vocab = pm->arch().vocab_size;
  std::vector<std::int32_t> prompt(kPrompt);
  for (std::size_t i = 0; i < kPrompt; ++i) prompt[i] = static_cast<std::int32_t>((i * 37 + 11) % vocab);
  std::vector<float> prompt_logits(kPrompt * vocab);
  REQUIRE(s->prefill(prompt.data(), kPrompt, prompt_logits.data()).ok());
  Run r;
  append_bits(r.logit_bits, prompt_logits.data(), prompt_logits.size());
  const cbk::SamplingParams sampling{0.9f, 0, 1.0f};  // seeded sampling: every logit matters
  for (std::size_t i = 0; i < kDecode; ++i) {
    std::int32_t next = -1;
    REQUIRE(s->sample(sampling, &next).ok());
    r.tokens.push_back(next);
    REQUIRE(s->decode(next).ok());
    append_bits(r.logit_bits, s->logits(), vocab);
  }
  for (std::size_t cb = 0; cb < pm->codebooks().size(); ++cb)
    for (std::size_t g = 0; g < pm->codebooks()[cb].groups; ++g) {
      const std::size_t n = s->position() * s->trace_slots(cb);
      r.code_ids.insert(r.code_ids.end(), s->trace_ids(cb, g), s->trace_ids(cb, g) + n);
      append_bits(r.score_bits, s->trace_scores(cb, g), n);
    }
  return r;
}

void check_same(const Run& a, const Run& b) {
  CHECK(a.tokens == b.tokens);
  CHECK(a.code_ids == b.code_ids);
  CHECK(a.score_bits == b.score_bits);  // NaN slots compare by bits too
  CHECK(a.logit_bits == b.logit_bits);
}

}  // namespace

TEST_CASE("1, 2 and 3 threads give bit-identical logits, codes and tokens", "[threads][engine]") {
  const char* models[] = {"neox_parallel", "neox_sequential", "gpt2", "gpt_neo", "steering"};
  for (const char* name : models) {
    SECTION(name) {
      const auto pm = prepared(name);
      const cbk::Steering steering =
          std::string(name) == "steering" ? steering_model_steering() : every_site_steering();
      const Run one = run(pm, steering, 1, false);
      REQUIRE(one.tokens.size() == kDecode);
      for (std::uint32_t threads : {1u, 2u, 3u}) {
        INFO(name << " on " << threads << " threads, every operation split");
        check_same(one, run(pm, steering, threads, true));
      }
      INFO(name << " on 2 threads, default split (tiny operations stay on one thread)");
      check_same(one, run(pm, steering, 2, false));
    }
  }
}

TEST_CASE("n_threads 0 means one thread, each worker adds scratch, above the limit is refused", "[threads][engine]") {
  const auto pm = prepared("steering");
  cbk::SessionOptions opt;
  opt.n_threads = 0;
  std::unique_ptr<cbk::Session> s;
  REQUIRE(cbk::Session::create(pm, opt, &s).ok());
  cbk::SessionMemory one, three;
  opt.n_threads = 1;
  REQUIRE(cbk::Session::estimate_memory(*pm, opt, &one).ok());
  CHECK(s->memory_bytes() == one.total());
  opt.n_threads = 3;
  REQUIRE(cbk::Session::estimate_memory(*pm, opt, &three).ok());
  CHECK(three.total() > one.total());  // each worker has its own codebook and attention scratch
  REQUIRE(cbk::Session::create(pm, opt, &s).ok());
  CHECK(s->memory_bytes() == three.total());

  opt.n_threads = 100000;
  s.reset();
  const cbk::Error e = cbk::Session::create(pm, opt, &s);
  CHECK(e.status == cbk::Status::invalid_argument);
  CHECK(e.message.find("n_threads 100000") != std::string::npos);
  CHECK(s == nullptr);
}

TEST_CASE("the pool runs every task of every job exactly once", "[threads][pool]") {
  for (unsigned threads : {1u, 2u, 3u, 5u}) {
    cbk::parallel::ThreadPool pool(threads);
    CHECK(pool.threads() == threads);
    std::vector<int> runs(64);
    std::size_t expected_total = 0;
    // Many short jobs back to back: a worker that wakes late must not take a task of a newer job.
    for (std::size_t job = 0; job < 3000; ++job) {
      const std::size_t n = 1 + (job * 7) % 64;
      std::vector<int> seen(n, 0);
      auto body = [&](std::size_t task, unsigned worker) {
        ++seen[task];  // each task index is run once, so no two threads write the same slot
        if (worker >= threads) seen[task] = 100;
      };
      pool.run(n, body);
      for (std::size_t t = 0; t < n; ++t) runs[t] += seen[t];
      expected_total += n;
    }
    std::size_t total = 0;
    for (int r : runs) total += static_cast<std::size_t>(r);
    INFO(threads << " threads");
    CHECK(total == expected_total);  // a task run twice, or by a worker index out of range, adds more
  }
}

TEST_CASE("split_range cuts contiguous aligned chunks", "[threads][pool]") {
  using cbk::parallel::split_range;
  const auto s = split_range(1000, 64, 8, 16);
  CHECK(s.tasks == 8);
  CHECK(s.per_task == 128);  // ceil(1000 / 8) = 125, rounded up to a multiple of 16
  CHECK(s.begin(7) == 896);
  CHECK(s.end(7) == 1000);
  CHECK(split_range(100, 64, 8).tasks == 1);   // too small for two chunks of 64
  CHECK(split_range(128, 64, 8).tasks == 2);
  CHECK(split_range(5, 1, 8).tasks == 5);
  CHECK(split_range(0, 1, 8).tasks == 0);
  const auto odd = split_range(10, 1, 4);      // 3 + 3 + 3 + 1
  CHECK(odd.tasks == 4);
  CHECK(odd.end(3) - odd.begin(3) == 1);
}
