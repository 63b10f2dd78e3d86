// Writer -> loader round trip: every model family written by the Python writer loads, and the
// loader reports exactly what the writer recorded in its .expect file (sums computed by numpy).
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "runtime/loader/load_model.hpp"
#include "tests/loader/fixture_paths.hpp"

namespace {

using cbk::TensorView;

std::string unhex(const std::string& h) {
  if (h == "-") return "";
  std::string s;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) s += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
  return s;
}

float half_to_float(std::uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 0x1F, mant = h & 0x3FF;
  double v = exp == 0 ? std::ldexp(mant, -24) : std::ldexp(mant + 1024, exp - 25);
  return static_cast<float>(sign ? -v : v);
}

double element(const TensorView& t, std::uint64_t i) {
  switch (t.dtype) {
    case cbk::DType::f32: return t.f32()[i];
    case cbk::DType::f16: {
      std::uint16_t h;
      std::memcpy(&h, t.data + 2 * i, 2);
      return half_to_float(h);
    }
    case cbk::DType::int8:
      return static_cast<double>(reinterpret_cast<const std::int8_t*>(t.data)[i]) * t.scales[i / t.row_length()];
    case cbk::DType::u8: return t.data[i];
    case cbk::DType::i32: {
      std::int32_t v;
      std::memcpy(&v, t.data + 4 * i, 4);
      return v;
    }
  }
  return NAN;
}

// "NAME dtype shape sum first last" as the writer computed them.
void check_tensor(const TensorView& t, std::istringstream& in) {
  std::string name, dtype, shape;
  double sum = 0, first = 0, last = 0;
  in >> name >> dtype >> shape >> sum >> first >> last;
  INFO("tensor " << unhex(name));
  CHECK(t.name == unhex(name));
  CHECK(std::string(cbk::to_string(t.dtype)) == dtype);
  std::string got_shape;
  for (std::size_t i = 0; i < t.shape.size(); ++i) got_shape += (i ? "," : "") + std::to_string(t.shape[i]);
  CHECK(got_shape == shape);
  double got_sum = 0;
  for (std::uint64_t i = 0; i < t.elements(); ++i) got_sum += element(t, i);
  CHECK(got_sum == Approx(sum).margin(1e-9).epsilon(1e-9));
  CHECK(element(t, 0) == Approx(first).margin(1e-12));
  CHECK(element(t, t.elements() - 1) == Approx(last).margin(1e-12));
  CHECK(t.file_offset % 64 == 0);
}

void check_against_expect(const cbk::Model& m, const std::string& expect_path) {
  std::ifstream file(expect_path);
  REQUIRE(file.good());
  const cbk::Architecture& a = m.architecture();
  std::size_t tensor_i = 0, extra_i = 0, lines = 0, exact_lines = 0;
  std::string line;
  while (std::getline(file, line)) {
    ++lines;
    std::istringstream in(line);
    std::string kind;
    in >> kind;
    if (kind == "file_size") {
      std::uint64_t v; in >> v; CHECK(m.file().file_size == v);
    } else if (kind == "schema") {
      unsigned major, minor; in >> major >> minor;
      CHECK(m.file().schema_major == major);
      CHECK(m.file().schema_minor == minor);
    } else if (kind == "data_offset") {
      std::uint64_t v; in >> v; CHECK(m.file().data_offset == v);
    } else if (kind == "data_crc32") {
      std::uint32_t v; in >> v; CHECK(m.file().data_crc32 == v); CHECK(m.file().data_crc_verified);
    } else if (kind == "arch") {
      std::string key, value; in >> key >> value;
      INFO("arch " << key);
      std::map<std::string, std::string> got = {
          {"family", cbk::to_string(a.family)}, {"vocab_size", std::to_string(a.vocab_size)},
          {"d_model", std::to_string(a.d_model)}, {"n_layers", std::to_string(a.n_layers)},
          {"n_heads", std::to_string(a.n_heads)}, {"head_dim", std::to_string(a.head_dim)},
          {"d_mlp", std::to_string(a.d_mlp)}, {"max_positions", std::to_string(a.max_positions)},
          {"activation", cbk::to_string(a.activation)}, {"positions", cbk::to_string(a.positions)},
          {"rotary_dims", std::to_string(a.rotary_dims)}, {"local_window", std::to_string(a.local_window)},
          {"parallel_residual", std::to_string(a.parallel_residual)},
          {"scale_attention", std::to_string(a.scale_attention)},
          {"scale_attention_by_inverse_layer", std::to_string(a.scale_attention_by_inverse_layer)},
          {"tied_embeddings", std::to_string(a.tied_embeddings)}};
      std::string kinds;
      for (std::size_t l = 0; l < a.layer_attention.size(); ++l) kinds += (l ? "," : "") + std::string(cbk::to_string(a.layer_attention[l]));
      got["layer_attention"] = kinds;
      CHECK(got.at(key) == value);
    } else if (kind == "tensor") {
      REQUIRE(tensor_i < m.tensors().size());
      check_tensor(m.tensors()[tensor_i++], in);
    } else if (kind == "extra") {
      REQUIRE(extra_i < m.extras().size());
      check_tensor(m.extras()[extra_i++], in);
    } else if (kind == "codebook") {
      std::size_t i; unsigned layer, groups, codes, dim, k; std::string site, sim;
      in >> i >> layer >> site >> groups >> codes >> dim >> k >> sim;
      REQUIRE(i < m.codebooks().size());
      const cbk::Codebook& cb = m.codebooks()[i];
      CHECK(cb.layer == layer);
      CHECK(std::string(cbk::to_string(cb.site)) == site);
      CHECK(cb.groups == groups);
      CHECK(cb.codes == codes);
      CHECK(cb.dim == dim);
      CHECK(cb.k == k);
      CHECK(std::string(cbk::to_string(cb.similarity)) == sim);
      CHECK(cb.group_data.size() == groups);
    } else if (kind == "cbtensor") {
      std::size_t i, g; std::string role;
      in >> i >> g >> role;
      const cbk::CodebookGroup& grp = m.codebooks().at(i).group_data.at(g);
      if (role == "exact_codes") {
        CHECK(grp.has_exact_codes());
        ++exact_lines;
      }
      check_tensor(role == "ln_weight"     ? grp.ln_weight
                   : role == "ln_bias"     ? grp.ln_bias
                   : role == "exact_codes" ? grp.exact_codes
                                           : grp.codes,
                   in);
    } else if (kind == "tokenizer") {
      std::string tk; std::size_t n_tokens, n_merges; int bos, eos, pad, add_bos;
      in >> tk >> n_tokens >> n_merges >> bos >> eos >> pad >> add_bos;
      REQUIRE(m.has_tokenizer());
      const cbk::TokenizerData& t = m.tokenizer();
      CHECK(std::string(cbk::to_string(t.kind)) == tk);
      CHECK(t.tokens.size() == n_tokens);
      CHECK(t.merges.size() == n_merges);
      CHECK(t.bos_id == bos);
      CHECK(t.eos_id == eos);
      CHECK(t.pad_id == pad);
      CHECK(t.add_bos == (add_bos != 0));
    } else if (kind == "token") {
      std::size_t i; std::string h; in >> i >> h;
      CHECK(m.tokenizer().tokens.at(i) == unhex(h));
    } else if (kind == "merge") {
      std::size_t i; std::string h; in >> i >> h;
      CHECK(m.tokenizer().merges.at(i) == unhex(h));
    } else if (kind == "meta") {
      std::string key, h; in >> key >> h;
      const cbk::Metadata& md = m.metadata();
      std::map<std::string, std::string> got = {{"name", md.name}, {"description", md.description},
                                                {"license", md.license}, {"source_checkpoint", md.source_checkpoint},
                                                {"converter", md.converter}, {"converter_version", md.converter_version}};
      CHECK(got.at(key) == unhex(h));
    } else if (kind == "metaextra") {
      std::string k, v; in >> k >> v;
      bool found = false;
      for (const auto& kv : m.metadata().extra) found |= kv.first == unhex(k) && kv.second == unhex(v);
      CHECK(found);
    } else if (kind == "generation") {
      unsigned max_new, top_k; float temp, top_p; std::uint64_t seed;
      in >> max_new >> temp >> top_k >> top_p >> seed;
      const cbk::GenerationDefaults& g = m.generation();
      CHECK(g.max_new_tokens == max_new);
      CHECK(g.temperature == Approx(temp));
      CHECK(g.top_k == top_k);
      CHECK(g.top_p == Approx(top_p));
      CHECK(g.seed == seed);
    } else if (kind == "annotation") {
      unsigned cb, group, code; std::string label, desc, tokens; float freq, score; std::size_t n_ctx; unsigned hs, he;
      in >> cb >> group >> code >> label >> desc >> freq >> n_ctx >> tokens >> hs >> he >> score;
      REQUIRE(m.annotations().size() == 1);
      const cbk::CodeAnnotation& an = m.annotations()[0];
      CHECK(an.codebook == cb);
      CHECK(an.group == group);
      CHECK(an.code == code);
      CHECK(an.label == unhex(label));
      CHECK(an.description == unhex(desc));
      CHECK(an.frequency == Approx(freq));
      REQUIRE(an.top_contexts.size() == n_ctx);
      std::string got_tokens;
      for (std::size_t i = 0; i < an.top_contexts[0].tokens.size(); ++i)
        got_tokens += (i ? "," : "") + std::to_string(an.top_contexts[0].tokens[i]);
      CHECK(got_tokens == tokens);
      CHECK(an.top_contexts[0].highlight_start == hs);
      CHECK(an.top_contexts[0].highlight_end == he);
      CHECK(an.top_contexts[0].score == Approx(score));
    } else {
      FAIL("unknown expect line: " << line);
    }
  }
  CHECK(tensor_i == m.tensors().size());
  CHECK(extra_i == m.extras().size());
  std::size_t exact_groups = 0;  // optional exact_codes: present exactly where the writer put them
  for (const cbk::Codebook& cb : m.codebooks())
    for (const cbk::CodebookGroup& grp : cb.group_data) exact_groups += grp.has_exact_codes() ? 1 : 0;
  CHECK(exact_groups == exact_lines);
  CHECK(lines > 50);
}

}  // namespace

TEST_CASE("every family round-trips from the Python writer through the loader", "[loader]") {
  // gpt2_invlayer: a schema-1.1 file (scale_attention_by_inverse_layer set, minor version 1);
  // gpt_neo_exact: schema 1.2, f16 and int8 codebooks with their f32 exact_codes.
  for (const char* family : {"gpt_neox", "gpt2", "gpt_neo", "gpt2_invlayer", "gpt_neo_exact"}) {
    DYNAMIC_SECTION(family) {
      const std::string base = cbk::test::fixtures_dir() + "/" + family;
      std::shared_ptr<const cbk::Model> model;
      cbk::Error e = cbk::load_model_file(base + ".cbk", cbk::LoadOptions{}, &model);
      INFO(e.message);
      REQUIRE(e.ok());
      REQUIRE(model);
      check_against_expect(*model, base + ".expect");
      CHECK(model->find_tensor("tok_embed") != nullptr);
      CHECK(model->find_tensor("no.such.tensor") == nullptr);
    }
  }
}

TEST_CASE("loading from memory: borrowed in place, copied, or read instead of mapped", "[loader]") {
  const std::string path = cbk::test::fixtures_dir() + "/gpt2.cbk";
  const std::vector<unsigned char> file = cbk::test::read_file(path);
  REQUIRE(file.size() > 1000);

  // A 64-byte aligned buffer, as a browser ArrayBuffer or an aligned allocation would be.
  std::vector<unsigned char> storage(file.size() + 64);
  auto* aligned = reinterpret_cast<unsigned char*>((reinterpret_cast<std::uintptr_t>(storage.data()) + 63) / 64 * 64);
  std::memcpy(aligned, file.data(), file.size());

  std::shared_ptr<const cbk::Model> borrowed, copied, read;
  REQUIRE(cbk::load_model_memory(aligned, file.size(), cbk::BufferMode::borrow, {}, &borrowed).ok());
  const TensorView* t = borrowed->find_tensor("tok_embed");
  REQUIRE(t);
  CHECK(t->data == aligned + t->file_offset);  // zero-copy: the view points into the caller's buffer

  REQUIRE(cbk::load_model_memory(file.data(), file.size(), cbk::BufferMode::copy, {}, &copied).ok());
  CHECK(copied->find_tensor("tok_embed")->data != file.data() + t->file_offset);
  CHECK(std::memcmp(copied->find_tensor("tok_embed")->data, t->data, t->bytes) == 0);

  cbk::LoadOptions no_mmap;
  no_mmap.allow_mmap = false;
  REQUIRE(cbk::load_model_file(path, no_mmap, &read).ok());
  CHECK_FALSE(read->file().memory_mapped);
  CHECK(std::memcmp(read->find_tensor("tok_embed")->data, t->data, t->bytes) == 0);

  SECTION("a misaligned borrowed buffer is refused, not silently copied") {
    std::shared_ptr<const cbk::Model> m;
    cbk::Error e = cbk::load_model_memory(aligned + 1, file.size() - 1, cbk::BufferMode::borrow, {}, &m);
    CHECK(e.status == cbk::Status::invalid_argument);
    CHECK(e.message.find("64-byte aligned") != std::string::npos);
    CHECK_FALSE(m);
  }
  SECTION("skipping the data checksum is recorded") {
    cbk::LoadOptions fast;
    fast.verify_data_checksum = false;
    std::shared_ptr<const cbk::Model> m;
    REQUIRE(cbk::load_model_memory(file.data(), file.size(), cbk::BufferMode::copy, fast, &m).ok());
    CHECK_FALSE(m->file().data_crc_verified);
  }
}

TEST_CASE("missing files and directories are io errors naming the path", "[loader]") {
  std::shared_ptr<const cbk::Model> m;
  cbk::Error e = cbk::load_model_file("/nonexistent/model.cbk", {}, &m);
  CHECK(e.status == cbk::Status::io_error);
  CHECK(e.message.find("/nonexistent/model.cbk") != std::string::npos);
  CHECK(cbk::load_model_file("/", {}, &m).status == cbk::Status::io_error);
  CHECK(cbk::load_model_memory(nullptr, 10, cbk::BufferMode::copy, {}, &m).status == cbk::Status::invalid_argument);
  CHECK(cbk::load_model_file("x", {}, nullptr).status == cbk::Status::invalid_argument);
}

TEST_CASE("DKVB files load with the sizes, tensors and decoder the writer recorded", "[loader][dkvb]") {
  for (const char* decoder : {"voting", "linear"}) {
    DYNAMIC_SECTION(decoder) {
      const std::string base = cbk::test::fixtures_dir() + "/dkvb_" + decoder;
      std::shared_ptr<const cbk::Model> model;
      cbk::Error e = cbk::load_model_file(base + ".cbk", {}, &model);
      INFO(e.message);
      REQUIRE(e.ok());
      const cbk::Model& m = *model;
      CHECK(m.kind() == cbk::ModelKind::dkvb);
      CHECK(m.codebooks().empty());
      CHECK_FALSE(m.has_tokenizer());
      const cbk::DkvbContents& d = m.dkvb();
      const std::map<std::string, std::uint32_t> sizes = {{"input_dim", d.input_dim}, {"heads", d.heads},
                                                           {"pairs", d.pairs},         {"key_dim", d.key_dim},
                                                           {"value_dim", d.value_dim}, {"classes", d.classes}};
      std::ifstream file(base + ".expect");
      REQUIRE(file.good());
      std::size_t tensor_i = 0;
      std::string line;
      while (std::getline(file, line)) {
        std::istringstream in(line);
        std::string kind, key;
        in >> kind;
        if (kind == "schema") {
          unsigned major = 0, minor = 0;
          in >> major >> minor;
          CHECK(m.file().schema_major == major);
          CHECK(m.file().schema_minor == minor);
        } else if (kind == "dkvb") {
          in >> key;
          std::string value;
          in >> value;
          if (key == "decoder") CHECK(std::string(cbk::to_string(d.decoder)) == value);
          else if (key == "layers") CHECK(d.encoder.size() == std::stoul(value));
          else if (key == "projection") CHECK(d.has_projection() == (value == "1"));
          else CHECK(sizes.at(key) == std::stoul(value));
        } else if (kind == "tensor") {
          REQUIRE(tensor_i < m.tensors().size());
          check_tensor(m.tensors()[tensor_i++], in);
        }
      }
      CHECK(tensor_i == m.tensors().size());
      CHECK(d.embed_dim() == 8);
      CHECK(d.has_used_pairs());
    }
  }
}
