// Thread-safety promises of cbk.h, checked on the default model (models/tokfsm.cbk):
//  - "a cbk_model is immutable once loaded and may be used from any number of threads at once":
//    one model is shared by kThreads threads, each running its own sessions (prefill, decode,
//    seeded sampling, greedy decoding, every kind of steering, clear, trace reads, captures,
//    tokenize/detokenize, model introspection); every thread's tokens, code ids, logits and
//    captured activations must equal a single-threaded run of the same script, bit for bit.
//  - "cbk_last_error_message: the message of the last failing call made on this thread": each
//    thread makes failing calls naming its own values and must read back exactly its own message.
//  - "the log callback may be called from any thread": it is installed before the threads start
//    and must receive every failure of every thread, once.
// Built under ThreadSanitizer by tools/ci/test-tsan.sh (TSAN_OPTIONS=halt_on_error=1), where any
// data race fails the test; in the other builds it still checks the results.
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bindings/c/include/cbk.hpp"

#ifndef CBK_DEFAULT_MODEL
#error "CBK_DEFAULT_MODEL must name models/tokfsm.cbk"
#endif

namespace {

constexpr int kThreads = 8;
constexpr int kRounds = 5;   // sessions per thread, each with a different intervention
constexpr int kSteps = 10;   // tokens generated per session

// What one script observed; compared bit for bit between the threaded and the serial run.
struct Observed {
  std::vector<std::int32_t> tokens;
  std::vector<std::int32_t> codes;
  std::vector<std::uint32_t> float_bits;  // logits and captured activations, as bits
  std::string text;
  std::vector<std::string> problems;      // failed expectations (Catch2 is not thread-safe)
  bool operator==(const Observed& o) const {
    return tokens == o.tokens && codes == o.codes && float_bits == o.float_bits && text == o.text;
  }
};

struct LogCount {
  std::mutex mutex;
  std::vector<std::string> errors;
};

void count_log(cbk_log_level level, const char* message, void* user_data) {
  if (level != CBK_LOG_ERROR) return;
  auto* log = static_cast<LogCount*>(user_data);
  std::lock_guard<std::mutex> lock(log->mutex);
  log->errors.emplace_back(message);
}

class Script {
 public:
  Script(const cbk_model* model, int thread) : model_(model), thread_(thread) {}

  Observed run() {
    arch_.struct_size = sizeof arch_;
    expect(cbk_model_architecture(model_, &arch_), "architecture");
    for (std::size_t c = 0; c < cbk_model_codebook_count(model_); ++c) {
      cbk_codebook_info info{};
      info.struct_size = sizeof info;
      expect(cbk_model_codebook_info(model_, c, &info), "codebook_info");
      codebooks_.push_back(info);
    }
    if (codebooks_.empty()) return problem("the model has no codebooks"), out_;
    for (int round = 0; round < kRounds; ++round) run_round(round);
    return out_;
  }

 private:
  void problem(const std::string& what) { out_.problems.push_back("thread " + std::to_string(thread_) + ": " + what); }

  bool expect(cbk_status st, const char* call) {
    if (st == CBK_STATUS_OK) return true;
    problem(std::string(call) + " -> " + cbk_status_string(st) + ": " + cbk_last_error_message());
    return false;
  }

  std::vector<std::int32_t> prompt(int round) {
    // A different digit string per thread and round (TokFSM's vocabulary is the ten digits).
    std::string digits;
    for (int i = 0; i < 4 + (thread_ + round) % 5; ++i) digits += static_cast<char>('0' + (thread_ * 7 + round * 3 + i * i) % 10);
    std::size_t n = 0;
    cbk_tokenize(model_, digits.data(), digits.size(), CBK_TOKENIZE_ADD_BOS, nullptr, 0, &n);
    std::vector<std::int32_t> ids(n);
    expect(cbk_tokenize(model_, digits.data(), digits.size(), CBK_TOKENIZE_ADD_BOS, ids.data(), n, &n), "tokenize");
    return ids;
  }

  cbk::session_ptr open(std::uint64_t seed) {
    cbk_session_params p = cbk_session_default_params();
    p.trace = 1;
    p.seed = seed;
    p.max_context = 48;
    p.prefill_chunk = 3;  // several batched passes per prompt
    cbk_status st = CBK_STATUS_INTERNAL;
    cbk::session_ptr s = cbk::create_session(model_, &p, &st);
    expect(st, "session_create");
    return s;
  }

  // One intervention per round, so every steering kind runs concurrently with the others.
  void steer(cbk_session* s, int round) {
    const cbk_codebook_info& cb = codebooks_[(thread_ + round) % codebooks_.size()];
    const cbk_target all{cb.layer, cb.site, -1};
    const cbk_target one{cb.layer, cb.site, static_cast<std::int32_t>(thread_ % cb.groups)};
    const std::int32_t code = static_cast<std::int32_t>((thread_ * 37 + round * 11) % cb.codes);
    const cbk_positions generated{CBK_POSITIONS_GENERATED, 0, 0};
    switch (round % 5) {
      case 0:
        expect(cbk_steer_force(s, &all, code, &generated, CBK_FORCE_SLOT, -1, 1.0f), "steer_force");
        break;
      case 1: {
        const std::int32_t codes[2] = {code, static_cast<std::int32_t>((code + 1) % cb.codes)};
        expect(cbk_steer_disable(s, &one, codes, 2, 3, nullptr, CBK_DISABLE_KEEP, nullptr, 0), "steer_disable");
        break;
      }
      case 2: {
        std::vector<std::int32_t> ids(cb.k, code);
        expect(cbk_steer_interchange(s, &one, 2, ids.data(), ids.size()), "steer_interchange");
        expect(cbk_steer_force(s, &one, code, nullptr, CBK_FORCE_APPEND, 0, 2.0f), "steer_force(append)");
        break;
      }
      case 3:
        expect(cbk_steer_bypass(s, &one), "steer_bypass");
        break;
      case 4:
        expect(cbk_steer_force(s, &all, code, nullptr, CBK_FORCE_ALL, 0, 1.0f), "steer_force(all)");
        expect(cbk_steer_clear(s), "steer_clear");
        break;
    }
  }

  // A failing call whose message names this thread's values; it must be the one read back.
  void failing_call(cbk_session* s, int round) {
    const std::int32_t bad = 1000000 + thread_ * 1000 + round;
    const cbk_status st = cbk_session_decode(s, bad);
    const std::string mine = std::to_string(bad);
    if (st != CBK_STATUS_OUT_OF_RANGE) problem("decode of a bad id did not fail with out_of_range");
    if (std::string(cbk_last_error_message()).find(mine) == std::string::npos)
      problem("cbk_last_error_message is not this thread's: " + std::string(cbk_last_error_message()));
    if (std::string(cbk_session_last_error(s)).find(mine) == std::string::npos) problem("session error mismatch");
  }

  void record_trace(const cbk_session* s) {
    for (std::size_t c = 0; c < codebooks_.size(); ++c)
      for (std::uint32_t g = 0; g < codebooks_[c].groups; ++g) {
        const std::int32_t* ids = nullptr;
        std::size_t rows = 0, slots = 0;
        if (!expect(cbk_session_trace(s, c, g, &ids, nullptr, &rows, &slots), "trace")) return;
        out_.codes.push_back(static_cast<std::int32_t>(rows * 1000 + slots));
        out_.codes.insert(out_.codes.end(), ids, ids + rows * slots);
      }
  }

  void record_floats(const float* v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      std::uint32_t bits;
      std::memcpy(&bits, &v[i], sizeof bits);
      out_.float_bits.push_back(bits);
    }
  }

  void run_round(int round) {
    const std::vector<std::int32_t> ids = prompt(round);
    // Two sessions per thread, interleaved: a steered one (sampling) and a plain one (greedy).
    cbk::session_ptr steered = open(static_cast<std::uint64_t>(thread_ * 100 + round));
    cbk::session_ptr plain = open(0);
    if (!steered || !plain) return;
    steer(steered.get(), round);
    std::size_t width = 0;
    expect(cbk_model_site_width(model_, CBK_SITE_MLP, &width), "site_width");
    std::vector<float> captured(width * 48, 0.0f);
    expect(cbk_session_set_capture(plain.get(), arch_.n_layers - 1, CBK_SITE_MLP, captured.data(), 48), "set_capture");

    expect(cbk_session_prefill(steered.get(), ids.data(), ids.size()), "prefill");
    expect(cbk_session_prefill(plain.get(), ids.data(), ids.size()), "prefill");
    cbk_sampling_params sampled = cbk_sampling_default_params();
    sampled.top_k = round % 2 ? 0 : 5;
    cbk_sampling_params greedy = cbk_sampling_default_params();
    greedy.temperature = 0.0f;
    std::vector<std::int32_t> generated = ids;
    for (int step = 0; step < kSteps; ++step) {
      std::int32_t a = -1, b = -1;
      expect(cbk_session_sample(steered.get(), &sampled, &a), "sample");
      expect(cbk_session_decode(steered.get(), a), "decode");
      expect(cbk_session_sample(plain.get(), &greedy, &b), "sample(greedy)");
      expect(cbk_session_decode(plain.get(), b), "decode");
      out_.tokens.push_back(a);
      out_.tokens.push_back(b);
      generated.push_back(b);
    }
    failing_call(steered.get(), round);
    const float* logits = nullptr;
    std::size_t n_vocab = 0;
    if (expect(cbk_session_logits(steered.get(), &logits, &n_vocab), "logits")) record_floats(logits, n_vocab);
    record_trace(steered.get());
    record_trace(plain.get());
    record_floats(captured.data(), captured.size());

    std::size_t len = 0;
    cbk_detokenize(model_, generated.data(), generated.size(), nullptr, 0, &len);
    std::string text(len + 1, '\0');
    if (expect(cbk_detokenize(model_, generated.data(), generated.size(), &text[0], text.size(), &len), "detokenize"))
      out_.text += text.substr(0, len) + "|";
    // Reset and run again on the same session: the trace must restart from position 0.
    expect(cbk_session_reset(plain.get()), "reset");
    expect(cbk_session_prefill(plain.get(), ids.data(), ids.size()), "prefill after reset");
    record_trace(plain.get());
  }

  const cbk_model* model_;
  int thread_;
  cbk_architecture arch_{};
  std::vector<cbk_codebook_info> codebooks_;
  Observed out_;
};

}  // namespace

TEST_CASE("one model shared by 8 threads gives each thread its single-threaded results", "[threads]") {
  cbk_status st = CBK_STATUS_INTERNAL;
  const cbk::model_ptr model = cbk::load_model(CBK_DEFAULT_MODEL, nullptr, &st);
  INFO(cbk_last_error_message());
  REQUIRE(st == CBK_STATUS_OK);
  LogCount log;
  cbk_set_log_callback(count_log, &log);

  std::vector<Observed> serial;
  for (int t = 0; t < kThreads; ++t) serial.push_back(Script(model.get(), t).run());
  const std::size_t serial_errors = log.errors.size();

  std::vector<Observed> threaded(kThreads);
  {
    std::mutex mutex;
    std::condition_variable go;
    bool started = false;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        {
          std::unique_lock<std::mutex> lock(mutex);
          go.wait(lock, [&] { return started; });
        }
        threaded[t] = Script(model.get(), t).run();
      });
    {
      std::lock_guard<std::mutex> lock(mutex);
      started = true;
    }
    go.notify_all();
    for (std::thread& th : threads) th.join();
  }
  cbk_set_log_callback(nullptr, nullptr);

  for (int t = 0; t < kThreads; ++t) {
    INFO("thread " << t);
    for (const std::string& p : serial[t].problems) FAIL_CHECK("serial run: " << p);
    for (const std::string& p : threaded[t].problems) FAIL_CHECK("threaded run: " << p);
    CHECK(serial[t].tokens.size() == static_cast<std::size_t>(2 * kRounds * kSteps));
    CHECK(threaded[t].tokens == serial[t].tokens);
    CHECK(threaded[t].codes == serial[t].codes);
    CHECK(threaded[t].float_bits == serial[t].float_bits);
    CHECK(threaded[t].text == serial[t].text);
  }
  // Different threads ran different scripts (so equal results are not a trivial match).
  CHECK_FALSE(serial[0] == serial[1]);
  // Every failure reached the callback once per run, intact: the threaded run logged as many as the
  // serial one (the deliberate bad decodes plus the two-call size queries), and each bad decode's
  // message (its id is unique to a thread and round) arrived exactly twice.
  CHECK(serial_errors >= static_cast<std::size_t>(kThreads * kRounds));
  CHECK(log.errors.size() == 2 * serial_errors);
  for (int t = 0; t < kThreads; ++t)
    for (int round = 0; round < kRounds; ++round) {
      const std::string id = "token id " + std::to_string(1000000 + t * 1000 + round);
      std::size_t seen = 0;
      for (const std::string& e : log.errors) seen += e.rfind("cbk_session_decode: ", 0) == 0 && e.find(id) != std::string::npos;
      CHECK(seen == 2);
    }
}

// The byte-level BPE tokenizer keeps a piece cache behind a mutex (encode is const and shared):
// 8 threads tokenizing overlapping texts must each get the single-threaded ids. Uses the C API
// fixture model (tests/api, byte-level BPE), whose directory ctest passes in CBK_API_MODELS.
TEST_CASE("a byte-level BPE tokenizer shared by 8 threads gives the single-threaded ids", "[threads][bpe]") {
  const char* dir = std::getenv("CBK_API_MODELS");
  if (dir == nullptr) {
    WARN("CBK_API_MODELS is not set; skipped");
    return;
  }
  cbk_status st = CBK_STATUS_INTERNAL;
  const cbk::model_ptr model = cbk::load_model((std::string(dir) + "/api.cbk").c_str(), nullptr, &st);
  INFO(cbk_last_error_message());
  REQUIRE(st == CBK_STATUS_OK);
  const char* words[] = {"the", " then", " in", " sun", "\xC3\xA9t\xC3\xA9", " 123", "\n\n", " other", "'s", " on"};
  auto text_of = [&](int thread, int i) {
    std::string text;
    for (int w = 0; w < 12; ++w) text += words[(thread * 3 + i * 7 + w * w) % 10];
    return text;
  };
  auto run = [&](const cbk_model* m, int thread) {
    std::vector<std::int32_t> all;
    for (int i = 0; i < 40; ++i) {
      const std::string text = text_of(thread, i);
      std::vector<std::int32_t> ids(256);
      std::size_t n = 0;
      if (cbk_tokenize(m, text.data(), text.size(), 0, ids.data(), ids.size(), &n) != CBK_STATUS_OK) n = 0;
      all.push_back(static_cast<std::int32_t>(n));
      all.insert(all.end(), ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n));
    }
    return all;
  };
  std::vector<std::vector<std::int32_t>> serial, threaded(kThreads);
  for (int t = 0; t < kThreads; ++t) serial.push_back(run(model.get(), t));
  // A fresh model, so the threads fill an empty cache concurrently.
  const cbk::model_ptr fresh = cbk::load_model((std::string(dir) + "/api.cbk").c_str(), nullptr, &st);
  REQUIRE(st == CBK_STATUS_OK);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back([&, t] { threaded[t] = run(fresh.get(), t); });
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    INFO("thread " << t);
    CHECK(serial[t].size() > 40u * 2);
    CHECK(threaded[t] == serial[t]);
  }
}
