// Progress of long work on stderr: a redrawn bar when stderr is a terminal, otherwise a plain line
// at every quarter (logs stay short), nothing for work that finishes in one step.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace cbk::cli {

// True when stderr is an interactive terminal. Always false under WebAssembly, where Node's
// streams report themselves as terminals even when redirected.
bool stderr_is_terminal();

class Progress {
 public:
  Progress(std::string label, std::size_t total);
  ~Progress();  // finishes the bar's line
  void update(std::size_t done);

 private:
  std::string label_;
  std::size_t total_;
  bool tty_;
  int last_quarter_ = 0;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace cbk::cli
