// UTF-8 as PostgreSQL's text columns take it: what arrives from the network must pass this
// before it can reach a query, or the request is refused (never truncated, never repaired).
#pragma once

#include <string_view>

namespace mdm {

enum class Utf8 { kOk, kNul, kInvalid };

// Well-formed UTF-8 (Unicode's table of byte sequences: no overlong forms, no surrogates,
// nothing past U+10FFFF); kNul when it is, but holds a NUL, which PostgreSQL cannot store.
Utf8 CheckUtf8(std::string_view s);

inline bool IsValidUtf8(std::string_view s) { return CheckUtf8(s) == Utf8::kOk; }

// Valid, and no other control character either (C0 or DEL): for paths and identifiers.
bool IsPrintableUtf8(std::string_view s);

}  // namespace mdm
