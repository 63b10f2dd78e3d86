// cbk_load_bench: what a fully verified model load costs, next to the machine's limit.
//   - StreamRead: a plain streaming read of a 512 MiB buffer (the bandwidth bound of any pass).
//   - Crc32/<impl>: each CRC-32 implementation over the same buffer (out of cache) and over
//     256 KiB (the loader's chunk, in cache).
//   - Load/<how>: load_model_file() of a real file (CBK_LOAD_MODEL, default the Pythia-70m-shaped
//     file of bench/e2e), default (CRC + finite values) or without the CRC, and the C API's load,
//     which also prepares the engine's tables (what `cbk info` and `cbk generate` do).
//   - FirstTouch: mapping the file and touching one byte per 4 KiB page, nothing else: the floor
//     of Load/* on this machine.
//   - LoadResident/<how>: the same loads from a resident buffer (borrowed): the loader's own work,
//     without the first touch of a fresh mapping's pages (which on a shadow-paging VM costs more
//     than the verification itself; bench/README.md).
// Bytes/s counters are per second of CPU time; Load reports wall time too (page faults of the
// mapping are part of a load).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bindings/c/include/cbk.h"
#include "runtime/loader/crc32.hpp"
#include "runtime/loader/load_model.hpp"

namespace {

constexpr std::size_t kBigBytes = std::size_t{512} << 20;
constexpr std::size_t kChunkBytes = 256 * 1024;

const std::vector<std::uint64_t>& big_buffer() {
  static const std::vector<std::uint64_t> buffer = [] {
    std::vector<std::uint64_t> b(kBigBytes / 8);
    std::uint64_t x = 0x9E3779B97F4A7C15ull;
    for (auto& w : b) w = (x ^= x << 13, x ^= x >> 7, x ^= x << 17);
    return b;
  }();
  return buffer;
}

// Eight independent 64-bit XOR chains: the compiler vectorizes this into wide loads.
std::uint64_t stream_xor(const std::uint64_t* p, std::size_t n) {
  std::uint64_t acc[8] = {};
  for (std::size_t i = 0; i + 8 <= n; i += 8)
    for (std::size_t j = 0; j < 8; ++j) acc[j] ^= p[i + j];
  std::uint64_t r = 0;
  for (std::uint64_t a : acc) r ^= a;
  return r;
}

void StreamRead(benchmark::State& state) {
  const auto& b = big_buffer();
  for (auto _ : state) benchmark::DoNotOptimize(stream_xor(b.data(), b.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kBigBytes));
}

void Crc32(benchmark::State& state, cbk::Crc32Impl impl, std::size_t bytes) {
  if (!cbk::crc32_impl_available(impl)) {
    state.SkipWithError("not available on this CPU");
    return;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(big_buffer().data());
  for (auto _ : state) benchmark::DoNotOptimize(cbk::crc32_update_with(impl, 0, p, bytes));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

std::string model_path() {
  const char* env = std::getenv("CBK_LOAD_MODEL");
  return env ? env : CBK_LOAD_DEFAULT_MODEL;
}

void Load(benchmark::State& state, bool verify_crc) {
  cbk::LoadOptions options;
  options.verify_data_checksum = verify_crc;
  std::uint64_t size = 0;
  for (auto _ : state) {
    std::shared_ptr<const cbk::Model> model;
    cbk::Error e = cbk::load_model_file(model_path(), options, &model);
    if (!e.ok()) {
      state.SkipWithError(e.message.c_str());
      return;
    }
    size = model->file().file_size;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

// The file's bytes read once into an aligned buffer that stays resident: loads that borrow it
// measure the loader's own work without the first touch of a fresh mapping's pages.
const std::vector<unsigned char>* resident_file() {
  static std::vector<unsigned char>* bytes = [] {
    auto* v = new std::vector<unsigned char>;
    std::FILE* f = std::fopen(model_path().c_str(), "rb");
    if (!f) return v;
    std::fseek(f, 0, SEEK_END);
    v->resize(static_cast<std::size_t>(std::ftell(f)) + 64);
    std::fseek(f, 0, SEEK_SET);
    std::size_t offset = (64 - reinterpret_cast<std::uintptr_t>(v->data()) % 64) % 64;
    if (std::fread(v->data() + offset, 1, v->size() - 64, f) != v->size() - 64) v->clear();
    std::fclose(f);
    return v;
  }();
  return bytes;
}

void LoadResident(benchmark::State& state, bool verify_crc, bool c_api) {
  const auto* v = resident_file();
  if (v->empty()) {
    state.SkipWithError("cannot read the model file");
    return;
  }
  const unsigned char* data = v->data() + (64 - reinterpret_cast<std::uintptr_t>(v->data()) % 64) % 64;
  const std::size_t size = v->size() - 64;
  cbk::LoadOptions options;
  options.verify_data_checksum = verify_crc;
  cbk_model_params params = cbk_model_default_params();
  params.verify_checksum = verify_crc ? 1 : 0;
  for (auto _ : state) {
    if (c_api) {
      cbk_model* model = nullptr;
      if (cbk_model_load_memory(data, size, CBK_MEMORY_BORROW, &params, &model) != CBK_STATUS_OK) {
        state.SkipWithError(cbk_last_error_message());
        return;
      }
      cbk_model_free(model);
    } else {
      std::shared_ptr<const cbk::Model> model;
      cbk::Error e = cbk::load_model_memory(data, size, cbk::BufferMode::borrow, options, &model);
      if (!e.ok()) {
        state.SkipWithError(e.message.c_str());
        return;
      }
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

// The floor under any load of a fresh mapping: touching one byte of every 4 KiB page of the file
// (page-cache resident), with no other work. On a shadow-paging VM this first touch costs far more
// than on bare metal.
void FirstTouch(benchmark::State& state) {
  const int fd = ::open(model_path().c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size == 0) {
    if (fd >= 0) ::close(fd);
    state.SkipWithError("cannot open the model file");
    return;
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  for (auto _ : state) {
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      state.SkipWithError("mmap failed");
      break;
    }
    const auto* p = static_cast<const volatile unsigned char*>(map);
    unsigned sum = 0;
    for (std::size_t i = 0; i < size; i += 4096) sum += p[i];
    benchmark::DoNotOptimize(sum);
    ::munmap(map, size);
  }
  ::close(fd);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * size));
}

void LoadCApi(benchmark::State& state) {
  const cbk_model_params params = cbk_model_default_params();
  for (auto _ : state) {
    cbk_model* model = nullptr;
    if (cbk_model_load_file(model_path().c_str(), &params, &model) != CBK_STATUS_OK) {
      state.SkipWithError(cbk_last_error_message());
      return;
    }
    cbk_model_free(model);
  }
}

void register_all() {
  benchmark::RegisterBenchmark("StreamRead/512MiB", StreamRead)->Unit(benchmark::kMillisecond);
  for (cbk::Crc32Impl impl : {cbk::Crc32Impl::portable, cbk::Crc32Impl::pclmul, cbk::Crc32Impl::vpclmul, cbk::Crc32Impl::armv8}) {
    if (!cbk::crc32_impl_available(impl)) continue;
    const std::string name = std::string("Crc32/") + cbk::crc32_impl_name(impl);
    benchmark::RegisterBenchmark((name + "/512MiB").c_str(), Crc32, impl, kBigBytes)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((name + "/256KiB").c_str(), Crc32, impl, kChunkBytes)->Unit(benchmark::kMicrosecond);
  }
  benchmark::RegisterBenchmark("FirstTouch/every_4KiB_page", FirstTouch)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
  benchmark::RegisterBenchmark("Load/default", Load, true)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
  benchmark::RegisterBenchmark("Load/no_data_crc", Load, false)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
  benchmark::RegisterBenchmark("Load/c_api_default", LoadCApi)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime()->UseRealTime();
  benchmark::RegisterBenchmark("LoadResident/default", LoadResident, true, false)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("LoadResident/no_data_crc", LoadResident, false, false)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("LoadResident/c_api_default", LoadResident, true, true)->Unit(benchmark::kMillisecond);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  register_all();
  benchmark::AddCustomContext("crc32_active", cbk::crc32_impl_name(cbk::crc32_active_impl()));
  benchmark::AddCustomContext("model", model_path());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
