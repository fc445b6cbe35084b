#include "plist/property_list.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <limits>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/utf8.h"

namespace mdm::plist {
namespace {

// libplist's readers hand out malloc'd strings.
struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};

struct FreeVoid {
  void operator()(void* p) const { std::free(p); }
};

void WriteJson(rapidjson::Writer<rapidjson::StringBuffer>& w, plist_t node);

std::string Base64(std::string_view bytes) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += tbl[v & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t v = uint8_t(bytes[i]) << 16;
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t v = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += tbl[v >> 18];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

void WriteJson(rapidjson::Writer<rapidjson::StringBuffer>& w, plist_t node) {
  switch (plist_get_node_type(node)) {
    case PLIST_BOOLEAN: {
      uint8_t b = 0;
      plist_get_bool_val(node, &b);
      w.Bool(b != 0);
      break;
    }
    case PLIST_UINT: {
      uint64_t v = 0;
      plist_get_uint_val(node, &v);
      w.Int64(static_cast<int64_t>(v));
      break;
    }
    case PLIST_REAL: {
      double d = 0;
      plist_get_real_val(node, &d);
      if (std::isfinite(d)) w.Double(d);
      else w.Null();
      break;
    }
    case PLIST_STRING: {
      std::string s = StringValue(node);
      w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      break;
    }
    case PLIST_DATA: {
      std::string s = Base64(DataValue(node));
      w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
      break;
    }
    case PLIST_DATE: {
      int32_t sec = 0, usec = 0;
      plist_get_date_val(node, &sec, &usec);
      std::time_t t = static_cast<std::time_t>(sec + kAppleEpochOffset);
      std::tm tm{};
      gmtime_r(&t, &tm);
      char buf[32];
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
      w.String(buf);
      break;
    }
    case PLIST_ARRAY: {
      w.StartArray();
      uint32_t n = plist_array_get_size(node);
      for (uint32_t i = 0; i < n; ++i) WriteJson(w, plist_array_get_item(node, i));
      w.EndArray();
      break;
    }
    case PLIST_DICT: {
      w.StartObject();
      ForEach(node, [&](const std::string& key, plist_t v) {
        std::string k = ValidUtf8(key);
        w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
        WriteJson(w, v);
        return true;
      });
      w.EndObject();
      break;
    }
    default:
      w.Null();
  }
}

}  // namespace

Result<Owned> Parse(std::string_view bytes) { return Parse(bytes, PlistLimits{}); }

Result<Owned> Parse(std::string_view bytes, const PlistLimits& limits) {
  if (bytes.empty()) return Status::Invalid("empty body where a property list was expected");
  if (bytes.size() > std::numeric_limits<uint32_t>::max()) return Status::Invalid("property list too large");
  // libplist 2.2 aborts on NUL characters in strings and keys, recurses once per nesting level
  // (binary parser, plist_free, plist_to_bin) and copies shared binary objects: nothing reaches
  // it unchecked. The check bounds the depth of what libplist builds, so the recursive walkers
  // here (ToJson) and in callers are bounded too.
  if (Status s = CheckPlistBytes(bytes, limits); !s.ok()) return s;
  bool binary = plist_is_binary(bytes.data(), static_cast<uint32_t>(bytes.size()));
  plist_t root = nullptr;
  if (binary) plist_from_bin(bytes.data(), static_cast<uint32_t>(bytes.size()), &root);
  else plist_from_xml(bytes.data(), static_cast<uint32_t>(bytes.size()), &root);
  Owned owned(root);
  if (!root) return Status::Invalid(binary ? "malformed binary property list" : "malformed XML property list");
  return owned;
}

Result<Owned> ParseDict(std::string_view bytes) {
  auto r = Parse(bytes);
  if (!r.ok()) return r;
  if (plist_get_node_type(r->get()) != PLIST_DICT)
    return Status::Invalid("the property list's root is not a dictionary");
  return r;
}

std::string ToXml(plist_t node) {
  char* xml = nullptr;
  uint32_t len = 0;
  plist_to_xml(node, &xml, &len);
  std::string out(xml ? xml : "", len);
  if (xml) plist_to_xml_free(xml);
  return out;
}

std::string ToBinary(plist_t node) {
  char* bin = nullptr;
  uint32_t len = 0;
  plist_to_bin(node, &bin, &len);
  std::string out(bin ? bin : "", len);
  if (bin) plist_to_bin_free(bin);
  return out;
}

// plist_dict_next_item reads the key with plist_get_key_val, which asserts that the key holds
// no NUL; libplist 2.2 has no other way to read a key. Keys cannot hold one here: parsed trees
// went through CheckPlistBytes, and plist_dict_set_item takes the key as a C string.
void ForEach(plist_t dict, const std::function<bool(const std::string& key, plist_t value)>& fn) {
  if (!dict || plist_get_node_type(dict) != PLIST_DICT) return;
  plist_dict_iter it = nullptr;
  plist_dict_new_iter(dict, &it);
  std::unique_ptr<void, FreeVoid> iter_guard(it);
  while (true) {
    char* key = nullptr;
    plist_t v = nullptr;
    plist_dict_next_item(dict, it, &key, &v);
    std::unique_ptr<char, FreeDeleter> key_guard(key);
    if (!v || !fn(key ? key : "", v)) return;
  }
}

plist_t Get(plist_t dict, const char* key) {
  if (!dict || plist_get_node_type(dict) != PLIST_DICT) return nullptr;
  return plist_dict_get_item(dict, key);
}

// Not plist_get_string_val: it asserts length == strlen and so aborts on a NUL inside.
std::string StringValue(plist_t node) {
  uint64_t len = 0;
  const char* s = plist_get_string_ptr(node, &len);
  return s ? ValidUtf8(std::string_view(s, static_cast<size_t>(len))) : std::string();
}

std::string ValidUtf8(std::string_view in) {
  // Nearly always already valid: one check and a copy instead of a copy byte by byte.
  if (CheckUtf8(in) == Utf8::kOk) return std::string(in);
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = len > 0 && i + len <= in.size();
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(in[i + k]);
      ok = (cc >> 6) == 0x2;
      cp = (cp << 6) | (cc & 0x3f);
    }
    // Overlong forms, surrogates and values past U+10FFFF are as invalid as broken bytes.
    if (ok) ok = !((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
                   (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff);
    if (!ok) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
      continue;
    }
    if (cp != 0) out.append(in.substr(i, len));  // NUL cannot be stored in PostgreSQL text
    i += len;
  }
  return out;
}

std::string DataValue(plist_t node) {
  uint64_t len = 0;
  const char* d = plist_get_data_ptr(node, &len);
  return d ? std::string(d, static_cast<size_t>(len)) : std::string();
}

std::optional<std::string> GetString(plist_t dict, const char* key) {
  plist_t n = Get(dict, key);
  if (!n || plist_get_node_type(n) != PLIST_STRING) return std::nullopt;
  return StringValue(n);
}

std::optional<std::string> GetData(plist_t dict, const char* key) {
  plist_t n = Get(dict, key);
  if (!n || plist_get_node_type(n) != PLIST_DATA) return std::nullopt;
  return DataValue(n);
}

std::optional<bool> GetBool(plist_t dict, const char* key) {
  plist_t n = Get(dict, key);
  if (!n || plist_get_node_type(n) != PLIST_BOOLEAN) return std::nullopt;
  uint8_t b = 0;
  plist_get_bool_val(n, &b);
  return b != 0;
}

std::optional<int64_t> GetInt(plist_t dict, const char* key) {
  plist_t n = Get(dict, key);
  if (!n || plist_get_node_type(n) != PLIST_UINT) return std::nullopt;
  uint64_t v = 0;
  plist_get_uint_val(n, &v);
  return static_cast<int64_t>(v);
}

std::optional<double> GetReal(plist_t dict, const char* key) {
  plist_t n = Get(dict, key);
  if (!n) return std::nullopt;
  if (plist_get_node_type(n) == PLIST_REAL) {
    double d = 0;
    plist_get_real_val(n, &d);
    return d;
  }
  if (plist_get_node_type(n) == PLIST_UINT) {
    uint64_t v = 0;
    plist_get_uint_val(n, &v);
    return static_cast<double>(static_cast<int64_t>(v));
  }
  return std::nullopt;
}

plist_t NewString(std::string_view v) { return plist_new_string(std::string(v).c_str()); }
plist_t NewData(std::string_view b) { return plist_new_data(b.data(), b.size()); }
void Set(plist_t dict, const char* key, plist_t value) { plist_dict_set_item(dict, key, value); }
void SetString(plist_t dict, const char* key, std::string_view v) { Set(dict, key, NewString(v)); }
void SetData(plist_t dict, const char* key, std::string_view b) { Set(dict, key, NewData(b)); }
void SetBool(plist_t dict, const char* key, bool v) { Set(dict, key, plist_new_bool(v ? 1 : 0)); }
void SetInt(plist_t dict, const char* key, int64_t v) { Set(dict, key, plist_new_uint(static_cast<uint64_t>(v))); }

std::string ToJson(plist_t node) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  WriteJson(w, node);
  return std::string(buf.GetString(), buf.GetSize());
}

const char* TypeName(plist_type t) {
  switch (t) {
    case PLIST_BOOLEAN: return "boolean";
    case PLIST_UINT: return "integer";
    case PLIST_REAL: return "real";
    case PLIST_STRING: return "string";
    case PLIST_ARRAY: return "array";
    case PLIST_DICT: return "dictionary";
    case PLIST_DATE: return "date";
    case PLIST_DATA: return "data";
    default: return "unknown";
  }
}

}  // namespace mdm::plist
