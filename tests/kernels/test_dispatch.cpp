// ISA naming, detection, the CBK_ISA override and the kernel list.
#include <cstdlib>
#include <set>
#include <string>

#include "tests/kernels/kernel_test_support.hpp"

namespace cbk::simd::test {

TEST_CASE("ISA names round-trip and the best ISA is supported", "[kernels][dispatch]") {
  for (int i = 0; i < kIsaCount; ++i) {
    Isa parsed;
    REQUIRE(isa_from_name(isa_name(Isa(i)), &parsed));
    REQUIRE(parsed == Isa(i));
  }
  Isa parsed;
  REQUIRE_FALSE(isa_from_name("avx", &parsed));  // never dispatch to plain AVX
  REQUIRE_FALSE(isa_from_name(nullptr, &parsed));
  REQUIRE(isa_supported(Isa::scalar));
  REQUIRE(isa_supported(detect_best_isa()));
  REQUIRE(kernels_for(detect_best_isa()).isa == detect_best_isa());
  std::printf("[kernels] best ISA on this host: %s\n", isa_name(detect_best_isa()));
}

TEST_CASE("CBK_ISA forces a supported ISA and ignores the rest", "[kernels][dispatch]") {
  const char* saved = std::getenv("CBK_ISA");
  const std::string saved_value = saved ? saved : "";
  ::setenv("CBK_ISA", "scalar", 1);
  REQUIRE(isa_from_env_or_best() == Isa::scalar);
  ::setenv("CBK_ISA", "no-such-isa", 1);
  REQUIRE(isa_from_env_or_best() == detect_best_isa());
  for (int i = 0; i < kIsaCount; ++i) {
    ::setenv("CBK_ISA", isa_name(Isa(i)), 1);
    REQUIRE(isa_from_env_or_best() == (isa_supported(Isa(i)) ? Isa(i) : detect_best_isa()));
  }
  if (saved) {
    ::setenv("CBK_ISA", saved_value.c_str(), 1);
  } else {
    ::unsetenv("CBK_ISA");
  }
}

TEST_CASE("every table fills every kernel of the list, with unique names",
          "[kernels][dispatch]") {
  std::set<std::string> names;
  for_each_supported_isa([&](const Kernels& kern) {
    size_t count = 0;
#define CBK_SIMD_KERNEL(name, FnType)                                          \
  REQUIRE(kern.name != nullptr);                                               \
  REQUIRE(names.insert(std::string(#name "__") + isa_name(kern.isa)).second); \
  ++count;
#include "simd/kernels.def"
#undef CBK_SIMD_KERNEL
    REQUIRE(count >= 26);
  });
  REQUIRE(names.count("f32_codebook_search__scalar") == 1);
}

}  // namespace cbk::simd::test
