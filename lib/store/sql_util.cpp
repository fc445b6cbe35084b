#include "store/sql_util.h"

#include "crypto/crypto.h"

namespace mdm::store {

std::optional<std::string> HexParam(const std::optional<std::string>& bytes) {
  if (!bytes) return std::nullopt;
  return crypto::Hex(*bytes);
}

namespace {
void AppendQuoted(std::string& out, const std::string& item) {
  out += '"';
  for (char c : item) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
}
}  // namespace

std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    AppendQuoted(out, items[i]);
  }
  out += '}';
  return out;
}

std::string NullableTextArray(const std::vector<std::optional<std::string>>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    if (items[i]) AppendQuoted(out, *items[i]);
    else out += "NULL";
  }
  out += '}';
  return out;
}

std::optional<std::string> Bytes(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return pqxx::binarystring(f).str();
}

}  // namespace mdm::store
