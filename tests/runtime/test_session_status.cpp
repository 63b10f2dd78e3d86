// Misuse and limits are statuses, never crashes: wrong order, full context, bad ids and targets.
#include "tests/runtime/engine_test_support.hpp"

using cbk::Status;

TEST_CASE("calls in the wrong order are wrong_state", "[engine]") {
  auto pm = cbk::test::prepared("gpt2");
  auto s = cbk::test::open_session(pm);
  REQUIRE(s->decode(1).status == Status::wrong_state);
  std::int32_t tok = -1;
  REQUIRE(s->sample({}, &tok).status == Status::wrong_state);
  REQUIRE(s->logits() == nullptr);
  const std::int32_t prompt[] = {1, 2, 3};
  REQUIRE(s->prefill(prompt, 3).ok());
  REQUIRE(s->prefill(prompt, 3).status == Status::wrong_state);
  REQUIRE(s->position() == 3);
  REQUIRE(s->prompt_length() == 3);
  s->reset();
  REQUIRE(s->decode(1).status == Status::wrong_state);
  REQUIRE(s->prefill(prompt, 3).ok());
}

TEST_CASE("running past the context is context_full", "[engine]") {
  auto pm = cbk::test::prepared("neox_parallel");
  auto s = cbk::test::open_session(pm, true, 64, 5);
  REQUIRE(s->capacity() == 5);
  const auto long_prompt = cbk::test::test_prompt(6, pm->arch().vocab_size);
  cbk::Error e = s->prefill(long_prompt.data(), 6);
  REQUIRE(e.status == Status::context_full);
  REQUIRE(s->position() == 0);
  REQUIRE(s->prefill(long_prompt.data(), 4).ok());
  REQUIRE(s->decode(7).ok());
  REQUIRE(s->position() == 5);
  e = s->decode(7);
  REQUIRE(e.status == Status::context_full);
  REQUIRE(e.message.find("5") != std::string::npos);
  REQUIRE(s->position() == 5);
  // The model's own limit: a larger max_context is refused.
  cbk::SessionOptions opt;
  opt.max_context = pm->arch().max_positions + 1;
  std::unique_ptr<cbk::Session> big;
  REQUIRE(cbk::Session::create(pm, opt, &big).status == Status::out_of_range);
  // Default capacity is max_positions; filling it exactly works.
  auto full = cbk::test::open_session(pm, false);
  const auto all = cbk::test::test_prompt(pm->arch().max_positions, pm->arch().vocab_size);
  REQUIRE(full->prefill(all.data(), all.size()).ok());
  REQUIRE(full->decode(1).status == Status::context_full);
}

TEST_CASE("bad token ids are out_of_range and name the id", "[engine]") {
  auto pm = cbk::test::prepared("gpt_neo");
  auto s = cbk::test::open_session(pm);
  const std::int32_t vocab = static_cast<std::int32_t>(pm->arch().vocab_size);
  const std::int32_t bad[] = {1, vocab, 2};
  cbk::Error e = s->prefill(bad, 3);
  REQUIRE(e.status == Status::out_of_range);
  REQUIRE(e.message.find(std::to_string(vocab)) != std::string::npos);
  const std::int32_t negative[] = {-1};
  REQUIRE(s->prefill(negative, 1).status == Status::out_of_range);
  REQUIRE(s->prefill(nullptr, 0).status == Status::invalid_argument);
  const std::int32_t ok[] = {1};
  REQUIRE(s->prefill(ok, 1).ok());
  REQUIRE(s->decode(vocab + 5).status == Status::out_of_range);
  REQUIRE(s->position() == 1);
}

TEST_CASE("steering targets and values are validated", "[engine]") {
  auto pm = cbk::test::prepared("steering");  // layer 0: attn_preproj 4x(C=6,k=2), mlp 1x(C=8,k=1)
  auto s = cbk::test::open_session(pm);
  using cbk::CodebookSite;
  auto expect = [&](const cbk::Steering& st, Status status, const std::string& needle) {
    cbk::Error e = s->set_steering(st);
    INFO(e.message);
    REQUIRE(e.status == status);
    REQUIRE(e.message.find(needle) != std::string::npos);
  };
  cbk::Steering st;
  cbk::ForceCode f;
  f.target = {3, CodebookSite::attn_preproj, 0};
  f.code = 1;
  st.forces.push_back(f);
  expect(st, Status::out_of_range, "layer 3");
  st.forces[0].target = {0, CodebookSite::qkv, 0};
  expect(st, Status::out_of_range, "no codebook");
  st.forces[0].target = {0, CodebookSite::attn_preproj, 4};
  expect(st, Status::out_of_range, "group 4");
  st.forces[0].target = {0, CodebookSite::attn_preproj, 1};
  st.forces[0].code = 6;
  expect(st, Status::out_of_range, "code 6");
  st.forces[0].code = 5;
  st.forces[0].slot = 2;
  expect(st, Status::out_of_range, "slot 2");
  st.forces[0].slot = -2;
  REQUIRE(s->set_steering(st).ok());

  cbk::Steering dis;
  cbk::DisableCodes d;
  d.target = {0, CodebookSite::mlp, -1};
  d.codes = {8};
  dis.disables.push_back(d);
  expect(dis, Status::out_of_range, "code 8");
  dis.disables[0].codes = {1};
  dis.disables[0].top_n = 8;
  expect(dis, Status::out_of_range, "top_n 8");

  cbk::Steering ic;
  ic.interchanges.push_back({{0, CodebookSite::attn_preproj, 0}, 2, {1}});
  expect(ic, Status::invalid_argument, "expected k = 2");
  ic.interchanges[0].ids = {1, 7};
  expect(ic, Status::out_of_range, "code 7");
  ic.interchanges[0].ids = {-1, 5};
  REQUIRE(s->set_steering(ic).ok());

  cbk::Steering by;
  by.bypass.push_back({0, CodebookSite::mlp_mid, -1});
  expect(by, Status::out_of_range, "mlp_mid");
  // A failed set_steering leaves the previous one installed.
  REQUIRE(s->steering().interchanges.size() == 1);
}

TEST_CASE("session options are validated", "[engine]") {
  auto pm = cbk::test::prepared("gpt2");
  cbk::SessionOptions opt;
  opt.prefill_chunk = 0;
  std::unique_ptr<cbk::Session> s;
  REQUIRE(cbk::Session::create(pm, opt, &s).status == Status::invalid_argument);
  REQUIRE(cbk::Session::create(nullptr, {}, &s).status == Status::invalid_argument);
  std::shared_ptr<const cbk::PreparedModel> out;
  REQUIRE(cbk::PreparedModel::prepare(nullptr, &out).status == Status::invalid_argument);
}

TEST_CASE("a cancel callback stops a prefill between chunks and leaves the session empty", "[engine]") {
  auto pm = cbk::test::prepared("gpt2");
  struct Counter {
    int calls = 0;
    int stop_at = 0;  // cancel on this call (1-based); 0 = never
  } counter;
  cbk::SessionOptions opt;
  opt.trace = true;
  opt.prefill_chunk = 2;
  opt.cancel = [](void* user) {
    auto* c = static_cast<Counter*>(user);
    return ++c->calls == c->stop_at ? 1 : 0;
  };
  opt.cancel_user_data = &counter;
  std::unique_ptr<cbk::Session> s;
  REQUIRE(cbk::Session::create(pm, opt, &s).ok());
  const auto prompt = cbk::test::test_prompt(7, pm->arch().vocab_size);

  counter.stop_at = 3;  // chunks of 2: asked before rows 0, 2, 4 -> stops after 4 of 7 tokens
  cbk::Error e = s->prefill(prompt.data(), prompt.size());
  REQUIRE(e.status == Status::cancelled);
  CHECK(e.message.find("4 of 7") != std::string::npos);
  CHECK(s->position() == 0);
  CHECK(s->logits() == nullptr);
  CHECK(s->decode(1).status == Status::wrong_state);

  // Not cancelled: asked once per chunk (4 chunks for 7 tokens), and the prompt runs in full.
  counter.calls = 0;
  counter.stop_at = 0;
  REQUIRE(s->prefill(prompt.data(), prompt.size()).ok());
  CHECK(counter.calls == 4);
  CHECK(s->position() == 7);
}
