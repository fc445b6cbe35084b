#include "protocol/command_schema.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <utility>

#include "crypto/crypto.h"

namespace mdm::protocol {
namespace {

#include "protocol/command_schema_table.inc"

static_assert(std::ranges::is_sorted(kCommands, {}, &CommandSpec::request_type),
              "FindCommand bisects kCommands");

const char* TypeName(ValueType t) {
  switch (t) {
    case ValueType::kString: return "string";
    case ValueType::kInteger: return "integer";
    case ValueType::kBoolean: return "boolean";
    case ValueType::kReal: return "real";
    case ValueType::kData: return "data";
    case ValueType::kDate: return "date";
    case ValueType::kArray: return "array";
    case ValueType::kDictionary: return "dictionary";
    case ValueType::kAny: return "any";
  }
  return "unknown";
}

// "a string", "an integer", but plain "data".
std::string WithArticle(std::string_view noun) {
  if (noun == "data") return "data";
  return (std::string_view("aeiou").find(noun[0]) == std::string_view::npos ? "a " : "an ") +
         std::string(noun);
}

bool HasType(plist_t node, ValueType t) {
  plist_type p = plist_get_node_type(node);
  switch (t) {
    case ValueType::kString: return p == PLIST_STRING;
    case ValueType::kInteger: return p == PLIST_UINT;
    case ValueType::kBoolean: return p == PLIST_BOOLEAN;
    case ValueType::kReal: return p == PLIST_REAL || p == PLIST_UINT;  // 1 for 1.0 is fine
    case ValueType::kData: return p == PLIST_DATA;
    case ValueType::kDate: return p == PLIST_DATE;
    case ValueType::kArray: return p == PLIST_ARRAY;
    case ValueType::kDictionary: return p == PLIST_DICT;
    case ValueType::kAny: return true;
  }
  return false;
}

std::string Join(std::span<const std::string_view> words) {
  std::string out;
  for (std::string_view w : words) out.append(out.empty() ? "" : ", ").append(w);
  return out;
}

std::string KeyNames(std::span<const KeySpec> keys) {
  std::vector<std::string_view> names;
  std::ranges::transform(keys, std::back_inserter(names), &KeySpec::name);
  return Join(names);
}

// A string or integer node as the schema's rangelist writes it.
std::string ScalarText(plist_t node) {
  if (plist_get_node_type(node) == PLIST_STRING) return plist::StringValue(node);
  uint64_t v = 0;
  plist_get_uint_val(node, &v);
  return std::to_string(static_cast<int64_t>(v));
}

Status CheckKeys(plist_t dict, std::span<const KeySpec> keys, const std::string& prefix);

// Checks `node` against `spec`; `path` names it in messages ("Updates[0].InstallAction").
Status CheckValue(plist_t node, const KeySpec& spec, const std::string& path) {
  if (!HasType(node, spec.type)) {
    return Status::Invalid("key '" + path + "' must be " + WithArticle(TypeName(spec.type)) +
                           ", found " + plist::TypeName(plist_get_node_type(node)));
  }
  if (!spec.allowed.empty()) {
    std::string value = ScalarText(node);
    if (std::ranges::find(spec.allowed, value) == spec.allowed.end()) {
      return Status::Invalid("key '" + path + "' must be one of " + Join(spec.allowed) +
                             ", found '" + value + "'");
    }
  }
  if (spec.type == ValueType::kDictionary) return CheckKeys(node, spec.subkeys, path + ".");
  if (spec.type != ValueType::kArray || spec.subkeys.empty()) return Status::Ok();
  uint32_t n = plist_array_get_size(node);
  for (uint32_t i = 0; i < n; ++i) {
    plist_t item = plist_array_get_item(node, i);
    std::string item_path = path + "[" + std::to_string(i) + "]";
    auto item_spec = spec.subkeys.begin();
    if (spec.subkeys.size() > 1) {  // Settings: the item's "Item" says which spec applies
      std::optional<std::string> name = plist::GetString(item, "Item");
      item_spec = std::ranges::find(spec.subkeys, std::string_view(name.value_or("")),
                                    &KeySpec::name);
      if (item_spec == spec.subkeys.end()) {
        return Status::Invalid("key '" + item_path +
                               "' must be a dictionary with an Item of " + KeyNames(spec.subkeys));
      }
    }
    if (Status s = CheckValue(item, *item_spec, item_path); !s.ok()) return s;
  }
  return Status::Ok();
}

Status CheckKeys(plist_t dict, std::span<const KeySpec> keys, const std::string& prefix) {
  for (const KeySpec& key : keys) {
    std::string path = prefix + std::string(key.name);
    plist_t value = plist_dict_get_item(dict, std::string(key.name).c_str());
    if (!value) {
      if (key.required) return Status::Invalid("required key '" + path + "' is missing");
      continue;
    }
    if (Status s = CheckValue(value, key, path); !s.ok()) return s;
  }
  return Status::Ok();
}

bool IsScalar(ValueType t) {
  return t != ValueType::kArray && t != ValueType::kDictionary && t != ValueType::kAny;
}

// Whether key=value can express the key: scalars, and arrays of one scalar type.
bool ConsoleTypable(const KeySpec& key) {
  if (key.type != ValueType::kArray) return IsScalar(key.type);
  return key.subkeys.size() == 1 && IsScalar(key.subkeys[0].type);
}

Result<std::string> DecodeBase64(std::string_view text) {
  std::string bytes;
  if (!crypto::Base64Decode(text, &bytes)) return Status::Invalid("must be base64 or @FILE");
  return bytes;
}

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

Result<std::string> ReadFile(const std::string& path) {
  std::unique_ptr<FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  std::string bytes;
  if (f) {
    char buf[65536];
    while (size_t n = std::fread(buf, 1, sizeof buf, f.get())) bytes.append(buf, n);
  }
  if (!f || std::ferror(f.get()))
    return Status::Invalid("cannot read '" + path + "': " + std::strerror(errno));
  return bytes;
}

// "2026-01-02T03:04:05Z" as seconds since 2001-01-01, the epoch of plist dates (int32 there).
std::optional<int32_t> ParseDate(std::string_view text) {
  constexpr std::string_view kShape = "0000-00-00T00:00:00Z";
  if (text.size() != kShape.size()) return std::nullopt;
  for (size_t i = 0; i < text.size(); ++i) {
    bool digit = std::isdigit(static_cast<unsigned char>(text[i]));
    if (kShape[i] == '0' ? !digit : text[i] != kShape[i]) return std::nullopt;
  }
  auto number = [&](size_t pos, size_t len) {
    int v = 0;
    for (char c : text.substr(pos, len)) v = v * 10 + (c - '0');
    return v;
  };
  using namespace std::chrono;
  year_month_day ymd{year(number(0, 4)), month(number(5, 2)), day(number(8, 2))};
  int h = number(11, 2), m = number(14, 2), s = number(17, 2);
  if (!ymd.ok() || h > 23 || m > 59 || s > 59) return std::nullopt;
  int64_t since_apple_epoch = sys_seconds(sys_days(ymd)).time_since_epoch().count() +
                              h * 3600 + m * 60 + s - plist::kAppleEpochOffset;
  if (since_apple_epoch < std::numeric_limits<int32_t>::min() ||
      since_apple_epoch > std::numeric_limits<int32_t>::max()) {
    return std::nullopt;
  }
  return static_cast<int32_t>(since_apple_epoch);
}

// One scalar from the console; the message completes "key 'X' ...".
Result<plist::Owned> ParseScalar(ValueType type, std::string_view text) {
  const std::string found = ", found '" + std::string(text) + "'";
  const char* end = text.data() + text.size();
  switch (type) {
    case ValueType::kString:
      return plist::Owned(plist::NewString(text));
    case ValueType::kInteger: {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(text.data(), end, v);
      if (ec != std::errc() || p != end) return Status::Invalid("must be an integer" + found);
      return plist::Owned(plist_new_uint(static_cast<uint64_t>(v)));
    }
    case ValueType::kReal: {
      double v = 0;
      auto [p, ec] = std::from_chars(text.data(), end, v);
      if (ec != std::errc() || p != end || !std::isfinite(v))
        return Status::Invalid("must be a number" + found);
      return plist::Owned(plist_new_real(v));
    }
    case ValueType::kBoolean: {
      std::string word(text);
      std::ranges::transform(word, word.begin(), [](unsigned char c) { return std::tolower(c); });
      if (word == "true" || word == "yes" || word == "1") return plist::Owned(plist_new_bool(1));
      if (word == "false" || word == "no" || word == "0") return plist::Owned(plist_new_bool(0));
      return Status::Invalid("must be true, false, yes, no, 1 or 0" + found);
    }
    case ValueType::kData: {
      auto bytes = text.starts_with('@') ? ReadFile(std::string(text.substr(1)))
                                          : DecodeBase64(text);
      if (!bytes.ok()) return bytes.status();
      return plist::Owned(plist::NewData(*bytes));
    }
    case ValueType::kDate: {
      std::optional<int32_t> seconds = ParseDate(text);
      if (!seconds) return Status::Invalid("must be a UTC date like 2026-01-02T03:04:05Z" + found);
      return plist::Owned(plist_new_date(*seconds, 0));
    }
    default:
      return Status::Internal("not a scalar type");  // ConsoleTypable keeps the rest away
  }
}

// An array of scalars is a comma-separated list; "" is the empty array.
Result<plist::Owned> ParseValue(const KeySpec& key, std::string_view text) {
  if (key.type != ValueType::kArray) return ParseScalar(key.type, text);
  plist::Owned array(plist_new_array());
  if (text.empty()) return array;
  for (std::string_view rest = text;;) {
    size_t comma = rest.find(',');
    auto item = ParseScalar(key.subkeys[0].type, rest.substr(0, comma));
    if (!item.ok()) return item.status();
    plist_array_append_item(array.get(), item->release());
    if (comma == std::string_view::npos) return array;
    rest.remove_prefix(comma + 1);
  }
}

// A JSON value as a plist, typed by `spec` where the schema knows the key: strings become data
// (base64) or dates where it says so. Never reads files: this serves the admin API.
Result<plist::Owned> FromJson(const rapidjson::Value& v, const KeySpec* spec, const std::string& path) {
  ValueType want = spec ? spec->type : ValueType::kAny;
  if (v.IsString()) {
    std::string_view text(v.GetString(), v.GetStringLength());
    // A plist string is a C string: a NUL would cut it. (json::Parse refuses \u0000 already.)
    if (text.find('\0') != std::string_view::npos) return Status::Invalid("key '" + path + "' holds a NUL character");
    if (want == ValueType::kData) {
      std::string bytes;
      if (!crypto::Base64Decode(text, &bytes)) return Status::Invalid("key '" + path + "' must be base64 data");
      return plist::Owned(plist::NewData(bytes));
    }
    if (want == ValueType::kDate) {
      auto seconds = ParseDate(text);
      if (!seconds) return Status::Invalid("key '" + path + "' must be a UTC date like 2026-01-02T03:04:05Z");
      return plist::Owned(plist_new_date(*seconds, 0));
    }
    return plist::Owned(plist::NewString(text));
  }
  if (v.IsBool()) return plist::Owned(plist_new_bool(v.GetBool() ? 1 : 0));
  if (v.IsInt64() && want != ValueType::kReal) return plist::Owned(plist_new_uint(static_cast<uint64_t>(v.GetInt64())));
  if (v.IsNumber()) return plist::Owned(plist_new_real(v.GetDouble()));
  if (v.IsArray()) {
    const KeySpec* element = spec && spec->type == ValueType::kArray && spec->subkeys.size() == 1 ? &spec->subkeys[0] : nullptr;
    plist::Owned array(plist_new_array());
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      auto item = FromJson(v[i], element, path + "[" + std::to_string(i) + "]");
      if (!item.ok()) return item.status();
      plist_array_append_item(array.get(), item->release());
    }
    return array;
  }
  if (v.IsObject()) {
    plist::Owned dict(plist_new_dict());
    std::span<const KeySpec> keys = spec && spec->type == ValueType::kDictionary ? spec->subkeys : std::span<const KeySpec>();
    for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
      std::string name(m->name.GetString(), m->name.GetStringLength());
      if (name.find('\0') != std::string::npos)
        return Status::Invalid("a key in '" + path + "' holds a NUL character");
      auto it = std::ranges::find(keys, std::string_view(name), &KeySpec::name);
      auto item = FromJson(m->value, it == keys.end() ? nullptr : &*it, path.empty() ? name : path + "." + name);
      if (!item.ok()) return item.status();
      plist::Set(dict.get(), name.c_str(), item->release());
    }
    return dict;
  }
  return Status::Invalid("key '" + path + "' is null; leave it out instead");
}

}  // namespace

Result<plist::Owned> CommandFromJson(std::string_view request_type, const rapidjson::Value& parameters) {
  const CommandSpec* spec = FindCommand(request_type);
  const std::string name(request_type);
  if (!spec) return Status::Invalid("unknown RequestType '" + name + "'");
  if (!parameters.IsObject()) return Status::Invalid(name + ": parameters must be a JSON object");
  plist::Owned command(plist_new_dict());
  for (auto m = parameters.MemberBegin(); m != parameters.MemberEnd(); ++m) {
    std::string key(m->name.GetString(), m->name.GetStringLength());
    // Keys become plist dictionary keys, C strings: "PIN\0x" must not turn into PIN.
    if (key.find('\0') != std::string::npos) return Status::Invalid(name + ": a parameter key holds a NUL character");
    if (key == "RequestType") continue;
    auto it = std::ranges::find(spec->keys, std::string_view(key), &KeySpec::name);
    auto value = FromJson(m->value, it == spec->keys.end() ? nullptr : &*it, key);
    if (!value.ok()) return Status::Invalid(name + ": " + value.status().message());
    plist::Set(command.get(), key.c_str(), value->release());
  }
  plist::SetString(command.get(), "RequestType", request_type);
  return command;
}

const CommandSpec* FindCommand(std::string_view request_type) {
  auto it = std::ranges::lower_bound(kCommands, request_type, {}, &CommandSpec::request_type);
  return it != std::end(kCommands) && it->request_type == request_type ? &*it : nullptr;
}

std::span<const CommandSpec> AllCommands() { return kCommands; }

std::vector<std::string> NearestRequestTypes(std::string_view text) {
  // Apple's longest request type has 31 characters: anything much longer is no near miss, and
  // the edit distance below costs its length times theirs.
  if (text.empty() || text.size() > 64) return {};
  auto lower = [](std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
  };
  const std::string want = lower(text);
  const size_t max_edits = want.size() <= 4 ? 1 : want.size() <= 8 ? 2 : 3;
  std::vector<std::pair<size_t, std::string_view>> near;  // (edits, type)
  std::vector<size_t> row(want.size() + 1);
  for (const CommandSpec& spec : kCommands) {
    const std::string name = lower(spec.request_type);
    // Levenshtein distance, one row at a time.
    for (size_t j = 0; j <= want.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= name.size(); ++i) {
      size_t diagonal = row[0];
      row[0] = i;
      for (size_t j = 1; j <= want.size(); ++j) {
        size_t above = row[j];
        row[j] = std::min({above + 1, row[j - 1] + 1, diagonal + (name[i - 1] == want[j - 1] ? 0 : 1)});
        diagonal = above;
      }
    }
    const size_t edits = row[want.size()];
    bool contains = want.size() >= 3 && name.find(want) != std::string::npos;
    bool contained = name.size() >= 4 && want.find(name) != std::string::npos;
    if (edits <= max_edits || contains || contained) near.emplace_back(edits, spec.request_type);
  }
  std::ranges::sort(near);
  std::vector<std::string> out;
  for (const auto& [edits, name] : near) {
    if (out.size() == 3 || edits > near.front().first + 2) break;
    out.emplace_back(name);
  }
  return out;
}

Status ValidateCommand(plist_t command, Channel channel) {
  if (!command || plist_get_node_type(command) != PLIST_DICT)
    return Status::Invalid("a command must be a dictionary");
  std::optional<std::string> request_type = plist::GetString(command, "RequestType");
  if (!request_type) return Status::Invalid("the command has no RequestType string");
  const CommandSpec* spec = FindCommand(*request_type);
  if (!spec) return Status::Invalid("unknown RequestType '" + *request_type + "'");
  if (!(channel == Channel::kDevice ? spec->device_channel : spec->user_channel)) {
    return Status::Invalid(*request_type + ": not supported on the " +
                           (channel == Channel::kDevice ? "device" : "user") + " channel");
  }
  Status s = CheckKeys(command, spec->keys, "");
  if (!s.ok()) return Status::Invalid(*request_type + ": " + s.message());
  return s;
}

Result<plist::Owned> BuildCommand(std::string_view request_type,
                                  const std::vector<std::string>& key_values, Channel channel) {
  const CommandSpec* spec = FindCommand(request_type);
  const std::string name(request_type);
  if (!spec) return Status::Invalid("unknown RequestType '" + name + "'");
  plist::Owned command(plist_new_dict());
  plist::SetString(command.get(), "RequestType", request_type);
  for (const std::string& key_value : key_values) {
    size_t eq = key_value.find('=');
    if (eq == std::string::npos)
      return Status::Invalid(name + ": '" + key_value + "' is not key=value");
    const std::string key = key_value.substr(0, eq);
    auto it = std::ranges::find(spec->keys, std::string_view(key), &KeySpec::name);
    if (it == spec->keys.end()) {
      return Status::Invalid(name + ": unknown key '" + key + "'; known keys: " +
                             (spec->keys.empty() ? "none" : KeyNames(spec->keys)));
    }
    if (plist::Get(command.get(), key.c_str()))
      return Status::Invalid(name + ": key '" + key + "' given twice");
    if (!ConsoleTypable(*it)) {
      return Status::Invalid(name + ": key '" + key +
                             "' holds dictionaries, which key=value cannot express; give the "
                             "command with --plist FILE");
    }
    auto value = ParseValue(*it, std::string_view(key_value).substr(eq + 1));
    if (!value.ok())
      return Status::Invalid(name + ": key '" + key + "' " + value.status().message());
    plist::Set(command.get(), key.c_str(), value->release());
  }
  if (Status s = ValidateCommand(command.get(), channel); !s.ok()) return s;
  return command;
}

}  // namespace mdm::protocol

namespace mdm::protocol {
namespace {

void WriteKeys(rapidjson::Writer<rapidjson::StringBuffer>& w, std::span<const KeySpec> keys) {
  w.StartArray();
  for (const KeySpec& k : keys) {
    w.StartObject();
    w.Key("name");
    w.String(k.name.data(), static_cast<rapidjson::SizeType>(k.name.size()));
    w.Key("type");
    w.String(TypeName(k.type));
    w.Key("required");
    w.Bool(k.required);
    if (!k.allowed.empty()) {
      w.Key("allowed");
      w.StartArray();
      for (std::string_view v : k.allowed) w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
      w.EndArray();
    }
    if (!k.subkeys.empty()) {
      w.Key("subkeys");
      WriteKeys(w, k.subkeys);
    }
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace

const std::string& CommandSchemaJson() {
  // Static data: written once per process.
  static const std::string json = [] {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartArray();
    for (const CommandSpec& c : AllCommands()) {
      w.StartObject();
      w.Key("request_type");
      w.String(c.request_type.data(), static_cast<rapidjson::SizeType>(c.request_type.size()));
      w.Key("device_channel");
      w.Bool(c.device_channel);
      w.Key("user_channel");
      w.Bool(c.user_channel);
      w.Key("keys");
      WriteKeys(w, c.keys);
      w.EndObject();
    }
    w.EndArray();
    return std::string(buf.GetString(), buf.GetSize());
  }();
  return json;
}

}  // namespace mdm::protocol
