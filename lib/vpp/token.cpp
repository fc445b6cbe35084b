#include "vpp/token.h"

#include <cctype>
#include <ctime>

#include <rapidjson/document.h>

#include "crypto/crypto.h"
#include "json/json.h"

namespace mdm::vpp {
namespace {

constexpr size_t kMaxTokenFile = 64 * 1024;  // real ones are under 1 KiB
const char* const kWhere = ": download it again from Apple Business Manager or Apple School Manager "
                           "(Preferences, Payments and Billing, Apps and Books, Content Tokens)";

bool Digits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return !s.empty();
}

}  // namespace

int64_t ParseAppleDate(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS then Z, +HHMM, -HHMM, +HH:MM or -HH:MM; fractional seconds allowed.
  if (t.size() < 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' || t[16] != ':') return -1;
  for (size_t i : {0, 5, 8, 11, 14, 17}) {
    size_t n = i == 0 ? 4 : 2;
    if (!Digits(t.substr(i, n))) return -1;
  }
  std::tm tm{};
  tm.tm_year = std::stoi(std::string(t.substr(0, 4))) - 1900;
  tm.tm_mon = std::stoi(std::string(t.substr(5, 2))) - 1;
  tm.tm_mday = std::stoi(std::string(t.substr(8, 2)));
  tm.tm_hour = std::stoi(std::string(t.substr(11, 2)));
  tm.tm_min = std::stoi(std::string(t.substr(14, 2)));
  tm.tm_sec = std::stoi(std::string(t.substr(17, 2)));
  if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
    return -1;
  std::string_view rest = t.substr(19);
  if (!rest.empty() && rest[0] == '.') {
    size_t n = 1;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
    if (n == 1) return -1;
    rest.remove_prefix(n);
  }
  int64_t offset = 0;
  if (rest == "Z") {
    offset = 0;
  } else if (rest.size() == 5 || (rest.size() == 6 && rest[3] == ':')) {
    if (rest[0] != '+' && rest[0] != '-') return -1;
    std::string_view hh = rest.substr(1, 2), mm = rest.substr(rest.size() - 2);
    if (!Digits(hh) || !Digits(mm)) return -1;
    offset = (std::stoi(std::string(hh)) * 60 + std::stoi(std::string(mm))) * 60;
    if (rest[0] == '-') offset = -offset;
  } else {
    return -1;
  }
  return static_cast<int64_t>(timegm(&tm)) - offset;
}

Result<ContentToken> ReadTokenFile(std::string_view bytes) {
  if (bytes.size() > kMaxTokenFile)
    return Status::Invalid("this file is " + std::to_string(bytes.size()) +
                           " bytes, far more than an Apps and Books content token (.vpptoken)" + kWhere);
  std::string_view text = bytes;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty()) return Status::Invalid(std::string("the file is empty, not an Apps and Books content token") + kWhere);
  std::string decoded;
  if (!crypto::Base64Decode(text, &decoded))
    return Status::Invalid(std::string("this is not an Apps and Books content token (.vpptoken): it is not base64 text") +
                           kWhere);
  rapidjson::Document d;
  if (!json::Parse(decoded, &d).ok() || !d.IsObject())
    return Status::Invalid(std::string("this is not an Apps and Books content token (.vpptoken): its content is not "
                                       "the JSON object Apple writes (the file may be truncated)") +
                           kWhere);
  auto field = [&d](const char* name) -> std::string {
    auto m = d.FindMember(name);
    if (m == d.MemberEnd() || !m->value.IsString()) return "";
    return std::string(m->value.GetString(), m->value.GetStringLength());
  };
  ContentToken t;
  t.stoken = std::string(text);
  t.org_name = field("orgName");
  t.exp_date = field("expDate");
  for (const auto& [name, value] : {std::pair<const char*, const std::string*>{"token", nullptr},
                                    {"expDate", &t.exp_date}, {"orgName", &t.org_name}}) {
    bool present = value ? !value->empty() : !field(name).empty();
    if (!present)
      return Status::Invalid(std::string("this Apps and Books content token lacks its ") + name +
                             " (the file may be truncated or edited)" + kWhere);
  }
  t.expires_at = ParseAppleDate(t.exp_date);
  if (t.expires_at < 0)
    return Status::Invalid("this Apps and Books content token's expDate '" + t.exp_date.substr(0, 40) +
                           "' is not a date" + kWhere);
  return t;
}

}  // namespace mdm::vpp
