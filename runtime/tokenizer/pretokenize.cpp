#include "runtime/tokenizer/pretokenize.hpp"

#include <cstdint>

#include "runtime/tokenizer/unicode_class.hpp"

namespace cbk {
namespace tok {

CpClass classify(uint32_t cp) noexcept {
  size_t lo = 0;
  size_t hi = kCpRangeCount;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (kCpRanges[mid].hi < cp) {
      lo = mid + 1;
    } else if (kCpRanges[mid].lo > cp) {
      hi = mid;
    } else {
      return kCpRanges[mid].cls;
    }
  }
  return CpClass::kOther;
}

namespace {

// Classes of the ASCII range, looked up without the binary search (most input is ASCII).
struct AsciiClasses {
  CpClass cls[128];
  AsciiClasses() noexcept {
    for (uint32_t c = 0; c < 128; ++c) cls[c] = classify(c);
  }
};

const AsciiClasses& ascii_classes() noexcept {
  static const AsciiClasses table;
  return table;
}

struct Unit {
  size_t len;
  CpClass cls;
};

inline Unit unit_at(std::string_view t, size_t i) noexcept {
  const auto* s = reinterpret_cast<const unsigned char*>(t.data()) + i;
  if (*s < 0x80) return {1, ascii_classes().cls[*s]};
  uint32_t cp = 0;
  const uint32_t len = decode_utf8(s, t.size() - i, &cp);
  if (len == 0) return {1, CpClass::kOther};
  return {len, classify(cp)};
}

// End of the run of units of class cls that starts at i.
inline size_t run_end(std::string_view t, size_t i, CpClass cls) noexcept {
  while (i < t.size()) {
    const Unit u = unit_at(t, i);
    if (u.cls != cls) break;
    i += u.len;
  }
  return i;
}

// Length of a contraction ('s 't 're 've 'm 'll 'd; lower case only) at i, or 0.
inline size_t contraction_len(std::string_view t, size_t i) noexcept {
  if (t[i] != '\'' || i + 1 >= t.size()) return 0;
  const char a = t[i + 1];
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (i + 2 >= t.size()) return 0;
  const char b = t[i + 2];
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

}  // namespace

bool Gpt2Pretokenizer::next(std::string_view* piece) noexcept {
  const std::string_view t = text_;
  const size_t i = pos_;
  if (i >= t.size()) return false;
  size_t end = 0;
  if (const size_t c = contraction_len(t, i)) {
    end = i + c;
  } else {
    // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: an optional ASCII space, then a run of one
    // class. The three alternatives are mutually exclusive on their first code point.
    const size_t j = (t[i] == ' ' && i + 1 < t.size()) ? i + 1 : i;
    const Unit u = unit_at(t, j);
    if (u.cls != CpClass::kSpace) {
      end = run_end(t, j + u.len, u.cls);
    } else {
      // `\s+(?!\S)` takes the whitespace run but leaves its last code point when non-space text
      // follows (that code point then prefixes the next word); `\s+` catches a lone one.
      size_t last = i;
      end = i;
      while (end < t.size()) {
        const Unit w = unit_at(t, end);
        if (w.cls != CpClass::kSpace) break;
        last = end;
        end += w.len;
      }
      if (end < t.size() && last > i) end = last;
    }
  }
  *piece = t.substr(i, end - i);
  pos_ = end;
  return true;
}

}  // namespace tok
}  // namespace cbk
