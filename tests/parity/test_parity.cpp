// Parity with the Python reference: every golden case in tests/parity/cases (written by
// make_cases.py from cbk_reference, see README.md) is replayed through the engine — the prompt as
// one prefill, every later token as one decode — and must give identical code ids at every token,
// codebook, group and slot, and logits within the case's tolerance (1e-4). Runs with "text_hex"
// (padded vocabularies) must also decode to the reference tokenizer's bytes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/engine/prepared_model.hpp"
#include "runtime/engine/session.hpp"
#include "runtime/loader/load_model.hpp"
#include "runtime/tokenizer/tokenizer.hpp"
#include "tests/common/json_reader.hpp"

namespace {

using cbk_test::Json;

constexpr float kScoreTolerance = 1e-4f;

// CBK_PARITY_CASES overrides the compiled-in path; the WASM build cannot see the environment
// (Emscripten programs get their own), so the default must be absolute.
std::string cases_dir() {
  const char* dir = std::getenv("CBK_PARITY_CASES");
  return dir ? dir : CBK_PARITY_CASES_DEFAULT;
}

std::vector<std::string> case_names(const std::string& prefix) {
  std::vector<std::string> names;
  const std::string suffix = ".golden.json";
  for (const auto& entry : std::filesystem::directory_iterator(cases_dir())) {
    const std::string f = entry.path().filename().string();
    if (f.size() > suffix.size() && f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        f.compare(0, prefix.size(), prefix) == 0)
      names.push_back(f.substr(0, f.size() - suffix.size()));
  }
  std::sort(names.begin(), names.end());
  return names;
}

cbk::CodebookSite site_of(const Json& v) {
  cbk::CodebookSite s{};
  if (!cbk::site_from_name(v.string.c_str(), &s)) throw std::runtime_error("unknown site " + v.string);
  return s;
}

cbk::CodebookTarget target_of(const Json& e) {
  const Json& g = e.get("group");
  return {static_cast<std::uint32_t>(e["layer"].as_int()), site_of(e["site"]), g.is_null() ? -1 : g.as_int()};
}

cbk::PositionSet positions_of(const Json& v) {
  if (v.is_null() || (v.type == Json::Type::string && v.string == "all")) return cbk::PositionSet::all();
  if (v.type == Json::Type::string && v.string == "generated") return cbk::PositionSet::generated();
  cbk::PositionSet p;
  p.kind = cbk::PositionSet::Kind::ranges;
  auto u = [](const Json& x) { return static_cast<std::uint32_t>(x.as_int()); };
  if (v.type == Json::Type::number) {
    p.ranges.push_back({u(v), u(v) + 1});
    return p;
  }
  for (const Json& it : v.array) {
    if (it.type == Json::Type::number)
      p.ranges.push_back({u(it), u(it) + 1});
    else
      p.ranges.push_back({u(it.array.at(0)), u(it.array.at(1))});
  }
  return p;
}

std::vector<std::int32_t> ints_of(const Json& v) {
  std::vector<std::int32_t> out;
  for (const Json& x : v.array) out.push_back(x.as_int());
  return out;
}

// The reference's steering JSON (cbk_reference/steering.py) as engine Steering.
cbk::Steering steering_of(const Json& spec) {
  cbk::Steering st;
  if (spec.type != Json::Type::object) return st;
  for (const Json& e : spec.get("interventions").array) {
    const std::string op = e["op"].string;
    if (op == "force") {
      cbk::ForceCode f;
      f.target = target_of(e);
      f.code = e["code"].as_int();
      f.positions = positions_of(e.get("positions"));
      const Json& slot = e.get("slot");
      if (slot.type == Json::Type::string) {
        f.mode = slot.string == "all" ? cbk::ForceCode::SlotMode::all : cbk::ForceCode::SlotMode::append;
      } else {
        f.mode = cbk::ForceCode::SlotMode::index;
        f.slot = slot.is_null() ? -1 : slot.as_int();
      }
      f.strength = e.has("strength") ? static_cast<float>(e["strength"].number) : 1.0f;
      st.forces.push_back(f);
    } else if (op == "disable") {
      cbk::DisableCodes d;
      d.target = target_of(e);
      d.codes = ints_of(e.get("codes"));
      d.top_n = e.has("topn") ? static_cast<std::uint32_t>(e["topn"].as_int()) : 0;
      d.positions = positions_of(e.get("positions"));
      d.mode = e.has("mode") && e["mode"].string == "zero" ? cbk::DisableCodes::Mode::zero
                                                            : cbk::DisableCodes::Mode::keep;
      d.slots = ints_of(e.get("slots"));
      st.disables.push_back(d);
    } else if (op == "interchange") {
      st.interchanges.push_back({target_of(e), static_cast<std::uint32_t>(e["position"].as_int()), ints_of(e["ids"])});
    } else {
      throw std::runtime_error("unknown steering op " + op);
    }
  }
  for (const Json& b : spec.get("bypass").array) st.bypass.push_back(target_of(b));
  return st;
}

struct Totals {
  int cases = 0;
  int runs = 0;
  long long ids_compared = 0;
  double max_logit_diff = 0.0;
  double max_score_diff = 0.0;
};

Totals& totals() {
  static Totals t;
  return t;
}

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// A padded vocabulary's run: padding ids decode to nothing, every other token is kept, and the
// strict mode names the first padding id.
void check_text(const cbk::PreparedModel& pm, const std::vector<std::int32_t>& tokens, const std::string& want_hex) {
  const cbk::Tokenizer* tok = pm.tokenizer();
  REQUIRE(tok != nullptr);
  cbk::DecodeOptions options;
  options.model_vocab = pm.arch().vocab_size;
  std::string text;
  cbk::Error e = tok->decode(tokens.data(), tokens.size(), &text, options);
  INFO(e.message);
  REQUIRE(e.ok());
  CHECK(hex(text) == want_hex);
  const auto pad = std::find_if(tokens.begin(), tokens.end(),
                                [&](std::int32_t t) { return static_cast<std::size_t>(t) >= tok->vocab_size(); });
  REQUIRE(pad != tokens.end());
  options.strict = true;
  e = tok->decode(tokens.data(), tokens.size(), &text, options);
  CHECK(e.status == cbk::Status::out_of_range);
  CHECK(e.message.find("token id " + std::to_string(*pad) + " at index " +
                      std::to_string(pad - tokens.begin()) + " has no token text") != std::string::npos);
}

void check_run(const std::shared_ptr<const cbk::PreparedModel>& pm, const Json& run, double logit_tol) {
  const std::vector<std::int32_t> tokens = ints_of(run["tokens"]);
  const std::size_t n_prompt = static_cast<std::size_t>(run["n_prompt"].as_int());
  const std::size_t vocab = pm->arch().vocab_size;
  cbk::SessionOptions opt;
  opt.trace = true;
  std::unique_ptr<cbk::Session> s;
  REQUIRE(cbk::Session::create(pm, opt, &s).ok());
  cbk::Error e = s->set_steering(steering_of(run.get("steering")));
  INFO(e.message);
  REQUIRE(e.ok());

  std::vector<float> logits(tokens.size() * vocab);
  e = s->prefill(tokens.data(), n_prompt, logits.data());
  INFO(e.message);
  REQUIRE(e.ok());
  for (std::size_t t = n_prompt; t < tokens.size(); ++t) {
    REQUIRE(s->decode(tokens[t]).ok());
    std::copy(s->logits(), s->logits() + vocab, logits.begin() + static_cast<std::ptrdiff_t>(t * vocab));
  }

  double max_diff = 0.0;
  const auto& rows = run["logits"].array;
  REQUIRE(rows.size() == tokens.size());
  for (std::size_t t = 0; t < tokens.size(); ++t) {
    REQUIRE(rows[t].array.size() == vocab);
    for (std::size_t v = 0; v < vocab; ++v)
      max_diff = std::max(max_diff, std::fabs(rows[t].array[v].number - static_cast<double>(logits[t * vocab + v])));
  }
  totals().max_logit_diff = std::max(totals().max_logit_diff, max_diff);
  CHECK(max_diff <= logit_tol);

  // Every golden (layer, site, group) row against the trace; groups the golden omits were bypassed.
  const auto& books = pm->codebooks();
  std::vector<std::vector<bool>> seen(books.size());
  for (std::size_t c = 0; c < books.size(); ++c) seen[c].assign(books[c].groups, false);
  for (const Json& codes : run["codes"].array) {
    const int cb = pm->find_codebook(static_cast<std::uint32_t>(codes["layer"].as_int()), site_of(codes["site"]));
    REQUIRE(cb >= 0);
    const auto c = static_cast<std::size_t>(cb);
    const auto g = static_cast<std::size_t>(codes["group"].as_int());
    REQUIRE(g < books[c].groups);
    seen[c][g] = true;
    const std::size_t slots = s->trace_slots(c);
    const auto& positions = codes["positions"].array;
    for (std::size_t r = 0; r < positions.size(); ++r) {
      const auto p = static_cast<std::size_t>(positions[r].as_int());
      const auto& gid = codes["ids"].array[r].array;
      const auto& gsc = codes["scores"].array[r].array;
      const std::int32_t* ids = s->trace_ids(c, g) + p * slots;
      const float* sc = s->trace_scores(c, g) + p * slots;
      REQUIRE(gid.size() <= slots);
      for (std::size_t k = 0; k < slots; ++k) {
        INFO("codebook " << c << " (layer " << books[c].layer << " " << cbk::to_string(books[c].site) << ") group "
                         << g << " position " << p << " slot " << k);
        if (k >= gid.size()) {
          REQUIRE(ids[k] == cbk::kTraceNoSlot);
          continue;
        }
        REQUIRE(ids[k] == gid[k].as_int());
        ++totals().ids_compared;
        if (gsc[k].is_null()) {
          REQUIRE(std::isnan(sc[k]));
        } else {
          const double d = std::fabs(gsc[k].number - static_cast<double>(sc[k]));
          totals().max_score_diff = std::max(totals().max_score_diff, d);
          CHECK(d <= kScoreTolerance);
        }
      }
    }
  }
  for (std::size_t c = 0; c < books.size(); ++c)
    for (std::size_t g = 0; g < books[c].groups; ++g)
      if (!seen[c][g]) {
        INFO("codebook " << c << " group " << g << " is absent from the golden: must be bypassed");
        REQUIRE(s->trace_ids(c, g)[0] == cbk::kTraceNoSlot);
      }
  if (run.has("text_hex")) check_text(*pm, tokens, run["text_hex"].string);
  ++totals().runs;
}

void check_case(const std::string& name) {
  INFO("case " << name);
  const Json golden = cbk_test::parse_json(cbk_test::read_file(cases_dir() + "/" + name + ".golden.json"));
  REQUIRE(golden["format"].string == "cbk-parity-v1");
  std::shared_ptr<const cbk::Model> model;
  cbk::Error e = cbk::load_model_file(cases_dir() + "/" + golden["model"].string, cbk::LoadOptions{}, &model);
  INFO(e.message);
  REQUIRE(e.ok());
  std::shared_ptr<const cbk::PreparedModel> pm;
  e = cbk::PreparedModel::prepare(model, &pm);
  INFO(e.message);
  REQUIRE(e.ok());
  const double tol = golden["tolerance"]["logits_abs"].number;
  for (const Json& run : golden["runs"].array) {
    INFO("run " << (run.has("label") ? run["label"].string : std::string("(matrix)")) << " tokens "
                << run["tokens"].array.size());
    check_run(pm, run, tol);
  }
  ++totals().cases;
}

void run_cases(const std::string& prefix) {
  const auto names = case_names(prefix);
  REQUIRE(!names.empty());
  for (const std::string& name : names) check_case(name);
  const Totals& t = totals();
  std::printf("parity so far: %d cases, %d runs, %lld ids identical, max |dlogit| %.3g, max |dscore| %.3g\n",
              t.cases, t.runs, t.ids_compared, t.max_logit_diff, t.max_score_diff);
}

}  // namespace

TEST_CASE("parity: gpt_neox cases", "[parity]") { run_cases("gpt_neox-"); }
TEST_CASE("parity: gpt2 cases", "[parity]") { run_cases("gpt2-"); }
TEST_CASE("parity: gpt_neo cases", "[parity]") { run_cases("gpt_neo-"); }
TEST_CASE("parity: steering cases", "[parity]") { run_cases("steer-"); }
TEST_CASE("parity: padded vocabulary", "[parity]") { run_cases("pad-"); }
