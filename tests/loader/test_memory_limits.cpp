// Memory limits of the loader: a header whose declared sizes would make the loader allocate far
// more than the file holds is refused with a status before the allocation, and the process is
// never killed. Each hostile file shares one string, vector or table among many references (a
// FlatBuffer may be a DAG), so a header of a few MB describes hundreds of GB; it is loaded in a
// child process whose address space is capped 256 MB above what it already maps. (Shared tables
// are bounded by the Verifier's table limit, header_size / 4 + 1024 visits; the cases stay under
// it, and under the 1M default of the resealing Verifier.)
#include <catch2/catch.hpp>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "runtime/loader/load_model.hpp"
#include "tests/common/limited_child.hpp"
#include "tests/loader/fixture_paths.hpp"
#include "tests/loader/reseal.hpp"

namespace {

namespace fb = cbk::fb;
using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

constexpr std::uint64_t kHeadroom = 256ull << 20;

// The parts of a Model a hostile case fills in; everything else is a small, plausible header.
struct Parts {
  Offset<fb::Metadata> metadata;
  Offset<flatbuffers::Vector<Offset<fb::Tensor>>> extras;
  Offset<flatbuffers::Vector<Offset<fb::Codebook>>> codebooks;
  Offset<flatbuffers::Vector<Offset<fb::CodeAnnotation>>> annotations;
  Offset<fb::Tokenizer> tokenizer;
};

// Builds a complete, resealed .cbk image (empty data section) around the parts.
std::vector<std::uint8_t> build_file(const std::function<Parts(FlatBufferBuilder&)>& make_parts) {
  std::uint64_t data_offset = 0;
  for (int pass = 0; pass < 2; ++pass) {  // pass 0 learns the header size, pass 1 stores it
    FlatBufferBuilder fbb(1 << 20);
    fbb.ForceDefaults(true);  // header_crc32 and data_offset must have a location
    const Parts parts = make_parts(fbb);
    auto arch = fb::CreateArchitecture(fbb, fb::Family::gpt2, 8, 8, 1, 1, 8, 16, 16);
    auto model = fb::CreateModel(fbb, 1, 0, data_offset, 0, 0, 0, parts.metadata, arch, 0, parts.codebooks,
                                 parts.annotations, parts.tokenizer, 0, parts.extras);
    fbb.FinishSizePrefixed(model, fb::ModelIdentifier());
    data_offset = (fbb.GetSize() + 63) / 64 * 64;
    if (pass == 1) {
      std::vector<std::uint8_t> file(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
      file.resize(data_offset, 0);
      cbk::test::reseal(file);
      return file;
    }
  }
  return {};
}

// One string of `length` bytes referenced `count` times.
Offset<flatbuffers::Vector<Offset<flatbuffers::String>>> repeated_string(FlatBufferBuilder& fbb, std::size_t length,
                                                                        std::size_t count) {
  auto s = fbb.CreateString(std::string(length, 'a'));
  return fbb.CreateVector(std::vector<Offset<flatbuffers::String>>(count, s));
}

struct HostileCase {
  const char* name;
  std::function<Parts(FlatBufferBuilder&)> parts;
};

std::vector<HostileCase> hostile_cases() {
  return {
      {"tokenizer tokens: 1M references to one 256 KiB string",
       [](FlatBufferBuilder& fbb) {
         Parts p;
         p.tokenizer = fb::CreateTokenizer(fbb, fb::TokenizerKind::vocab, repeated_string(fbb, 256 << 10, 1 << 20));
         return p;
       }},
      {"tokenizer merges: 1M references to one 256 KiB string",
       [](FlatBufferBuilder& fbb) {
         Parts p;
         p.tokenizer = fb::CreateTokenizer(fbb, fb::TokenizerKind::byte_bpe, 0, repeated_string(fbb, 256 << 10, 1 << 20));
         return p;
       }},
      {"metadata.extra: 500k references to one pair of 256 KiB strings",
       [](FlatBufferBuilder& fbb) {
         auto big = fbb.CreateString(std::string(256 << 10, 'k'));
         auto kv = fb::CreateKeyValue(fbb, big, big);
         Parts p;
         p.metadata = fb::CreateMetadata(fbb, 0, 0, 0, 0, 0, 0,
                                         fbb.CreateVector(std::vector<Offset<fb::KeyValue>>(500000, kv)));
         return p;
       }},
      {"tensor shapes: 500k extras sharing one tensor with a 64k-dim shape",
       [](FlatBufferBuilder& fbb) {
         auto t = fb::CreateTensor(fbb, fbb.CreateString("x"), fb::DType::f32,
                                   fbb.CreateVector(std::vector<std::uint64_t>(1 << 16, 1)));
         Parts p;
         p.extras = fbb.CreateVector(std::vector<Offset<fb::Tensor>>(500000, t));
         return p;
       }},
      {"tensor names: 500k extras sharing one tensor with a 256 KiB name",
       [](FlatBufferBuilder& fbb) {
         auto t = fb::CreateTensor(fbb, fbb.CreateString(std::string(256 << 10, 'n')), fb::DType::f32);
         Parts p;
         p.extras = fbb.CreateVector(std::vector<Offset<fb::Tensor>>(500000, t));
         return p;
       }},
      {"annotation contexts: 100k contexts sharing a 1M-token window, 9 annotations sharing them",
       [](FlatBufferBuilder& fbb) {
         auto ctx = fb::CreateCodeContext(fbb, fbb.CreateVector(std::vector<std::int32_t>(1 << 20, 0)));
         auto contexts = fbb.CreateVector(std::vector<Offset<fb::CodeContext>>(100000, ctx));
         auto a = fb::CreateCodeAnnotation(fbb, 0, 0, 0, 0, 0, 0.0f, contexts);
         Parts p;
         p.annotations = fbb.CreateVector(std::vector<Offset<fb::CodeAnnotation>>(9, a));
         return p;
       }},
      {"annotation labels: 900k annotations sharing one 256 KiB label",
       [](FlatBufferBuilder& fbb) {
         auto a = fb::CreateCodeAnnotation(fbb, 0, 0, 0, fbb.CreateString(std::string(256 << 10, 'l')));
         Parts p;
         p.annotations = fbb.CreateVector(std::vector<Offset<fb::CodeAnnotation>>(900000, a));
         return p;
       }},
      {"codebook groups: one codebook with 900k references to one group (2.7M tensor views)",
       [](FlatBufferBuilder& fbb) {
         auto g = fb::CreateCodebookGroup(fbb);
         auto groups = fbb.CreateVector(std::vector<Offset<fb::CodebookGroup>>(900000, g));
         auto cb = fb::CreateCodebook(fbb, 0, fb::CodebookSite::mlp, 1, 1, 8, 1, fb::Similarity::inner_product, groups);
         Parts p;
         p.codebooks = fbb.CreateVector(std::vector<Offset<fb::Codebook>>(1, cb));
         return p;
       }},
  };
}

// Loads `file` in a capped child; returns the status it got (or describes how the child died).
cbk::test::ChildResult load_in_child(const std::vector<std::uint8_t>& file, std::string* message) {
  // The message comes back through a pipe; the status is the exit value.
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  cbk::test::ChildResult r = cbk::test::run_with_address_limit(kHeadroom, [&] {
    close(fds[0]);
    std::shared_ptr<const cbk::Model> model;
    cbk::Error e = cbk::load_model_memory(file.data(), file.size(), cbk::BufferMode::copy, {}, &model);
    const std::string m = e.message.substr(0, 4000);
    if (write(fds[1], m.data(), m.size()) < 0) return 253;
    return static_cast<int>(e.status);
  });
  close(fds[1]);
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) message->append(buf, static_cast<std::size_t>(n));
  close(fds[0]);
  return r;
}

}  // namespace

TEST_CASE("headers that expand far beyond their size are refused before allocating", "[loader][memory]") {
  for (const HostileCase& c : hostile_cases()) {
    DYNAMIC_SECTION(c.name) {
      const std::vector<std::uint8_t> file = build_file(c.parts);
      INFO("file of " << file.size() << " bytes");
      REQUIRE(file.size() < (16u << 20));  // small files: the danger is the expansion
      std::string message;
      const cbk::test::ChildResult r = load_in_child(file, &message);
      INFO("child " << r.describe() << ", message: " << message);
      REQUIRE(r.exited);
      CHECK(r.value == static_cast<int>(cbk::Status::verify_failed));
      CHECK(message.find("may expand to") != std::string::npos);
    }
  }
}

TEST_CASE("the expansion budget admits a GPT-2-sized tokenizer of short distinct strings", "[loader][memory]") {
  // 50,257 tokens and 50,000 merges, as short as distinct strings get (the worst honest ratio of
  // copied bytes to header bytes). The file fails later (it has no tensors), never on the budget.
  const std::vector<std::uint8_t> file = build_file([](FlatBufferBuilder& fbb) {
    auto word = [](std::size_t i) {
      std::string w;
      do {
        w += static_cast<char>('a' + i % 26);
        i /= 26;
      } while (i);
      return w;
    };
    std::vector<Offset<flatbuffers::String>> tokens, merges;
    for (std::size_t i = 0; i < 50257; ++i) tokens.push_back(fbb.CreateString(word(i)));
    for (std::size_t i = 0; i < 50000; ++i) merges.push_back(fbb.CreateString(word(i) + " " + word(i + 1)));
    Parts p;
    p.tokenizer = fb::CreateTokenizer(fbb, fb::TokenizerKind::byte_bpe, fbb.CreateVector(tokens), fbb.CreateVector(merges));
    return p;
  });
  std::string message;
  const cbk::test::ChildResult r = load_in_child(file, &message);
  INFO("child " << r.describe() << ", message: " << message);
  REQUIRE(r.exited);
  CHECK(r.value == static_cast<int>(cbk::Status::missing_tensor));
  CHECK(message.find("may expand to") == std::string::npos);
}

TEST_CASE("the expansion budget admits every fixture the writer produces", "[loader][memory]") {
  // The honest counterpart: the budget is not so tight that real headers (with vocabularies,
  // merges, annotations, metadata) trip it. The fixtures load under the same address cap.
  for (const char* family : {"gpt_neox", "gpt2", "gpt_neo"}) {
    const std::vector<unsigned char> bytes =
        cbk::test::read_file(cbk::test::fixtures_dir() + "/" + family + ".cbk");
    REQUIRE(!bytes.empty());
    const std::vector<std::uint8_t> file(bytes.begin(), bytes.end());
    std::string message;
    const cbk::test::ChildResult r = load_in_child(file, &message);
    INFO(family << ": child " << r.describe() << ", message: " << message);
    REQUIRE(r.exited);
    CHECK(r.value == 0);
  }
}
