#include "import/oco_fields.h"

#include <cctype>

#include "crypto/crypto.h"

namespace mdm::import {
namespace {
std::string TextOf(const std::optional<std::string>& v) { return v ? *v : std::string(); }
}  // namespace

// "iOS 17.4.1" (OCO writes the OSVersion with the platform before it) as "17.4.1".
std::optional<std::string> OcoOsVersion(const std::optional<std::string>& os) {
  if (!os || os->empty()) return std::nullopt;
  size_t space = os->find_last_of(' ');
  std::string v = space == std::string::npos ? *os : os->substr(space + 1);
  if (v.empty() || !std::isdigit(static_cast<unsigned char>(v[0]))) return std::nullopt;
  return v;
}

// OCO keeps the push token's 32 bytes as they are (a BLOB since OCO 1.1.3); before that as
// base64 text. 64 hex digits are taken too.
bool DecodeOcoPushToken(const std::string& text, std::string* out) {
  if (text.size() == 32) {
    *out = text;
    return true;
  }
  if (text.size() == 64 && text.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) {
    out->clear();
    for (size_t i = 0; i < 64; i += 2) out->push_back(static_cast<char>(std::stoi(text.substr(i, 2), nullptr, 16)));
    return true;
  }
  return crypto::Base64Decode(text, out) && !out->empty();
}

// What an imported group is called here: OCO allows the same name under two parents, our
// names are unique, so a repeated name is written as its path ("School A/Class 1").
std::map<std::string, std::string> OcoGroupNames(const std::vector<MysqlRow>& groups) {
  std::map<std::string, std::pair<std::string, std::string>> by_id;  // id -> (parent, name)
  std::map<std::string, int> uses;
  for (const auto& g : groups) {
    by_id[TextOf(g[0])] = {TextOf(g[1]), TextOf(g[2])};
    ++uses[TextOf(g[2])];
  }
  std::map<std::string, std::string> out;
  for (const auto& [id, pn] : by_id) {
    std::string name = pn.second;
    if (uses[name] > 1) {
      std::string path = name, parent = pn.first;
      for (int depth = 0; !parent.empty() && by_id.count(parent) && depth < 64; ++depth) {
        path = by_id[parent].second + "/" + path;
        parent = by_id[parent].first;
      }
      name = path;
    }
    out[id] = name;
  }
  return out;
}

}  // namespace mdm::import
