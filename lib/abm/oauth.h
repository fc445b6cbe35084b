// OAuth 1.0a (RFC 5849) HMAC-SHA1 request signing, as Apple's device enrollment API wants for
// GET /session.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mdm::abm {

struct OAuthCredentials {
  std::string consumer_key, consumer_secret, access_token, access_secret;
};

// RFC 3986 unreserved characters pass; everything else becomes %XX (upper case).
std::string PercentEncode(std::string_view s);

// The signature base string: METHOD & encoded base URL & encoded, sorted parameters (the query
// string's, `extra` (e.g. a form body's) and the oauth_* ones).
std::string SignatureBaseString(const std::string& method, const std::string& url,
                                const std::vector<std::pair<std::string, std::string>>& params);

// base64(HMAC-SHA1(encode(consumer_secret) & encode(token_secret), base string)).
std::string HmacSha1Signature(const std::string& base_string, const std::string& consumer_secret,
                              const std::string& token_secret);

// The Authorization header value ("OAuth oauth_consumer_key=..., ...") for a request.
// `nonce` and `timestamp` are given so tests can check a known vector.
std::string AuthorizationHeader(const std::string& method, const std::string& url, const OAuthCredentials& c,
                                const std::string& nonce, const std::string& timestamp,
                                const std::vector<std::pair<std::string, std::string>>& body_params = {});

}  // namespace mdm::abm
