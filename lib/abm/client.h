// A client for Apple's device enrollment API (ABM/ASM): the OAuth-signed session, the session
// token kept fresh from response headers, one re-authentication on 401 / 403 FORBIDDEN. 429 and
// 503 are waited out with Retry-After (bounded) on every request, /session included
// (apple::ServiceClient): only 401 / 403 there mean the server token is refused.
#pragma once

#include <string>

#include "abm/oauth.h"
#include "apple/service_client.h"
#include "core/status.h"

namespace mdm::abm {

struct AbmConfig {
  std::string base_url = "https://mdmenrollment.apple.com";
  std::string ca_file;  // extra CA bundle to trust; empty: the system's
  OAuthCredentials credentials;
  int max_waits = 5;          // 429 / 503 answers waited out per request
  int max_wait_seconds = 60;  // the longest single wait
  int timeout_seconds = 120;  // one request's whole exchange (abm-timeout-seconds)
  int connect_timeout_seconds = 15;  // its TCP and TLS connect, within timeout_seconds
};

struct AbmResponse {
  long status = 0;
  std::string body;
};

class AbmClient {
 public:
  explicit AbmClient(AbmConfig config);

  // `path` like "/account"; `json` the body for POST/PUT/DELETE. Transport failures and a
  // refused re-authentication are kUnavailable / kUnauthorized; HTTP errors come back as they are.
  Result<AbmResponse> Call(const std::string& method, const std::string& path, const std::string& json = "");

  int requests() const { return http_.requests(); }
  apple::ServiceClient& http() { return http_; }

 private:
  Status NewSession();

  AbmConfig config_;
  apple::ServiceClient http_;
  std::string session_;
};

}  // namespace mdm::abm
