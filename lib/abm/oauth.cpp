#include "abm/oauth.h"

#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>

#include "crypto/crypto.h"
#include "http/message.h"

namespace mdm::abm {

std::string PercentEncode(std::string_view s) { return http::UrlEncode(s); }

std::string SignatureBaseString(const std::string& method, const std::string& url,
                                const std::vector<std::pair<std::string, std::string>>& params) {
  std::string base_url = url, query;
  if (auto q = url.find('?'); q != std::string::npos) {
    base_url = url.substr(0, q);
    query = url.substr(q + 1);
  }
  // Scheme and host in lower case; default ports dropped (RFC 5849 3.4.1.2).
  auto scheme_end = base_url.find("://");
  auto path_start = base_url.find('/', scheme_end + 3);
  std::string authority = base_url.substr(0, path_start);
  std::transform(authority.begin(), authority.end(), authority.begin(), [](unsigned char c) { return std::tolower(c); });
  if (authority.size() > 4 && authority.compare(authority.size() - 4, 4, ":443") == 0 && authority.rfind("https", 0) == 0)
    authority.resize(authority.size() - 4);
  base_url = authority + (path_start == std::string::npos ? "/" : base_url.substr(path_start));

  std::vector<std::pair<std::string, std::string>> all;
  for (size_t pos = 0; !query.empty() && pos <= query.size();) {
    size_t amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    std::string part = query.substr(pos, amp - pos), k, v;
    size_t eq = part.find('=');
    http::UrlDecode(part.substr(0, eq), &k, true);
    if (eq != std::string::npos) http::UrlDecode(part.substr(eq + 1), &v, true);
    all.emplace_back(PercentEncode(k), PercentEncode(v));
    pos = amp + 1;
  }
  for (const auto& [k, v] : params) all.emplace_back(PercentEncode(k), PercentEncode(v));
  std::sort(all.begin(), all.end());
  std::string normalized;
  for (const auto& [k, v] : all) normalized += (normalized.empty() ? "" : "&") + k + "=" + v;
  std::string m = method;
  std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return std::toupper(c); });
  return m + "&" + PercentEncode(base_url) + "&" + PercentEncode(normalized);
}

std::string HmacSha1Signature(const std::string& base_string, const std::string& consumer_secret,
                              const std::string& token_secret) {
  std::string key = PercentEncode(consumer_secret) + "&" + PercentEncode(token_secret);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(base_string.data()),
       base_string.size(), md, &len);
  return crypto::Base64Encode(std::string_view(reinterpret_cast<char*>(md), len));
}

std::string AuthorizationHeader(const std::string& method, const std::string& url, const OAuthCredentials& c,
                                const std::string& nonce, const std::string& timestamp,
                                const std::vector<std::pair<std::string, std::string>>& body_params) {
  std::vector<std::pair<std::string, std::string>> oauth = {
      {"oauth_consumer_key", c.consumer_key}, {"oauth_nonce", nonce},
      {"oauth_signature_method", "HMAC-SHA1"}, {"oauth_timestamp", timestamp},
      {"oauth_token", c.access_token},        {"oauth_version", "1.0"}};
  std::vector<std::pair<std::string, std::string>> params = oauth;
  params.insert(params.end(), body_params.begin(), body_params.end());
  std::string signature = HmacSha1Signature(SignatureBaseString(method, url, params), c.consumer_secret, c.access_secret);
  oauth.emplace_back("oauth_signature", signature);
  std::string header = "OAuth ";
  for (size_t i = 0; i < oauth.size(); ++i)
    header += (i ? ", " : "") + PercentEncode(oauth[i].first) + "=\"" + PercentEncode(oauth[i].second) + "\"";
  return header;
}

}  // namespace mdm::abm
