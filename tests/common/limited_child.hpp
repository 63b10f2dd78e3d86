// Runs a function in a forked child whose address space is capped (RLIMIT_AS), so a test can show
// that hostile input is refused with a status instead of exhausting memory, and that the process
// survives either way. POSIX only (callers skip it on WASM).
//
// Under AddressSanitizer/ThreadSanitizer RLIMIT_AS cannot be used (their shadow memory needs
// terabytes of address space); the parent then watches the child's resident memory instead and
// kills it past kSanitizerRssCap, so a runaway allocation still fails the test (and never takes
// the machine's memory).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>

#include <csignal>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace cbk::test {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitizerBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
inline constexpr bool kSanitizerBuild = true;
#else
inline constexpr bool kSanitizerBuild = false;
#endif
#else
inline constexpr bool kSanitizerBuild = false;
#endif

// Emulated builds (qemu-aarch64) watch resident memory too: qemu maps the guest's memory itself,
// so RLIMIT_AS caps the emulator's own address space, not the program's allocations.
#if defined(CBK_TEST_EMULATED)
inline constexpr bool kAddressLimitApplies = false;
#else
inline constexpr bool kAddressLimitApplies = !kSanitizerBuild;
#endif
inline constexpr std::uint64_t kSanitizerRssCap = 2ull << 30;

// Field `index` of /proc/<pid>/statm (0 = mapped size, 1 = resident) in bytes, 0 if unknown.
inline std::uint64_t statm_bytes(const std::string& pid, int index) {
  std::FILE* f = std::fopen(("/proc/" + pid + "/statm").c_str(), "r");
  if (!f) return 0;
  unsigned long pages[2] = {0, 0};
  const int got = std::fscanf(f, "%lu %lu", &pages[0], &pages[1]);
  std::fclose(f);
  return got == 2 ? static_cast<std::uint64_t>(pages[index]) * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

// Bytes of address space this process maps now (VmSize), 0 if unknown.
inline std::uint64_t mapped_bytes() { return statm_bytes("self", 0); }

struct ChildResult {
  bool exited = false;   // returned normally (not killed by a signal)
  int value = -1;        // what body() returned (0..255), valid when exited
  std::string describe() const {
    return exited ? "exited with " + std::to_string(value) : "was killed (signal or abort)";
  }
};

// Forks; the child caps its address space at `headroom` bytes above what it maps already, runs
// body() and exits with its return value (0..255). The parent waits and reports.
inline ChildResult run_with_address_limit(std::uint64_t headroom, const std::function<int()>& body) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (kAddressLimitApplies) {
      const rlim_t cap = static_cast<rlim_t>(mapped_bytes() + headroom);
      struct rlimit limit {cap, cap};
      if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(254);
    }
    _exit(body() & 0xff);
  }
  ChildResult r;
  int wstatus = 0;
  if (pid < 0) return r;
  if (!kAddressLimitApplies) {
    for (;;) {
      const pid_t done = waitpid(pid, &wstatus, WNOHANG);
      if (done == pid) break;
      if (done < 0) return r;
      if (statm_bytes(std::to_string(pid), 1) > kSanitizerRssCap) kill(pid, SIGKILL);
      usleep(5000);
    }
  } else if (waitpid(pid, &wstatus, 0) != pid) {
    return r;
  }
  r.exited = WIFEXITED(wstatus);
  if (r.exited) r.value = WEXITSTATUS(wstatus);
  return r;
}

}  // namespace cbk::test
