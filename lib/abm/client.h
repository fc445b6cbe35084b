// A client for Apple's device enrollment API (ABM/ASM): the OAuth-signed session, the session
// token kept fresh from response headers, one re-authentication on 401 / 403 FORBIDDEN, and
// 429 / 503 waited out with Retry-After (bounded).
#pragma once

#include <memory>
#include <string>

#include "abm/oauth.h"
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
  ~AbmClient();
  AbmClient(const AbmClient&) = delete;
  AbmClient& operator=(const AbmClient&) = delete;

  // `path` like "/account"; `json` the body for POST/PUT/DELETE. Transport failures and a
  // refused re-authentication are kUnavailable / kUnauthorized; HTTP errors come back as they are.
  Result<AbmResponse> Call(const std::string& method, const std::string& path, const std::string& json = "");

  int requests() const { return requests_; }

 private:
  Status NewSession();
  Result<AbmResponse> Perform(const std::string& method, const std::string& path, const std::string& json,
                              const std::string& authorization);
  // The sentence for a request that got no HTTP answer (`code`: libcurl's CURLcode).
  Status TransportFailure(const std::string& method, const std::string& path, int code) const;

  AbmConfig config_;
  struct Curl;
  std::unique_ptr<Curl> curl_;
  std::string session_;
  int requests_ = 0;
};

}  // namespace mdm::abm
