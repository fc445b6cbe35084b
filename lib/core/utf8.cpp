#include "core/utf8.h"

#include <cstddef>

namespace mdm {

Utf8 CheckUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      if (c == 0) return Utf8::kNul;
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // bounds of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // past U+10FFFF
    } else {
      return Utf8::kInvalid;  // continuation byte, C0/C1 (overlong), F5..FF
    }
    if (n - i < len) return Utf8::kInvalid;
    if (p[i + 1] < lo || p[i + 1] > hi) return Utf8::kInvalid;
    for (size_t k = 2; k < len; ++k)
      if ((p[i + k] & 0xC0) != 0x80) return Utf8::kInvalid;
    i += len;
  }
  return Utf8::kOk;
}


bool IsPrintableUtf8(std::string_view s) {
  // Below 0x80 a UTF-8 byte is an ASCII character of its own, so the controls are single bytes.
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  return CheckUtf8(s) == Utf8::kOk;
}

}  // namespace mdm
