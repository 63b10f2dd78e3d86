#include "tools/cli/progress.hpp"

#include <cstdio>
#include <utility>

#if defined(_WIN32)
#include <io.h>
#define CBK_ISATTY _isatty
#define CBK_FILENO _fileno
#else
#include <unistd.h>
#define CBK_ISATTY isatty
#define CBK_FILENO fileno
#endif

namespace cbk::cli {

bool stderr_is_terminal() {
#if defined(__EMSCRIPTEN__)
  return false;
#else
  return CBK_ISATTY(CBK_FILENO(stderr)) != 0;
#endif
}

Progress::Progress(std::string label, std::size_t total)
    : label_(std::move(label)), total_(total), tty_(stderr_is_terminal()),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() {
  if (drawn_) std::fputc('\n', stderr);
}

void Progress::update(std::size_t done) {
  if (total_ <= 1) return;
  const auto now = std::chrono::steady_clock::now();
  const double secs = std::chrono::duration<double>(now - start_).count();
  if (!tty_) {
    const int quarter = static_cast<int>(4 * done / total_);
    if (quarter > last_quarter_ && done < total_) {
      std::fprintf(stderr, "%s: %zu/%zu (%.1f s)\n", label_.c_str(), done, total_, secs);
      last_quarter_ = quarter;
    }
    return;
  }
  // Redraw at most ~10 times a second, and always at the end.
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(kWidth * done / total_);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r%s [%s] %zu/%zu %.1f s", label_.c_str(), bar.c_str(), done, total_, secs);
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace cbk::cli
