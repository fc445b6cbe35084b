#include "abm/client.h"

#include <ctime>

#include "abm/responses.h"
#include "crypto/crypto.h"

namespace mdm::abm {
namespace {

apple::ServiceConfig ServiceOf(const AbmConfig& c) {
  apple::ServiceConfig s;
  s.service = "ABM/ASM";
  s.base_url = c.base_url;
  s.ca_file = c.ca_file;
  s.url_setting = "abm-url";
  s.timeout_setting = "abm-timeout-seconds";
  s.resume_hint = "the next applesync continues from the last page stored";
  s.max_waits = c.max_waits;
  s.max_wait_seconds = c.max_wait_seconds;
  s.timeout_seconds = c.timeout_seconds;
  s.connect_timeout_seconds = c.connect_timeout_seconds;
  return s;
}

constexpr const char* kProtocolVersion = "X-Server-Protocol-Version: 3";
constexpr const char* kJson = "application/json;charset=UTF8";

}  // namespace

AbmClient::AbmClient(AbmConfig config) : config_(std::move(config)), http_(ServiceOf(config_)) {}

Status AbmClient::NewSession() {
  session_.clear();
  const std::string url = config_.base_url + "/session";
  int waits = 0;
  while (true) {
    // A fresh nonce and timestamp for each try: the service refuses a nonce it has seen.
    std::string auth = AuthorizationHeader("GET", url, config_.credentials, crypto::RandomHex(16),
                                           std::to_string(static_cast<long long>(std::time(nullptr))));
    auto r = http_.Perform("GET", "/session", {kProtocolVersion, "Authorization: " + auth});
    if (!r.ok()) return r.status();
    if (http_.WaitIfAsked(*r, "GET /session", &waits)) continue;
    if (r->status == 401 || r->status == 403)
      return Status::Unauthorized("ABM/ASM refused the server token (HTTP " + std::to_string(r->status) +
                                  "): upload a fresh one with mdm-console token upload FILE.p7m");
    if (r->status != 200)
      return Status::Unavailable("ABM/ASM answered HTTP " + std::to_string(r->status) +
                                 " to GET /session" + (r->status == 429 || r->status == 503
                                                           ? " after " + std::to_string(waits) + " wait(s)"
                                                           : std::string()) +
                                 ": try again later; the next applesync continues from the last page stored");
    auto token = ReadSessionToken(r->body);
    if (!token.ok()) return token.status();
    session_ = std::move(token).value();
    return Status::Ok();
  }
}

Result<AbmResponse> AbmClient::Call(const std::string& method, const std::string& path, const std::string& json) {
  bool reauthenticated = false;
  int waits = 0;
  while (true) {
    if (session_.empty()) {
      Status s = NewSession();
      if (!s.ok()) return s;
    }
    auto r = http_.Perform(method, path, {kProtocolVersion, "X-ADM-Auth-Session: " + session_}, json, kJson);
    if (!r.ok()) return r.status();
    if (auto fresh = r->Header("x-adm-auth-session"); fresh && !fresh->empty()) session_ = *fresh;
    bool forbidden = r->status == 403 && r->body.find("FORBIDDEN") != std::string::npos;
    if ((r->status == 401 || forbidden) && !reauthenticated) {
      reauthenticated = true;
      session_.clear();
      continue;
    }
    if (http_.WaitIfAsked(*r, method + " " + path, &waits)) continue;
    return AbmResponse{r->status, std::move(r->body)};
  }
}

}  // namespace mdm::abm
