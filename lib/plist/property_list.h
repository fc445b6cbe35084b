// libplist behind RAII and a few typed accessors. Property lists arrive from devices (XML or
// binary) and go back as XML.
#pragma once

#include <plist/plist.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "plist/plist_guard.h"

namespace mdm::plist {

struct Deleter {
  void operator()(plist_t p) const {
    if (p) plist_free(p);
  }
};
// An owned plist tree. Nodes reached through it (dict items) are borrowed plist_t.
using Owned = std::unique_ptr<void, Deleter>;

// Parses an XML or binary plist. Invalid input is a Status, never a crash: the bytes go
// through CheckPlistBytes (plist_guard.h) before libplist sees them.
Result<Owned> Parse(std::string_view bytes);
Result<Owned> Parse(std::string_view bytes, const PlistLimits& limits);
// Same, and requires the root to be a dictionary.
Result<Owned> ParseDict(std::string_view bytes);

std::string ToXml(plist_t node);
std::string ToBinary(plist_t node);  // bplist00

// Typed lookups in a dictionary; nullopt when the key is absent or of another type.
plist_t Get(plist_t dict, const char* key);
std::optional<std::string> GetString(plist_t dict, const char* key);
std::optional<std::string> GetData(plist_t dict, const char* key);  // raw bytes
std::optional<bool> GetBool(plist_t dict, const char* key);
std::optional<int64_t> GetInt(plist_t dict, const char* key);
std::optional<double> GetReal(plist_t dict, const char* key);  // reals and integers

// Calls fn(key, value) for each entry of a dictionary; stops early when fn returns false.
void ForEach(plist_t dict, const std::function<bool(const std::string& key, plist_t value)>& fn);

// Node value readers (the node must be of the type). Strings come back as valid UTF-8 without
// NUL characters (invalid bytes become U+FFFD), so device input is always storable text.
std::string StringValue(plist_t node);
std::string ValidUtf8(std::string_view bytes);
std::string DataValue(plist_t node);

// Builders that take ownership of the value node.
void Set(plist_t dict, const char* key, plist_t value);
void SetString(plist_t dict, const char* key, std::string_view value);
void SetData(plist_t dict, const char* key, std::string_view bytes);
void SetBool(plist_t dict, const char* key, bool value);
void SetInt(plist_t dict, const char* key, int64_t value);
plist_t NewString(std::string_view value);
plist_t NewData(std::string_view bytes);

// JSON text of a plist: dicts and arrays as such, data as base64 strings, dates as ISO-8601
// strings (UTC). For storing device results in jsonb columns.
std::string ToJson(plist_t node);

// Seconds between 1970-01-01 and 2001-01-01, the epoch of plist dates.
constexpr int64_t kAppleEpochOffset = 978307200;

const char* TypeName(plist_type t);

}  // namespace mdm::plist
