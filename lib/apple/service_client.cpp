#include "apple/service_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <thread>

#include "core/log.h"

namespace mdm::apple {
namespace {

struct SlistDeleter { void operator()(curl_slist* l) const { curl_slist_free_all(l); } };

size_t OnBody(char* p, size_t size, size_t n, void* ud) {
  static_cast<Response*>(ud)->body.append(p, size * n);
  return size * n;
}

// Header lines of the final answer only: a new status line (after a 100 Continue or a
// redirect) starts the list again.
size_t OnHeader(char* p, size_t size, size_t n, void* ud) {
  std::string_view line(p, size * n);
  auto* r = static_cast<Response*>(ud);
  if (line.rfind("HTTP/", 0) == 0) {
    r->headers.clear();
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  r->headers.emplace_back(std::move(name), std::string(value));
  return size * n;
}

}  // namespace

std::optional<std::string> Response::Header(std::string_view name) const {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it)
    if (it->first == name) return it->second;
  return std::nullopt;
}

std::optional<int> ReadRetryAfter(std::string_view value, int max_seconds, long long now) {
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    long long seconds = 0;
    for (char c : value) seconds = std::min<long long>(seconds * 10 + (c - '0'), max_seconds);  // no overflow
    return static_cast<int>(seconds);
  }
  // An HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"): only that form, so stray text is not a date.
  if (value.size() != 29 || value.substr(25) != " GMT" || value[3] != ',') return std::nullopt;
  const std::string text(value);
  const time_t at = curl_getdate(text.c_str(), nullptr);
  if (at < 0) return std::nullopt;
  if (now < 0) now = static_cast<long long>(std::time(nullptr));
  return static_cast<int>(std::clamp<long long>(static_cast<long long>(at) - now, 0, max_seconds));
}

struct ServiceClient::Curl {
  struct Deleter { void operator()(CURL* c) const { curl_easy_cleanup(c); } };
  std::unique_ptr<CURL, Deleter> easy{curl_easy_init()};
  char error[CURL_ERROR_SIZE] = {};  // libcurl's words for the last failure
};

ServiceClient::ServiceClient(ServiceConfig config)
    : config_(std::move(config)), curl_(std::make_unique<Curl>()),
      sleep_([](int s) { std::this_thread::sleep_for(std::chrono::seconds(s)); }) {}
ServiceClient::~ServiceClient() = default;

Result<Response> ServiceClient::Perform(const std::string& method, const std::string& path,
                                        const std::vector<std::string>& headers, const std::string& body,
                                        const std::string& content_type) {
  CURL* c = curl_->easy.get();
  curl_easy_reset(c);
  Response r;
  const std::string url = config_.base_url + path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_slist* h = curl_slist_append(nullptr, "Accept: application/json");
  for (const auto& line : headers) h = curl_slist_append(h, line.c_str());
  if (!body.empty() || method == "POST" || method == "PUT") {
    h = curl_slist_append(h, ("Content-Type: " + content_type).c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  std::unique_ptr<curl_slist, SlistDeleter> list(h);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list.get());
  if (!config_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, config_.ca_file.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(std::min(config_.connect_timeout_seconds, config_.timeout_seconds)));
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(config_.timeout_seconds));
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_->error[0] = '\0';
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_->error);
  ++requests_;
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) return TransportFailure(method, path, rc);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  return r;
}

Status ServiceClient::TransportFailure(const std::string& method, const std::string& path, int code) const {
  const auto rc = static_cast<CURLcode>(code);
  // Connected (a new connection or one kept from before) and the request on its way.
  curl_off_t sent_us = 0;
  const bool connected = curl_easy_getinfo(curl_->easy.get(), CURLINFO_PRETRANSFER_TIME_T, &sent_us) == CURLE_OK &&
                         sent_us > 0;
  const std::string& service = config_.service;
  const std::string request = method + " " + path;
  const std::string seen = std::string(" (") + (curl_->error[0] ? curl_->error : curl_easy_strerror(rc)) + ")";
  std::string next = ": check the network, a firewall or proxy, and " + config_.url_setting + " (mdm-console settings get " +
                     config_.url_setting + ")";
  if (!config_.resume_hint.empty()) next += "; " + config_.resume_hint;
  if (rc == CURLE_OPERATION_TIMEDOUT && connected)
    return Status::Unavailable(service + " at " + config_.base_url + " did not answer " + request + " within " +
                               std::to_string(config_.timeout_seconds) + " s (" + config_.timeout_setting + ")" + seen +
                               next);
  if (connected && (rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
                    rc == CURLE_PARTIAL_FILE || rc == CURLE_HTTP2 || rc == CURLE_HTTP2_STREAM))
    return Status::Unavailable("the connection to " + service + " at " + config_.base_url +
                               " was closed or reset before the answer to " + request + seen + next);
  return Status::Unavailable("cannot reach " + service + " at " + config_.base_url + " for " + request + seen + next);
}

bool ServiceClient::WaitIfAsked(const Response& r, const std::string& what, int* waits) {
  if ((r.status != 429 && r.status != 503) || *waits >= config_.max_waits) return false;
  int seconds = 1 << std::min(*waits, 5);
  if (auto header = r.Header("retry-after"))
    seconds = ReadRetryAfter(*header, config_.max_wait_seconds).value_or(seconds);
  seconds = std::min(seconds, config_.max_wait_seconds);
  log::Info().kv("event", "apple_wait").kv("service", config_.service).kv("request", what)
      .kv("status", static_cast<long long>(r.status)).kv("seconds", static_cast<long long>(seconds))
      .msg(config_.service + " asked to wait");
  sleep_(seconds);
  waited_seconds_ += seconds;
  ++*waits;
  return true;
}

Result<Response> ServiceClient::Send(const std::string& method, const std::string& path,
                                     const std::vector<std::string>& headers, const std::string& body,
                                     const std::string& content_type) {
  int waits = 0;
  while (true) {
    auto r = Perform(method, path, headers, body, content_type);
    if (!r.ok() || !WaitIfAsked(*r, method + " " + path, &waits)) return r;
  }
}

}  // namespace mdm::apple
