#include "abm/client.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>

#include "abm/responses.h"
#include "core/log.h"
#include "crypto/crypto.h"
#include "http/message.h"

namespace mdm::abm {
namespace {

struct SlistDeleter { void operator()(curl_slist* l) const { curl_slist_free_all(l); } };

struct Captured {
  std::string body, session, retry_after;
};

size_t OnBody(char* p, size_t size, size_t n, void* ud) {
  static_cast<Captured*>(ud)->body.append(p, size * n);
  return size * n;
}

size_t OnHeader(char* p, size_t size, size_t n, void* ud) {
  std::string_view line(p, size * n);
  auto* c = static_cast<Captured*>(ud);
  if (auto v = http::HeaderLineValue(line, "x-adm-auth-session:")) c->session = *v;
  if (auto v = http::HeaderLineValue(line, "retry-after:")) c->retry_after = *v;
  return size * n;
}

}  // namespace

struct AbmClient::Curl {
  struct Deleter { void operator()(CURL* c) const { curl_easy_cleanup(c); } };
  std::unique_ptr<CURL, Deleter> easy{curl_easy_init()};
  char error[CURL_ERROR_SIZE] = {};  // libcurl's words for the last failure
};

AbmClient::AbmClient(AbmConfig config) : config_(std::move(config)), curl_(std::make_unique<Curl>()) {}
AbmClient::~AbmClient() = default;

Result<AbmResponse> AbmClient::Perform(const std::string& method, const std::string& path, const std::string& json,
                                       const std::string& authorization) {
  CURL* c = curl_->easy.get();
  curl_easy_reset(c);
  Captured cap;
  std::string url = config_.base_url + path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_slist* h = nullptr;
  h = curl_slist_append(h, "X-Server-Protocol-Version: 3");
  h = curl_slist_append(h, "Accept: application/json");
  if (!authorization.empty()) h = curl_slist_append(h, ("Authorization: " + authorization).c_str());
  if (!session_.empty() && authorization.empty()) h = curl_slist_append(h, ("X-ADM-Auth-Session: " + session_).c_str());
  if (!json.empty() || method == "POST" || method == "PUT") {
    h = curl_slist_append(h, "Content-Type: application/json;charset=UTF8");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, json.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(json.size()));
  }
  std::unique_ptr<curl_slist, SlistDeleter> headers(h);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  if (!config_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, config_.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &cap);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &cap);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(std::min(config_.connect_timeout_seconds, config_.timeout_seconds)));
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(config_.timeout_seconds));
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_->error[0] = '\0';
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_->error);
  ++requests_;
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) return TransportFailure(method, path, rc);
  AbmResponse r;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  r.body = std::move(cap.body);
  if (!cap.session.empty()) session_ = cap.session;  // Apple hands out fresh session tokens
  if (r.status == 429 || r.status == 503) {
    // Returned to Call, which waits; the header says how long.
    r.body = cap.retry_after.empty() ? "" : "retry-after:" + cap.retry_after;
  }
  return r;
}

Status AbmClient::TransportFailure(const std::string& method, const std::string& path, int code) const {
  const auto rc = static_cast<CURLcode>(code);
  // Connected (a new connection or one kept from before) and the request on its way.
  curl_off_t sent_us = 0;
  const bool connected = curl_easy_getinfo(curl_->easy.get(), CURLINFO_PRETRANSFER_TIME_T, &sent_us) == CURLE_OK &&
                         sent_us > 0;
  const std::string request = method + " " + path;
  const std::string seen = std::string(" (") + (curl_->error[0] ? curl_->error : curl_easy_strerror(rc)) + ")";
  const std::string next = ": check the network, a firewall or proxy, and abm-url (mdm-console settings get abm-url); "
                           "the next applesync continues from the last page stored";
  if (rc == CURLE_OPERATION_TIMEDOUT && connected)
    return Status::Unavailable("ABM/ASM at " + config_.base_url + " did not answer " + request + " within " +
                               std::to_string(config_.timeout_seconds) + " s (abm-timeout-seconds)" + seen + next);
  if (connected && (rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
                    rc == CURLE_PARTIAL_FILE || rc == CURLE_HTTP2 || rc == CURLE_HTTP2_STREAM))
    return Status::Unavailable("the connection to ABM/ASM at " + config_.base_url + " was closed or reset before " +
                               "the answer to " + request + seen + next);
  return Status::Unavailable("cannot reach ABM/ASM at " + config_.base_url + " for " + request + seen + next);
}

Status AbmClient::NewSession() {
  session_.clear();
  std::string url = config_.base_url + "/session";
  std::string auth = AuthorizationHeader("GET", url, config_.credentials, crypto::RandomHex(16),
                                         std::to_string(static_cast<long long>(std::time(nullptr))));
  auto r = Perform("GET", "/session", "", auth);
  if (!r.ok()) return r.status();
  if (r->status != 200)
    return Status::Unauthorized("ABM/ASM refused the server token (HTTP " + std::to_string(r->status) +
                                "): upload a fresh one with mdm-console token upload FILE.p7m");
  auto token = ReadSessionToken(r->body);
  if (!token.ok()) return token.status();
  session_ = std::move(token).value();
  return Status::Ok();
}

Result<AbmResponse> AbmClient::Call(const std::string& method, const std::string& path, const std::string& json) {
  bool reauthenticated = false;
  int waits = 0;
  while (true) {
    if (session_.empty()) {
      Status s = NewSession();
      if (!s.ok()) return s;
    }
    auto r = Perform(method, path, json, "");
    if (!r.ok()) return r;
    bool forbidden = r->status == 403 && r->body.find("FORBIDDEN") != std::string::npos;
    if ((r->status == 401 || forbidden) && !reauthenticated) {
      reauthenticated = true;
      session_.clear();
      continue;
    }
    if ((r->status == 429 || r->status == 503) && waits < config_.max_waits) {
      int seconds = 1 << std::min(waits, 5);
      if (r->body.rfind("retry-after:", 0) == 0)
        seconds = ReadRetryAfter(std::string_view(r->body).substr(12), config_.max_wait_seconds).value_or(seconds);
      seconds = std::min(seconds, config_.max_wait_seconds);
      log::Info().kv("event", "abm_wait").kv("status", static_cast<long long>(r->status))
          .kv("seconds", static_cast<long long>(seconds)).msg("ABM/ASM asked to wait");
      std::this_thread::sleep_for(std::chrono::seconds(seconds));
      ++waits;
      continue;
    }
    return r;
  }
}

}  // namespace mdm::abm
