// The one way to parse JSON in this project. Every JSON text we read comes from someone else
// (a device, an API client, Apple, an operator's file) or from our own database, and rapidjson's
// Document::Parse is recursive: four million '[' overflow the stack and end the process. Parse
// here is iterative, refuses nesting beyond a limit before any of it is built, refuses what
// PostgreSQL and C strings cannot hold (U+0000, invalid UTF-8, unpaired surrogates), and reads a
// std::string_view that need not be NUL-terminated.
#pragma once

#include <cstddef>
#include <string_view>

#include <rapidjson/document.h>

#include "core/status.h"

namespace mdm::json {

struct Limits {
  // Our JSON is shallow: an admin API command is 3 or 4 levels deep ({"parameters": {"Settings":
  // [{...}]}}), ABM and APNs answers 3, a declaration or a declarative status report rarely
  // more than 8; the plists we turn into JSON are held to the same 64 (plist/property_list.cpp).
  // 64 leaves room for all of them and keeps every recursive walker (CommandFromJson, Writer)
  // far from the stack's end.
  int max_depth = 64;
  // Request bodies stop at max_body_bytes (8 MiB by default), so on the API this only bites when
  // that is raised; it bounds what one string may cost elsewhere (Apple's answers, operators'
  // files). The longest strings we expect are base64 payloads in a command (a profile or a
  // certificate), far below it.
  size_t max_string_bytes = size_t{8} << 20;
};

// For documents PostgreSQL builds from rows this server stored (the console's reads, the
// parameters reconcile fills in): they embed values that passed the default limits (a status
// report, a device's plist) a few levels down, and a stored value can be as long as a row allows.
inline constexpr Limits kStoredLimits{.max_depth = 512, .max_string_bytes = size_t{1} << 30};

// Parses `text` (all of it: trailing data is an error) into *doc. Refused, each with one sentence
// that says why (Status::Invalid):
//   "the JSON is nested deeper than 64 levels at offset N"
//   "a JSON string holds a NUL character (\u0000) at offset N"   (in a value or a key)
//   "a JSON string is longer than 8388608 bytes at offset N"
//   "the JSON is not valid UTF-8 at offset N"                    (also an unpaired \uDC00..\uDFFF)
//   "the JSON starts with a byte order mark: save it as UTF-8 without one"
//   "not valid JSON: <rapidjson's message> at offset N"           (also a raw NUL byte)
// On failure *doc is null; look at the Status, not doc->HasParseError(). Numbers are read to
// within an ulp (not rapidjson's full-precision path: see json.cpp). Never recursive on the
// input's depth.
Status Parse(std::string_view text, rapidjson::Document* doc, const Limits& limits = {});

// `text` as a JSON string literal, quotes included.
std::string Quote(std::string_view text);

}  // namespace mdm::json
